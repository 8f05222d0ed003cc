//! Runs every `fixtures/kinds/<kind>/src/lib.rs` through extract + link as a single-file crate and checks its
//! `// expect:` markers (recall and precision) and its `expect-classes.txt`.

use std::path::PathBuf;

use crate::callgraph::check::{diff, run_with};
use crate::parse::Edition;
use crate::rules::gil_held::ReleaseName;
use crate::vocab::FindingKind;

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
        // A package that depends on pyo3 (never built: the fixtures have no lock file) is a Python extension.
        let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap_or_default();
        let python = manifest
            .lines()
            .any(|l| l.starts_with("pyo3 "))
            .then_some(ReleaseName::Either);
        let out = run_with(&src, &crate_name, Edition::E2021, python);
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
        if std::env::var_os("CONCUR_SCAN_PARSE_ONLY").is_some() {
            parse_t += t1 - t0;
            continue;
        }
        let facts = crate::facts::extract(&ctx, &ast, &crate::callgraph::check::apis());
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

fn facts_of(src: &str, crate_name: &str, module: &[&str], rel: &str) -> crate::facts::FileFacts {
    let ast = crate::parse::parse_source(src).unwrap();
    let ctx = crate::facts::FileContext {
        package: "demo".into(),
        crate_name: crate_name.into(),
        module_path: module.iter().map(|s| s.to_string()).collect(),
        rel_path: rel.into(),
        edition: Edition::E2021,
    };
    crate::facts::extract(&ctx, &ast, &crate::callgraph::check::apis())
}

#[test]
fn links_across_files_and_targets() {
    fn assert_send<T: Send>() {}
    assert_send::<crate::facts::FileFacts>();
    let lib = facts_of(
        "pub mod util;\nuse std::sync::Mutex;\npub static LOG: Mutex<Vec<String>> = Mutex::new(Vec::new());\n\
         pub fn log(s: &str) {\n    let _g = LOG.lock().unwrap();\n    util::write_line(s);\n}\n",
        "demo",
        &[],
        "src/lib.rs",
    );
    let util = facts_of(
        "pub fn write_line(s: &str) {\n    std::fs::write(\"x\", s).unwrap();\n}\n",
        "demo",
        &["util"],
        "src/util.rs",
    );
    let bin = facts_of(
        "use demo::util::write_line;\nfn main() {\n    write_line(\"a\");\n}\n",
        "demo_cli",
        &[],
        "src/main.rs",
    );
    let out = super::link("demo", vec![lib, util, bin]);
    let lab = out
        .findings
        .iter()
        .find(|f| f.kind == FindingKind::LockAcrossBlocking)
        .expect("lock-across-blocking through a call into another file");
    assert_eq!((lab.file.as_str(), lab.line), ("src/lib.rs", 6));
    assert_eq!(lab.chain, ["demo::log", "demo::util::write_line"]);
    let main = out
        .functions
        .iter()
        .find(|f| f.path == "demo_cli::main")
        .unwrap();
    assert_eq!(main.class, crate::vocab::FnClass::IoBound);
    let io = out
        .findings
        .iter()
        .position(|f| f.kind == FindingKind::Io)
        .unwrap();
    assert_eq!(main.reachable_findings, vec![io]);
    assert!(out.findings.iter().all(|f| f.package == "demo"));
}

#[test]
fn statics_of_other_files_are_one_lock() {
    let state = facts_of(
        "use std::sync::Mutex;\npub static A: Mutex<u8> = Mutex::new(0);\npub static B: Mutex<u8> = Mutex::new(0);\n",
        "demo",
        &["state"],
        "src/state.rs",
    );
    let one = facts_of(
        "use crate::state::{A, B};\npub fn one() {\n    let _a = A.lock().unwrap();\n    let _b = B.lock().unwrap();\n}\n",
        "demo",
        &["one"],
        "src/one.rs",
    );
    let two = facts_of(
        "pub fn two() {\n    let _b = crate::state::B.lock().unwrap();\n    let _a = crate::state::A.lock().unwrap();\n}\n",
        "demo",
        &["two"],
        "src/two.rs",
    );
    let out = super::link("demo", vec![state, one, two]);
    let mut orders: Vec<(&str, u32)> = out
        .findings
        .iter()
        .filter(|f| f.kind == FindingKind::LockOrder)
        .map(|f| (f.file.as_str(), f.line))
        .collect();
    orders.sort();
    assert_eq!(orders, [("src/one.rs", 4), ("src/two.rs", 3)]);
}

