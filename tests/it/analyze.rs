//! `analyze` end to end: every fixture's `// expect:` markers against the real binary's JSON (recall and
//! precision), function classes, discovery cases, exit codes, errors, and snapshots of the output formats.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::{concur, fixture, root, shared};

/// Runs `analyze --format json` (plus `extra`) on a fixture manifest; returns (exit code, doc, stderr).
fn analyze_json(manifest: &Path, extra: &[&str]) -> (i32, Value, String) {
    let out = concur()
        .args(["concur", "analyze", "--format", "json", "--manifest-path"])
        .arg(manifest)
        .args(extra)
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let doc: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}); stderr: {stderr}"));
    (out.status.code().unwrap_or(-1), doc, stderr)
}

/// Every fixture crate: directories under `fixtures/` and `fixtures/kinds/` holding a `Cargo.toml` with a
/// `[workspace]` table (standalone), except the broken one.
fn fixture_roots() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for base in [root().join("fixtures"), root().join("fixtures/kinds")] {
        let Ok(entries) = std::fs::read_dir(&base) else {
            continue;
        };
        for e in entries.flatten() {
            let manifest = e.path().join("Cargo.toml");
            let Ok(text) = std::fs::read_to_string(&manifest) else {
                continue;
            };
            if text.contains("[workspace]") && !e.path().ends_with("broken-manifest") {
                out.push(e.path());
            }
        }
    }
    out.sort();
    out
}

