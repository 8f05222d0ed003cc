//! Hostile but legal inputs through the real binary: deep nesting in every syntactic position, bad files
//! (non-UTF-8, NUL bytes, a directory or FIFO in place of a file, symlink loops, `#[path]` cycles, a file
//! of tens of MB), a workspace of 200 members. Fixtures are generated here, in the test target's temp
//! directory, so the repository stays small; each run completes with the rest of the files analyzed.

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

use crate::{concur, shared};
use cargo_concur::depth;

/// A crate generated for one test, removed when dropped.
pub struct TempCrate {
    pub dir: PathBuf,
}

impl TempCrate {
    /// A package `name` with `src/lib.rs` = `lib` (plus a `process-global` finding the run must still give).
    pub fn new(test: &str, lib: &str) -> TempCrate {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("hardening-{test}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("src")).expect("temp dir");
        let t = TempCrate { dir };
        t.write(
            "Cargo.toml",
            "[package]\nname = \"hostile\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n",
        );
        t.write(
            "src/lib.rs",
            &format!("{lib}\npub fn still_seen() {{ std::env::set_var(\"A\", \"b\"); }}\n"),
        );
        t
    }

    pub fn write(&self, rel: &str, text: &str) {
        self.write_bytes(rel, text.as_bytes());
    }

    pub fn write_bytes(&self, rel: &str, bytes: &[u8]) {
        let p = self.dir.join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("dir");
        }
        std::fs::write(&p, bytes).expect("write");
    }

    pub fn manifest(&self) -> PathBuf {
        self.dir.join("Cargo.toml")
    }
}

impl Drop for TempCrate {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub fn analyze(manifest: &Path, envs: &[(&str, &str)]) -> Output {
    let mut c = concur();
    c.args(["concur", "analyze", "--format", "json", "--manifest-path"])
        .arg(manifest);
    for (k, v) in envs {
        c.env(k, v);
    }
    c.output().expect("runs")
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}); exit {:?}; stderr: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// The `parse_errors` entry of `file`, if any.
fn parse_error<'a>(doc: &'a Value, file: &str) -> Option<&'a Value> {
    doc["files"]["parse_errors"]
        .as_array()?
        .iter()
        .find(|e| e["file"] == file)
}

/// The lib's own finding is there: the run went on past the hostile file.
fn still_analyzed(doc: &Value) -> bool {
    doc["findings"].as_array().is_some_and(|f| {
        f.iter().any(|x| {
            x["function"]
                .as_str()
                .is_some_and(|p| p.ends_with("still_seen"))
        })
    })
}

