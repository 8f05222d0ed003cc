//! Pre-merge CI features end to end: SARIF against the official schema, GitHub annotations, cargo JSON
//! messages, bounded Markdown, fingerprints and baselines, configuration tables and their errors,
//! suppression comments, `rules`/`explain`, and the reason of exit code 1.

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

use crate::{concur, fixture, root, shared};

/// A scratch crate under the test binary's temporary directory: `files` are (relative path, content); a
/// `Cargo.toml` is written unless given.
fn scratch(dir_name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(dir_name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("src")).expect("mkdir");
    if !files.iter().any(|(p, _)| *p == "Cargo.toml") {
        std::fs::write(
            dir.join("Cargo.toml"),
            "[package]\nname = \"scratch\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n",
        )
        .expect("manifest");
    }
    for (p, text) in files {
        let path = dir.join(p);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }
    dir
}

fn run(dir: &Path, args: &[&str]) -> Output {
    concur()
        .arg("analyze")
        .args(args)
        .arg("--manifest-path")
        .arg(dir.join("Cargo.toml"))
        .output()
        .expect("runs")
}

fn json_of(dir: &Path, args: &[&str]) -> Value {
    let mut a = vec!["--format", "json"];
    a.extend_from_slice(args);
    let out = run(dir, &a);
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)))
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

// ---------------------------------------------------------------- SARIF

/// RFC 3986 URI-reference, character level: unreserved, reserved and `%XX` only (what a `uri-reference`
/// format checker rejects first: spaces, non-ASCII, stray `%`). `absolute` also wants a scheme.
fn is_uri(s: &str, absolute: bool) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                if !(b.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                    && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
                {
                    return false;
                }
                i += 3;
                continue;
            }
            c if c.is_ascii_alphanumeric() || b"-._~:/?#[]@!$&'()*+,;=".contains(&c) => {}
            _ => return false,
        }
        i += 1;
    }
    if absolute {
        let scheme_end = s.find(':');
        return scheme_end.is_some_and(|e| {
            e > 0
                && s[..e].starts_with(|c: char| c.is_ascii_alphabetic())
                && s[..e]
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        });
    }
    true
}

fn sarif_validator() -> jsonschema::Validator {
    // The official OASIS schema (draft-04), committed as published.
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("tests/schemas/sarif-schema-2.1.0.json"))
            .expect("the SARIF schema"),
    )
    .expect("schema is JSON");
    jsonschema::draft4::options()
        .should_validate_formats(true)
        .with_format("uri-reference", |s: &str| is_uri(s, false))
        .with_format("uri", |s: &str| is_uri(s, true))
        .build(&schema)
        .expect("schema compiles")
}

fn assert_valid_sarif(doc: &Value) {
    let v = sarif_validator();
    let errors: Vec<String> = v
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "SARIF invalid:\n{}", errors.join("\n"));
}

#[test]
fn uri_check_rejects_what_must_be_encoded() {
    assert!(is_uri("src/lib.rs", false));
    assert!(is_uri("my%20crate/%C3%B1.rs", false));
    assert!(!is_uri("my crate/lib.rs", false));
    assert!(!is_uri("ñ.rs", false));
    assert!(!is_uri("a%2", false));
    assert!(is_uri("file:///x/", true));
    assert!(!is_uri("/x/", true));
    // The validator really checks URI formats.
    let bad = serde_json::json!({
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{
            "message": {"text": "m"},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": "a b.rs"}}}]
        }]}]
    });
    assert!(!sarif_validator().is_valid(&bad));
}