fn rs_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            if !p.ends_with("target") {
                rs_files(&p, out);
            }
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// `(file relative to the fixture, line)` → kinds marked with `// expect: a, b`.
fn markers(fixture_root: &Path) -> BTreeMap<(String, u32), BTreeSet<String>> {
    let mut files = Vec::new();
    rs_files(fixture_root, &mut files);
    let mut out = BTreeMap::new();
    for f in files {
        let rel = f
            .strip_prefix(fixture_root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let text = std::fs::read_to_string(&f).unwrap();
        for (i, line) in text.lines().enumerate() {
            if let Some(pos) = line.find("// expect:") {
                // `// expect: io, spawn @tag`: the tag (when the line is in scope) is not a kind.
                let list = line[pos + 10..].split(" @").next().unwrap_or("");
                let kinds: BTreeSet<String> = list
                    .split(',')
                    .map(|k| k.trim().to_string())
                    .filter(|k| !k.is_empty())
                    .collect();
                out.insert((rel.clone(), i as u32 + 1), kinds);
            }
        }
    }
    out
}

/// Recall: every marked kind is reported on its line. Precision: every finding's kind is marked on its line.
/// In the widest scope (every target, every cfg branch), so that every marker counts.
fn check_fixture(dir: &Path) -> Vec<String> {
    let (code, doc, stderr) = analyze_json(
        &dir.join("Cargo.toml"),
        &["--workspace", "--all-targets", "--all-cfgs"],
    );
    let name = dir.strip_prefix(root()).unwrap().display().to_string();
    if code != 0 {
        return vec![format!("{name}: exit code {code}: {stderr}")];
    }
    let expected = markers(dir);
    let mut found: BTreeMap<(String, u32), BTreeSet<String>> = BTreeMap::new();
    for f in doc["findings"].as_array().unwrap() {
        let key = (
            f["file"].as_str().unwrap().to_string(),
            f["line"].as_u64().unwrap() as u32,
        );
        found
            .entry(key)
            .or_default()
            .insert(f["kind"].as_str().unwrap().to_string());
    }
    let mut problems = Vec::new();
    for ((file, line), kinds) in &expected {
        let got = found
            .get(&(file.clone(), *line))
            .cloned()
            .unwrap_or_default();
        for k in kinds.difference(&got) {
            problems.push(format!(
                "{name}/{file}:{line}: missed `{k}` (found {got:?})"
            ));
        }
    }
    for ((file, line), kinds) in &found {
        let want = expected
            .get(&(file.clone(), *line))
            .cloned()
            .unwrap_or_default();
        for k in kinds.difference(&want) {
            problems.push(format!(
                "{name}/{file}:{line}: unexpected `{k}` (marked {want:?})"
            ));
        }
    }
    // Function classes, where the fixture states them.
    if let Ok(text) = std::fs::read_to_string(dir.join("expect-classes.txt")) {
        for line in text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
        {
            let mut parts = line.split_whitespace();
            let (Some(path), Some(class)) = (parts.next(), parts.next()) else {
                continue;
            };
            let got = doc["functions"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["path"] == path)
                .map(|f| f["class"].as_str().unwrap_or("").to_string());
            if got.as_deref() != Some(class) {
                problems.push(format!(
                    "{name}: function `{path}` class {got:?}, expected {class}"
                ));
            }
        }
    }
    problems
}

#[test]
fn every_fixture_marker_is_found_and_nothing_else() {
    let _g = shared();
    let fixtures = fixture_roots();
    assert!(fixtures.len() >= 5, "fixtures found: {fixtures:?}");
    let mut problems = Vec::new();
    let mut markers_total = 0;
    for dir in &fixtures {
        markers_total += markers(dir).len();
        problems.extend(check_fixture(dir));
    }
    assert!(
        markers_total > 20,
        "only {markers_total} markers across fixtures"
    );
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn every_finding_kind_has_a_fixture_marker() {
    let mut kinds = BTreeSet::new();
    for dir in fixture_roots() {
        for set in markers(&dir).into_values() {
            kinds.extend(set);
        }
    }
    for k in cargo_concur::vocab::FindingKind::ALL {
        assert!(kinds.contains(k.id()), "no fixture marks `{}`", k.id());
    }
}

#[test]
fn unparsable_file_is_reported_and_skipped() {
    let _g = shared();
    let (code, doc, stderr) = analyze_json(&fixture("parse-error").join("Cargo.toml"), &[]);
    assert_eq!(code, 0, "parse errors alone do not fail the run: {stderr}");
    let errs = doc["files"]["parse_errors"].as_array().unwrap();
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert_eq!(errs[0]["file"], "src/broken.rs");
    assert_eq!(errs[0]["line"], 3);
    assert_eq!(
        errs[0]["skipped"], "file",
        "an unbalanced delimiter: nothing tokenizes"
    );
    assert_eq!(doc["files"]["analyzed"], 3);
    assert!(stderr.contains("src/broken.rs:3"), "{stderr}");
    let (code, _, _) = analyze_json(
        &fixture("parse-error").join("Cargo.toml"),
        &["--fail-on", "warning"],
    );
    assert_eq!(code, 1, "--fail-on warning counts parse errors");
}

#[test]
fn partly_parsing_file_loses_only_its_bad_items() {
    let _g = shared();
    let (code, doc, stderr) = analyze_json(&fixture("partial-parse").join("Cargo.toml"), &[]);
    assert_eq!(code, 0, "{stderr}");
    let errs = doc["files"]["parse_errors"].as_array().unwrap();
    let at: Vec<(String, u64, String)> = errs
        .iter()
        .map(|e| {
            (
                e["file"].as_str().unwrap().to_string(),
                e["line"].as_u64().unwrap(),
                e["skipped"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let item = |line| ("src/lib.rs".to_string(), line, "item".to_string());
    // The trait with an anonymous parameter, the bare trait object, the bad function of the inline module.
    assert_eq!(at, vec![item(9), item(12), item(28)], "{errs:?}");
    assert_eq!(doc["files"]["unparsable"], 1);
    assert!(stderr.contains("src/lib.rs:9:"), "{stderr}");
    // What parses is analyzed (its markers are checked with every fixture); the module declared in the
    // partly parsed file is reached from it.
    assert_eq!(doc["files"]["analyzed"], 2);
    assert_eq!(doc["files"]["not_reached"], 0);
    let files: BTreeSet<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["file"].as_str().unwrap())
        .collect();
    assert_eq!(files, BTreeSet::from(["src/helpers.rs", "src/lib.rs"]));
    let functions: BTreeSet<&str> = doc["functions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert!(
        functions.contains("partial_parse::inner::also_fine"),
        "{functions:?}"
    );
    assert!(
        !functions.contains("partial_parse::call_all"),
        "{functions:?}"
    );
}

/// `(file, line)` → the `@tag` of each marker of a fixture.
fn scope_tags(dir: &Path) -> BTreeMap<(String, u32), String> {
    let mut files = Vec::new();
    rs_files(dir, &mut files);
    let mut out = BTreeMap::new();
    for f in files {
        let rel = f
            .strip_prefix(dir)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        for (i, line) in std::fs::read_to_string(&f).unwrap().lines().enumerate() {
            if let Some(pos) = line.find(" @") {
                if line.contains("// expect:") {
                    out.insert(
                        (rel.clone(), i as u32 + 1),
                        line[pos + 2..].trim().to_string(),
                    );
                }
            }
        }
    }
    out
}

/// What a run of `analyze` on the `scope` fixture should see.
struct Expect {
    targets: &'static [&'static str],
    features: &'static [&'static str],
    /// Platform conditions that hold (`unix`, `windows`, `macos`).
    platform: &'static [&'static str],
    /// The lib and bins are compiled as unit tests.
    unit_tests: bool,
    /// Every cfg condition holds.
    all_cfgs: bool,
}

impl Expect {
    /// Whether a marker tagged `tag` (`lib+fast+!windows`) is in scope.
    fn includes(&self, tag: &str) -> bool {
        let mut parts = tag.split('+');
        let target = parts.next().unwrap();
        if !self.targets.contains(&target) {
            return false;
        }
        let test_target = target.starts_with("test:") || target.starts_with("bench:");
        parts.all(|cond| {
            if self.all_cfgs {
                return true;
            }
            let (neg, name) = match cond.strip_prefix('!') {
                Some(n) => (true, n),
                None => (false, cond),
            };
            let holds = match name {
                "test" => self.unit_tests || test_target,
                "unix" | "windows" | "macos" => self.platform.contains(&name),
                feature => self.features.contains(&feature),
            };
            holds != neg
        })
    }
}

/// Target selection, features and cfg decide what is analyzed, as cargo decides what it compiles: every
/// marker of `fixtures/scope` is found exactly when its tag is in scope, for each combination of flags.
#[test]
fn scope_follows_cargo_targets_features_and_cfg() {
    let _g = shared();
    let dir = fixture("scope");
    let tags = scope_tags(&dir);
    assert!(tags.len() >= 15, "{tags:?}");
    const DEFAULT: &[&str] = &["lib", "bin:scope", "bin:tool"];
    const ALL: &[&str] = &[
        "lib",
        "bin:scope",
        "bin:tool",
        "test:it",
        "test:more",
        "bench:speed",
        "example:demo",
        "build",
    ];
    const LINUX: &[&str] = &["unix"];
    let e = |targets, features, platform, unit_tests| Expect {
        targets,
        features,
        platform,
        unit_tests,
        all_cfgs: false,
    };
    let cases: Vec<(&[&str], Expect)> = vec![
        (&[], e(DEFAULT, &["fast"], LINUX, false)),
        (&["--lib"], e(&["lib"], &["fast"], LINUX, false)),
        (
            &["--bins"],
            e(&["bin:scope", "bin:tool"], &["fast"], LINUX, false),
        ),
        (
            &["--bin", "tool"],
            e(&["bin:tool"], &["fast"], LINUX, false),
        ),
        (
            &["--tests"],
            e(
                &["lib", "bin:scope", "bin:tool", "test:it", "test:more"],
                &["fast"],
                LINUX,
                true,
            ),
        ),
        (&["--test", "it"], e(&["test:it"], &["fast"], LINUX, false)),
        (&["--benches"], e(&["bench:speed"], &["fast"], LINUX, false)),
        (
            &["--examples"],
            e(&["example:demo"], &["fast"], LINUX, false),
        ),
        (
            &["--example", "demo", "--lib"],
            e(&["lib", "example:demo"], &["fast"], LINUX, false),
        ),
        (&["--all-targets"], e(ALL, &["fast"], LINUX, true)),
        (&["--no-default-features"], e(DEFAULT, &[], LINUX, false)),
        (
            &["--features", "slow"],
            e(DEFAULT, &["fast", "slow"], LINUX, false),
        ),
        (
            &["--no-default-features", "--features", "extra"],
            e(DEFAULT, &["extra", "slow"], LINUX, false),
        ),
        (
            &["--all-features"],
            e(DEFAULT, &["fast", "slow", "extra"], LINUX, false),
        ),
        (
            &["--target", "x86_64-pc-windows-msvc"],
            e(DEFAULT, &["fast"], &["windows"], false),
        ),
        (
            &["--target", "aarch64-apple-darwin"],
            e(DEFAULT, &["fast"], &["unix", "macos"], false),
        ),
        (
            &["--all-cfgs"],
            Expect {
                all_cfgs: true,
                ..e(DEFAULT, &[], LINUX, true)
            },
        ),
        (
            &["--all-targets", "--all-cfgs"],
            Expect {
                all_cfgs: true,
                ..e(
                    &[
                        "lib",
                        "bin:scope",
                        "bin:tool",
                        "test:it",
                        "test:more",
                        "bench:speed",
                        "example:demo",
                        "build",
                        "orphan",
                    ],
                    &[],
                    LINUX,
                    true,
                )
            },
        ),
    ];
    let mut problems = Vec::new();
    for (args, expect) in &cases {
        let (code, doc, stderr) = analyze_json(&dir.join("Cargo.toml"), args);
        if code != 0 {
            problems.push(format!("{args:?}: exit {code}: {stderr}"));
            continue;
        }
        let found: BTreeSet<(String, u32)> = doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["file"].as_str().unwrap().to_string(),
                    f["line"].as_u64().unwrap() as u32,
                )
            })
            .collect();
        for (at, tag) in &tags {
            let want = expect.includes(tag);
            if want != found.contains(at) {
                problems.push(format!(
                    "{args:?}: {}:{} (@{tag}) {}",
                    at.0,
                    at.1,
                    if want {
                        "missed"
                    } else {
                        "analyzed though out of scope"
                    }
                ));
            }
        }
        for at in found.difference(&tags.keys().cloned().collect()) {
            problems.push(format!("{args:?}: unmarked finding at {at:?}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// What the scope leaves out is counted, and each finding says which kind of target holds it.
#[test]
fn scope_counts_what_it_leaves_out() {
    let _g = shared();
    let manifest = fixture("scope").join("Cargo.toml");
    let (_, doc, _) = analyze_json(&manifest, &[]);
    let x = &doc["files"]["excluded"];
    // Not selected: tests it and more, bench, example, build script.
    assert_eq!(x["targets"], 5, "{x}");
    // Their files, the orphan, and `slow.rs` (declared under a disabled feature).
    assert_eq!(x["files"], 7, "{x}");
    // `mod tests` and `#[test] fn bare_test`; `mod slow` and `slow_path`; windows and macos code.
    assert_eq!(x["test_items"], 2, "{x}");
    assert_eq!(x["feature_items"], 2, "{x}");
    assert_eq!(x["cfg_items"], 3, "{x}");
    assert_eq!(x["cfg_source"], "rustc");
    assert_eq!(
        x["features"],
        serde_json::json!(["scope/default", "scope/fast"])
    );
    // `-vv` lists the files read, sorted, one per line, as many as counted; none left out of scope.
    let (_, doc_vv, stderr) = analyze_json(&manifest, &["-vv"]);
    let read: Vec<&str> = stderr
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("Read "))
        .collect();
    assert_eq!(
        read.len() as u64,
        doc_vv["files"]["analyzed"].as_u64().unwrap(),
        "{stderr}"
    );
    assert!(read.windows(2).all(|w| w[0] < w[1]), "{read:?}");
    assert!(read.contains(&"src/lib.rs"), "{read:?}");
    assert!(
        !read
            .iter()
            .any(|f| f.starts_with("tests/") || f.contains("slow")),
        "{read:?}"
    );
    assert!(doc_vv["files"].get("read").is_none(), "not serialised");
    let (_, doc, _) = analyze_json(&manifest, &["--all-targets"]);
    let kinds: BTreeMap<String, String> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["file"].as_str().unwrap().to_string(),
                f["target"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    for (file, kind) in [
        ("src/lib.rs", "lib"),
        ("src/platform.rs", "lib"),
        ("src/main.rs", "bin"),
        ("tests/it.rs", "test"),
        ("benches/speed.rs", "bench"),
        ("examples/demo.rs", "example"),
        ("build.rs", "custom-build"),
    ] {
        assert_eq!(
            kinds.get(file).map(String::as_str),
            Some(kind),
            "{file}: {kinds:?}"
        );
    }
    // rustc cannot be run: the built-in host values, said once on stderr.
    let out = concur()
        .env("RUSTC", "/nonexistent/rustc")
        .args(["analyze", "--format", "json", "--manifest-path"])
        .arg(&manifest)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("cannot run `rustc --print cfg`"),
        "{stderr}"
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["files"]["excluded"]["cfg_source"], "built-in");
    assert_eq!(
        doc["files"]["excluded"]["cfg_items"], 3,
        "the host is still linux"
    );
}

/// Scope flags that name nothing are usage errors (exit 2), with one line each.
#[test]
fn scope_errors_are_one_line() {
    let _g = shared();
    let manifest = fixture("scope").join("Cargo.toml");
    for (args, want) in [
        (
            &["--bin", "nope"][..],
            "no bin target named `nope` (available: scope, tool)",
        ),
        (&["--test", "nope"][..], "no test target named `nope`"),
        (&["--features", "nope"][..], "has a feature `nope`"),
        (
            &["--target", "no-such-triple"][..],
            "--target no-such-triple",
        ),
        (
            &["--exclude", "scope"][..],
            "--exclude can only be used together with --workspace",
        ),
    ] {
        usage_error(&manifest, args, want);
    }
}

#[test]
fn modules_inside_macros_and_path_attributes_are_walked() {
    let _g = shared();
    let manifest = fixture("cfg-if-mods").join("Cargo.toml");
    // On the host only the live `cfg_if!` branch is walked: `other_impl.rs` is configured out.
    let (_, doc, _) = analyze_json(&manifest, &[]);
    assert_eq!(doc["files"]["analyzed"], 5, "{}", doc["files"]);
    assert_eq!(doc["files"]["excluded"]["cfg_items"], 1, "{}", doc["files"]);
    // Every branch with `--all-cfgs`.
    let (_, doc, _) = analyze_json(&manifest, &["--all-targets", "--all-cfgs"]);
    assert_eq!(doc["files"]["analyzed"], 6, "{}", doc["files"]);
    assert_eq!(
        doc["files"]["not_reached"], 1,
        "only orphan/stray.rs is not reached"
    );
    let functions: Vec<&str> = doc["functions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["path"].as_str())
        .collect();
    for want in [
        "cfg_if_mods::unix_impl::now",
        "cfg_if_mods::net::tcp::connect",
        "cfg_if_mods::util::pause",
    ] {
        assert!(functions.contains(&want), "{want} not in {functions:?}");
    }
}

#[test]
fn package_selection_follows_cargo() {
    let _g = shared();
    let manifest = fixture("two-members").join("Cargo.toml");
    let names = |doc: &Value| -> Vec<String> {
        doc["packages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap().to_string())
            .collect()
    };
    let (_, doc, _) = analyze_json(&manifest, &[]);
    assert_eq!(
        names(&doc),
        ["alpha", "beta-tool"],
        "a virtual manifest selects all members"
    );
    let (_, doc, _) = analyze_json(&manifest, &["-p", "beta-tool"]);
    assert_eq!(names(&doc), ["beta-tool"]);
    assert!(doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["file"].as_str().unwrap().starts_with("beta/")));
    let (_, doc, _) = analyze_json(&fixture("two-members").join("alpha/Cargo.toml"), &[]);
    assert_eq!(
        names(&doc),
        ["alpha"],
        "a member's manifest selects that member"
    );
    let (_, doc, _) = analyze_json(
        &fixture("two-members").join("alpha/Cargo.toml"),
        &["--workspace"],
    );
    assert_eq!(names(&doc), ["alpha", "beta-tool"]);
    // pkgid specs and globs, in cargo's member order whatever the order of the flags; `--exclude`.
    for (args, want) in [
        (&["-p", "beta-tool@0.1.0"][..], &["beta-tool"][..]),
        (&["-p", "beta-tool@0.1"], &["beta-tool"]),
        (&["-p", "beta-*"], &["beta-tool"]),
        (
            &["-p", "beta-tool", "-p", "alpha:0.1.0"],
            &["alpha", "beta-tool"],
        ),
        (&["-p", "*"], &["alpha", "beta-tool"]),
        (&["--workspace", "--exclude", "alpha"], &["beta-tool"]),
        (&["--workspace", "--exclude", "b*"], &["alpha"]),
    ] {
        let (code, doc, stderr) = analyze_json(&manifest, args);
        assert_eq!(code, 0, "{args:?}: {stderr}");
        assert_eq!(names(&doc), want, "{args:?}");
    }
    for (args, want) in [
        (
            &["-p", "alpha@9"][..],
            "package `alpha@9` not found in workspace",
        ),
        (
            &["-p", "gamma-*"],
            "package pattern `gamma-*` matches no package",
        ),
        (
            &["--workspace", "--exclude", "gamma"],
            "--exclude gamma: no such package",
        ),
    ] {
        usage_error(&manifest, args, want);
    }
}

/// `analyze` on `manifest` with `args` exits 2 with one `error:` line that contains `want`.
fn usage_error(manifest: &Path, args: &[&str], want: &str) {
    let out = concur()
        .args(["analyze", "--manifest-path"])
        .arg(manifest)
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error")).collect();
    assert_eq!(errors.len(), 1, "{args:?}: {stderr}");
    assert!(errors[0].contains(want), "{args:?}: {stderr}");
}

/// Runs the binary expecting failure; returns (code, stderr).
fn fails(args: &[&str]) -> (i32, String) {
    let out = concur().args(args).output().expect("runs");
    assert!(out.stdout.is_empty(), "no data on stdout for an error");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn bad_input_gets_one_line_and_exit_2() {
    let _g = shared();
    let missing = fixture("does-not-exist").join("Cargo.toml");
    let (code, err) = fails(&["analyze", "--manifest-path", missing.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        err.starts_with("error: manifest path") && err.trim_end().lines().count() == 1,
        "{err}"
    );

    let broken = fixture("broken-manifest").join("Cargo.toml");
    let (code, err) = fails(&["analyze", "--manifest-path", broken.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("Cargo.toml"), "{err}");

    let two = fixture("two-members").join("Cargo.toml");
    let (code, err) = fails(&[
        "analyze",
        "--manifest-path",
        two.to_str().unwrap(),
        "-p",
        "gamma",
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("package `gamma` not found") && err.contains("alpha"),
        "{err}"
    );

    let (code, err) = fails(&["analyze", "--format", "yaml"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn runs_as_cargo_subcommand_and_directly() {
    let _g = shared();
    let m = fixture("showcase").join("Cargo.toml");
    let a = concur()
        .args(["concur", "analyze", "--format", "json", "--manifest-path"])
        .arg(&m)
        .output()
        .unwrap();
    let b = concur()
        .args(["analyze", "--format", "json", "--manifest-path"])
        .arg(&m)
        .output()
        .unwrap();
    assert!(a.status.success() && b.status.success());
    assert_eq!(a.stdout, b.stdout, "same output, deterministic");
    assert!(!a.stdout.is_empty());
}

#[test]
fn output_file_is_written_and_stdout_stays_empty() {
    let _g = shared();
    let dir = root().join("target").join("it-output");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("analysis.sarif");
    let _ = std::fs::remove_file(&path);
    let out = concur()
        .args(["analyze", "--format", "sarif", "--output"])
        .arg(&path)
        .arg("--manifest-path")
        .arg(fixture("showcase").join("Cargo.toml"))
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(out.stdout.is_empty());
    let sarif: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    assert_eq!(rules.len(), cargo_concur::vocab::FindingKind::ALL.len());
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains("concur-tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temp file left: {leftovers:?}");
}

/// The showcase's output with the absolute workspace root replaced, for snapshots.
fn showcase_output(format: &str) -> String {
    showcase_output_with(format, &[])
}

fn showcase_output_with(format: &str, extra: &[&str]) -> String {
    let out = concur()
        .args(["analyze", "--format", format, "--manifest-path"])
        .arg(fixture("showcase").join("Cargo.toml"))
        .args(extra)
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .unwrap()
        .replace(&fixture("showcase").display().to_string(), "[ROOT]")
}

#[test]
fn snapshot_human() {
    let _g = shared();
    let text = showcase_output("human");
    assert!(!text.contains("\u{1b}["), "no colours with NO_COLOR");
    insta::assert_snapshot!("analyze_showcase_human", text);
}

/// Human output is quiet by default: every hazard in full, notes counted per kind with their files;
/// `--all-notes` shows every finding, and JSON always carries every finding.
#[test]
fn human_output_shows_hazards_and_summarises_notes() {
    let _g = shared();
    let (_, doc, _) = analyze_json(&fixture("showcase").join("Cargo.toml"), &[]);
    let findings = doc["findings"].as_array().unwrap();
    let hazards = findings.iter().filter(|f| f["level"] != "note").count();
    let notes = findings.len() - hazards;
    assert!(
        hazards > 0 && notes > 0,
        "the showcase has both: {findings:?}"
    );
    let diagnostics = |text: &str| {
        text.lines()
            .filter(|l| {
                l.starts_with("warning[") || l.starts_with("error[") || l.starts_with("note[")
            })
            .count()
    };
    let quiet = showcase_output("human");
    assert_eq!(diagnostics(&quiet), hazards, "{quiet}");
    assert!(!quiet.contains("note["), "{quiet}");
    assert!(
        quiet.contains(&format!("{notes} inventory notes not shown")),
        "{quiet}"
    );
    // Each note kind is counted, with the file that has most of them.
    for kind in ["io", "global-state", "compute-hotspot"] {
        let n = findings.iter().filter(|f| f["kind"] == kind).count();
        let line = quiet
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("= {kind} ")))
            .unwrap_or_else(|| panic!("no summary line for {kind}: {quiet}"));
        assert!(line.contains(&format!(" {n}  in src/")), "{line}");
    }
    let all = showcase_output_with("human", &["--all-notes"]);
    assert_eq!(diagnostics(&all), findings.len(), "{all}");
    assert!(!all.contains("not shown"), "{all}");
}

#[test]
fn snapshot_json() {
    let _g = shared();
    insta::assert_snapshot!("analyze_showcase_json", showcase_output("json"));
}

#[test]
fn snapshot_markdown() {
    let _g = shared();
    insta::assert_snapshot!("analyze_showcase_markdown", showcase_output("markdown"));
}

#[test]
fn colour_only_when_forced() {
    let _g = shared();
    let out = concur()
        .env_remove("NO_COLOR")
        .args(["--color", "always", "analyze", "--manifest-path"])
        .arg(fixture("showcase").join("Cargo.toml"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("\u{1b}["), "--color always colours");
    let out = concur()
        .env_remove("NO_COLOR")
        .args(["analyze", "--manifest-path"])
        .arg(fixture("showcase").join("Cargo.toml"))
        .output()
        .unwrap();
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("\u{1b}["),
        "not a terminal: no colours"
    );
}

#[test]
fn fail_on_sets_exit_code_1_at_or_above_the_level() {
    let _g = shared();
    let m = fixture("showcase").join("Cargo.toml");
    let (code, doc, _) = analyze_json(&m, &[]);
    assert_eq!(code, 0, "never fails by default");
    let levels: BTreeSet<String> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["level"].as_str().unwrap().to_string())
        .collect();
    assert!(
        levels.contains("warning") && !levels.contains("error"),
        "{levels:?}"
    );
    for (level, want) in [("note", 1), ("warning", 1), ("error", 0), ("never", 0)] {
        let (code, _, _) = analyze_json(&m, &["--fail-on", level]);
        assert_eq!(code, want, "--fail-on {level}");
    }
    // The lock-order fixture has an error-level finding.
    let (code, _, _) = analyze_json(
        &fixture("kinds/lock-order").join("Cargo.toml"),
        &["--fail-on", "error"],
    );
    assert_eq!(code, 1, "--fail-on error with a lock-order finding");
}
