//! `cargo concur rules` (every kind, its default level and summary; text or JSON) and `cargo concur explain
//! KIND` (the rule's long documentation with an example).

use std::io::{self, Write};

use serde_json::json;

use crate::rules::{catalog, rule};
use crate::vocab::{FindingKind, SCHEMA_VERSION};

pub fn rules_text(out: &mut dyn Write) -> io::Result<()> {
    let width = FindingKind::ALL
        .iter()
        .map(|k| k.id().len())
        .max()
        .unwrap_or(0);
    writeln!(
        out,
        "{:<width$}  {:<7}  {:<14}  summary",
        "kind", "level", "category"
    )?;
    for k in FindingKind::ALL {
        let r = rule(k);
        writeln!(
            out,
            "{:<width$}  {:<7}  {:<14}  {}",
            k.id(),
            r.level.as_str(),
            catalog::category(k),
            r.summary
        )?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "`cargo concur explain KIND` shows a rule's documentation with an example."
    )
}

pub fn rules_json(out: &mut dyn Write) -> io::Result<()> {
    let rules: Vec<_> = FindingKind::ALL
        .iter()
        .map(|&k| {
            let r = rule(k);
            json!({
                "kind": k.id(),
                "level": r.level.as_str(),
                "category": catalog::category(k),
                "summary": r.summary,
                "help": r.help,
                "docs": r.docs,
                "tags": catalog::tags(k),
                "precision": catalog::precision(k),
            })
        })
        .collect();
    let doc = json!({"schema_version": SCHEMA_VERSION, "rules": rules});
    serde_json::to_writer_pretty(&mut *out, &doc).map_err(io::Error::other)?;
    out.write_all(b"\n")
}

pub fn explain(kind: FindingKind, out: &mut dyn Write) -> io::Result<()> {
    out.write_all(catalog::explain_markdown(kind).as_bytes())
}