/// Deep nesting of one syntactic kind, `n` levels, as the text of a module file.
pub fn deep(kind: &str, n: usize) -> String {
    let rep = |s: &str| s.repeat(n);
    match kind {
        "parens" => format!("pub fn f() {{ let _ = {}x{}; }}", rep("("), rep(")")),
        "arrays" => format!("pub fn f() {{ let _ = {}x{}; }}", rep("["), rep("]")),
        "unary" => format!("pub fn f() {{ let _ = {}x; }}", rep("!")),
        "refs" => format!("pub fn f() {{ let _ = {}x; }}", rep("& ")),
        "binary" => format!("pub fn f() {{ let _ = x{}; }}", rep(" + x")),
        "methods" => format!("pub fn f() {{ let _ = x{}; }}", rep(".f()")),
        "assign" => format!("pub fn f() {{ {}x; }}", rep("a = ")),
        "returns" => format!("pub fn f() {{ {}x; }}", rep("return ")),
        "blocks" => format!("pub fn f() {{ {}{} }}", rep("{ "), rep("} ")),
        "nested_if" => format!("pub fn f() {{ {}{} }}", rep("if a { "), rep("} ")),
        "else_if" => format!("pub fn f() {{ if a {{}} {} }}", rep("else if a {} ")),
        "closures" => format!("pub fn f() {{ let _ = {}x; }}", rep("|a, b| ")),
        "async_blocks" => format!(
            "pub fn f() {{ let _ = {}x{}; }}",
            rep("async move { "),
            rep("} ")
        ),
        "generics" => format!("pub type T = {}u8{};", rep("Vec<"), rep(">")),
        "generic_pairs" => format!("pub type T = {}u8{};", rep("Result<u8, "), rep(">")),
        "ref_types" => format!("pub type T = {}u8;", rep("& ")),
        "tuple_types" => format!("pub struct S({}u8{});", rep("("), rep(",)")),
        "fn_types" => format!("pub type T = {}u8;", rep("fn() -> ")),
        "patterns" => format!("pub fn f(y: u8) {{ let {}x{} = y; }}", rep("("), rep(")")),
        "ref_patterns" => format!("pub fn f(y: u8) {{ let {}x = y; }}", rep("& ")),
        "modules" => format!("{}{}", rep("pub mod m { "), rep("} ")),
        "fn_items" => format!("pub fn f() {{ {}{} }}", rep("fn g() { "), rep("} ")),
        "impl_fns" => format!(
            "pub struct S; impl S {{ pub fn f() {{ {}{} }} }}",
            rep("{ "),
            rep("} ")
        ),
        "macro_exprs" => format!(
            "pub fn f() {{ unsafe {{ m!({}x{}) }} }}",
            rep("("),
            rep(")")
        ),
        "macro_items" => format!("cfg_if::cfg_if! {{ {}{} }}", rep("pub mod m { "), rep("} ")),
        "attr_exprs" => format!("#[doc = {}\"x\"{}] pub fn f() {{}}", rep("("), rep(")")),
        _ => panic!("no kind {kind}"),
    }
}

pub const KINDS: &[&str] = &[
    "parens",
    "arrays",
    "unary",
    "refs",
    "binary",
    "methods",
    "assign",
    "returns",
    "blocks",
    "nested_if",
    "else_if",
    "closures",
    "async_blocks",
    "generics",
    "generic_pairs",
    "ref_types",
    "tuple_types",
    "fn_types",
    "patterns",
    "ref_patterns",
    "modules",
    "fn_items",
    "impl_fns",
    "macro_exprs",
    "macro_items",
    "attr_exprs",
];

fn score(text: &str, macros: depth::Macros) -> usize {
    depth::score_of(text, macros).expect("tokenizes")
}

/// The score that decides for the file, and for a macro body inside it.
fn worst_score(kind: &str, n: usize) -> usize {
    let text = deep(kind, n);
    score(&text, depth::Macros::Skip).max(if kind.starts_with("macro") {
        score(&text, depth::Macros::Score)
    } else {
        0
    })
}

/// The nesting (levels) of `kind` whose score is about `target`.
fn levels_for_score(kind: &str, target: usize) -> usize {
    let per = worst_score(kind, 100)
        .saturating_sub(worst_score(kind, 0))
        .max(1) as f64
        / 100.0;
    ((target as f64 / per) as usize).max(1)
}

