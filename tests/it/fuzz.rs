//! A stable fuzz harness for `analyze`: a seeded generator of syn-valid Rust (items, statements,
//! expressions, types, patterns, macro calls, the APIs the rules know, and now and then nesting thousands
//! of levels deep), plus mutations of it into arbitrary text and bytes (unbalanced delimiters, stray
//! quotes, NUL, BOM, invalid UTF-8). Every case goes through the real pipeline, in process: files on
//! disk → read → parse → facts → call graph → findings → every analysis renderer (human, JSON, SARIF,
//! Markdown) and the report renderers (human, JSON, Markdown, HTML) over an empty profile. A case fails
//! on a panic, on a hang (30 s), on output that is not JSON where JSON is due; the run fails if peak
//! memory passes 2 GB. Interesting inputs are kept in `tests/fuzz-regressions/` and run every time.
//!
//! `cargo test` runs 200 cases; a long run: `CONCUR_FUZZ_CASES=20000 CONCUR_FUZZ_SEED=7 cargo test
//! --test it fuzz_ -- --nocapture` (prints cases, time, syn-valid share, findings, peak memory);
//! `CONCUR_FUZZ_SECS=600` stops it after 10 minutes, counting the cases that ran.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use cargo_concur::discover::{PackageSelection, Scope, Workspace};

use crate::shared;

/// xorshift64*: small, seeded, reproducible.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
}

const FNS: &[&str] = &["f0", "f1", "f2", "f3", "helper", "run", "setup", "work"];
const TYPES: &[&str] = &["S0", "S1", "Pool", "State"];
const FIELDS: &[&str] = &["a", "b", "lock", "count", "inner"];
const STATICS: &[&str] = &["GLOBAL", "COUNTER", "TABLE", "LOCK"];
const LOCALS: &[&str] = &["x", "y", "guard", "v", "data", "tx", "rx"];

/// Generates Rust source that syn parses (up to the rare construct it rejects), with names drawn from
/// small pools so that calls link across functions and files.
pub struct Gen {
    rng: Rng,
    depth: usize,
}

impl Gen {
    pub fn new(seed: u64) -> Gen {
        Gen {
            rng: Rng::new(seed),
            depth: 0,
        }
    }

    fn deeper<T>(&mut self, f: impl FnOnce(&mut Gen) -> T) -> T {
        self.depth += 1;
        let r = f(self);
        self.depth -= 1;
        r
    }

    fn shallow(&self) -> bool {
        self.depth > 6
    }

    pub fn file(&mut self, mods: &[&str]) -> String {
        let mut out = String::new();
        if self.rng.chance(20) {
            out.push_str("#![allow(dead_code)]\n//! docs\n");
        }
        for m in mods {
            out.push_str(&format!("pub mod {m};\n"));
        }
        for _ in 0..1 + self.rng.below(8) {
            out.push_str(&self.item());
            out.push('\n');
        }
        out
    }

