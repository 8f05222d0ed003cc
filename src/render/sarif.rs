//! SARIF 2.1.0 exporter for `analyze`, as GitHub code scanning documents it: one rule per finding kind (short
//! and full description, help text and Markdown from the rule's docs, tags, precision, severity), one result
//! per finding with start/end line and column, call chains as `codeFlows`, the other side of a lock-order pair
//! as `relatedLocations`, suppressed findings with `suppressions`, stable `partialFingerprints`, and URIs
//! relative to the repository root (percent-encoded, against `%SRCROOT%`).

use std::io::{self, Write};

use serde_json::{json, Value};

use crate::analyze::doc::AnalysisDoc;
use crate::render::{AnalysisView, Export};
use crate::rules::catalog;
use crate::vocab::{Finding, FindingKind, RelatedRole};

/// The SARIF format.
pub struct Sarif;

impl Export<AnalysisView<'_>> for Sarif {
    fn export(&self, view: &AnalysisView<'_>, out: &mut dyn Write) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, &sarif(view)).map_err(io::Error::other)?;
        out.write_all(b"\n")
    }
}

/// Percent-encodes a path for a URI: everything but RFC 3986 unreserved characters and `/`.
pub fn encode_path(path: &str) -> String {
    let mut s = String::with_capacity(path.len());
    for b in path.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                s.push(b as char)
            }
            _ => s.push_str(&format!("%{b:02X}")),
        }
    }
    s
}

fn region(line: u32, column: u32, end_line: u32, end_column: u32) -> Value {
    let line = line.max(1);
    let column = column.max(1);
    json!({
        "startLine": line,
        "startColumn": column,
        "endLine": end_line.max(line),
        "endColumn": end_column.max(column + 1),
    })
}

fn physical(view: &AnalysisView<'_>, file: &str, region: Value) -> Value {
    json!({
        "artifactLocation": {"uri": encode_path(&view.repo_path(file)), "uriBaseId": "%SRCROOT%"},
        "region": region,
    })
}

fn finding_location(view: &AnalysisView<'_>, f: &Finding) -> Value {
    let mut loc = json!({
        "physicalLocation": physical(view, &f.file, region(f.line, f.column, f.end_line, f.end_column)),
    });
    if let Some(func) = &f.function {
        loc["logicalLocations"] = json!([{"fullyQualifiedName": func, "kind": "function"}]);
    }
    loc
}

fn rule_descriptor(k: FindingKind) -> Value {
    let r = crate::rules::rule(k);
    json!({
        "id": k.id(),
        "name": k.id(),
        "shortDescription": {"text": r.summary},
        "fullDescription": {"text": format!("{} {}", r.summary, r.docs)},
        "help": {
            "text": catalog::explain_text(k),
            "markdown": catalog::explain_markdown(k),
        },
        "helpUri": format!("https://github.com/cargo-concur/cargo-concur/blob/main/docs/rules/{}.md", k.id()),
        "defaultConfiguration": {"level": r.level.as_str()},
        "properties": {
            "tags": catalog::tags(k),
            "precision": catalog::precision(k),
            "problem.severity": catalog::problem_severity(k),
        },
    })
}

