//! SARIF 2.1.0 exporter for `analyze` (code-scanning upload in CI): one rule per finding kind, one result per
//! finding, call chains as related locations, parse errors as tool notifications.

use std::io::{self, Write};

use serde_json::{json, Value};

use crate::analyze::doc::AnalysisDoc;
use crate::render::Export;
use crate::vocab::FindingKind;

/// The SARIF format.
pub struct Sarif;

impl Export<AnalysisDoc> for Sarif {
    fn export(&self, doc: &AnalysisDoc, out: &mut dyn Write) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, &sarif(doc)).map_err(io::Error::other)?;
        out.write_all(b"\n")
    }
}

fn location(file: &str, line: u32, column: u32) -> Value {
    json!({
        "physicalLocation": {
            "artifactLocation": {"uri": file, "uriBaseId": "%SRCROOT%"},
            "region": {"startLine": line.max(1), "startColumn": column.max(1)}
        }
    })
}

pub fn sarif(doc: &AnalysisDoc) -> Value {
    let rules: Vec<Value> = FindingKind::ALL
        .iter()
        .map(|&k| {
            let r = crate::rules::rule(k);
            json!({
                "id": k.id(),
                "name": k.id(),
                "shortDescription": {"text": r.summary},
                "defaultConfiguration": {"level": r.level.as_str()},
            })
        })
        .collect();
    let results: Vec<Value> = doc
        .findings
        .iter()
        .map(|f| {
            let rule_index = FindingKind::ALL.iter().position(|k| *k == f.kind).unwrap_or(0);
            let mut text = f.message.clone();
            if !f.help.is_empty() {
                text.push_str(&format!(" (help: {})", f.help));
            }
            let mut r = json!({
                "ruleId": f.kind.id(),
                "ruleIndex": rule_index,
                "level": f.level.as_str(),
                "message": {"text": text},
                "locations": [location(&f.file, f.line, f.column)],
                "partialFingerprints": {
                    "concurFinding/v1": format!("{}:{}:{}", f.kind.id(), f.function.as_deref().unwrap_or(""), f.file)
                },
            });
            if let Some(func) = &f.function {
                r["locations"][0]["logicalLocations"] = json!([{"fullyQualifiedName": func, "kind": "function"}]);
            }
            if f.chain.len() > 1 {
                r["properties"] = json!({"chain": f.chain});
            }
            r
        })
        .collect();
    let notifications: Vec<Value> = doc
        .files
        .parse_errors
        .iter()
        .map(|e| {
            json!({
                "level": "warning",
                "message": {"text": format!("file skipped: {}", e.message)},
                "locations": [location(&e.file, e.line, e.column)],
            })
        })
        .collect();
    let root = doc.workspace_root.trim_end_matches('/');
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "cargo-concur",
                "version": doc.tool.version,
                "informationUri": "https://github.com/cargo-concur/cargo-concur",
                "rules": rules,
            }},
            "originalUriBaseIds": {"%SRCROOT%": {"uri": format!("file://{root}/")}},
            "invocations": [{
                "executionSuccessful": true,
                "toolExecutionNotifications": notifications,
            }],
            "results": results,
        }]
    })
}