    fn item(&mut self) -> String {
        let vis = if self.rng.chance(60) { "pub " } else { "" };
        match self.rng.below(if self.shallow() { 3 } else { 14 }) {
            0..=2 => self.function(vis),
            3 => format!(
                "{vis}struct {} {{ {}: {}, {}: {} }}",
                self.rng.pick(TYPES),
                self.rng.pick(FIELDS),
                self.ty(),
                "z",
                self.ty()
            ),
            4 => format!(
                "{vis}static {}: {} = {};",
                self.rng.pick(STATICS),
                self.rng.pick(&[
                    "std::sync::Mutex<u64>",
                    "std::sync::atomic::AtomicUsize",
                    "u64",
                    "std::sync::RwLock<Vec<u8>>"
                ]),
                self.rng.pick(&[
                    "std::sync::Mutex::new(0)",
                    "std::sync::atomic::AtomicUsize::new(0)",
                    "7",
                    "std::sync::RwLock::new(Vec::new())"
                ])
            ),
            5 => format!("static mut {}: u64 = 0;", self.rng.pick(STATICS)),
            6 => {
                let items: String = (0..self.rng.below(4)).map(|_| self.deeper(|g| g.item())).collect();
                format!("{vis}mod m{} {{ use super::*; {items} }}", self.rng.below(3))
            }
            7 => {
                let t = self.rng.pick(TYPES);
                let fns: String = (0..1 + self.rng.below(3)).map(|_| self.method()).collect();
                format!("impl {t} {{ {fns} }}")
            }
            8 => format!(
                "use {};",
                self.rng.pick(&[
                    "std::sync::{Arc, Mutex}",
                    "std::cell::RefCell",
                    "std::rc::Rc",
                    "super::*",
                    "crate::*",
                    "std::collections::HashMap as Map",
                    "std::thread"
                ])
            ),
            9 => {
                let inner = self.deeper(|g| g.item());
                format!("cfg_if::cfg_if! {{ if #[cfg(unix)] {{ {inner} }} else {{ {inner} }} }}")
            }
            10 => format!(
                "thread_local! {{ static {}: std::cell::RefCell<u64> = std::cell::RefCell::new(0); }}",
                self.rng.pick(STATICS)
            ),
            11 => format!(
                "{vis}trait T{} {{ fn {}(&self) -> u8 {{ {} }} }}",
                self.rng.below(3),
                self.rng.pick(FNS),
                self.expr()
            ),
            12 => format!("extern \"C\" {{ fn c_{}(x: i32) -> i32; }}", self.rng.pick(FNS)),
            _ => format!(
                "{vis}enum E{} {{ A, B({}), C {{ x: {} }} }}",
                self.rng.below(3),
                self.ty(),
                self.ty()
            ),
        }
    }

    fn function(&mut self, vis: &str) -> String {
        let asyncness = if self.rng.chance(15) { "async " } else { "" };
        let params = (0..self.rng.below(3))
            .map(|i| format!("p{i}: {}", self.ty()))
            .collect::<Vec<_>>()
            .join(", ");
        let ret = if self.rng.chance(40) {
            format!(" -> {}", self.ty())
        } else {
            String::new()
        };
        let body = self.deeper(|g| g.block());
        format!(
            "{vis}{asyncness}fn {}({params}){ret} {body}",
            self.rng.pick(FNS)
        )
    }

    fn method(&mut self) -> String {
        let recv = self.rng.pick(&["&self", "&mut self", "self", ""]);
        let body = self.deeper(|g| g.block());
        format!("pub fn {}({recv}) {body}", self.rng.pick(FNS))
    }

    fn block(&mut self) -> String {
        let n = if self.shallow() {
            1
        } else {
            1 + self.rng.below(5)
        };
        let stmts: Vec<String> = (0..n).map(|_| self.stmt()).collect();
        format!("{{ {} }}", stmts.join(" "))
    }

    fn stmt(&mut self) -> String {
        match self.rng.below(if self.shallow() { 2 } else { 8 }) {
            0 => format!("let {} = {};", self.pat(), self.expr()),
            1 => format!("{};", self.expr()),
            2 => format!(
                "let {}: {} = {};",
                self.rng.pick(LOCALS),
                self.ty(),
                self.expr()
            ),
            3 => format!("let mut {} = {};", self.rng.pick(LOCALS), self.expr()),
            4 => self.deeper(|g| g.function("")),
            5 => self.deeper(|g| format!("if {} {} else {}", g.expr(), g.block(), g.block())),
            6 => {
                self.deeper(|g| format!("for {} in {} {}", g.rng.pick(LOCALS), g.expr(), g.block()))
            }
            _ => format!(
                "{}!({});",
                self.rng
                    .pick(&["println", "eprintln", "assert", "dbg", "mymac"]),
                self.expr()
            ),
        }
    }