/// Every kind of nesting, just under the limit of the binary's stack: analyzed, no crash. Twice over
/// it (file and macro body at their limits together): refused as a `parse_errors` entry, the run goes on.
#[test]
fn deep_nesting_in_every_position_is_analyzed_or_refused() {
    let _g = shared();
    let limit = depth::limit_for_stack(depth::BIG_STACK);
    let t = TempCrate::new("deep", "pub mod fits;\npub mod over;");
    for kind in KINDS {
        let fits = levels_for_score(kind, limit * 9 / 10);
        let over = levels_for_score(kind, limit * 2);
        assert!(
            worst_score(kind, fits) <= limit,
            "{kind}: {}",
            worst_score(kind, fits)
        );
        t.write("src/fits.rs", &deep(kind, fits));
        t.write("src/over.rs", &deep(kind, over));
        let out = analyze(&t.manifest(), &[]);
        let doc = json(&out);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{kind}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(still_analyzed(&doc), "{kind}: the rest was not analyzed");
        assert!(
            parse_error(&doc, "src/fits.rs").is_none(),
            "{kind}: {:?}",
            parse_error(&doc, "src/fits.rs")
        );
        if kind.starts_with("macro") {
            // An over-deep macro body is not expanded; the file is analyzed.
            assert!(
                doc["files"]["macros_not_expanded"].as_u64() >= Some(1),
                "{kind}"
            );
        } else {
            let e = parse_error(&doc, "src/over.rs")
                .unwrap_or_else(|| panic!("{kind}: over.rs not refused"));
            assert!(
                e["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("nested too deeply")),
                "{kind}: {e}"
            );
        }
    }
}

/// Stack bytes the work on this thread used: the lowest non-zero byte of a fresh (zero) stack.
fn stack_used(stack: usize, work: impl FnOnce() + Send + 'static) -> usize {
    std::thread::Builder::new()
        .stack_size(stack)
        .spawn(move || {
            // SAFETY: attributes of the current thread, read into zeroed structs as glibc documents.
            let (low, size) = unsafe {
                let mut attr: libc::pthread_attr_t = std::mem::zeroed();
                assert_eq!(libc::pthread_getattr_np(libc::pthread_self(), &mut attr), 0);
                let mut addr: *mut libc::c_void = std::ptr::null_mut();
                let mut size = 0usize;
                libc::pthread_attr_getstack(&attr, &mut addr, &mut size);
                libc::pthread_attr_destroy(&mut attr);
                (addr as usize, size)
            };
            work();
            let top = low + size;
            let mut at = low + (1 << 20);
            while at < top {
                // SAFETY: inside this thread's own stack mapping, above any guard page.
                if unsafe { std::ptr::read_volatile(at as *const u64) } != 0 {
                    break;
                }
                at += 8;
            }
            top - at
        })
        .expect("thread")
        .join()
        .expect("measured")
}

/// Measures, for each kind, the stack that parse + facts + drop use per score unit (the call graph is
/// iterative), in
/// this (debug) build, on a 1 GiB thread whose fresh stack is zero: `BYTES_PER_UNIT` must be at least
/// twice the worst. `cargo test --test it nesting_cost -- --ignored --nocapture`.
#[test]
#[ignore]
fn nesting_cost_per_kind() {
    let _g = shared();
    let mut worst = 0usize;
    for (i, kind) in KINDS.iter().enumerate() {
        let n = levels_for_score(kind, 3000);
        let s = worst_score(kind, n);
        let text = deep(kind, n);
        let stack = (1usize << 30) + i * 4096 * 16;
        let used = stack_used(stack, move || {
            depth::set_thread_stack(1 << 30);
            let ctx = cargo_concur::facts::FileContext {
                package: "hostile".into(),
                crate_name: "hostile".into(),
                module_path: vec!["deep".into()],
                rel_path: "src/deep.rs".into(),
                edition: cargo_concur::Edition::E2021,
            };
            let ast = cargo_concur::parse_source(&text).expect("parses");
            let apis = std::sync::Arc::new(cargo_concur::rules::apis::Apis::builtin());
            let facts = cargo_concur::facts::extract(&ctx, &ast, &apis);
            drop(ast);
            drop(facts);
        });
        let per_unit = used / s.max(1);
        worst = worst.max(per_unit);
        println!("{kind:>14}: {n} levels, score {s}, {used} stack bytes, {per_unit} per unit");
    }
    println!(
        "worst: {worst} bytes per unit; BYTES_PER_UNIT = {}",
        depth::BYTES_PER_UNIT
    );
    assert!(
        depth::BYTES_PER_UNIT >= 2 * worst,
        "BYTES_PER_UNIT too small"
    );
}

/// The text lexer against proc-macro2 on real code (every `.rs` file under `CONCUR_SCAN_DIR`, e.g. cargo's
/// registry sources): no file may differ (tokens, positions, nesting score); prints how many it gave up on.
/// `CONCUR_SCAN_DIR=~/.cargo/registry/src cargo test --release --test it lexer_agrees_on_real_code --
/// --ignored --nocapture`.
#[test]
#[ignore]
fn lexer_agrees_on_real_code() {
    use cargo_concur::lex::{compare_with_proc_macro2, Comparison};
    let Ok(dir) = std::env::var("CONCUR_SCAN_DIR") else {
        return;
    };
    let files = rs_files_under(&PathBuf::from(dir));
    let (mut same, mut gave_up, mut both, mut differ) = (0, Vec::new(), 0, Vec::new());
    for f in &files {
        let Ok(text) = std::fs::read_to_string(f) else {
            continue;
        };
        match compare_with_proc_macro2(&text) {
            Comparison::Same => same += 1,
            Comparison::GaveUp => gave_up.push(f.clone()),
            Comparison::BothReject => both += 1,
            Comparison::Differs(why) => differ.push(format!("{}: {why}", f.display())),
        }
    }
    println!(
        "{} files: {same} the same, {} given up on, {both} rejected by both, {} different",
        files.len(),
        gave_up.len(),
        differ.len()
    );
    for f in gave_up.iter().take(20) {
        println!("  gave up: {}", f.display());
    }
    assert!(differ.is_empty(), "{}", differ.join("\n"));
    assert!(same > 0);
}

/// Every `.rs` file under `dir`.
fn rs_files_under(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let Ok(ft) = e.file_type() else { continue };
            if ft.is_dir() {
                stack.push(e.path());
            } else if e.path().extension().is_some_and(|x| x == "rs") {
                files.push(e.path());
            }
        }
    }
    files
}

