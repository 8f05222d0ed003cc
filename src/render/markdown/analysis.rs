//! Markdown rendering of an `AnalysisDoc`, for a pull-request comment: counts per kind, then one row per
//! finding, hazards first, within GitHub's comment limit (whole rows only, with a count of what was left out),
//! linked to `file#Lline` when a repository URL is known.

use std::collections::BTreeMap;
use std::io::{self, Write};

use super::Markdown;
use crate::render::{AnalysisView, Export, GITHUB_COMMENT_LIMIT};
use crate::rules::catalog;
use crate::vocab::{Finding, Level};

/// Room kept for the line that counts what was left out.
const TRAILER_ROOM: usize = 400;

impl Export<AnalysisView<'_>> for Markdown {
    fn export(&self, view: &AnalysisView<'_>, out: &mut dyn Write) -> io::Result<()> {
        let limit = if view.opts.markdown_limit == 0 {
            GITHUB_COMMENT_LIMIT
        } else {
            view.opts.markdown_limit
        };
        out.write_all(render(view, limit).as_bytes())
    }
}

fn level_title(level: Level) -> &'static str {
    match level {
        Level::Error => "Errors",
        Level::Warning => "Warnings",
        Level::Note => "Notes",
    }
}

/// One finding's row (a list item, with its chain and help), complete in itself.
fn row(view: &AnalysisView<'_>, f: &Finding) -> String {
    let func = f
        .function
        .as_deref()
        .map(|p| format!(" in `{p}`"))
        .unwrap_or_default();
    let at = format!("{}:{}:{}", f.file, f.line, f.column);
    let at = match view.repo.link(&f.file, f.line) {
        Some(url) => format!("[`{at}`]({url})"),
        None => format!("`{at}`"),
    };
    let mut s = format!(
        "- **`{}`** {at}{func}: {}\n",
        f.kind.id(),
        escape(&f.message)
    );
    if f.chain.len() > 1 {
        let chain: Vec<String> = f.chain.iter().map(|c| format!("`{c}`")).collect();
        s.push_str(&format!("  - via {}\n", chain.join(" → ")));
    }
    if let Some(sup) = &f.suppression {
        let reason = if sup.reason.is_empty() {
            "no reason given".to_string()
        } else {
            escape(&sup.reason)
        };
        s.push_str(&format!("  - suppressed (line {}): {reason}\n", sup.line));
    } else if !f.help.is_empty() {
        s.push_str(&format!("  - help: {}\n", escape(&f.help)));
    }
    s
}

/// The whole comment, at most `limit` characters.
pub fn render(view: &AnalysisView<'_>, limit: usize) -> String {
    let doc = view.doc;
    let mut head = String::new();
    let names: Vec<&str> = doc.packages.iter().map(|p| p.name.as_str()).collect();
    head.push_str(&format!(
        "## cargo concur analyze: {}\n\n",
        names.join(", ")
    ));
    let f = &doc.files;
    head.push_str(&format!(
        "{} findings in {} files ({} unparsable, {} not reached from a target)",
        doc.findings.len(),
        f.analyzed,
        f.parse_errors.len(),
        f.not_reached
    ));
    if !doc.suppressed.is_empty() {
        head.push_str(&format!("; {} suppressed", doc.suppressed.len()));
    }
    head.push_str(".\n\n");
    if let Some(b) = &doc.baseline {
        head.push_str(&format!(
            "Against the baseline: **{} new**, {} fixed, {} unchanged (only new findings are listed).\n\n",
            b.new, b.fixed, b.unchanged
        ));
    }
    if !doc.findings.is_empty() {
        let mut by_kind: BTreeMap<(std::cmp::Reverse<Level>, &str), usize> = BTreeMap::new();
        for f in &doc.findings {
            *by_kind
                .entry((std::cmp::Reverse(f.level), f.kind.id()))
                .or_default() += 1;
        }
        head.push_str("| level | kind | count |\n| --- | --- | ---: |\n");
        for ((level, kind), n) in &by_kind {
            head.push_str(&format!("| {} | `{kind}` | {n} |\n", level.0.as_str()));
        }
        head.push('\n');
    }
    let mut tail = String::new();
    for e in &doc.files.parse_errors {
        tail.push_str(&format!(
            "- :warning: `{}:{}:{}` skipped, does not parse: {}\n",
            e.file,
            e.line,
            e.column,
            escape(&e.message)
        ));
    }

    // Rows: by level, hazards first within a level, then in document order.
    let mut order: Vec<&Finding> = doc.findings.iter().collect();
    order.sort_by_key(|f| (std::cmp::Reverse(f.level), !catalog::is_hazard(f.kind)));
    let mut extra: Vec<&Finding> = Vec::new();
    if view.opts.show_suppressed {
        extra.extend(doc.suppressed.iter());
    }

    let budget = limit.saturating_sub(chars(&head) + chars(&tail) + TRAILER_ROOM);
    let mut body = String::new();
    let mut used = 0usize;
    let mut left_out: BTreeMap<std::cmp::Reverse<Level>, usize> = BTreeMap::new();
    let mut current: Option<Level> = None;
    let mut full = false;
    for f in &order {
        let mut piece = String::new();
        if current != Some(f.level) {
            let n = doc.findings.iter().filter(|g| g.level == f.level).count();
            if current.is_some() {
                piece.push('\n');
            }
            if f.level == Level::Note {
                piece.push_str(&format!("<details><summary>Notes ({n})</summary>\n\n"));
            } else {
                piece.push_str(&format!("### {} ({n})\n\n", level_title(f.level)));
            }
        }
        piece.push_str(&row(view, f));
        let n = chars(&piece);
        if full || used + n > budget {
            full = true;
            *left_out.entry(std::cmp::Reverse(f.level)).or_default() += 1;
            continue;
        }
        current = Some(f.level);
        used += n;
        body.push_str(&piece);
    }
    if current == Some(Level::Note) {
        body.push_str("\n</details>\n");
    }
    let mut suppressed_left = 0;
    if !extra.is_empty() {
        let title = format!("\n### Suppressed ({})\n\n", extra.len());
        let mut started = false;
        for f in extra {
            let mut piece = String::new();
            if !started {
                piece.push_str(&title);
            }
            piece.push_str(&row(view, f));
            let n = chars(&piece);
            if full || used + n > budget {
                full = true;
                suppressed_left += 1;
                continue;
            }
            started = true;
            used += n;
            body.push_str(&piece);
        }
    }
    let mut out = head;
    out.push_str(&body);
    if !body.is_empty() {
        out.push('\n');
    }
    let total_left: usize = left_out.values().sum::<usize>() + suppressed_left;
    if total_left > 0 {
        let parts: Vec<String> = left_out
            .iter()
            .map(|(l, n)| format!("{n} {}", l.0.as_str()))
            .chain((suppressed_left > 0).then(|| format!("{suppressed_left} suppressed")))
            .collect();
        out.push_str(&format!(
            "_{total_left} more finding{} not shown to stay within GitHub's comment limit ({}); \
             the SARIF upload or `--format json` has them all._\n\n",
            if total_left == 1 { "" } else { "s" },
            parts.join(", ")
        ));
    }
    out.push_str(&tail);
    out
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

/// Keeps table and HTML syntax out of free text.
fn escape(s: &str) -> String {
    s.replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
