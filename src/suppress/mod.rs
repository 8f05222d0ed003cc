//! In-source suppressions: finds `// concur:allow(kind) reason` comments in a file's text, works out the
//! lines each one covers (its own line for an end-of-line comment; the next code line, or the whole item
//! that starts there, for a comment on a line of its own), and applies them to findings.
//!
//! Comments, because rustc rejects unknown tool attributes (`#[allow(concur::x)]` is E0710 on stable).

use std::collections::BTreeMap;

use syn::spanned::Spanned;
use syn::visit::Visit;

use crate::vocab::{Finding, FindingKind, Suppression};

/// The marker that starts a suppression comment.
pub const MARKER: &str = "concur:allow";

/// One `// concur:allow(...)` comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    /// 1-based line of the comment.
    pub line: u32,
    /// 1-based column of the `//`.
    pub column: u32,
    /// The kinds it names that exist.
    pub kinds: Vec<FindingKind>,
    /// Names in the parentheses that are not finding kinds.
    pub unknown: Vec<String>,
    /// The text after `)`, trimmed (empty: no reason given).
    pub reason: String,
    /// No `(kinds)` after the marker.
    pub malformed: bool,
    /// First and last line (inclusive) whose findings it silences.
    pub covers: (u32, u32),
}

/// What is wrong with a directive, to be reported as a `suppression` note.
pub use crate::vocab::SuppressionProblem as Problem;

/// Every suppression comment of a file. `items` is the parsed file, for comments placed before an item.
pub fn scan(text: &str, file: Option<&syn::File>) -> Vec<Directive> {
    // Most files have no directive: one substring search spares them the walk over the syntax tree.
    if !text.contains(MARKER) {
        return Vec::new();
    }
    let lines: Vec<&str> = text.lines().collect();
    let mut spans = Vec::new();
    if let Some(f) = file {
        let mut v = ItemSpans(&mut spans);
        v.visit_file(f);
    }
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(at) = comment_at(line) else {
            continue;
        };
        let after = line[at + 2..].trim_start();
        let Some(rest) = after.strip_prefix(MARKER) else {
            continue;
        };
        let lineno = i as u32 + 1;
        let column = line[..at].chars().count() as u32 + 1;
        let (kinds, unknown, reason, malformed) = parse_rest(rest);
        let standalone = line[..at].trim().is_empty();
        let covers = if standalone {
            match next_code_line(&lines, i + 1) {
                Some(n) => {
                    // The widest item starting between the comment and that code line (attributes and doc
                    // comments belong to the item).
                    let item = spans
                        .iter()
                        .filter(|(s, _)| *s > lineno && *s <= n)
                        .max_by_key(|(s, e)| (e - s, std::cmp::Reverse(*s)));
                    match item {
                        Some(&(s, e)) => (s, e),
                        None => (n, n),
                    }
                }
                None => (lineno, lineno),
            }
        } else {
            (lineno, lineno)
        };
        out.push(Directive {
            line: lineno,
            column,
            kinds,
            unknown,
            reason,
            malformed,
            covers,
        });
    }
    out
}

/// Byte offset of a `//` that starts a line comment (not inside a string literal, as far as a line shows).
fn comment_at(line: &str) -> Option<usize> {
    let bytes = line.as_bytes();
    let mut in_str = false;
    let mut i = 0;
    while i + 1 < bytes.len() {
        match bytes[i] {
            b'\\' if in_str => i += 1,
            b'"' => in_str = !in_str,
            b'/' if !in_str && bytes[i + 1] == b'/' => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

fn parse_rest(rest: &str) -> (Vec<FindingKind>, Vec<String>, String, bool) {
    let Some(inner) = rest.strip_prefix('(') else {
        return (Vec::new(), Vec::new(), rest.trim().to_string(), true);
    };
    let Some(close) = inner.find(')') else {
        return (Vec::new(), Vec::new(), String::new(), true);
    };
    let mut kinds = Vec::new();
    let mut unknown = Vec::new();
    for name in inner[..close]
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        match FindingKind::from_id(name) {
            Some(k) => kinds.push(k),
            None => unknown.push(name.to_string()),
        }
    }
    // The reason ends where another `//` comment starts.
    let after = &inner[close + 1..];
    let after = after.split("//").next().unwrap_or("");
    let reason = after
        .trim()
        .trim_start_matches([':', '-', '—'])
        .trim()
        .to_string();
    let malformed = kinds.is_empty() && unknown.is_empty();
    (kinds, unknown, reason, malformed)
}

/// The first line at or after index `from` (0-based) that is neither blank nor only a comment; 1-based.
fn next_code_line(lines: &[&str], from: usize) -> Option<u32> {
    (from..lines.len())
        .find(|&j| {
            let t = lines[j].trim();
            !t.is_empty() && !t.starts_with("//")
        })
        .map(|j| j as u32 + 1)
}

/// Start and end lines of every item, impl item and trait item, nested ones included.
struct ItemSpans<'a>(&'a mut Vec<(u32, u32)>);

impl ItemSpans<'_> {
    fn push(&mut self, span: proc_macro2::Span) {
        self.0
            .push((span.start().line as u32, span.end().line as u32));
    }
}