#[test]
fn sarif_of_the_showcase_is_valid_and_complete() {
    let _g = shared();
    let out = run(
        &fixture("showcase"),
        &["--format", "sarif", "--sarif-category", "concur/linux"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_valid_sarif(&doc);
    let run = &doc["runs"][0];
    assert_eq!(run["automationDetails"]["id"], "concur/linux/");
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    for rule in run["tool"]["driver"]["rules"].as_array().expect("rules") {
        for key in ["shortDescription", "fullDescription"] {
            assert!(rule[key]["text"].as_str().is_some_and(|t| !t.is_empty()));
        }
        assert!(rule["help"]["markdown"]
            .as_str()
            .is_some_and(|m| m.contains("```rust")));
        assert!(rule["help"]["text"].as_str().is_some());
        assert!(rule["properties"]["tags"].as_array().is_some());
        assert!(rule["properties"]["precision"].is_string());
        assert!(rule["properties"]["problem.severity"].is_string());
    }
    let results = run["results"].as_array().expect("results");
    assert!(!results.is_empty());
    for r in results {
        let region = &r["locations"][0]["physicalLocation"]["region"];
        for k in ["startLine", "startColumn", "endLine", "endColumn"] {
            assert!(region[k].as_u64().is_some_and(|n| n >= 1), "{k} in {r}");
        }
        let uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .expect("uri");
        // Relative to the repository root: the showcase is a directory of this repository.
        if root().join(".git").exists() {
            assert!(uri.starts_with("fixtures/showcase/src/"), "{uri}");
        }
        assert!(r["partialFingerprints"]["concurFingerprint/v1"].is_string());
    }
    let chained = results
        .iter()
        .find(|r| r["ruleId"] == "lock-across-blocking")
        .expect("the showcase's lock-across-blocking");
    let steps = chained["codeFlows"][0]["threadFlows"][0]["locations"]
        .as_array()
        .expect("a code flow");
    assert_eq!(steps.len(), 2);
}

#[test]
fn sarif_locates_lock_order_pairs_and_suppressions() {
    let _g = shared();
    let out = run(&fixture("kinds/lock-order"), &["--format", "sarif"]);
    let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_valid_sarif(&doc);
    let results = doc["runs"][0]["results"].as_array().expect("results");
    let pair: Vec<&Value> = results
        .iter()
        .filter(|r| r["ruleId"] == "lock-order")
        .collect();
    assert!(pair.len() >= 2);
    for r in &pair {
        let related = &r["relatedLocations"][0];
        let own = r["locations"][0]["physicalLocation"]["region"]["startLine"].clone();
        let other = related["physicalLocation"]["region"]["startLine"].clone();
        assert!(other.as_u64().is_some() && other != own, "{r}");
    }

    let out = run(&fixture("kinds/suppression"), &["--format", "sarif"]);
    let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_valid_sarif(&doc);
    let suppressed: Vec<&Value> = doc["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter(|r| r["suppressions"].is_array())
        .collect();
    assert_eq!(suppressed.len(), 5);
    assert!(suppressed
        .iter()
        .any(|r| r["suppressions"][0]["justification"]
            == "read once at startup, before any worker starts"));
}

#[test]
fn sarif_uris_are_percent_encoded_for_spaces_and_non_ascii() {
    let _g = shared();
    let dir = scratch(
        "ci-uri/my crate ñ",
        &[
            (
                "src/lib.rs",
                "#[path = \"módulo x.rs\"]\nmod m;\npub fn f() { m::g() }\n",
            ),
            (
                "src/módulo x.rs",
                "pub fn g() { std::env::set_var(\"A\", \"1\"); }\n",
            ),
        ],
    );
    let out = run(&dir, &["--format", "sarif"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_valid_sarif(&doc);
    let uri = doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
        ["uri"]
        .as_str()
        .expect("uri")
        .to_string();
    assert!(
        uri.ends_with("my%20crate%20%C3%B1/src/m%C3%B3dulo%20x.rs"),
        "{uri}"
    );
    let base = doc["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .expect("base");
    assert!(
        base.starts_with("file:///") && base.ends_with('/'),
        "{base}"
    );
}

// ---------------------------------------------------------------- other CI formats

#[test]
fn github_annotations_are_workflow_commands() {
    let _g = shared();
    let out = run(&fixture("showcase"), &["--format", "github"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.len() >= 8);
    for l in &lines[..lines.len() - 1] {
        let (head, message) = l[2..].split_once("::").expect("::message");
        let (cmd, props) = head.split_once(' ').expect("properties");
        assert!(["error", "warning", "notice"].contains(&cmd), "{l}");
        let keys: Vec<&str> = props
            .split(',')
            .map(|p| p.split_once('=').expect("key=value").0)
            .collect();
        assert_eq!(
            keys,
            ["file", "line", "endLine", "col", "endColumn", "title"],
            "{l}"
        );
        assert!(!message.contains('\n') && !message.is_empty());
    }
    assert!(lines
        .iter()
        .any(|l| l.starts_with("::warning file=") && l.contains("title=concur(process-global)::")));
    assert!(lines
        .last()
        .is_some_and(|l| l.starts_with("::notice title=cargo concur::")));
}

#[test]
fn message_format_json_lines_parse_as_cargo_messages() {
    let _g = shared();
    let out = run(&fixture("showcase"), &["--message-format", "json"]);
    assert!(out.status.success());
    let mut diagnostics = 0;
    let mut finished = false;
    for msg in cargo_metadata::Message::parse_stream(&out.stdout[..]) {
        match msg.expect("a cargo message") {
            cargo_metadata::Message::CompilerMessage(m) => {
                diagnostics += 1;
                let code = m.message.code.as_ref().expect("a code");
                assert!(code.code.starts_with("concur::"));
                let span = &m.message.spans[0];
                assert!(
                    span.is_primary && span.line_start >= 1 && span.column_end > span.column_start
                );
                assert!(m
                    .message
                    .rendered
                    .as_deref()
                    .is_some_and(|r| r.contains("-->") && !r.contains('\u{1b}')));
            }
            cargo_metadata::Message::BuildFinished(_) => finished = true,
            other => panic!("unexpected message {other:?}"),
        }
    }
    assert_eq!(diagnostics, 8);
    assert!(finished);
}

#[test]
fn markdown_stays_within_githubs_limit_with_thousands_of_findings() {
    let _g = shared();
    let mut src = String::new();
    for i in 0..3000 {
        src.push_str(&format!(
            "pub fn f{i}() -> usize {{ std::fs::read(\"file-{i}\").map(|b| b.len()).unwrap_or(0) }}\n"
        ));
    }
    src.push_str("pub fn hazard() { std::env::set_var(\"A\", \"1\"); }\n");
    let dir = scratch("ci-markdown-big", &[("src/lib.rs", &src)]);
    let out = concur()
        .args(["analyze", "--format", "markdown", "--manifest-path"])
        .arg(dir.join("Cargo.toml"))
        .env("GITHUB_SERVER_URL", "https://github.com")
        .env("GITHUB_REPOSITORY", "o/r")
        .env("GITHUB_SHA", "abc123")
        .output()
        .expect("runs");
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).expect("utf-8");
    assert!(
        text.chars().count() <= 65_536,
        "{} chars",
        text.chars().count()
    );
    // The hazard comes first, whole rows only, and what was left out is counted.
    let first_row = text.lines().find(|l| l.starts_with("- **")).expect("a row");
    assert!(first_row.contains("process-global"), "{first_row}");
    assert!(text.contains("more findings not shown"));
    let shown = text.lines().filter(|l| l.starts_with("- **`io`**")).count();
    let left: usize = text
        .lines()
        .find(|l| l.contains("more findings not shown"))
        .and_then(|l| l.trim_start_matches('_').split(' ').next())
        .and_then(|n| n.parse().ok())
        .expect("a count");
    assert_eq!(shown + left, 3000);
    assert!(
        first_row.contains("](https://github.com/o/r/blob/abc123/"),
        "{first_row}"
    );
    assert!(first_row.contains("/src/lib.rs#L3001)"), "{first_row}");
    assert!(text.trim_end().ends_with("</details>") || text.contains("</details>"));
}

// ---------------------------------------------------------------- exit codes, rules, explain

#[test]
fn exit_1_says_why_on_stderr() {
    let _g = shared();
    let out = run(&fixture("showcase"), &["--fail-on", "warning", "-q"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert_eq!(
        err.trim(),
        "error: 2 findings at or above --fail-on warning"
    );
    let out = run(&fixture("showcase"), &["--fail-on", "error"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn rules_and_explain() {
    let _g = shared();
    let text = concur().args(["rules"]).output().expect("runs");
    let text = String::from_utf8(text.stdout).expect("utf-8");
    for k in cargo_concur::vocab::FindingKind::ALL {
        assert!(text.lines().any(|l| l.starts_with(k.id())), "{}", k.id());
    }
    let json = concur()
        .args(["rules", "--format", "json"])
        .output()
        .expect("runs");
    let doc: Value = serde_json::from_slice(&json.stdout).expect("json");
    assert_eq!(doc["schema_version"], 1);
    let rules = doc["rules"].as_array().expect("rules");
    assert_eq!(rules.len(), cargo_concur::vocab::FindingKind::ALL.len());
    assert!(rules
        .iter()
        .any(|r| r["kind"] == "lock-order" && r["level"] == "error"));

    let ex = concur()
        .args(["explain", "lock-order"])
        .output()
        .expect("runs");
    let ex = String::from_utf8(ex.stdout).expect("utf-8");
    assert!(ex.starts_with("# lock-order") && ex.contains("```rust") && ex.contains("opposite"));
    let bad = concur().args(["explain", "nope"]).output().expect("runs");
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("`nope` is not a finding kind"));
}

// ---------------------------------------------------------------- fingerprints and baselines

const FP_SRC: &str = "use std::sync::Mutex;\n\
static LOG: Mutex<Vec<u8>> = Mutex::new(Vec::new());\n\
pub fn a() -> usize {\n    std::fs::read(\"x\").map(|b| b.len()).unwrap_or(0)\n}\n\
pub fn b() -> usize {\n    std::fs::read(\"x\").map(|b| b.len()).unwrap_or(0)\n}\n\
pub fn c() {\n    std::env::set_var(\"A\", \"1\");\n    std::env::set_var(\"A\", \"1\");\n}\n";

fn prints(doc: &Value) -> Vec<(String, String, u64)> {
    doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["fingerprint"].as_str().expect("fingerprint").to_string(),
                f["kind"].as_str().unwrap_or("").to_string(),
                f["line"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

#[test]
fn fingerprints_survive_inserted_lines_and_are_unique() {
    let _g = shared();
    let dir = scratch("ci-fingerprint", &[("src/lib.rs", FP_SRC)]);
    let before = prints(&json_of(&dir, &[]));
    assert!(before.len() >= 5, "{before:?}");
    let unique: std::collections::BTreeSet<&String> = before.iter().map(|p| &p.0).collect();
    assert_eq!(
        unique.len(),
        before.len(),
        "unique within a run: {before:?}"
    );
    assert!(before
        .iter()
        .all(|p| !p.0.contains(&p.2.to_string()) || p.0.len() == 16));

    std::fs::write(
        dir.join("src/lib.rs"),
        format!("// a header\n\n// inserted above everything\n{FP_SRC}"),
    )
    .expect("edit");
    let after = prints(&json_of(&dir, &[]));
    assert_eq!(after.len(), before.len());
    for (b, a) in before.iter().zip(&after) {
        assert_eq!(b.0, a.0, "same finding, same fingerprint");
        assert_eq!(a.2, b.2 + 3, "the line moved");
    }
}

#[test]
fn baseline_reports_only_new_findings_with_counts() {
    let _g = shared();
    let dir = scratch("ci-baseline", &[("src/lib.rs", FP_SRC)]);
    let base = dir.join("base.json");
    let out = run(
        &dir,
        &[
            "--format",
            "json",
            "--write-baseline",
            base.to_str().expect("utf-8"),
        ],
    );
    assert!(out.status.success());
    let old: Value =
        serde_json::from_str(&std::fs::read_to_string(&base).expect("baseline")).expect("json");
    let n_old = old["findings"].as_array().expect("findings").len();

    // Fix one finding (b's read), add one (a sleep), move everything down a line.
    let edited = format!(
        "\n{}pub fn d() {{ std::thread::sleep(std::time::Duration::from_millis(1)); }}\n",
        FP_SRC.replacen(
            "pub fn b() -> usize {\n    std::fs::read(\"x\").map(|b| b.len()).unwrap_or(0)\n}\n",
            "pub fn b() -> usize {\n    0\n}\n",
            1
        )
    );
    std::fs::write(dir.join("src/lib.rs"), edited).expect("edit");
    let b = base.to_str().expect("utf-8");
    let doc = json_of(&dir, &["--baseline", b]);
    assert_eq!(doc["baseline"]["new"], 1, "{}", doc["baseline"]);
    assert_eq!(doc["baseline"]["fixed"], 1);
    assert_eq!(
        doc["baseline"]["unchanged"].as_u64(),
        Some(n_old as u64 - 1)
    );
    let findings = doc["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0]["kind"], "io");
    assert!(findings[0]["message"]
        .as_str()
        .unwrap_or("")
        .contains("sleep"));

    // --fail-on applies to the new findings only: the old process-global warnings do not fail.
    let out = run(&dir, &["--baseline", b, "--fail-on", "warning"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = run(&dir, &["--baseline", b, "--fail-on", "note", "-q"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("1 new finding at or above --fail-on note"));
    let human = String::from_utf8(run(&dir, &["--baseline", b]).stdout).expect("utf-8");
    assert!(
        human.contains("against the baseline: 1 new, 1 fixed,"),
        "{human}"
    );

    // A baseline that is not an analysis, or lacks fingerprints, is a usage error.
    std::fs::write(dir.join("bad.json"), "{\"x\": 1}").expect("write");
    let out = run(
        &dir,
        &["--baseline", dir.join("bad.json").to_str().expect("utf-8")],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("not a cargo-concur `analyze --format json` document"));
}

// ---------------------------------------------------------------- configuration

fn manifest(extra: &str) -> String {
    format!(
        "[package]\nname = \"scratch\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n\n{extra}"
    )
}

const CONFIG_SRC: &str =
    "pub fn a() -> usize {\n    std::fs::read(\"x\").map(|b| b.len()).unwrap_or(0)\n}\n\
pub fn c() {\n    std::env::set_var(\"A\", \"1\");\n}\n";

fn kinds_levels(doc: &Value) -> Vec<(String, String)> {
    doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["kind"].as_str().unwrap_or("").to_string(),
                f["level"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

#[test]
fn configuration_precedence_package_over_workspace_cli_over_both() {
    let _g = shared();
    let dir = scratch(
        "ci-config",
        &[
            (
                "Cargo.toml",
                &manifest(
                    "[workspace.metadata.concur]\nfail-on = \"error\"\nlevels = { io = \"warning\", process-global = \"error\" }\n\n\
                     [package.metadata.concur]\nlevels = { io = \"error\" }\nexclude = [\"src/gen/**\"]\n",
                ),
            ),
            ("src/lib.rs", &format!("mod gen;\n{CONFIG_SRC}")),
            ("src/gen/mod.rs", "pub fn g() { std::env::set_var(\"B\", \"1\"); }\n"),
        ],
    );
    let doc = json_of(&dir, &[]);
    assert_eq!(
        kinds_levels(&doc),
        [("io".into(), "error".into()), ("process-global".into(), "error".into())],
        "package io=error over workspace io=warning; workspace process-global=error; src/gen excluded"
    );
    // fail-on = "error" from the workspace table.
    let out = run(&dir, &["-q"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("at or above fail-on = \"error\""),
        "{}",
        stderr(&out)
    );
    // The command line over both, later flags over earlier ones.
    let doc = json_of(
        &dir,
        &["-A", "io", "-W", "process-global", "--fail-on", "never"],
    );
    assert_eq!(
        kinds_levels(&doc),
        [("process-global".into(), "warning".into())]
    );
    let doc = json_of(&dir, &["-A", "io", "-D", "io"]);
    assert_eq!(kinds_levels(&doc)[0], ("io".into(), "error".into()));
    let doc = json_of(&dir, &["-D", "io", "-A", "io"]);
    assert!(kinds_levels(&doc).iter().all(|(k, _)| k != "io"));
    let out = run(&dir, &["--fail-on", "never"]);
    assert_eq!(out.status.code(), Some(0));
    // -v says which settings apply; -q says nothing but errors.
    let out = run(&dir, &["-v", "-W", "io"]);
    assert!(
        stderr(&out)
            .contains("Settings scratch: fail-on error; levels process-global=error, io=warning"),
        "{}",
        stderr(&out)
    );
    let out = run(&dir, &["-q", "--fail-on", "never"]);
    assert_eq!(stderr(&out), "");
    let out = run(&dir, &["-A", "bogus"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("`bogus` is not a finding kind"));
}

#[test]
fn broken_configurations_are_errors_naming_key_table_and_file() {
    let _g = shared();
    for (i, (table, want)) in [
        (
            "[package.metadata.concur]\nfail_on = \"warning\"\n",
            "Cargo.toml: [package.metadata.concur] `fail_on`: unknown key",
        ),
        (
            "[package.metadata.concur.levels]\nio = \"loud\"\n",
            "[package.metadata.concur.levels] `io`: \"loud\" is not one of allow, note, warning, error",
        ),
        (
            "[workspace.metadata.concur]\nexclude = [\"a[\"]\n",
            "Cargo.toml: [workspace.metadata.concur] `exclude`: bad glob `a[`",
        ),
        (
            "[package.metadata.concur.apis]\n\"mycrate::db::query\" = \"disk\"\n",
            "[package.metadata.concur.apis] `mycrate::db::query`: \"disk\" is not a category",
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let dir = scratch(
            &format!("ci-config-bad-{i}"),
            &[("Cargo.toml", &manifest(table)), ("src/lib.rs", CONFIG_SRC)],
        );
        let out = run(&dir, &[]);
        assert_eq!(out.status.code(), Some(2), "{table}");
        let err = stderr(&out);
        let line = err.lines().find(|l| l.starts_with("error:")).unwrap_or("");
        assert!(line.contains(want), "{line}\n  wanted: {want}");
        assert!(line.contains(&dir.join("Cargo.toml").display().to_string()), "{line}");
        assert!(out.stdout.is_empty());
    }
}

// ---------------------------------------------------------------- suppressions

#[test]
fn suppressions_in_every_position_are_kept_as_suppressed() {
    let _g = shared();
    let dir = fixture("kinds/suppression");
    let doc = json_of(&dir, &[]);
    let suppressed: Vec<(String, u64, String)> = doc["suppressed"]
        .as_array()
        .expect("suppressed")
        .iter()
        .map(|f| {
            (
                f["kind"].as_str().unwrap_or("").to_string(),
                f["line"].as_u64().unwrap_or(0),
                f["suppression"]["reason"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
            )
        })
        .collect();
    let at = |kind: &str, line: u64| suppressed.iter().any(|s| s.0 == kind && s.1 == line);
    assert!(at("io", 9), "line before: {suppressed:?}");
    assert!(at("io", 10), "end of line: {suppressed:?}");
    assert!(
        at("process-global", 16) && at("io", 17),
        "before an item: {suppressed:?}"
    );
    assert!(at("io", 22), "no reason still suppresses: {suppressed:?}");
    assert_eq!(suppressed.len(), 5);
    let notes: Vec<String> = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["kind"] == "suppression")
        .map(|f| f["message"].as_str().unwrap_or("").to_string())
        .collect();
    assert!(
        notes.iter().any(|m| m.contains("gives no reason")),
        "{notes:?}"
    );
    assert!(
        notes.iter().any(|m| m.contains("suppresses nothing")),
        "{notes:?}"
    );
    assert!(
        notes
            .iter()
            .any(|m| m.contains("`disk-io` is not a finding kind")),
        "{notes:?}"
    );

    let human = String::from_utf8(run(&dir, &[]).stdout).expect("utf-8");
    assert!(human.contains("5 suppressed"), "{human}");
    assert!(!human.contains("suppressed[io]"));
    let shown = String::from_utf8(run(&dir, &["--show-suppressed"]).stdout).expect("utf-8");
    assert_eq!(shown.matches("suppressed[").count(), 5, "{shown}");
    assert!(shown.contains("read once at startup"));
}

// ---------------------------------------------------------------- snapshots of every format

fn showcase(args: &[&str]) -> String {
    let out = run(&fixture("showcase"), args);
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .replace(&fixture("showcase").display().to_string(), "[ROOT]")
        .replace(&root().display().to_string(), "[REPO]")
        .replace(env!("CARGO_PKG_VERSION"), "[VERSION]")
}

#[test]
fn snapshot_sarif() {
    let _g = shared();
    insta::assert_snapshot!(showcase(&["--format", "sarif"]));
}

#[test]
fn snapshot_github() {
    let _g = shared();
    insta::assert_snapshot!(showcase(&["--format", "github"]));
}

#[test]
fn snapshot_message_format_json() {
    let _g = shared();
    insta::assert_snapshot!(showcase(&["--message-format", "json"]));
}

#[test]
fn snapshot_rules() {
    let _g = shared();
    let out = concur().args(["rules"]).output().expect("runs");
    insta::assert_snapshot!(String::from_utf8(out.stdout).expect("utf-8"));
}

// ---------------------------------------------------------------- the documented workflow

/// Every `cargo concur ...` command line of a `run:` script, `$var` expansions dropped.
fn concur_commands(script: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for line in script.replace("\\\n", " ").lines() {
        let Some(at) = line.find("cargo concur ") else {
            continue;
        };
        let rest = &line[at + "cargo concur ".len()..];
        let rest = rest.split(['|', '>', ';']).next().unwrap_or("");
        let words: Vec<String> = rest
            .split_whitespace()
            .take_while(|w| *w != "||" && *w != "&&")
            .filter(|w| !w.starts_with('$'))
            .map(str::to_string)
            .collect();
        out.push(words);
    }
    out
}

#[test]
fn workflow_file_is_complete() {
    let text =
        std::fs::read_to_string(root().join("docs/ci/concur.yml")).expect("docs/ci/concur.yml");
    let wf: serde_yaml::Value = serde_yaml::from_str(&text).expect("valid YAML");
    assert!(wf["on"]["pull_request"].is_null() || wf["on"]["pull_request"].is_mapping());
    assert!(wf["on"]["push"]["branches"][0] == "main");
    assert_eq!(wf["permissions"]["security-events"], "write");
    let steps = wf["jobs"]["concur"]["steps"].as_sequence().expect("steps");
    let uses: Vec<&str> = steps.iter().filter_map(|s| s["uses"].as_str()).collect();
    assert!(uses
        .iter()
        .any(|u| u.starts_with("github/codeql-action/upload-sarif@")));
    assert!(uses.iter().any(|u| u.starts_with("actions/cache/restore@")));
    assert!(uses.iter().any(|u| u.starts_with("actions/cache/save@")));
    let mut commands = Vec::new();
    for s in steps {
        if let Some(script) = s["run"].as_str() {
            commands.extend(concur_commands(script));
        }
    }
    // Every command the workflow runs is one this binary accepts.
    for words in &commands {
        let mut args: Vec<std::ffi::OsString> = vec!["cargo-concur".into()];
        args.extend(words.iter().map(Into::into));
        cargo_concur::cli::parse_args(args.clone())
            .unwrap_or_else(|e| panic!("`cargo concur {}`: {e}", words.join(" ")));
    }
    let joined: Vec<String> = commands.iter().map(|c| c.join(" ")).collect();
    let has = |needle: &str| joined.iter().any(|c| c.contains(needle));
    assert!(has("analyze --format sarif"));
    assert!(has("--format github"));
    assert!(has("--format markdown"));
    assert!(has("--write-baseline"));
    assert!(has("report") && has("--fail-on verdict-change"));
    // The README shows this very file.
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README");
    assert!(readme.contains("docs/ci/concur.yml"));
    assert!(readme.contains("## Use in CI"));
}

// ---------------------------------------------------------------- report as a gate

// Jobs that wait (like I/O) rather than compute: their scaling shows even on a loaded machine.
const GATE_BEFORE: &str = "pub fn spin(job: usize) -> u64 {\n    work(job)\n}\n\n\
fn work(job: usize) -> u64 {\n    std::thread::sleep(std::time::Duration::from_millis(40));\n    job as u64\n}\n";

const GATE_AFTER: &str = "use std::sync::Mutex;\n\nstatic GATE: Mutex<u64> = Mutex::new(0);\n\n\
pub fn spin(job: usize) -> u64 {\n    let mut g = GATE.lock().unwrap();\n    *g += 1;\n    work(job)\n}\n\n\
fn work(job: usize) -> u64 {\n    std::thread::sleep(std::time::Duration::from_millis(40));\n    job as u64\n}\n";

/// A workload that gains a global lock between two real `report` runs: the second run, against the first
/// as its baseline, names the verdict change and the lock that appeared on the workload's path, and
/// `--fail-on verdict-change` exits 1 saying why.
#[test]
fn report_baseline_flags_a_verdict_change_when_a_global_lock_appears() {
    let _g = crate::exclusive();
    let manifest =
        "[package]\nname = \"gate\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n\n\
        [[package.metadata.concur.workload]]\nname = \"spin\"\nrun = \"gate::spin\"\njobs = 16\n";
    let mut last = String::new();
    for _attempt in 0..3 {
        let dir = scratch(
            "ci-report-gate",
            &[("Cargo.toml", manifest), ("src/lib.rs", GATE_BEFORE)],
        );
        let base = dir.join("base.json");
        let report = |extra: &[&str]| {
            concur()
                .args([
                    "report",
                    "--no-tests",
                    "--runs",
                    "3",
                    "--workers",
                    "2",
                    "--manifest-path",
                ])
                .arg(dir.join("Cargo.toml"))
                .args(extra)
                .output()
                .expect("runs")
        };
        let out = report(&[
            "--format",
            "json",
            "--output",
            base.to_str().expect("utf-8"),
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        std::fs::write(dir.join("src/lib.rs"), GATE_AFTER).expect("edit");
        let out = report(&[
            "--format",
            "json",
            "--baseline",
            base.to_str().expect("utf-8"),
            "--fail-on",
            "verdict-change",
        ]);
        let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
        let change = &doc["baseline"][0];
        // Deterministic part: the lock is on the workload's path now, and was not before.
        let new: Vec<&Value> = change["new_findings"]
            .as_array()
            .expect("new findings")
            .iter()
            .collect();
        assert!(
            new.iter().any(|f| f["kind"] == "global-state"
                && f["message"].as_str().unwrap_or("").contains("GATE")),
            "{change}"
        );
        if change["verdict"].is_object() {
            assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
            assert!(
                stderr(&out).contains("`spin` changed verdict:"),
                "{}",
                stderr(&out)
            );
            assert_ne!(change["verdict"]["before"], "processes", "{change}");
            assert_eq!(change["verdict"]["after"], "processes", "{change}");
            // Threads queue on the lock now: outside the old confidence interval.
            assert!(
                change["regressions"]
                    .as_array()
                    .is_some_and(|r| r.iter().any(|x| x["model"] == "threads")),
                "{change}"
            );
            return;
        }
        last = format!("no verdict change measured: {change}");
    }
    panic!("{last}");
}

/// Coloured human output keeps rustc's shape: stripped of ANSI sequences it is the plain output line for line,
/// and the escapes sit where rustc puts them (around `level[code]`, before the `-->` location), so problem
/// matchers written for coloured rustc output match it.
#[test]
fn coloured_human_output_has_rustcs_shape() {
    let _g = shared();
    let plain = run(&fixture("showcase"), &["--color", "never"]);
    let coloured = concur()
        .args(["analyze", "--color", "always", "--manifest-path"])
        .arg(fixture("showcase").join("Cargo.toml"))
        .env_remove("NO_COLOR")
        .output()
        .expect("runs");
    let plain = String::from_utf8(plain.stdout).expect("utf-8");
    let coloured = String::from_utf8(coloured.stdout).expect("utf-8");
    assert!(coloured.contains('\u{1b}'));
    assert_eq!(anstream::adapter::strip_str(&coloured).to_string(), plain);
    let heads: Vec<&str> = coloured
        .lines()
        .filter(|l| l.contains("warning[") || l.contains("error["))
        .collect();
    assert!(!heads.is_empty());
    for l in heads {
        // ESC[..m warning[kind] ESC[0m ESC[..m: message
        assert!(l.starts_with("\u{1b}["), "{l:?}");
        let after_code = &l[l.find("]").expect("]") + 1..];
        assert!(after_code.starts_with("\u{1b}[0m"), "{l:?}");
        assert!(anstream::adapter::strip_str(after_code)
            .to_string()
            .starts_with(": "));
    }
    assert!(coloured.lines().any(|l| anstream::adapter::strip_str(l)
        .to_string()
        .trim_start()
        .starts_with("--> src/lib.rs:")));
}

#[test]
fn configured_api_entries_extend_or_replace_the_catalogue() {
    let _g = shared();
    let src = "pub mod db {\n    pub fn query() -> u32 {\n        1\n    }\n}\n\
pub fn job() -> u32 {\n    db::query()\n}\n\
pub fn load() -> usize {\n    std::fs::read(\"x\").map(|b| b.len()).unwrap_or(0)\n}\n";
    let io_lines = |table: &str, name: &str| -> Vec<u64> {
        let dir = scratch(
            name,
            &[("Cargo.toml", &manifest(table)), ("src/lib.rs", src)],
        );
        json_of(&dir, &[])["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter(|f| f["kind"] == "io")
            .map(|f| f["line"].as_u64().unwrap_or(0))
            .collect()
    };
    assert_eq!(
        io_lines("", "ci-apis-none"),
        [10],
        "only std::fs::read by default"
    );
    assert_eq!(
        io_lines(
            "[package.metadata.concur.apis]\n\"scratch::db::query\" = \"io\"\n",
            "ci-apis-path"
        ),
        [7, 10],
        "a declared blocking call is an io site"
    );
    assert_eq!(
        io_lines(
            "[package.metadata.concur.apis]\nio = [\"..\", \"scratch::db::query\"]\n",
            "ci-apis-extend"
        ),
        [7, 10],
        "\"..\" keeps the defaults"
    );
    assert_eq!(
        io_lines(
            "[package.metadata.concur.apis]\nio = [\"scratch::db::query\"]\n",
            "ci-apis-replace"
        ),
        [7],
        "without \"..\" the list replaces the defaults"
    );
}
