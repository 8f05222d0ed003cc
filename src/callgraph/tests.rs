//! Runs every `fixtures/kinds/<kind>/src/lib.rs` through extract + link as a single-file crate and checks its
//! `// expect:` markers (recall and precision) and its `expect-classes.txt`.

use std::path::PathBuf;

use crate::analyze::model::{Edition, FindingKind};
use crate::callgraph::check::{diff, run};

fn kinds_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/kinds")
}

#[test]
fn every_kind_has_a_fixture_that_matches_its_markers() {
    let mut problems = Vec::new();
    for kind in FindingKind::ALL {
        let dir = kinds_dir().join(kind.id());
        let src = std::fs::read_to_string(dir.join("src/lib.rs"))
            .unwrap_or_else(|e| panic!("fixture {}: {e}", kind.id()));
        let crate_name = kind.id().replace('-', "_");
        let out = run(&src, &crate_name, Edition::E2021);
        for p in diff(&src, &out) {
            problems.push(format!("{}: {p}", kind.id()));
        }
        if !out.findings.iter().any(|f| f.kind == kind) {
            problems.push(format!("{}: no finding of its own kind", kind.id()));
        }
        let classes = std::fs::read_to_string(dir.join("expect-classes.txt")).unwrap_or_default();
        for line in classes.lines().filter(|l| !l.trim().is_empty()) {
            let (path, class) = line.split_once(' ').unwrap_or((line, ""));
            match out.functions.iter().find(|f| f.path == path) {
                None => problems.push(format!("{}: no function {path}", kind.id())),
                Some(f) if f.class.as_str() != class.trim() => problems.push(format!(
                    "{}: {path} is {}, expected {class}",
                    kind.id(),
                    f.class.as_str()
                )),
                Some(_) => {}
            }
        }
        for f in &out.findings {
            assert!(!f.message.is_empty() && !f.help.is_empty());
            assert_eq!(f.package, kind.id());
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn fixture_manifests_are_standalone() {
    for kind in FindingKind::ALL {
        let toml = std::fs::read_to_string(kinds_dir().join(kind.id()).join("Cargo.toml")).unwrap();
        assert!(toml.contains("[workspace]"), "{}", kind.id());
        assert!(toml.contains("edition = \"2021\""), "{}", kind.id());
        assert!(
            toml.contains(&format!("name = \"{}\"", kind.id())),
            "{}",
            kind.id()
        );
    }
}

/// Sanity and speed check on a real source tree: `CONCUR_SCAN_DIR=/path/to/src cargo test --release --lib
/// scan_tree -- --ignored --nocapture`. Prints parse and extract times, findings per kind.
#[test]
#[ignore]
fn scan_tree() {
    use std::time::{Duration, Instant};
    let Ok(dir) = std::env::var("CONCUR_SCAN_DIR") else {
        return;
    };
    let mut files = Vec::new();
    let mut stack = vec![PathBuf::from(dir)];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                files.push(p);
            }
        }
    }
    files.sort();
    let texts: Vec<String> = files
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap_or_default())
        .collect();
    let (mut parse_t, mut extract_t) = (Duration::ZERO, Duration::ZERO);
    let mut all = Vec::new();
    let mut not_expanded = 0;
    for (p, text) in files.iter().zip(&texts) {
        let t0 = Instant::now();
        let Ok(ast) = crate::parse::parse_source(text) else {
            continue;
        };
        let t1 = Instant::now();
        let ctx = crate::facts::FileContext {
            package: "scan".into(),
            crate_name: "scan".into(),
            module_path: vec![p.file_stem().unwrap().to_string_lossy().into_owned()],
            rel_path: p.to_string_lossy().into_owned(),
            edition: Edition::E2021,
        };
        let facts = crate::facts::extract(&ctx, &ast);
        extract_t += t1.elapsed();
        parse_t += t1 - t0;
        not_expanded += facts.macros_not_expanded;
        all.push(facts);
    }
    let t2 = Instant::now();
    let out = super::link("scan", all);
    let link_t = t2.elapsed();
    let mut per_kind = std::collections::BTreeMap::new();
    for f in &out.findings {
        *per_kind.entry(f.kind.id()).or_insert(0usize) += 1;
    }
    let reach: usize = out
        .functions
        .iter()
        .map(|f| f.reachable_findings.len())
        .sum();
    eprintln!(
        "files {} fns {} parse {:?} extract {:?} link {:?} not_expanded {} reach_total {}",
        files.len(),
        out.functions.len(),
        parse_t,
        extract_t,
        link_t,
        not_expanded,
        reach
    );
    eprintln!("{per_kind:?}");
    if let Ok(kind) = std::env::var("CONCUR_SCAN_SHOW") {
        for f in out.findings.iter().filter(|f| f.kind.id() == kind).take(25) {
            eprintln!("{}:{} {} {:?}", f.file, f.line, f.message, f.chain);
        }
    }
}
