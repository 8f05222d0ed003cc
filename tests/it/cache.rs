//! The facts cache end to end: warm output is byte-identical to a cold run's after a file is edited, and a
//! corrupted cache is ignored and rebuilt — always through the real binary on a copy of the showcase.

use std::path::{Path, PathBuf};

use crate::{concur, fixture, root, shared};

/// A private copy of the showcase fixture (the test edits it) and an empty cache directory.
fn scratch(name: &str) -> (PathBuf, PathBuf) {
    let base = root().join("target/it-cache").join(name);
    let _ = std::fs::remove_dir_all(&base);
    let copy = base.join("showcase");
    copy_tree(&fixture("showcase"), &copy);
    (copy, base.join("cache"))
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        if e.file_name() == "target" {
            continue;
        }
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// `analyze --format json` stdout, with the cache in `cache` (or `--no-cache`).
fn analyze(manifest: &Path, cache: Option<&Path>) -> Vec<u8> {
    let mut c = concur();
    c.args(["concur", "analyze", "--format", "json", "--manifest-path"])
        .arg(manifest);
    match cache {
        Some(dir) => c.env("CARGO_CONCUR_CACHE_DIR", dir),
        None => c.arg("--no-cache"),
    };
    let out = c.output().expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn entries(cache: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(cache)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    v.retain(|p| p.extension().is_some_and(|x| x == "facts"));
    v.sort();
    v
}

#[test]
fn warm_output_equals_cold_output_after_an_edit() {
    let _g = shared();
    let (dir, cache) = scratch("warm");
    let manifest = dir.join("Cargo.toml");
    let cold = analyze(&manifest, None);
    assert!(entries(&cache).is_empty(), "--no-cache writes nothing");
    assert_eq!(
        analyze(&manifest, Some(&cache)),
        cold,
        "first run, filling the cache"
    );
    let filled = entries(&cache);
    assert!(!filled.is_empty(), "the cache holds the files' facts");
    assert_eq!(analyze(&manifest, Some(&cache)), cold, "all hits");

    // Edit the root file without changing what it declares: every finding in it moves down two lines, the
    // files below it keep their entries.
    let lib = dir.join("src/lib.rs");
    let text = std::fs::read_to_string(&lib).unwrap();
    std::fs::write(&lib, format!("// edited\n\n{text}")).unwrap();
    let cold_edited = analyze(&manifest, None);
    assert_ne!(cold_edited, cold, "the edit changes the analysis");
    assert_eq!(
        analyze(&manifest, Some(&cache)),
        cold_edited,
        "warm after the edit"
    );
    assert_eq!(
        entries(&cache).len(),
        filled.len() + 1,
        "one new entry, for the edited file"
    );
}

#[test]
fn corrupt_truncated_and_foreign_entries_are_rebuilt() {
    let _g = shared();
    let (dir, cache) = scratch("corrupt");
    let manifest = dir.join("Cargo.toml");
    let cold = analyze(&manifest, None);
    analyze(&manifest, Some(&cache));
    let all = entries(&cache);
    assert!(all.len() >= 3, "showcase has several files");
    let good = std::fs::read(&all[0]).unwrap();
    std::fs::write(&all[0], b"\x00\xffnot an entry").unwrap();
    let other = std::fs::read(&all[2]).unwrap();
    std::fs::write(&all[1], &other).unwrap(); // another file's entry under this key
    let long = std::fs::read(&all[2]).unwrap();
    std::fs::write(&all[2], &long[..long.len() / 2]).unwrap(); // truncated
    assert_eq!(
        analyze(&manifest, Some(&cache)),
        cold,
        "broken entries are not trusted"
    );
    let facts = cargo_concur::analyze::cache::FactsCache::new(cache.clone());
    for (path, before) in [(&all[0], &good), (&all[2], &long)] {
        let now = std::fs::read(path).unwrap();
        let header = |b: &[u8]| b.split(|&c| c == b'\n').next().map(<[u8]>::to_vec);
        assert_eq!(
            header(&now),
            header(before),
            "rewritten with the same header"
        );
        let key = path
            .file_stem()
            .and_then(|s| s.to_str())
            .and_then(|s| u128::from_str_radix(s, 16).ok())
            .expect("entries are named by their key");
        assert!(
            facts.load(key).is_some(),
            "and whole again: {}",
            path.display()
        );
    }
    assert_eq!(analyze(&manifest, Some(&cache)), cold);
}

/// `cargo metadata`'s and `rustc --print cfg`'s answers come from the discovery cache while nothing cargo reads
/// changes; a new binary target makes them stale, and the next run sees it (and what it holds).
#[test]
fn discovery_is_cached_until_a_target_appears() {
    let _g = shared();
    let (dir, cache) = scratch("discovery");
    let manifest = dir.join("Cargo.toml");
    let run = || {
        let out = concur()
            .args([
                "concur",
                "analyze",
                "-vv",
                "--format",
                "json",
                "--manifest-path",
            ])
            .arg(&manifest)
            .env("CARGO_CONCUR_CACHE_DIR", &cache)
            // As `cargo concur` runs it: cargo names itself, so its answers may be cached.
            .env("CARGO", env!("CARGO"))
            .output()
            .expect("runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let cached = String::from_utf8_lossy(&out.stderr).contains("from the discovery cache");
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        (cached, doc)
    };
    let (cached, cold) = run();
    assert!(!cached, "the first run asks cargo");
    let (cached, warm) = run();
    assert!(cached, "the second run does not");
    assert_eq!(warm, cold);
    std::fs::create_dir_all(dir.join("src/bin")).unwrap();
    std::fs::write(
        dir.join("src/bin/extra.rs"),
        "fn main() {\n    std::env::set_var(\"MODE\", \"fast\");\n}\n",
    )
    .unwrap();
    let (cached, after) = run();
    assert!(!cached, "a new binary target: cargo is asked again");
    let in_extra = |doc: &serde_json::Value| {
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["file"] == "src/bin/extra.rs" && f["kind"] == "process-global")
    };
    assert!(
        !in_extra(&warm) && in_extra(&after),
        "the new target is analyzed"
    );
    let (cached, again) = run();
    assert!(cached);
    assert_eq!(again, after);
}

/// Files unchanged since the last run are not even read (their stamps stand for their text), and the output
/// is still the cold run's, after an edit of one file and after an edit that keeps a file's size.
#[test]
fn unchanged_files_are_not_read_and_the_output_is_the_same() {
    let _g = shared();
    let (dir, cache) = scratch("stamps");
    let manifest = dir.join("Cargo.toml");
    let run = |cached: bool| {
        let mut c = concur();
        c.args([
            "concur",
            "analyze",
            "-vv",
            "--format",
            "json",
            "--manifest-path",
        ])
        .arg(&manifest)
        .env("CARGO_CONCUR_CACHE_DIR", &cache);
        if !cached {
            c.arg("--no-cache");
        }
        let out = c.output().expect("runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let unread = stderr
            .lines()
            .find_map(|l| l.split_once(" hits (").map(|(_, r)| r.to_string()))
            .and_then(|r| r.split(' ').next().and_then(|n| n.parse::<usize>().ok()));
        (out.stdout, unread)
    };
    // A stamp is trusted only for a file left alone for a while before it was read (3 s).
    std::thread::sleep(std::time::Duration::from_millis(3200));
    let (first, unread) = run(true);
    assert_eq!(unread, Some(0), "the first run reads every file");
    let (second, unread) = run(true);
    assert_eq!(second, first);
    let files = std::fs::read_dir(dir.join("src")).unwrap().count();
    assert!(
        unread.is_some_and(|n| n >= files.min(3)),
        "{unread:?} of {files}"
    );
    // Edit one file (its size changes): it is read, the others are not, and the output is a cold run's.
    let lib = dir.join("src/lib.rs");
    let text = std::fs::read_to_string(&lib).unwrap();
    std::fs::write(&lib, format!("// edited\n\n{text}")).unwrap();
    let (warm, _) = run(true);
    let (cold, _) = run(false);
    assert_eq!(warm, cold, "warm output after an edit");
    // An edit that keeps the size: the file was read right after it was written, so its stamp is not
    // trusted and it is read again.
    let edited = std::fs::read_to_string(&lib).unwrap();
    std::fs::write(&lib, edited.replacen("// edited", "// EDITED", 1)).unwrap();
    let (warm, _) = run(true);
    let (cold, _) = run(false);
    assert_eq!(warm, cold, "warm output after an edit of the same size");
}
