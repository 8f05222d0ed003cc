//! `--message-format json`: one JSON object per line in cargo's `compiler-message` shape (as clippy's
//! diagnostics come), then `build-finished`, so tools that read cargo's messages take the findings unchanged.
//! `code.code` is `concur::<kind>`; `rendered` is the human diagnostic. Byte offsets are not tracked (0).

use std::io::{self, Write};

use serde_json::{json, Value};

use crate::analyze::doc::PackageDoc;
use crate::render::{AnalysisView, Export};
use crate::vocab::{Finding, Level};

/// cargo's JSON message format.
pub struct CargoJson;

fn level(l: Level) -> &'static str {
    match l {
        Level::Error => "error",
        Level::Warning => "warning",
        Level::Note => "note",
    }
}

fn target(view: &AnalysisView<'_>, pkg: Option<&PackageDoc>) -> Value {
    let root = view.doc.workspace_root.trim_end_matches('/');
    let t = pkg.and_then(|p| {
        p.targets
            .iter()
            .find(|t| t.kind == "lib")
            .or(p.targets.first())
    });
    match (pkg, t) {
        (Some(p), Some(t)) => json!({
            "kind": [t.kind],
            "crate_types": [if t.kind == "lib" { "lib" } else { "bin" }],
            "name": t.name,
            "src_path": format!("{root}/{}", t.src_path),
            "edition": p.edition,
            "doc": true,
            "doctest": t.kind == "lib",
            "test": true,
        }),
        _ => json!({
            "kind": ["lib"], "crate_types": ["lib"], "name": "unknown",
            "src_path": format!("{root}/src/lib.rs"), "edition": "2021",
            "doc": true, "doctest": false, "test": false,
        }),
    }
}

fn message(view: &AnalysisView<'_>, f: &Finding) -> Value {
    let doc = view.doc;
    let pkg = doc
        .packages
        .iter()
        .find(|p| p.name == f.package)
        .or(doc.packages.first());
    let text_line = f.snippet.clone().unwrap_or_default();
    let end_col = f.end_column.max(f.column + 1);
    let mut children = Vec::new();
    if let Some(func) = &f.function {
        let note = if f.chain.len() > 1 {
            format!("in `{func}`, via {}", f.chain.join(" → "))
        } else {
            format!("in `{func}`")
        };
        children.push(json!({"message": note, "code": null, "level": "note", "spans": [], "children": [], "rendered": null}));
    }
    if !f.help.is_empty() {
        children.push(json!({"message": f.help, "code": null, "level": "help", "spans": [], "children": [], "rendered": null}));
    }
    let mut rendered = Vec::new();
    let _ = crate::render::human::diagnostic(f, &mut rendered);
    let manifest = pkg.map(|p| p.manifest_path.clone()).unwrap_or_default();
    let dir = std::path::Path::new(&manifest)
        .parent()
        .map(|d| d.display().to_string())
        .unwrap_or_default();
    json!({
        "reason": "compiler-message",
        "package_id": format!("path+file://{dir}#{}", pkg.map(|p| p.name.as_str()).unwrap_or("")),
        "manifest_path": manifest,
        "target": target(view, pkg),
        "message": {
            "$message_type": "diagnostic",
            "message": f.message,
            "code": {"code": format!("concur::{}", f.kind.id()), "explanation": null},
            "level": level(f.level),
            "spans": [{
                "file_name": f.file,
                "byte_start": 0,
                "byte_end": 0,
                "line_start": f.line,
                "line_end": f.end_line.max(f.line),
                "column_start": f.column,
                "column_end": end_col,
                "is_primary": true,
                "text": [{"text": text_line, "highlight_start": f.column, "highlight_end": end_col}],
                "label": null,
                "suggested_replacement": null,
                "suggestion_applicability": null,
                "expansion": null,
            }],
            "children": children,
            "rendered": anstream::adapter::strip_str(&String::from_utf8_lossy(&rendered)).to_string(),
        }
    })
}

impl Export<AnalysisView<'_>> for CargoJson {
    fn export(&self, view: &AnalysisView<'_>, out: &mut dyn Write) -> io::Result<()> {
        for f in &view.doc.findings {
            serde_json::to_writer(&mut *out, &message(view, f)).map_err(io::Error::other)?;
            out.write_all(b"\n")?;
        }
        serde_json::to_writer(
            &mut *out,
            &json!({"reason": "build-finished", "success": true}),
        )
        .map_err(io::Error::other)?;
        out.write_all(b"\n")
    }
}