fn result(view: &AnalysisView<'_>, f: &Finding) -> Value {
    let doc = view.doc;
    let rule_index = FindingKind::ALL
        .iter()
        .position(|k| *k == f.kind)
        .unwrap_or(0);
    let mut text = f.message.clone();
    if !f.help.is_empty() {
        text.push_str(&format!(" (help: {})", f.help));
    }
    let mut r = json!({
        "ruleId": f.kind.id(),
        "ruleIndex": rule_index,
        "level": f.level.as_str(),
        "message": {"text": text},
        "locations": [finding_location(view, f)],
        "partialFingerprints": {"concurFingerprint/v1": f.fingerprint},
    });
    if f.chain.len() > 1 {
        let steps: Vec<Value> = f
            .chain
            .iter()
            .enumerate()
            .map(|(i, func)| {
                let mut loc = match (i + 1 == f.chain.len(), doc.function(func)) {
                    // The last step holds the construct itself.
                    (true, _) => finding_location(view, f),
                    (false, Some(fd)) => json!({
                        "physicalLocation": physical(view, &fd.file, region(fd.line, 1, fd.line, 2)),
                        "logicalLocations": [{"fullyQualifiedName": func, "kind": "function"}],
                    }),
                    (false, None) => json!({
                        "logicalLocations": [{"fullyQualifiedName": func, "kind": "function"}],
                    }),
                };
                loc["message"] = json!({"text": if i == 0 {
                    format!("`{func}` (reported here)")
                } else {
                    format!("calls `{func}`")
                }});
                json!({"location": loc, "nestingLevel": i})
            })
            .collect();
        r["codeFlows"] = json!([{
            "message": {"text": format!("call chain: {}", f.chain.join(" -> "))},
            "threadFlows": [{"locations": steps}],
        }]);
    }
    if !f.related.is_empty() {
        let related: Vec<Value> = f
            .related
            .iter()
            .enumerate()
            .map(|(i, rel)| {
                let what = match rel.role {
                    RelatedRole::OppositeOrder => "the opposite acquisition order",
                };
                let text = match &rel.function {
                    Some(func) => format!("{what}, in `{func}`"),
                    None => what.to_string(),
                };
                json!({
                    "id": i,
                    "physicalLocation": physical(view, &rel.file, region(rel.line, rel.column, rel.line, rel.column + 1)),
                    "message": {"text": text},
                })
            })
            .collect();
        r["relatedLocations"] = json!(related);
    }
    if let Some(s) = &f.suppression {
        let mut sup = json!({"kind": "inSource", "status": "accepted"});
        if !s.reason.is_empty() {
            sup["justification"] = json!(s.reason);
        }
        r["suppressions"] = json!([sup]);
    }
    r
}

pub fn sarif(view: &AnalysisView<'_>) -> Value {
    let doc: &AnalysisDoc = view.doc;
    let rules: Vec<Value> = FindingKind::ALL
        .iter()
        .map(|&k| rule_descriptor(k))
        .collect();
    let results: Vec<Value> = doc
        .findings
        .iter()
        .chain(doc.suppressed.iter())
        .map(|f| result(view, f))
        .collect();
    let notifications: Vec<Value> = doc
        .files
        .parse_errors
        .iter()
        .map(|e| {
            json!({
                "level": "warning",
                "message": {"text": format!("file skipped: {}", e.message)},
                "locations": [{"physicalLocation": physical(view, &e.file, region(e.line, e.column, e.line, e.column + 1))}],
            })
        })
        .collect();
    let root = view.repo.root.trim_end_matches('/');
    let mut run = json!({
        "tool": {"driver": {
            "name": "cargo-concur",
            "version": doc.tool.version,
            "semanticVersion": doc.tool.version,
            "informationUri": "https://github.com/cargo-concur/cargo-concur",
            "rules": rules,
        }},
        "originalUriBaseIds": {"%SRCROOT%": {"uri": format!("file://{}/", encode_path(root))}},
        "invocations": [{
            "executionSuccessful": true,
            "toolExecutionNotifications": notifications,
        }],
        "columnKind": "unicodeCodePoints",
        "results": results,
    });
    if let Some(cat) = &view.opts.sarif_category {
        run["automationDetails"] = json!({"id": format!("{}/", cat.trim_end_matches('/'))});
    }
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [run],
    })
}

#[cfg(test)]
mod tests {
    use super::encode_path;

    #[test]
    fn paths_are_percent_encoded() {
        assert_eq!(encode_path("src/lib.rs"), "src/lib.rs");
        assert_eq!(encode_path("my crate/src/ñ.rs"), "my%20crate/src/%C3%B1.rs");
        assert_eq!(encode_path("a%b#c?d"), "a%25b%23c%3Fd");
    }
}