    fn expr(&mut self) -> String {
        if self.shallow() || self.rng.chance(25) {
            return self.atom();
        }
        self.deeper(|g| match g.rng.below(26) {
            0 => format!("{}({})", g.rng.pick(FNS), g.args()),
            1 => format!(
                "{}.{}({})",
                g.expr(),
                g.rng.pick(&[
                    "lock", "unwrap", "read", "write", "clone", "iter", "map", "send", "recv",
                    "join", "await_x"
                ]),
                g.args()
            ),
            2 => format!(
                "{} {} {}",
                g.expr(),
                g.rng.pick(&[
                    "+", "-", "*", "/", "%", "&&", "||", "==", "<", ">=", "&", "|", "^", "<<"
                ]),
                g.expr()
            ),
            3 => format!("{}{}", g.rng.pick(&["!", "-", "*", "&", "&mut "]), g.expr()),
            4 => format!("({})", g.expr()),
            5 => g.block(),
            6 => format!("if {} {} else {}", g.expr(), g.block(), g.block()),
            7 => format!(
                "match {} {{ {} => {}, _ => {} }}",
                g.expr(),
                g.pat(),
                g.expr(),
                g.expr()
            ),
            8 => format!("loop {{ {}; break; }}", g.expr()),
            9 => format!("while {} {}", g.expr(), g.block()),
            10 => format!(
                "{}|{}| {}",
                g.rng.pick(&["", "move "]),
                g.rng.pick(LOCALS),
                g.expr()
            ),
            11 => format!("async move {{ {}.await }}", g.expr()),
            12 => format!("{}[{}]", g.expr(), g.expr()),
            13 => format!("{}.{}", g.expr(), g.rng.pick(FIELDS)),
            14 => format!("({}, {})", g.expr(), g.expr()),
            15 => format!("[{}; 4]", g.expr()),
            16 => format!(
                "{} {{ {}: {}, ..Default::default() }}",
                g.rng.pick(TYPES),
                g.rng.pick(FIELDS),
                g.expr()
            ),
            17 => format!("{}..{}", g.atom(), g.atom()),
            18 => format!("{} as {}", g.expr(), g.rng.pick(&["u8", "usize", "f64"])),
            19 => format!(
                "{}!({})",
                g.rng
                    .pick(&["vec", "format", "write", "writeln", "matches", "mymac", "addr_of"]),
                g.args()
            ),
            20 => format!("{}?", g.expr()),
            21 => format!("unsafe {{ {} }}", g.expr()),
            22 => format!("std::thread::spawn(move || {{ {} }})", g.expr()),
            23 => format!("std::sync::Arc::new(std::sync::Mutex::new({}))", g.expr()),
            24 => format!("tokio::spawn(async move {{ {} }})", g.expr()),
            _ => g.api(),
        })
    }

    fn api(&mut self) -> String {
        self.rng
            .pick(&[
                "std::env::set_var(\"K\", \"v\")",
                "std::env::set_current_dir(\"/\")",
                "std::fs::read_to_string(\"f\")",
                "std::thread::sleep(std::time::Duration::from_millis(1))",
                "std::process::exit(0)",
                "std::process::Command::new(\"ls\").spawn()",
                "std::rc::Rc::new(std::cell::RefCell::new(0))",
                "GLOBAL.lock().unwrap()",
                "COUNTER.fetch_add(1, std::sync::atomic::Ordering::SeqCst)",
                "std::sync::mpsc::channel::<u8>()",
                "rayon::join(|| 1, || 2)",
                "self.lock.lock().unwrap()",
                "std::io::stdin().read_line(&mut s)",
                "libc::getpid()",
                "c_f0(1)",
            ])
            .to_string()
    }

    fn atom(&mut self) -> String {
        match self.rng.below(7) {
            0 => self.rng.below(1000).to_string(),
            1 => format!("\"s{}\"", self.rng.below(10)),
            2 => self.rng.pick(LOCALS).to_string(),
            3 => self.rng.pick(STATICS).to_string(),
            4 => format!("{}::{}", self.rng.pick(TYPES), self.rng.pick(FNS)),
            5 => "self".to_string(),
            _ => "true".to_string(),
        }
    }