impl<'ast> Visit<'ast> for ItemSpans<'_> {
    fn visit_item(&mut self, i: &'ast syn::Item) {
        self.push(i.span());
        syn::visit::visit_item(self, i);
    }
    fn visit_impl_item(&mut self, i: &'ast syn::ImplItem) {
        self.push(i.span());
        syn::visit::visit_impl_item(self, i);
    }
    fn visit_trait_item(&mut self, i: &'ast syn::TraitItem) {
        self.push(i.span());
        syn::visit::visit_trait_item(self, i);
    }
}

/// Splits `findings` (sorted) into kept and suppressed by the directives of each file; returns the problems
/// of the directives as `(file, directive, problem, detail)`.
#[allow(clippy::type_complexity)]
pub fn apply(
    findings: Vec<Finding>,
    directives: &BTreeMap<String, Vec<Directive>>,
) -> (
    Vec<Finding>,
    Vec<Finding>,
    Vec<(String, Directive, Problem, String)>,
) {
    let mut used: std::collections::BTreeSet<(String, usize)> = Default::default();
    let mut kept = Vec::new();
    let mut suppressed = Vec::new();
    for mut f in findings {
        let hit = directives.get(&f.file).and_then(|ds| {
            ds.iter().position(|d| {
                d.kinds.contains(&f.kind) && d.covers.0 <= f.line && f.line <= d.covers.1
            })
        });
        match hit {
            Some(at) => {
                let d = &directives[&f.file][at];
                used.insert((f.file.clone(), at));
                f.suppression = Some(Suppression {
                    line: d.line,
                    reason: d.reason.clone(),
                });
                suppressed.push(f);
            }
            None => kept.push(f),
        }
    }
    let mut problems = Vec::new();
    for (file, ds) in directives {
        for (at, d) in ds.iter().enumerate() {
            if d.malformed {
                problems.push((file.clone(), d.clone(), Problem::Malformed, String::new()));
                continue;
            }
            for name in &d.unknown {
                problems.push((file.clone(), d.clone(), Problem::UnknownKind, name.clone()));
            }
            if d.kinds.is_empty() {
                continue;
            }
            if d.reason.is_empty() {
                problems.push((file.clone(), d.clone(), Problem::NoReason, String::new()));
            }
            if !used.contains(&(file.clone(), at)) {
                problems.push((file.clone(), d.clone(), Problem::Unused, String::new()));
            }
        }
    }
    (kept, suppressed, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(src: &str, expect: &[(u32, (u32, u32), &str)]) {
        let ast = syn::parse_file(src).ok();
        let got: Vec<(u32, (u32, u32), String)> = scan(src, ast.as_ref())
            .into_iter()
            .map(|d| (d.line, d.covers, d.reason))
            .collect();
        let want: Vec<(u32, (u32, u32), String)> = expect
            .iter()
            .map(|(l, c, r)| (*l, *c, r.to_string()))
            .collect();
        assert_eq!(got, want, "{src}");
    }

    #[test]
    fn positions() {
        // Line before, end of line, before an item (with attributes and docs), no reason.
        check(
            "fn a() {\n    // concur:allow(io) read once at startup\n    let x = 1;\n    let y = 2; // concur:allow(io) cached\n}\n\
             // concur:allow(io, spawn) whole fn\n/// docs\n#[inline]\nfn b() {\n    x();\n}\n// concur:allow(io)\nfn c() {}\n",
            &[
                (2, (3, 3), "read once at startup"),
                (4, (4, 4), "cached"),
                (6, (7, 11), "whole fn"),
                (12, (13, 13), ""),
            ],
        );
    }

    #[test]
    fn strings_and_other_comments_are_not_directives() {
        check(
            "const S: &str = \"// concur:allow(io) no\";\n// not concur:allow(io)\n",
            &[],
        );
    }

    #[test]
    fn kinds_reasons_and_malformed() {
        assert_eq!(
            parse_rest("(io, bogus) - because"),
            (
                vec![FindingKind::Io],
                vec!["bogus".into()],
                "because".into(),
                false
            )
        );
        assert!(parse_rest(" io because").3);
        assert!(parse_rest("()").3);
    }
}