/// The highest nesting scores in real code (every `.rs` file under `CONCUR_SCAN_DIR`, e.g. cargo's
/// registry sources), against the limit: `CONCUR_SCAN_DIR=~/.cargo/registry/src cargo test --test it
/// real_code_scores -- --ignored --nocapture`.
#[test]
#[ignore]
fn real_code_scores() {
    let Ok(dir) = std::env::var("CONCUR_SCAN_DIR") else {
        return;
    };
    let files = rs_files_under(&PathBuf::from(dir));
    let mut scores: Vec<(usize, usize, PathBuf)> = Vec::new();
    for f in &files {
        let Ok(text) = std::fs::read_to_string(f) else {
            continue;
        };
        let (Some(file), Some(bodies)) = (
            depth::score_of(&text, depth::Macros::Skip),
            depth::score_of(&text, depth::Macros::Score),
        ) else {
            continue;
        };
        scores.push((file, bodies, f.clone()));
    }
    scores.sort();
    let limit = depth::limit_for_stack(depth::BIG_STACK);
    println!("{} files, limit {limit}", scores.len());
    for (s, b, f) in scores.iter().rev().take(10) {
        let text = std::fs::read_to_string(f).unwrap_or_default();
        let at = text
            .parse()
            .ok()
            .and_then(|t| depth::check(t, depth::Macros::Skip, s.saturating_sub(1)).err())
            .map_or(0, |e| e.line);
        println!(
            "file score {s:>6} (line {at}), with macro bodies {b:>6}: {}",
            f.display()
        );
    }
    let mut by_bodies = scores.clone();
    by_bodies.sort_by_key(|x| x.1);
    for (s, b, f) in by_bodies.iter().rev().take(5) {
        println!("with macro bodies {b:>6} (file {s:>6}): {}", f.display());
    }
    assert!(
        scores.iter().all(|s| s.0 <= limit),
        "a real file is refused"
    );
}

/// Runs `cmd`, killing it after `secs` (a hang is a failure, not a stuck test).
pub fn output_within(mut cmd: std::process::Command, secs: u64) -> Output {
    use std::process::Stdio;
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(std::time::Duration::from_secs(secs)) {
        Ok(out) => out.expect("waits"),
        Err(_) => {
            // SAFETY: kill(2) of the child this function started.
            unsafe {
                libc::kill(pid as i32, libc::SIGKILL);
            }
            panic!("still running after {secs} s: killed");
        }
    }
}

