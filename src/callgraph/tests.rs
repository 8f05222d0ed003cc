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
