//! The layering of src/ (scripts/layers.txt): production code imports only modules on lower layers.
//! Test code (files named `tests.rs`/`check.rs`, what follows a `mod tests` line) may reach up.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Edges the layering still has, each to remove; listed so that none is added unnoticed.
const LEFT: &[(&str, &str)] = &[];

fn layers() -> BTreeMap<String, usize> {
    let text =
        std::fs::read_to_string(crate::root().join("scripts/layers.txt")).expect("layers.txt");
    let mut out = BTreeMap::new();
    for (rank, line) in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .enumerate()
    {
        for m in line.split_whitespace() {
            out.insert(m.to_string(), rank);
        }
    }
    out
}

/// `crate::<module>` references of `text` (production part only) to modules in `known`.
fn references(text: &str, whole_test: bool, known: &BTreeMap<String, usize>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in text.lines() {
        if whole_test || line.starts_with("mod tests") || line.starts_with("pub(crate) mod tests") {
            break;
        }
        for (at, _) in line.match_indices("crate::") {
            let rest = &line[at + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect();
            if known.contains_key(&name) {
                out.insert(name);
            }
        }
    }
    out
}

fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).expect("read src").flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// (from, to) for every production reference across top-level modules.
fn edges() -> BTreeSet<(String, String)> {
    let known = layers();
    let src = crate::root().join("src");
    let mut files = Vec::new();
    walk(&src, &mut files);
    let mut out = BTreeSet::new();
    for f in files {
        let rel = f.strip_prefix(&src).expect("under src");
        let first = rel.components().next().expect("a component");
        let from = first
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        let base = f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let whole_test = base == "tests.rs"
            || base == "check.rs"
            || rel.components().any(|c| c.as_os_str() == "tests");
        let text = std::fs::read_to_string(&f).expect("read file");
        for to in references(&text, whole_test, &known) {
            if to != from {
                out.insert((from.clone(), to));
            }
        }
    }
    out
}

#[test]
fn production_code_imports_only_lower_layers() {
    let rank = layers();
    let mut upward = Vec::new();
    let mut left_seen = BTreeSet::new();
    for (from, to) in edges() {
        let (Some(rf), Some(rt)) = (rank.get(&from), rank.get(&to)) else {
            upward.push(format!("{from} -> {to} (module not in scripts/layers.txt)"));
            continue;
        };
        if rt >= rf {
            if LEFT.contains(&(from.as_str(), to.as_str())) {
                left_seen.insert((from.clone(), to.clone()));
            } else {
                upward.push(format!("{from} -> {to}"));
            }
        }
    }
    assert!(
        upward.is_empty(),
        "imports that run up the layers (scripts/import-graph.sh shows where): {upward:?}"
    );
    for (from, to) in LEFT {
        assert!(
            left_seen.contains(&(from.to_string(), to.to_string())),
            "{from} -> {to} is gone: remove it from LEFT"
        );
    }
}

#[test]
fn references_are_found_in_production_code_only() {
    let known = layers();
    let text = "use crate::vocab::Finding;\nfn f() { crate::render::status::warning(\"x\") }\n\
                mod tests {\n use crate::cli::Cli;\n}\n";
    let got = references(text, false, &known);
    let want: BTreeSet<String> = ["vocab", "render"].iter().map(|s| s.to_string()).collect();
    assert_eq!(got, want);
    assert!(references(text, true, &known).is_empty());
}