#[test]
fn lock_types_of_fields_declared_in_another_file_are_named() {
    let types = facts_of(
        "use std::sync::Mutex;\npub struct Store { pub data: Mutex<Vec<u8>> }\n",
        "demo",
        &["types"],
        "src/types.rs",
    );
    let imp = facts_of(
        "use crate::types::Store;\nimpl Store {\n    pub fn save(&self) {\n        let g = self.data.lock().unwrap();\n        std::fs::write(\"x\", &*g).unwrap();\n    }\n}\n",
        "demo",
        &["store"],
        "src/store.rs",
    );
    let out = super::link("demo", vec![types, imp]);
    let f = out
        .findings
        .iter()
        .find(|f| f.kind == FindingKind::LockAcrossBlocking)
        .unwrap();
    assert_eq!(
        f.message,
        "`Store.data` (std::sync::Mutex) is locked while `std::fs::write` blocks"
    );
}

/// Extract + link several files of crate `demo`: `(rel_path, module_path, source)`.
fn run_files(files: &[(&str, &[&str], &str)]) -> crate::callgraph::PackageOutput {
    let facts = files
        .iter()
        .map(|(rel, module, src)| {
            let ast = crate::parse::parse_source(src).expect("parses");
            let ctx = crate::facts::FileContext {
                package: "demo".into(),
                crate_name: "demo".into(),
                module_path: module.iter().map(|m| m.to_string()).collect(),
                rel_path: rel.to_string(),
                edition: Edition::E2021,
            };
            crate::facts::extract(&ctx, &ast, &crate::callgraph::check::apis())
        })
        .collect();
    crate::callgraph::link("demo", facts)
}

/// The kinds and lines of the findings on `path`'s path.
fn reachable(out: &crate::callgraph::PackageOutput, path: &str) -> Vec<(FindingKind, u32)> {
    let f = out
        .functions
        .iter()
        .find(|f| f.path == path)
        .unwrap_or_else(|| panic!("no function {path}"));
    f.reachable_findings
        .iter()
        .map(|&k| (out.findings[k].kind, out.findings[k].line))
        .collect()
}

#[test]
fn statics_used_by_a_function_are_on_its_path_and_its_callers() {
    let out = run_files(&[
        (
            "src/lib.rs",
            &[],
            "use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
pub mod state;
static GLOBAL_LOCK: Mutex<u64> = Mutex::new(0);
static COUNTER: AtomicU64 = AtomicU64::new(0);
static mut RAW: u64 = 0;
thread_local! { static CELL: std::cell::RefCell<u32> = std::cell::RefCell::new(0); }
pub fn locks() -> u64 { *GLOBAL_LOCK.lock().unwrap() }
pub fn counts() -> u64 { COUNTER.fetch_add(1, Ordering::Relaxed) }
pub fn raw() -> u64 { unsafe { RAW } }
pub fn cell() -> u32 { CELL.with(|c| *c.borrow()) }
pub fn job(n: usize) -> u64 { locks() + n as u64 }
pub fn other_file() -> usize { state::CACHE.lock().unwrap().len() }
pub fn pure(n: u64) -> u64 { const LIMIT: u64 = 3; n + LIMIT }
",
        ),
        (
            "src/state.rs",
            &["state"],
            "pub static CACHE: std::sync::Mutex<Vec<u8>> = std::sync::Mutex::new(Vec::new());\n",
        ),
    ]);
    assert_eq!(
        reachable(&out, "demo::locks"),
        vec![(FindingKind::GlobalState, 4)]
    );
    assert_eq!(
        reachable(&out, "demo::job"),
        vec![(FindingKind::GlobalState, 4)]
    );
    assert_eq!(
        reachable(&out, "demo::counts"),
        vec![(FindingKind::GlobalState, 5)]
    );
    assert!(reachable(&out, "demo::raw").contains(&(FindingKind::StaticMut, 6)));
    assert_eq!(
        reachable(&out, "demo::cell"),
        vec![(FindingKind::GlobalState, 7)]
    );
    let cache: Vec<(FindingKind, u32)> = reachable(&out, "demo::other_file");
    assert_eq!(cache.len(), 1);
    let k = out
        .functions
        .iter()
        .find(|f| f.path == "demo::other_file")
        .unwrap()
        .reachable_findings[0];
    assert_eq!(
        (
            out.findings[k].kind,
            out.findings[k].file.as_str(),
            out.findings[k].line
        ),
        (FindingKind::GlobalState, "src/state.rs", 1)
    );
    assert!(reachable(&out, "demo::pure").is_empty());
}
