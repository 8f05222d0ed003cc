//! Test support: runs extract + link on a single-file crate whose lines carry `// expect: kind[, kind]`
//! markers, and checks recall (every marked kind found on its line) and precision (every finding marked).

use std::collections::{BTreeMap, BTreeSet};

use crate::callgraph::{link_with, PackageOutput};
use crate::facts::{extract, FileContext};
use crate::parse::Edition;
use crate::rules::gil_held::ReleaseName;
use crate::vocab::FindingKind;

/// The built-in API index, as the analysis builds it.
pub fn apis() -> std::sync::Arc<crate::rules::apis::Apis> {
    std::sync::Arc::new(crate::rules::apis::Apis::builtin())
}

/// Extract + link `src` as the root file of crate `crate_name`.
pub fn run(src: &str, crate_name: &str, edition: Edition) -> PackageOutput {
    run_with(src, crate_name, edition, None)
}

/// [`run`] for a package depending on pyo3 (GIL release spelled `python`) when that is set.
pub fn run_with(
    src: &str,
    crate_name: &str,
    edition: Edition,
    python: Option<ReleaseName>,
) -> PackageOutput {
    let ast = crate::parse::parse_source(src).unwrap_or_else(|e| panic!("parse: {e:?}"));
    let ctx = FileContext {
        package: crate_name.replace('_', "-"),
        crate_name: crate_name.to_string(),
        module_path: Vec::new(),
        rel_path: "src/lib.rs".into(),
        edition,
    };
    let apis = apis();
    let facts = extract(&ctx, &ast, &apis);
    link_with(&ctx.package, vec![facts], python, &apis)
}

/// The `// expect:` markers of `src`: line → kinds.
pub fn expectations(src: &str) -> BTreeMap<u32, BTreeSet<FindingKind>> {
    let mut out = BTreeMap::new();
    for (i, line) in src.lines().enumerate() {
        let Some((_, marks)) = line.split_once("// expect:") else {
            continue;
        };
        let kinds: BTreeSet<FindingKind> = marks
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| FindingKind::from_id(s).unwrap_or_else(|| panic!("unknown kind `{s}`")))
            .collect();
        out.insert(i as u32 + 1, kinds);
    }
    out
}

/// Differences between the markers and the findings; empty when both agree.
pub fn diff(src: &str, out: &PackageOutput) -> Vec<String> {
    let expected = expectations(src);
    let mut found: BTreeMap<u32, BTreeSet<FindingKind>> = BTreeMap::new();
    for f in &out.findings {
        found.entry(f.line).or_default().insert(f.kind);
    }
    let lines: Vec<&str> = src.lines().collect();
    let text = |l: u32| lines.get(l as usize - 1).map(|s| s.trim()).unwrap_or("");
    let mut problems = Vec::new();
    for (line, kinds) in &expected {
        for k in kinds {
            if !found.get(line).is_some_and(|f| f.contains(k)) {
                problems.push(format!("missed {} on line {line}: {}", k.id(), text(*line)));
            }
        }
    }
    for f in &out.findings {
        if !expected.get(&f.line).is_some_and(|e| e.contains(&f.kind)) {
            problems.push(format!(
                "unexpected {} on line {}: {} ({})",
                f.kind.id(),
                f.line,
                text(f.line),
                f.message
            ));
        }
    }
    problems
}

/// Asserts that the findings of `src` (crate `demo`, edition 2021) match its markers.
#[track_caller]
pub fn check(src: &str) -> PackageOutput {
    check_in(src, "demo", Edition::E2021)
}

#[track_caller]
pub fn check_in(src: &str, crate_name: &str, edition: Edition) -> PackageOutput {
    let out = run(src, crate_name, edition);
    let problems = diff(src, &out);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    out
}

/// Asserts that the findings of `src`, a pyo3 package whose lock file gives `name`, match its markers.
#[track_caller]
pub fn check_python(src: &str, name: ReleaseName) -> PackageOutput {
    let out = run_with(src, "demo", Edition::E2021, Some(name));
    let problems = diff(src, &out);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    out
}