/// Every kind of bad file in one package, next to a good one: each is a `parse_errors` entry with a
/// clear message, nothing hangs (a FIFO is never opened for a blocking read), the rest is analyzed, exit 0.
#[test]
fn bad_files_are_reported_and_the_rest_is_analyzed() {
    let _g = shared();
    let t = TempCrate::new(
        "badfiles",
        "mod bad_utf8; mod nul; mod dir_mod; mod fifo; mod loop_a; mod huge; mod gone; mod big_ok;\n\
         mod dev_zero; mod not_there;\n#[path = \"lib.rs\"] mod again;",
    );
    t.write_bytes("src/bad_utf8.rs", b"pub fn f() {}\n// caf\xe9\n");
    t.write_bytes("src/nul.rs", b"pub fn f() {}\n\0\n");
    std::fs::create_dir_all(t.dir.join("src/dir_mod.rs")).expect("dir");
    let fifo =
        std::ffi::CString::new(t.dir.join("src/fifo.rs").to_str().expect("utf-8")).expect("path");
    // SAFETY: mkfifo(3) on a NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o644) }, 0, "mkfifo");
    std::os::unix::fs::symlink("loop_b.rs", t.dir.join("src/loop_a.rs")).expect("symlink");
    std::os::unix::fs::symlink("loop_a.rs", t.dir.join("src/loop_b.rs")).expect("symlink");
    std::os::unix::fs::symlink("/dev/zero", t.dir.join("src/dev_zero.rs")).expect("symlink");
    // A file that vanished after it was listed: its entry is there, its content is not.
    std::os::unix::fs::symlink("deleted.rs", t.dir.join("src/gone.rs")).expect("symlink");
    // 40 MB (sparse: no disk used) is over the limit; 12 MB of real text is analyzed.
    let huge = std::fs::File::create(t.dir.join("src/huge.rs")).expect("create");
    huge.set_len(40 << 20).expect("set_len");
    let big = "// a long generated comment line, to make a file of many megabytes\n"
        .repeat(12 << 20 >> 6)
        + "pub fn big() { std::env::remove_var(\"B\"); }\n";
    t.write("src/big_ok.rs", &big);

    let mut cmd = concur();
    cmd.args(["concur", "analyze", "--format", "json", "--manifest-path"])
        .arg(t.manifest());
    let out = output_within(cmd, 300);
    let doc = json(&out);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(still_analyzed(&doc));
    let expect = [
        ("src/bad_utf8.rs", "not UTF-8: byte 0xe9"),
        ("src/nul.rs", "cannot tokenize"),
        ("src/dir_mod.rs", "a directory, not a regular file"),
        ("src/fifo.rs", "a FIFO, not a regular file"),
        (
            "src/loop_a.rs",
            "cannot read: Too many levels of symbolic links",
        ),
        ("src/dev_zero.rs", "a device, not a regular file"),
        (
            "src/huge.rs",
            "too large to analyze: 41.9 MB (the limit is 32 MiB)",
        ),
        ("src/gone.rs", "cannot read: No such file or directory"),
    ];
    for (file, message) in expect {
        let e = parse_error(&doc, file)
            .unwrap_or_else(|| panic!("{file}: no parse error in {}", doc["files"]));
        assert!(
            e["message"].as_str().is_some_and(|m| m.contains(message)),
            "{file}: {e}"
        );
    }
    let bad = parse_error(&doc, "src/bad_utf8.rs").expect("entry");
    assert_eq!(
        (bad["line"].as_u64(), bad["column"].as_u64()),
        (Some(2), Some(7)),
        "{bad}"
    );
    // A module without a file is skipped (often `#[cfg]`-gated), as before.
    assert!(parse_error(&doc, "src/not_there.rs").is_none());
    // The 12 MB file was analyzed; the `#[path]` cycle back to lib.rs loaded it once.
    assert!(parse_error(&doc, "src/big_ok.rs").is_none());
    let findings = doc["findings"].as_array().expect("findings");
    assert!(
        findings.iter().any(|f| f["file"] == "src/big_ok.rs"),
        "big_ok.rs not analyzed"
    );
    let in_lib = findings
        .iter()
        .filter(|f| f["file"] == "src/lib.rs")
        .count();
    assert_eq!(in_lib, 1, "lib.rs analyzed once: {findings:?}");
    // One line per skipped file on stderr, each naming the file.
    let stderr = String::from_utf8_lossy(&out.stderr);
    for (file, _) in expect {
        assert!(
            stderr
                .lines()
                .any(|l| l.contains(file) && l.contains("skipped")),
            "{file}: {stderr}"
        );
    }
}

