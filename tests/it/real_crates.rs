//! Real crates (ignored by default: needs crates.io once): `analyze` on tokio, crossbeam-channel, rayon-core,
//! parking_lot and tempfile gives no panic, no parse error, and reports every `static mut` item and every
//! `env::set_var`/`remove_var`/`thread::sleep` call that a plain text search finds.
//!
//! Run: `cargo test --test it real_crates -- --ignored --nocapture`

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

#[path = "../support/real_crates.rs"]
mod support;

use crate::{concur, root, shared};

fn rs_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            if !p.ends_with("target") && !p.join("Cargo.toml").exists() {
                rs_files(&p, out);
            }
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Text-search hits: (relative file, 1-based line, expected kind). Lines whose match sits in a comment or a
/// string are skipped.
fn text_hits(crate_root: &Path) -> Vec<(String, u32, &'static str)> {
    let patterns: &[(&str, &str)] = &[
        ("static mut ", "static-mut"),
        ("env::set_var(", "process-global"),
        ("env::remove_var(", "process-global"),
        ("thread::sleep(", "io"),
    ];
    let mut files = Vec::new();
    rs_files(crate_root, &mut files);
    let mut hits = Vec::new();
    for f in files {
        let Ok(text) = std::fs::read_to_string(&f) else {
            continue;
        };
        let rel = f
            .strip_prefix(crate_root)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let mut in_block_comment = false;
        for (i, line) in text.lines().enumerate() {
            // Block comments: skip lines inside `/* ... */` (not nested; enough for a text search).
            let opens = line.find("/*");
            if in_block_comment {
                if line.contains("*/") {
                    in_block_comment = false;
                }
                continue;
            }
            if let Some(o) = opens {
                if !line[o..].contains("*/") {
                    in_block_comment = true;
                }
            }
            for (pat, kind) in patterns {
                let Some(pos) = line.find(pat) else { continue };
                let before = &line[..pos];
                let in_comment = before.contains("//") || before.trim_start().starts_with('*');
                let in_string = before.matches('"').count() % 2 == 1;
                if !in_comment && !in_string {
                    hits.push((rel.clone(), i as u32 + 1, *kind));
                }
            }
        }
    }
    hits
}

#[test]
#[ignore = "fetches real crates from crates.io; run with --ignored"]
fn real_crates_are_analyzed_without_misses() {
    let _g = shared();
    let crates = support::fetch(&root().join("target/real-crates"), support::REAL_CRATES)
        .expect("fetch real crates");
    let mut report = Vec::new();
    let mut problems = Vec::new();
    for (name, manifest) in crates {
        let crate_root = manifest.parent().unwrap().to_path_buf();
        // The text census reads every file: compare with the widest scope (every target, every cfg branch).
        let out = concur()
            .args([
                "analyze",
                "--format",
                "json",
                "--all-targets",
                "--all-cfgs",
                "--manifest-path",
            ])
            .arg(&manifest)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "{name}: exit {:?}: {stderr}",
            out.status.code()
        );
        assert!(!stderr.contains("panicked"), "{name}: {stderr}");
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        let errors = doc["files"]["parse_errors"].as_array().unwrap();
        if !errors.is_empty() {
            problems.push(format!("{name}: parse errors: {errors:?}"));
        }
        let found: BTreeSet<(String, u64, String)> = doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["file"].as_str().unwrap().to_string(),
                    f["line"].as_u64().unwrap(),
                    f["kind"].as_str().unwrap().into(),
                )
            })
            .collect();
        let hits = text_hits(&crate_root);
        let mut missed = 0;
        for (file, line, kind) in &hits {
            if !found.contains(&(file.clone(), *line as u64, kind.to_string())) {
                missed += 1;
                problems.push(format!(
                    "{name}: {file}:{line}: text search finds `{kind}`, analyze does not"
                ));
            }
        }
        report.push(format!(
            "{name}: {} files, {} findings, {} text-search hits, {missed} missed",
            doc["files"]["analyzed"],
            found.len(),
            hits.len()
        ));
    }
    eprintln!("{}", report.join("\n"));
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