    fn args(&mut self) -> String {
        (0..self.rng.below(3))
            .map(|_| self.expr())
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn ty(&mut self) -> String {
        if self.shallow() || self.rng.chance(40) {
            return self
                .rng
                .pick(&["u8", "usize", "String", "S0", "Self", "()", "bool"])
                .to_string();
        }
        self.deeper(|g| match g.rng.below(10) {
            0 => format!("Vec<{}>", g.ty()),
            1 => format!("&{}", g.ty()),
            2 => format!("&'a mut {}", g.ty()),
            3 => format!("({}, {})", g.ty(), g.ty()),
            4 => format!("[{}; 3]", g.ty()),
            5 => format!("std::sync::Arc<std::sync::Mutex<{}>>", g.ty()),
            6 => format!("fn({}) -> {}", g.ty(), g.ty()),
            7 => format!("Box<dyn Fn({}) + Send>", g.ty()),
            8 => format!("Option<{}>", g.ty()),
            _ => format!("std::collections::HashMap<{}, {}>", g.ty(), g.ty()),
        })
    }

    fn pat(&mut self) -> String {
        if self.shallow() || self.rng.chance(50) {
            return self.rng.pick(LOCALS).to_string();
        }
        self.deeper(|g| match g.rng.below(7) {
            0 => "_".to_string(),
            1 => format!("({}, {})", g.pat(), g.pat()),
            2 => format!("&{}", g.pat()),
            3 => format!("Some({})", g.pat()),
            4 => format!("{} {{ {}, .. }}", g.rng.pick(TYPES), g.rng.pick(FIELDS)),
            5 => format!("{} | {}", g.rng.below(9), g.rng.below(9)),
            _ => format!("ref mut {}", g.rng.pick(LOCALS)),
        })
    }

    /// One construct nested `n` levels deep, as a function.
    pub fn deep(&mut self, n: usize) -> String {
        let r = |s: &str| s.repeat(n);
        match self.rng.below(8) {
            0 => format!("pub fn deep() {{ let _ = {}x{}; }}", r("("), r(")")),
            1 => format!("pub fn deep() {{ {}{} }}", r("{ "), r("} ")),
            2 => format!("pub fn deep() {{ let _ = {}x; }}", r("!")),
            3 => format!("pub type Deep = {}u8{};", r("Vec<"), r(">")),
            4 => format!("pub fn deep() {{ let _ = x{}; }}", r(".f()")),
            5 => format!("pub fn deep() {{ let _ = {}x; }}", r("|a| ")),
            6 => format!("{}{}", r("mod d { "), r("} ")),
            _ => format!("pub fn deep() {{ unsafe {{ m!({}x{}) }} }}", r("["), r("]")),
        }
    }
}

/// Arbitrary text from generated source: `k` random edits (cut, duplicate, insert a hostile token or
/// byte, swap halves). May not be UTF-8.
pub fn mutate(rng: &mut Rng, text: &str) -> Vec<u8> {
    let mut b = text.as_bytes().to_vec();
    const TOKENS: &[&str] = &[
        "{",
        "}",
        "(",
        ")",
        "[",
        "]",
        "<",
        ">",
        "'",
        "\"",
        "#",
        "!",
        "r#\"",
        "/*",
        "*/",
        "\0",
        "\u{feff}",
        "é",
        "::",
        "=>",
        "|",
        "..",
        "macro_rules! m { () => {} }",
        "\\",
        "b'",
        "'a",
        "#![",
        "`",
    ];
    for _ in 0..1 + rng.below(6) {
        let len = b.len().max(1);
        let at = rng.below(len).min(b.len());
        match rng.below(6) {
            0 => {
                let end = (at + rng.below(64)).min(b.len());
                b.drain(at..end);
            }
            1 => {
                let end = (at + rng.below(64)).min(b.len());
                let piece = b[at..end].to_vec();
                b.splice(at..at, piece);
            }
            2 => {
                let t = TOKENS[rng.below(TOKENS.len())].as_bytes().to_vec();
                b.splice(at..at, t);
            }
            3 => b.insert(at, (rng.next() & 0xff) as u8),
            4 => {
                let (x, y) = b.split_at(at);
                b = [y, x].concat();
            }
            _ => {
                if at < b.len() {
                    b[at] = TOKENS[rng.below(TOKENS.len())].as_bytes()[0];
                }
            }
        }
    }
    b
}

/// One fuzz case: the package's three files.
pub struct Case {
    pub lib: Vec<u8>,
    pub a: Vec<u8>,
    pub b: Vec<u8>,
    /// Generated without mutation: meant to be syn-valid.
    pub generated: bool,
}

pub fn case(seed: u64) -> Case {
    let mut g = Gen::new(seed);
    let lib = g.file(&["a", "b"]);
    let mut a = g.file(&[]);
    if g.rng.chance(5) {
        let n = [50, 500, 3000, 9000, 20000][g.rng.below(5)];
        a.push_str(&g.deep(n));
    }
    let b = g.file(&[]);
    if g.rng.chance(50) {
        return Case {
            lib: lib.into_bytes(),
            a: a.into_bytes(),
            b: b.into_bytes(),
            generated: true,
        };
    }
    let mut rng = Rng::new(seed ^ 0xdead_beef);
    let which = rng.below(3);
    let m = |t: &str, rng: &mut Rng, me: usize| {
        if me == which {
            mutate(rng, t)
        } else {
            t.as_bytes().to_vec()
        }
    };
    Case {
        lib: m(&lib, &mut rng, 0),
        a: m(&a, &mut rng, 1),
        b: m(&b, &mut rng, 2),
        generated: false,
    }
}

/// What one case gave.
pub struct Ran {
    pub findings: usize,
    pub parse_errors: usize,
}

/// The package the cases are written into (one directory, rewritten per case), loaded once with
/// `cargo metadata` as the binary does.
fn workspace(dir: &Path) -> Workspace {
    std::fs::create_dir_all(dir.join("src")).expect("case dir");
    std::fs::write(
        dir.join("Cargo.toml"),
        "[package]\nname = \"fuzzed\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n",
    )
    .expect("manifest");
    std::fs::write(dir.join("src/lib.rs"), "").expect("lib");
    let selection = PackageSelection {
        manifest_path: Some(dir.join("Cargo.toml")),
        ..PackageSelection::default()
    };
    cargo_concur::discover::load(&selection, &Scope::everything())
        .expect("cargo metadata of the fuzz package")
}

/// Writes the case, runs the whole pipeline and every renderer; `Err` describes what went wrong.
pub fn run_case(ws: &Workspace, c: &Case) -> Result<Ran, String> {
    use cargo_concur::render::{self, AnalyzeFormat, MessageFormat, NoteDetail, ReportFormat};
    for (name, bytes) in [("lib.rs", &c.lib), ("a.rs", &c.a), ("b.rs", &c.b)] {
        std::fs::write(ws.root.join("src").join(name), bytes).map_err(|e| e.to_string())?;
    }
    let doc = cargo_concur::analyze::analyze_workspace(ws);
    let opts = render::AnalysisOptions {
        notes: NoteDetail::All,
        ..Default::default()
    };
    let view = render::AnalysisView::new(&doc, &opts);
    for (format, message_format) in [
        (AnalyzeFormat::Human, MessageFormat::Human),
        (AnalyzeFormat::Json, MessageFormat::Human),
        (AnalyzeFormat::Sarif, MessageFormat::Human),
        (AnalyzeFormat::Markdown, MessageFormat::Human),
        (AnalyzeFormat::Github, MessageFormat::Human),
        (AnalyzeFormat::Human, MessageFormat::Json),
    ] {
        let mut out = Vec::new();
        render::write_analysis(&view, format, message_format, &mut out)
            .map_err(|e| format!("{format:?}: {e}"))?;
        if matches!(format, AnalyzeFormat::Json | AnalyzeFormat::Sarif) {
            serde_json::from_slice::<serde_json::Value>(&out)
                .map_err(|e| format!("{format:?} output is not JSON: {e}"))?;
        }
    }
    let profile: cargo_concur::profile::doc::ProfileDoc =
        serde_json::from_value(serde_json::json!({
            "schema_version": 1,
            "environment": {"cores": 2, "counters": "rusage", "os": "linux", "kernel": "6"},
            "workloads": []
        }))
        .map_err(|e| format!("empty profile: {e}"))?;
    let report = cargo_concur::report::recommend(&doc, &profile);
    for format in [
        ReportFormat::Human,
        ReportFormat::Json,
        ReportFormat::Markdown,
        ReportFormat::Html,
    ] {
        let mut out = Vec::new();
        render::write_report(&report, &profile, format, &mut out)
            .map_err(|e| format!("report {format:?}: {e}"))?;
    }
    Ok(Ran {
        findings: doc.findings.len(),
        parse_errors: doc.files.parse_errors.len(),
    })
}

/// How the text lexer fared on a case's files against proc-macro2 (`cargo_concur::lex`).
#[derive(Debug, Default)]
struct Lexed {
    same: usize,
    gave_up: usize,
    /// The first difference (a bug: the fuzz run fails).
    differs: Option<String>,
}

fn lex_against_proc_macro2(c: &Case) -> Lexed {
    use cargo_concur::lex::{compare_with_proc_macro2, Comparison};
    let mut out = Lexed::default();
    for (name, bytes) in [("lib.rs", &c.lib), ("a.rs", &c.a), ("b.rs", &c.b)] {
        let Ok(text) = std::str::from_utf8(bytes) else {
            continue;
        };
        match compare_with_proc_macro2(text) {
            Comparison::Same => out.same += 1,
            Comparison::GaveUp => out.gave_up += 1,
            Comparison::BothReject => {}
            Comparison::Differs(why) => {
                out.differs.get_or_insert(format!("{name}: {why}"));
            }
        }
    }
    out
}

fn peak_rss_mb() -> f64 {
    // SAFETY: getrusage fills a zeroed struct.
    let ru = unsafe {
        let mut ru: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut ru);
        ru
    };
    ru.ru_maxrss as f64 / 1024.0
}