/// `#[path]` cycles, direct (lib.rs loads itself) and through another file (a.rs → b.rs → a.rs): each is
/// one `parse_errors` line naming the cycle, every file is analyzed once, the run completes (exit 0).
#[test]
fn path_cycles_are_named_and_the_run_completes() {
    let _g = shared();
    let t = TempCrate::new("pathcycle", "#[path = \"lib.rs\"]\nmod again;\nmod a;");
    t.write(
        "src/a.rs",
        "#[path = \"b.rs\"]\nmod b;\npub fn in_a() { std::env::set_var(\"A\", \"1\"); }\n",
    );
    t.write(
        "src/b.rs",
        "pub fn in_b() { std::env::set_var(\"B\", \"1\"); }\n\n#[path = \"a.rs\"]\nmod a_again;\n",
    );
    let mut cmd = concur();
    cmd.args(["concur", "analyze", "--format", "json", "--manifest-path"])
        .arg(t.manifest());
    let out = output_within(cmd, 120);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let doc = json(&out);
    assert!(still_analyzed(&doc));
    let check = |file: &str, line: u64, message: &str| {
        let e = parse_error(&doc, file)
            .unwrap_or_else(|| panic!("{file}: no parse error in {}", doc["files"]));
        assert_eq!(e["message"], message, "{file}: {e}");
        assert_eq!(e["line"], line, "{file}: {e}");
        assert_eq!(e["skipped"], "item", "{file}: {e}");
        assert!(
            stderr
                .lines()
                .any(|l| l.contains(file) && l.contains(message)),
            "{file}: not on stderr: {stderr}"
        );
    };
    check(
        "src/lib.rs",
        2,
        "`#[path]` cycle: `mod again` loads src/lib.rs, which already contains it (src/lib.rs → src/lib.rs); \
         not loaded again",
    );
    check(
        "src/b.rs",
        4,
        "`#[path]` cycle: `mod a_again` loads src/a.rs, which already contains it (src/a.rs → src/b.rs → \
         src/a.rs); not loaded again",
    );
    assert_eq!(
        doc["files"]["parse_errors"].as_array().map(Vec::len),
        Some(2),
        "{}",
        doc["files"]
    );
    // Every file analyzed once.
    let findings = doc["findings"].as_array().expect("findings");
    for file in ["src/lib.rs", "src/a.rs", "src/b.rs"] {
        let n = findings.iter().filter(|f| f["file"] == file).count();
        assert_eq!(n, 1, "{file}: {findings:?}");
    }
}