/// Runs `cases` cases from `seed` on a worker thread, each within 30 s, stopping early once `limit` has
/// passed (the summary counts the cases that ran); panics name the seed.
pub fn fuzz(seed: u64, cases: u64, limit: Option<Duration>, dir: PathBuf) -> String {
    let (tx, rx) = std::sync::mpsc::channel::<(
        u64,
        std::thread::Result<Result<Ran, String>>,
        bool,
        bool,
        Lexed,
    )>();
    let (go_tx, go_rx) = std::sync::mpsc::channel::<u64>();
    let ws = workspace(&dir);
    // A thread with the parsing stack: the syn-valid check below parses deep cases on it.
    let stack = cargo_concur::depth::BIG_STACK;
    let spawned = std::thread::Builder::new()
        .stack_size(stack)
        .spawn(move || {
            cargo_concur::depth::set_thread_stack(stack);
            while let Ok(s) = go_rx.recv() {
                let c = case(s);
                let valid = c.generated
                    && std::str::from_utf8(&c.a)
                        .ok()
                        .is_some_and(|t| cargo_concur::parse_source(t).is_ok());
                // This thread's source map holds what `parse_source` tokenized: emptied, as the
                // analysis empties its pool's, so memory stays bounded over any number of cases.
                proc_macro2::extra::invalidate_current_thread_spans();
                let generated = c.generated;
                let lexed = lex_against_proc_macro2(&c);
                proc_macro2::extra::invalidate_current_thread_spans();
                let r = std::panic::catch_unwind(|| run_case(&ws, &c));
                if tx.send((s, r, generated, valid, lexed)).is_err() {
                    return;
                }
            }
        });
    spawned.expect("fuzz worker thread");
    let start = Instant::now();
    let (mut findings, mut errors, mut generated, mut valid) = (0usize, 0usize, 0usize, 0usize);
    let mut lexed = Lexed::default();
    let mut ran = 0u64;
    for s in seed..seed + cases {
        if limit.is_some_and(|l| start.elapsed() >= l) {
            break;
        }
        ran += 1;
        go_tx.send(s).expect("worker alive");
        match rx.recv_timeout(Duration::from_secs(30)) {
            Ok((
                s,
                _,
                _,
                _,
                Lexed {
                    differs: Some(why), ..
                },
            )) => panic!(
                "fuzz case {s}: the text lexer differs from proc-macro2: {why} (rerun: \
                 CONCUR_FUZZ_SEED={s} CONCUR_FUZZ_CASES=1)"
            ),
            Ok((_, Ok(Ok(ran)), g, v, l)) => {
                lexed.same += l.same;
                lexed.gave_up += l.gave_up;
                findings += ran.findings;
                errors += ran.parse_errors;
                generated += usize::from(g);
                valid += usize::from(v);
            }
            Ok((s, Ok(Err(e)), _, _, _)) => panic!("fuzz case {s}: {e}"),
            Ok((s, Err(_), _, _, _)) => {
                panic!("fuzz case {s} panicked (rerun: CONCUR_FUZZ_SEED={s} CONCUR_FUZZ_CASES=1)")
            }
            Err(_) => {
                // Keep the input for a regression test.
                let keep = dir.with_extension(format!("hang-{s}"));
                let c = case(s);
                let _ = std::fs::create_dir_all(&keep);
                for (name, bytes) in [("lib.rs", &c.lib), ("a.rs", &c.a), ("b.rs", &c.b)] {
                    let _ = std::fs::write(keep.join(name), bytes);
                }
                panic!(
                    "fuzz case {s} hung (over 30 s); its files are in {}",
                    keep.display()
                )
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    let peak = peak_rss_mb();
    assert!(peak < 2048.0, "peak memory {peak:.0} MB");
    format!(
        "{ran} cases from seed {seed} in {:.1} s: {generated} generated ({valid} of their deep-or-not files syn-valid), \
         {} mutated; {findings} findings, {errors} parse errors; text lexer: {} files as proc-macro2 has them, \
         {} given up on; peak RSS {peak:.0} MB",
        start.elapsed().as_secs_f64(),
        ran as usize - generated,
        lexed.same,
        lexed.gave_up,
    )
}

#[test]
fn fuzz_analyze_and_every_renderer() {
    let _g = shared();
    let seed = std::env::var("CONCUR_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let cases = std::env::var("CONCUR_FUZZ_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200);
    // `CONCUR_FUZZ_SECS`: stop after this long even if cases are left (a long run of bounded length).
    let limit = std::env::var("CONCUR_FUZZ_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .map(Duration::from_secs);
    let dir =
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("fuzz-{}", std::process::id()));
    let summary = fuzz(seed, cases, limit, dir);
    eprintln!("{summary}");
}

/// The inputs the fuzzer found interesting, each as `lib.rs` of a package: analyzed without a panic.
#[test]
fn fuzz_regressions() {
    let _g = shared();
    let dir = crate::root().join("tests/fuzz-regressions");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    assert!(
        !files.is_empty(),
        "no regression inputs in {}",
        dir.display()
    );
    let work =
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("fuzz-reg-{}", std::process::id()));
    let ws = workspace(&work);
    for f in &files {
        let bytes = std::fs::read(f).expect("read");
        let c = Case {
            lib: bytes,
            a: Vec::new(),
            b: Vec::new(),
            generated: false,
        };
        run_case(&ws, &c).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
    }
    let _ = std::fs::remove_dir_all(&work);
}