/// A workspace of 200 members: every member analyzed, in cargo's member order.
#[test]
fn workspace_of_200_members() {
    let _g = shared();
    let t = TempCrate::new("members", "");
    let members: Vec<String> = (0..200).map(|i| format!("m{i:03}")).collect();
    t.write(
        "Cargo.toml",
        &format!(
            "[workspace]\nresolver = \"2\"\nmembers = [{}]\n",
            members
                .iter()
                .map(|m| format!("\"{m}\""))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    );
    for m in &members {
        t.write(
            &format!("{m}/Cargo.toml"),
            &format!("[package]\nname = \"{m}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n"),
        );
        t.write(
            &format!("{m}/src/lib.rs"),
            "pub fn f() { std::env::set_var(\"A\", \"b\"); }\n",
        );
    }
    let mut cmd = concur();
    cmd.args(["concur", "analyze", "--format", "json", "--manifest-path"])
        .arg(t.manifest());
    let out = output_within(cmd, 300);
    let doc = json(&out);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let names: Vec<&str> = doc["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert_eq!(names.len(), 200);
    assert_eq!(doc["files"]["analyzed"].as_u64(), Some(200));
    let process_global = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["kind"] == "process-global")
        .count();
    assert_eq!(process_global, 200);
}

/// `analyze` runs no code of the analyzed crate and opens no network connection: a crate whose
/// `build.rs` and proc-macro would write a marker file (and connect out) if they ever ran is analyzed
/// under `strace -f`; no marker appears, the only programs started are cargo's `metadata` (and the
/// `rustc -vV` it may ask), none compiles anything, and no `connect`/`socket` call uses an IP family.
#[test]
fn analyze_runs_no_code_of_the_crate_and_opens_no_connection() {
    let _g = shared();
    if std::process::Command::new("strace")
        .arg("-V")
        .output()
        .is_err()
    {
        eprintln!("strace is not installed: test skipped (.ci/run installs it)");
        return;
    }
    let t = TempCrate::new("nocode", "sneaky_macro::marker!();");
    let dir = t.dir.display().to_string();
    t.write(
        "Cargo.toml",
        "[package]\nname = \"hostile\"\nversion = \"0.1.0\"\nedition = \"2021\"\nbuild = \"build.rs\"\n\n\
         [dependencies]\nsneaky-macro = { path = \"macro\" }\n\n[workspace]\n",
    );
    t.write(
        "build.rs",
        &format!(
            "fn main() {{ std::fs::write(\"{dir}/BUILD_RAN\", \"\").unwrap(); \
             let _ = std::net::TcpStream::connect(\"192.0.2.1:80\"); }}\n"
        ),
    );
    t.write(
        "macro/Cargo.toml",
        "[package]\nname = \"sneaky-macro\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[lib]\nproc-macro = true\n",
    );
    t.write(
        "macro/src/lib.rs",
        &format!(
            "extern crate proc_macro;\nuse proc_macro::TokenStream;\n\
             #[proc_macro]\npub fn marker(_: TokenStream) -> TokenStream {{\n\
             std::fs::write(\"{dir}/MACRO_RAN\", \"\").unwrap();\n\
             let _ = std::net::TcpStream::connect(\"192.0.2.1:80\");\nTokenStream::new()\n}}\n"
        ),
    );
    let log = t.dir.join("strace.log");
    let mut cmd = std::process::Command::new("strace");
    cmd.args([
        "-f",
        "-qq",
        "-s",
        "256",
        "-e",
        "trace=execve,connect,socket",
        "-o",
    ])
    .arg(&log)
    .arg(env!("CARGO_BIN_EXE_cargo-concur"))
    .args(["concur", "analyze", "--format", "json", "--manifest-path"])
    .arg(t.manifest())
    .env("NO_COLOR", "1");
    let out = output_within(cmd, 300);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc = json(&out);
    assert!(still_analyzed(&doc), "the crate was analyzed");
    assert!(!t.dir.join("BUILD_RAN").exists(), "build.rs ran");
    assert!(!t.dir.join("MACRO_RAN").exists(), "the proc-macro ran");
    let trace = std::fs::read_to_string(&log).expect("strace log");
    let mut programs = std::collections::BTreeSet::new();
    for line in trace.lines() {
        if let Some(rest) = line.split_once("execve(\"").map(|x| x.1) {
            if line.contains("= -1") {
                continue; // a PATH lookup that missed
            }
            let program = rest.split('"').next().unwrap_or_default();
            let name = program.rsplit('/').next().unwrap_or_default().to_string();
            assert!(
                !line.contains("--crate-name"),
                "something was compiled: {line}"
            );
            assert!(
                !program.starts_with(&dir),
                "a program of the crate ran: {line}"
            );
            programs.insert(name);
        }
        if line.contains("connect(") || line.contains("socket(") {
            assert!(
                !line.contains("AF_INET") && !line.contains("AF_INET6"),
                "a network socket: {line}"
            );
        }
    }
    for p in &programs {
        assert!(
            ["cargo-concur", "cargo", "rustc", "rustup"].contains(&p.as_str()),
            "unexpected program {p}: {programs:?}"
        );
    }
    assert!(
        programs.contains("cargo"),
        "cargo metadata ran: {programs:?}"
    );
}
