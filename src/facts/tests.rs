//! Detector tests on in-memory sources with `// expect:` markers (see `callgraph::check`).

use crate::callgraph::check::{check, check_in, run};
use crate::parse::Edition;
use crate::vocab::{FindingKind, FnClass};

#[test]
fn static_mut_item_and_accesses() {
    check(
        r#"
static mut COUNTER: u64 = 0; // expect: static-mut
pub fn bump() -> u64 {
    unsafe {
        COUNTER += 1; // expect: static-mut
        COUNTER // expect: static-mut
    }
}
pub const LIMIT: u64 = 3;
pub fn limit() -> u64 { LIMIT }
mod inner {
    pub fn reset() {
        unsafe { crate::COUNTER = 0; } // expect: static-mut
    }
}
"#,
    );
}

#[test]
fn global_state_statics_thread_local_lazy() {
    check(
        r#"
use std::cell::RefCell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock, RwLock};
static HITS: AtomicUsize = AtomicUsize::new(0); // expect: global-state
static NAMES: Mutex<Vec<String>> = Mutex::new(Vec::new()); // expect: global-state
static CONFIG: OnceLock<RwLock<String>> = OnceLock::new(); // expect: global-state
static PLAIN: OnceLock<String> = OnceLock::new();
static GREETING: &str = "hi";
thread_local! {
    static SCRATCH: RefCell<Vec<u8>> = RefCell::new(Vec::new()); // expect: global-state
    static DEPTH: u32 = 0;
}
lazy_static::lazy_static! {
    static ref TABLE: Mutex<Vec<u32>> = Mutex::new(vec![]); // expect: global-state
}
pub fn hit() -> usize { HITS.fetch_add(1, Ordering::Relaxed) }
"#,
    );
}

#[test]
fn shared_lock_in_types_fields_constructions() {
    check(
        r#"
use std::sync::{Arc, Mutex, RwLock};
pub struct Shared {
    pub state: Arc<Mutex<Vec<u32>>>, // expect: shared-lock
    pub names: Arc<parking_lot::RwLock<Vec<String>>>, // expect: shared-lock
    pub plain: Mutex<u32>,
    pub count: Arc<u32>,
}
pub fn make() -> Arc<RwLock<u8>> { // expect: shared-lock
    let m = Arc::new(Mutex::new(0u32)); // expect: shared-lock
    let t: Arc<tokio::sync::Mutex<u8>> = Arc::new(tokio::sync::Mutex::new(1)); // expect: shared-lock
    let _ = (m, t);
    Arc::new(RwLock::new(0)) // expect: shared-lock
}
pub fn not_shared() -> Arc<String> { Arc::new(String::new()) }
"#,
    );
}

#[test]
fn unimported_mutex_is_unknown() {
    check(
        r#"
pub fn make() {
    let m = Arc::new(Mutex::new(0u32));
    let _ = m;
}
"#,
    );
}

#[test]
fn atomic_in_fields_and_arcs_not_statics() {
    check(
        r#"
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
static STOP: AtomicBool = AtomicBool::new(false); // expect: global-state
pub struct Stats {
    pub hits: AtomicU64, // expect: atomic
    pub total: u64,
}
pub fn counter() -> Arc<AtomicU64> { // expect: atomic
    let c = Arc::new(AtomicU64::new(0)); // expect: atomic
    c.fetch_add(1, Ordering::Relaxed);
    c
}
pub fn local_only() -> u64 {
    let c = AtomicU64::new(0);
    c.load(Ordering::Relaxed)
}
"#,
    );
}

#[test]
fn single_thread_state_values() {
    check(
        r#"
use std::cell::{Cell, RefCell};
use std::rc::Rc;
pub struct Node {
    pub children: Vec<Rc<RefCell<Node>>>, // expect: single-thread-state
    pub visits: Cell<u32>, // expect: single-thread-state
    pub name: String,
}
pub fn tree() -> Rc<RefCell<Node>> { // expect: single-thread-state
    let n = Node { children: Vec::new(), visits: Cell::new(0), name: String::new() }; // expect: single-thread-state
    Rc::new(RefCell::new(n)) // expect: single-thread-state
}
pub fn count(c: &Cell<u32>) -> u32 { c.get() } // expect: single-thread-state
pub fn arc() -> std::sync::Arc<u8> { std::sync::Arc::new(1) }
"#,
    );
}

#[test]
fn process_global_calls_and_allocator() {
    check(
        r#"
use std::env;
use std::env as e;
#[global_allocator]
static ALLOC: std::alloc::System = std::alloc::System; // expect: process-global
pub fn setup() {
    env::set_var("RUST_LOG", "debug"); // expect: process-global
    e::remove_var("X"); // expect: process-global
    std::env::set_current_dir("/tmp").unwrap(); // expect: process-global
    std::panic::set_hook(Box::new(|_| {})); // expect: process-global
    env_logger::init(); // expect: process-global
    ctrlc::set_handler(|| {}).unwrap(); // expect: process-global
    let _ = env::var("HOME");
}
pub fn quit(code: i32) -> ! {
    std::process::exit(code) // expect: process-global
}
pub fn mask() {
    unsafe { libc::umask(0o22); } // expect: process-global, ffi
}
"#,
    );
}

#[test]
fn io_sites() {
    check(
        r#"
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::thread;
use std::time::Duration;
pub fn all(path: &str) -> io::Result<String> {
    let mut s = String::new();
    File::open(path)?.read_to_string(&mut s)?; // expect: io
    fs::write("out.txt", &s)?; // expect: io
    let mut f = File::create("x")?; // expect: io
    f.write_all(b"x")?; // expect: io
    let _c = TcpStream::connect("127.0.0.1:80")?; // expect: io
    println!("{}", s.len()); // expect: io
    io::stdout().flush()?; // expect: io
    let out = Command::new("ls").arg("-l").output()?; // expect: io
    let _ = out;
    thread::sleep(Duration::from_millis(5)); // expect: io
    let body = reqwest::blocking::get("http://x")?; // expect: io
    let _ = body;
    let text = format!("{}", s);
    Ok(text)
}
pub fn glob() {
    use std::fs::*;
    let _ = read("x"); // expect: io
}
"#,
    );
}

#[test]
fn spawn_and_channels() {
    check(
        r#"
use std::sync::mpsc;
use std::thread;
use rayon::prelude::*;
pub fn run(v: &[u64]) -> u64 {
    let (tx, rx) = mpsc::channel(); // expect: channel
    let h = thread::spawn(move || tx.send(1).unwrap()); // expect: spawn
    let got: u64 = rx.recv().unwrap();
    h.join().unwrap();
    let s: u64 = v.par_iter().map(|x| x * 2).sum(); // expect: spawn
    let (a, b) = rayon::join(|| 1, || 2); // expect: spawn
    let _child = std::process::Command::new("true").spawn(); // expect: spawn, io
    let (ctx, _crx) = crossbeam_channel::bounded::<u8>(4); // expect: channel
    drop(ctx);
    got + s + a + b
}
pub async fn tasks() {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<u8>(8); // expect: channel
    tokio::spawn(async move { tx.send(1).await.unwrap(); }); // expect: spawn
    let _ = rx.recv().await;
    let _ = tokio::task::spawn_blocking(|| 1).await; // expect: spawn
}
"#,
    );
}

#[test]
fn ffi_extern_block_and_libc() {
    check(
        r#"
extern "C" {
    fn abs(x: i32) -> i32;
}
mod sys {
    extern "C" { pub fn getpid() -> i32; }
}
pub fn call(x: i32) -> i32 {
    let a = unsafe { abs(x) }; // expect: ffi
    let p = unsafe { sys::getpid() }; // expect: ffi
    let q = unsafe { libc::getppid() }; // expect: ffi
    a + p + q
}
fn local(x: i32) -> i32 { x }
pub fn not_ffi(x: i32) -> i32 { local(x) }
"#,
    );
}

#[test]
fn compute_hotspot_threshold() {
    let out = check(
        r#"
pub fn matmul(a: &[Vec<f64>], b: &[Vec<f64>], c: &mut [Vec<f64>]) { // expect: compute-hotspot
    let n = a.len();
    for i in 0..n {
        for j in 0..n {
            let mut acc = 0.0;
            for k in 0..n {
                acc += a[i][k] * b[k][j];
            }
            c[i][j] = acc;
        }
    }
}
pub fn small(v: &[u32]) -> u32 {
    let mut s = 0;
    for x in v { s += x; }
    s
}
pub fn get(v: &[u32]) -> u32 { v[0] + 1 }
"#,
    );
    let class = |p: &str| out.functions.iter().find(|f| f.path == p).unwrap().class;
    assert_eq!(class("demo::matmul"), FnClass::ComputeBound);
    assert_eq!(class("demo::get"), FnClass::Trivial);
}

#[test]
fn lock_guard_liveness_let_drop_temp() {
    check(
        r#"
use std::fs;
use std::sync::Mutex;
pub struct Store { data: Mutex<Vec<u8>>, log: Mutex<String> }
impl Store {
    pub fn held(&self) {
        let g = self.data.lock().unwrap();
        fs::write("a", &*g).unwrap(); // expect: io, lock-across-blocking
    }
    pub fn dropped(&self) {
        let g = self.data.lock().unwrap();
        let copy = g.clone();
        drop(g);
        fs::write("a", &copy).unwrap(); // expect: io
    }
    pub fn mem_dropped(&self) {
        let g = self.data.lock().unwrap();
        std::mem::drop(g);
        fs::write("a", "x").unwrap(); // expect: io
    }
    pub fn temp_ended(&self) {
        self.data.lock().unwrap().push(1);
        fs::write("a", "x").unwrap(); // expect: io
    }
    pub fn temp_in_statement(&self) {
        fs::write("a", self.data.lock().unwrap().clone()).unwrap(); // expect: io, lock-across-blocking
    }
    pub fn scoped(&self) {
        {
            let _g = self.data.lock().unwrap();
        }
        fs::write("a", "x").unwrap(); // expect: io
    }
    pub fn wildcard(&self) {
        let _ = self.data.lock().unwrap();
        fs::write("a", "x").unwrap(); // expect: io
    }
    pub fn if_cond_temp(&self) {
        if self.data.lock().unwrap().is_empty() {
            fs::write("a", "x").unwrap(); // expect: io
        }
    }
}
"#,
    );
}

#[test]
fn match_and_if_let_scrutinee_by_edition() {
    let src = r#"
use std::fs;
use std::sync::Mutex;
pub struct Q { items: Mutex<Vec<u8>> }
impl Q {
    pub fn by_match(&self) {
        match self.items.lock().unwrap().pop() {
            Some(_) => {}
            None => { fs::write("a", "x").unwrap(); } // expect: io, lock-across-blocking
        }
    }
    pub fn by_if_let(&self) {
        if let Some(x) = self.items.lock().unwrap().pop() {
            let _ = x;
        } else {
            fs::write("a", "x").unwrap(); // expect: io, lock-across-blocking
        }
    }
}
"#;
    check(src);
    let src2024 = r#"
use std::fs;
use std::sync::Mutex;
pub struct Q { items: Mutex<Vec<u8>> }
impl Q {
    pub fn by_if_let(&self) {
        if let Some(x) = self.items.lock().unwrap().pop() {
            fs::write("b", [x]).unwrap(); // expect: io, lock-across-blocking
        } else {
            fs::write("a", "x").unwrap(); // expect: io
        }
    }
}
"#;
    check_in(src2024, "demo", Edition::E2024);
}

#[test]
fn double_lock_and_arc_clone_alias() {
    check(
        r#"
use std::sync::{Arc, Mutex};
pub fn twice(m: &Mutex<u32>) {
    let a = m.lock().unwrap();
    let b = m.lock().unwrap(); // expect: double-lock
    let _ = (a, b);
}
pub fn alias() {
    let m = Arc::new(Mutex::new(0)); // expect: shared-lock
    let m2 = Arc::clone(&m);
    let m3 = m.clone();
    let g = m.lock().unwrap();
    let h = m2.lock().unwrap(); // expect: double-lock
    drop(h);
    let _i = m3.lock().unwrap(); // expect: double-lock
    drop(g);
}
pub fn after_drop(m: &Mutex<u32>) {
    let a = m.lock().unwrap();
    drop(a);
    let _b = m.lock().unwrap();
}
pub fn try_is_fine(m: &Mutex<u32>) {
    let _a = m.lock().unwrap();
    let _b = m.try_lock();
}
"#,
    );
}

#[test]
fn lock_order_both_orders() {
    check(
        r#"
use std::sync::Mutex;
static A: Mutex<u32> = Mutex::new(0); // expect: global-state
static B: Mutex<u32> = Mutex::new(0); // expect: global-state
pub fn one() {
    let _a = A.lock().unwrap();
    let _b = B.lock().unwrap(); // expect: lock-order
}
pub fn two() {
    let _b = B.lock().unwrap();
    let _a = A.lock().unwrap(); // expect: lock-order
}
pub fn same_order() {
    let _a = A.lock().unwrap();
    let _b = B.lock().unwrap(); // expect: lock-order
}
"#,
    );
}

#[test]
fn lock_order_single_order_is_fine() {
    check(
        r#"
use std::sync::Mutex;
pub struct S { a: Mutex<u8>, b: Mutex<u8> }
impl S {
    pub fn one(&self) { let _a = self.a.lock().unwrap(); let _b = self.b.lock().unwrap(); }
    pub fn two(&self) { let _a = self.a.lock().unwrap(); let _b = self.b.lock().unwrap(); }
}
"#,
    );
}

#[test]
fn through_calls_chain() {
    let out = check(
        r#"
use std::sync::Mutex;
pub struct Log { lines: Mutex<Vec<String>> }
mod util {
    pub fn write_line(s: &str) { std::fs::write("log", s).unwrap(); } // expect: io
    pub fn deeper(s: &str) { write_line(s) }
}
impl Log {
    pub fn slow_log(&self, s: &str) {
        let g = self.lines.lock().unwrap();
        util::deeper(s); // expect: lock-across-blocking
        drop(g);
    }
    fn relock(&self) { let _g = self.lines.lock().unwrap(); }
    pub fn double(&self) {
        let _g = self.lines.lock().unwrap();
        self.relock(); // expect: double-lock
    }
}
"#,
    );
    let f = out
        .findings
        .iter()
        .find(|f| f.kind == FindingKind::LockAcrossBlocking)
        .unwrap();
    assert_eq!(
        f.chain,
        [
            "demo::Log::slow_log",
            "demo::util::deeper",
            "demo::util::write_line"
        ]
    );
    assert!(
        f.message.contains("Log.lines") && f.message.contains("std::sync::Mutex"),
        "{}",
        f.message
    );
    let d = out
        .findings
        .iter()
        .find(|f| f.kind == FindingKind::DoubleLock)
        .unwrap();
    assert_eq!(d.chain, ["demo::Log::double", "demo::Log::relock"]);
}

#[test]
fn recursion_terminates_and_propagates() {
    check(
        r#"
use std::sync::Mutex;
static M: Mutex<u32> = Mutex::new(0); // expect: global-state
pub fn ping(n: u32) { if n > 0 { pong(n - 1) } else { std::thread::sleep(std::time::Duration::ZERO) } } // expect: io
pub fn pong(n: u32) { ping(n) }
pub fn caller() {
    let _g = M.lock().unwrap();
    pong(3); // expect: lock-across-blocking
}
"#,
    );
}

#[test]
fn blocking_in_async_direct_exempt_and_through_calls() {
    check(
        r#"
use std::sync::Mutex;
fn load(p: &str) -> String { std::fs::read_to_string(p).unwrap() } // expect: io
pub async fn handler(m: &Mutex<u32>) {
    std::thread::sleep(std::time::Duration::from_millis(1)); // expect: io, blocking-in-async
    let _s = std::fs::read("x"); // expect: io, blocking-in-async
    let _t = load("y"); // expect: blocking-in-async
    *m.lock().unwrap() += 1;
    tokio::task::spawn_blocking(|| std::fs::read("z")).await.unwrap().unwrap(); // expect: io, spawn
    tokio::time::sleep(std::time::Duration::from_millis(1)).await;
}
pub fn sync_fn() {
    let _ = std::fs::read("x"); // expect: io
    let fut = async {
        let _ = std::fs::read("y"); // expect: io, blocking-in-async
    };
    drop(fut);
}
"#,
    );
}

#[test]
fn await_while_std_guard_but_not_tokio_guard() {
    check(
        r#"
use std::sync::Mutex;
pub struct S { m: Mutex<u32>, t: tokio::sync::Mutex<u32> }
impl S {
    pub async fn bad(&self) {
        let g = self.m.lock().unwrap();
        tick().await; // expect: lock-across-blocking
        drop(g);
    }
    pub async fn fine(&self) {
        let g = self.t.lock().await;
        tick().await;
        drop(g);
    }
}
async fn tick() {}
"#,
    );
}

#[test]
fn spawned_closure_does_not_hold_guard() {
    check(
        r#"
use std::sync::{Arc, Mutex};
pub fn run(m: Arc<Mutex<u32>>) { // expect: shared-lock
    let _g = m.lock().unwrap();
    std::thread::spawn(|| std::fs::read("x")); // expect: spawn, io
}
"#,
    );
}

#[test]
fn receivers_by_text_and_recv_join_block() {
    check(
        r#"
use std::sync::mpsc::Receiver;
pub fn wait(state: &Wrapper, rx: &Receiver<u8>) {
    let _g = state.inner.lock().unwrap();
    let _ = rx.recv(); // expect: lock-across-blocking
}
pub struct Wrapper { inner: std::sync::Mutex<u8> }
"#,
    );
}

#[test]
fn macros_are_looked_into_and_counted() {
    let src = r#"
use std::sync::Mutex;
cfg_if::cfg_if! {
    if #[cfg(unix)] {
        static M: Mutex<u8> = Mutex::new(0); // expect: global-state
    }
}
pub fn f() -> Vec<Vec<u8>> {
    let v = vec![std::fs::read("a").unwrap()]; // expect: io
    assert!(std::fs::metadata("b").is_ok()); // expect: io
    weird!(=> <= );
    v
}
"#;
    let out = check(src);
    assert_eq!(out.findings.len(), 3);
    let ast = crate::parse::parse_source(src).unwrap();
    let ctx = crate::facts::FileContext {
        package: "demo".into(),
        crate_name: "demo".into(),
        module_path: vec![],
        rel_path: "src/lib.rs".into(),
        edition: Edition::E2021,
    };
    assert_eq!(
        crate::facts::extract(&ctx, &ast, &crate::callgraph::check::apis()).macros_not_expanded,
        1
    );
}

#[test]
fn names_and_paths_of_functions() {
    let out = run(
        r#"
pub fn free() {}
pub struct T;
impl T { pub fn m(&self) { self.n() } fn n(&self) {} }
pub trait Tr { fn d(&self) { } }
mod a { pub mod b { pub fn deep() {} } }
"#,
        "demo",
        Edition::E2021,
    );
    let mut paths: Vec<&str> = out.functions.iter().map(|f| f.path.as_str()).collect();
    paths.sort();
    assert_eq!(
        paths,
        [
            "demo::T::m",
            "demo::T::n",
            "demo::Tr::d",
            "demo::a::b::deep",
            "demo::free"
        ]
    );
    let m = out
        .functions
        .iter()
        .find(|f| f.path == "demo::T::m")
        .unwrap();
    assert_eq!(m.line, 4);
}

#[test]
fn classes_and_reachable_findings() {
    let out = check(
        r#"
pub fn read_all() -> Vec<u8> { std::fs::read("x").unwrap() } // expect: io
pub fn checksum(d: &[u8]) -> u64 {
    let mut h = 0u64;
    for (i, b) in d.iter().enumerate() {
        h = h.wrapping_mul(31) ^ (*b as u64) + (i as u64 % 7);
    }
    h
}
pub fn both() -> u64 { checksum(&read_all()) }
pub fn nothing() -> u8 { 1 }
"#,
    );
    let f = |p: &str| out.functions.iter().find(|f| f.path == p).unwrap();
    assert_eq!(f("demo::read_all").class, FnClass::IoBound);
    assert_eq!(f("demo::checksum").class, FnClass::ComputeBound);
    assert_eq!(f("demo::both").class, FnClass::Mixed);
    assert_eq!(f("demo::nothing").class, FnClass::Trivial);
    assert_eq!(f("demo::both").reachable_findings.len(), 1);
    assert!(f("demo::nothing").reachable_findings.is_empty());
}

#[test]
fn read_guards_twice_and_moved_guards() {
    check(
        r#"
use std::sync::{Mutex, RwLock};
pub struct S { t: RwLock<u32>, m: Mutex<u32> }
fn consume(_g: std::sync::MutexGuard<'_, u32>) { std::fs::read("x").unwrap(); } // expect: io
impl S {
    pub fn two_readers(&self) {
        let a = self.t.read().unwrap();
        let b = self.t.read().unwrap();
        let _ = (a, b);
    }
    pub fn reader_then_writer(&self) {
        let a = self.t.read().unwrap();
        let b = self.t.write().unwrap(); // expect: double-lock
        let _ = (a, b);
    }
    pub fn moved(&self) {
        let g = self.m.lock().unwrap();
        consume(g);
        std::fs::read("y").unwrap(); // expect: io
    }
}
"#,
    );
}

#[test]
fn move_closures_in_async_are_offloaded() {
    check(
        r#"
async fn asyncify<F: FnOnce() -> u8>(f: F) -> u8 { f() }
pub async fn read() -> u8 {
    asyncify(move || { std::fs::read("x").unwrap(); 1 }).await // expect: io
}
pub async fn inline(v: Vec<u8>) -> usize {
    v.iter().map(|_| std::fs::read("x").unwrap().len()).sum() // expect: io, blocking-in-async
}
"#,
    );
}

#[test]
fn async_lock_futures_stored_closures_and_builders() {
    check(
        r#"
use std::sync::{Arc, Mutex};
use tokio::sync::RwLock;
async fn asyncify<F: FnOnce() -> u8>(f: F) -> u8 { f() }
pub async fn offloaded() -> u8 {
    asyncify(|| { std::fs::read("x").unwrap(); 1 }).await // expect: io
}
pub async fn future_only(lock: &RwLock<u8>) {
    let _w = lock.write().await;
    let fut = lock.read();
    drop(fut);
}
pub fn stored(ready: Arc<Mutex<bool>>) { // expect: shared-lock
    let _g = ready.lock().unwrap();
    let other = ready.clone();
    let later = move || { let _u = other.lock().unwrap(); };
    drop(later);
}
pub fn builder() -> std::fs::OpenOptions {
    let mut o = std::fs::OpenOptions::new();
    o.read(true);
    o
}
"#,
    );
}

#[test]
fn writeln_to_files_and_console_is_io() {
    check(
        r#"
use std::fmt::Write as _;
use std::io::Write;
pub fn report(path: &str) -> std::io::Result<String> {
    let mut f = std::fs::File::create(path)?; // expect: io
    writeln!(f, "header")?; // expect: io
    let mut out = std::io::stdout();
    writeln!(out, "done")?; // expect: io
    let mut s = String::new();
    let _ = writeln!(s, "in memory");
    Ok(s)
}
"#,
    );
}

#[test]
fn static_mut_through_addr_of_and_unsafe_fn() {
    check(
        r#"
static mut BUF: [u8; 4] = [0; 4]; // expect: static-mut
pub fn ptr() -> *const [u8; 4] {
    std::ptr::addr_of!(BUF) // expect: static-mut
}
pub unsafe fn reset() {
    BUF = [0; 4]; // expect: static-mut
}
pub const MAX: usize = 4;
pub fn safe() -> usize { MAX }
"#,
    );
}

#[test]
fn poison_tolerant_guards_are_guards() {
    check(
        r#"
use std::sync::{Mutex, PoisonError};
static M: Mutex<u32> = Mutex::new(0); // expect: global-state
pub fn a() {
    let g = match M.lock() { Ok(g) => g, Err(p) => p.into_inner() };
    std::fs::write("x", g.to_string()).unwrap(); // expect: io, lock-across-blocking
}
pub fn b() {
    let g = M.lock().unwrap_or_else(PoisonError::into_inner);
    std::thread::sleep(std::time::Duration::from_millis(*g as u64)); // expect: io, lock-across-blocking
}
"#,
    );
}

#[test]
fn lock_order_through_calls_has_chain() {
    let out = check(
        r#"
use std::sync::Mutex;
pub struct Bank { a: Mutex<i64>, b: Mutex<i64> }
impl Bank {
    fn lock_b(&self) -> i64 { *self.b.lock().unwrap() }
    pub fn ab(&self) -> i64 {
        let a = self.a.lock().unwrap();
        *a + self.lock_b() // expect: lock-order
    }
    pub fn ba(&self) {
        let _b = self.b.lock().unwrap();
        let _a = self.a.lock().unwrap(); // expect: lock-order
    }
}
"#,
    );
    let through = out
        .findings
        .iter()
        .find(|f| f.kind == FindingKind::LockOrder && f.line == 8)
        .unwrap();
    assert_eq!(through.chain, ["demo::Bank::ab", "demo::Bank::lock_b"]);
    assert!(
        through.message.contains("Bank.b") && through.message.contains("Bank.a"),
        "{}",
        through.message
    );
    assert!(
        through.message.contains("demo::Bank::ba"),
        "{}",
        through.message
    );
}

#[test]
fn statics_in_bodies_and_for_loop_scrutinee() {
    let out = check(
        r#"
use std::sync::Mutex;
use std::thread::JoinHandle;
pub fn wait_all() {
    static HANDLES: Mutex<Vec<JoinHandle<()>>> = Mutex::new(Vec::new()); // expect: global-state
    for h in std::mem::take(&mut *HANDLES.lock().unwrap()) {
        let _ = h.join(); // expect: lock-across-blocking
    }
}
"#,
    );
    let f = out
        .findings
        .iter()
        .find(|f| f.kind == FindingKind::LockAcrossBlocking)
        .unwrap();
    assert!(
        f.message.contains("`HANDLES` (std::sync::Mutex)"),
        "{}",
        f.message
    );
    let g = out
        .findings
        .iter()
        .find(|f| f.kind == FindingKind::GlobalState)
        .unwrap();
    assert_eq!(g.function.as_deref(), Some("demo::wait_all"));
}

#[test]
fn lock_order_across_threads_with_arc_clones() {
    check(
        r#"
use std::sync::{Arc, Mutex};
use std::thread;
pub fn deadlock() {
    let a = Arc::new(Mutex::new(0)); // expect: shared-lock
    let b = Arc::new(Mutex::new(0)); // expect: shared-lock
    let a2 = Arc::clone(&a);
    let b2 = Arc::clone(&b);
    let t = thread::spawn(move || { // expect: spawn
        let _x = a2.lock().unwrap();
        let _y = b2.lock().unwrap(); // expect: lock-order
    });
    let _y = b.lock().unwrap();
    let _x = a.lock().unwrap(); // expect: lock-order
    drop(_x);
    drop(_y);
    t.join().unwrap();
}
"#,
    );
}

#[test]
fn while_let_scrutinee_lives_through_body() {
    check(
        r#"
use std::sync::Mutex;
pub struct Q { jobs: Mutex<Vec<u32>> }
impl Q {
    pub fn drain_bad(&self) {
        while let Some(j) = self.jobs.lock().unwrap().pop() {
            std::fs::write("out", j.to_string()).unwrap(); // expect: io, lock-across-blocking
        }
    }
    pub fn drain_good(&self) {
        loop {
            let next = self.jobs.lock().unwrap().pop();
            let Some(j) = next else { break };
            std::fs::write("out", j.to_string()).unwrap(); // expect: io
        }
    }
}
"#,
    );
}

#[test]
fn self_calls_reach_trait_default_methods() {
    let out = check(
        r#"
pub trait Store {
    fn save(&self) { std::fs::write("db", "x").unwrap(); } // expect: io
}
pub struct Disk;
impl Store for Disk {}
impl Disk {
    pub fn flush(&self) { self.save() }
}
"#,
    );
    let flush = out
        .functions
        .iter()
        .find(|f| f.path == "demo::Disk::flush")
        .unwrap();
    assert_eq!(flush.class, FnClass::IoBound);
    assert_eq!(flush.reachable_findings.len(), 1);
}

#[test]
fn condvar_barrier_and_block_on_block() {
    check(
        r#"
use std::sync::{Barrier, Condvar, Mutex};
pub struct Gate { ready: Mutex<bool>, cv: Condvar, other: Mutex<u8>, barrier: Barrier }
impl Gate {
    pub fn wait(&self) {
        let _o = self.other.lock().unwrap();
        let g = self.ready.lock().unwrap();
        let _g = self.cv.wait(g).unwrap(); // expect: lock-across-blocking
    }
    pub fn meet(&self) {
        let _o = self.other.lock().unwrap();
        self.barrier.wait(); // expect: lock-across-blocking
    }
}
pub async fn nested() {
    futures::executor::block_on(async {}); // expect: blocking-in-async
}
"#,
    );
}

#[test]
fn logger_builders_install_globally() {
    check(
        r#"
pub fn logs() {
    env_logger::builder().format_timestamp(None).init(); // expect: process-global
    tracing_subscriber::fmt().with_target(false).init(); // expect: process-global
    let v: Vec<u8> = Vec::new();
    let _ = v.iter().map(|x| x + 1).collect::<Vec<_>>();
}
"#,
    );
}

#[test]
fn edition_2015_use_paths_are_crate_relative() {
    let src = r#"
extern crate libc as c;
use util::save;
mod util {
    pub fn save() { ::std::fs::write("x", "y").unwrap(); } // expect: io
}
pub fn run() -> i32 {
    save();
    unsafe { c::getpid() } // expect: ffi
}
"#;
    let out = check_in(src, "old", Edition::E2015);
    let run = out.functions.iter().find(|f| f.path == "old::run").unwrap();
    assert_eq!(run.class, FnClass::IoBound);
    assert_eq!(run.reachable_findings.len(), 2);
}

#[test]
fn plain_macro_args_in_unsafe_still_count_as_static_uses() {
    check(
        r#"
static mut READY: bool = false; // expect: static-mut
pub fn check() {
    unsafe {
        assert!(READY); // expect: static-mut
    }
    println!("{}", 1); // expect: io
}
"#,
    );
}

#[test]
fn resolver_paths() {
    use crate::facts::resolve::{flatten_use, Resolver};
    let file: syn::File = syn::parse_str(
        "use std::env as e; use std::{fs, io::{self, Write}}; use std::sync::atomic::*; \
         use self::inner::helper; use super::up; use parking_lot::Mutex; mod inner {}",
    )
    .unwrap();
    let module = vec!["m".to_string()];
    let mut r = Resolver {
        crate_name: "demo".into(),
        apis: crate::callgraph::check::apis(),
        ..Resolver::default()
    };
    r.declare(&module, "inner");
    r.declare(&module, "local_fn");
    let mut uses = Vec::new();
    for item in &file.items {
        if let syn::Item::Use(u) = item {
            flatten_use(
                &u.tree,
                &mut Vec::new(),
                &module,
                u.leading_colon.is_some(),
                &mut uses,
            );
        }
    }
    r.add_uses(&uses);
    let res = |p: &str, lc: bool| -> String {
        let segs: Vec<String> = p.split("::").map(str::to_string).collect();
        r.resolve(&module, &[], Some("demo::m::T"), &segs, lc)
            .remove(0)
    };
    assert_eq!(res("e::set_var", false), "std::env::set_var");
    assert_eq!(res("fs::read", false), "std::fs::read");
    assert_eq!(res("io::stdout", false), "std::io::stdout");
    assert_eq!(res("Write", false), "std::io::Write");
    assert_eq!(res("helper", false), "demo::m::inner::helper");
    assert_eq!(res("up", false), "demo::up");
    assert_eq!(res("Mutex::new", false), "parking_lot::Mutex::new");
    assert_eq!(res("AtomicUsize", false), "std::sync::atomic::AtomicUsize");
    assert_eq!(res("core::mem::drop", false), "std::mem::drop");
    assert_eq!(res("std::fs::write", true), "std::fs::write");
    assert_eq!(res("crate::x::y", false), "demo::x::y");
    assert_eq!(res("super::z", false), "demo::z");
    assert_eq!(res("Self::new", false), "demo::m::T::new");
    assert_eq!(res("local_fn", false), "demo::m::local_fn");
    assert_eq!(res("unknown", false), "demo::m::unknown");
    assert_eq!(res("tokio::spawn", false), "tokio::spawn");
    // A glob that names nothing known leaves the local fallback first, the glob candidates after it.
    let segs = vec!["Ordering".to_string()];
    let all = r.resolve(&module, &[], None, &segs, false);
    assert_eq!(all, ["demo::m::Ordering", "std::sync::atomic::Ordering"]);
}

#[test]
fn wrapper_lock_types_and_reentrant_mutexes() {
    check(
        r#"
pub struct Mutex<T>(std::sync::Mutex<T>);
impl<T> Mutex<T> {
    pub fn lock(&self) -> std::sync::MutexGuard<'_, T> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
pub fn reentrant(m: &parking_lot::ReentrantMutex<u8>) {
    let _a = m.lock();
    let _b = m.lock();
}
pub fn wrapped(m: &Mutex<u8>) {
    let _a = m.lock();
    let _b = m.lock(); // expect: double-lock
}
"#,
    );
}

#[test]
fn closures_keep_the_enclosing_guards() {
    check(
        r#"
use std::sync::Mutex;
pub struct S { m: Mutex<Vec<u32>> }
impl S {
    pub fn f(&self) {
        let g = self.m.lock().unwrap();
        let n: u32 = g.iter().map(|x| x + 1).sum();
        let _ = Some(n).and_then(|v| v.checked_add(1));
        std::fs::write("x", n.to_string()).unwrap(); // expect: io, lock-across-blocking
    }
    pub fn after_drop(&self) {
        let g = self.m.lock().unwrap();
        drop(g);
        let _k = Some(1).map(|v| v + 1);
        let _h = self.m.lock().unwrap();
    }
}
"#,
    );
}

#[test]
fn cfg_alternative_guards_and_self_recursion() {
    check(
        r#"
use std::sync::Mutex;
pub struct S { m: Mutex<Vec<u32>> }
impl S {
    pub fn record(&self) {
        #[cfg(feature = "std")]
        let g = self.m.lock().unwrap();
        #[cfg(not(feature = "std"))]
        let g = self.m.lock().unwrap();
        drop(g);
    }
    pub fn update(&self, n: u32) {
        let g = self.m.lock().unwrap();
        if n > 0 {
            drop(g);
            self.update(n - 1);
        }
    }
}
"#,
    );
}

#[test]
fn offloaded_closures_keep_the_callers_guards() {
    check(
        r#"
use std::sync::Mutex;
static M: Mutex<u8> = Mutex::new(0); // expect: global-state
fn run<F: FnOnce() -> u8>(f: F) -> u8 { f() }
pub fn f() {
    let g = M.lock().unwrap();
    let v = *g;
    let _ = run(move || v + 1);
    let _ = tokio::task::block_in_place(|| 1);
    std::thread::sleep(std::time::Duration::from_millis(1)); // expect: io, lock-across-blocking
}
"#,
    );
}

#[test]
fn glob_of_parent_module_imports_its_uses_and_items() {
    check(
        r#"
use std::thread;
use std::fs as filesystem;
pub fn ms(n: u64) -> std::time::Duration { std::time::Duration::from_millis(n) }
mod a {
    use super::*;
    fn f() {
        const N: u64 = 3;
        thread::sleep(std::time::Duration::from_millis(N)); // expect: io
    }
    fn g() { thread::sleep(ms(1)); } // expect: io
    mod deeper {
        use super::*;
        fn h() { let _ = filesystem::read("x"); } // expect: io
    }
}
mod c {
    // No glob: `thread` is not in scope here, so this path names an unknown crate.
    fn unrelated() { thread::sleep(1); }
}
"#,
    );
}

#[test]
fn glob_lookup_follows_module_globs_once() {
    use super::resolve::Resolver;
    let m = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let mut r = Resolver {
        crate_name: "demo".into(),
        ..Resolver::default()
    };
    r.declare(&m(&["a"]), "item_a");
    r.declare(&m(&["b"]), "item_b");
    // a and b glob-import each other (legal in Rust): the lookup must terminate.
    r.scopes
        .entry(m(&["a"]))
        .or_default()
        .globs
        .push("demo::b".into());
    r.scopes
        .entry(m(&["b"]))
        .or_default()
        .globs
        .push("demo::a".into());
    r.add_uses(&[]);
    let none = std::iter::empty();
    assert_eq!(
        r.glob_lookup(&m(&["a"]), none, "item_b").as_deref(),
        Some("demo::b::item_b")
    );
    assert_eq!(
        r.glob_lookup(&m(&["a"]), std::iter::empty(), "missing"),
        None
    );
    let segs = m(&["item_a"]);
    assert_eq!(
        r.resolve(&m(&["b"]), &[], None, &segs, false)[0],
        "demo::a::item_a"
    );
}

#[test]
fn mod_declarations_are_collected_as_discover_finds_them() {
    let src = "mod a; mod b { mod c; #[path = \"x/y.rs\"] mod d; mod inner { fn x() {} } }
         cfg_if::cfg_if! { if #[cfg(unix)] { mod e; } else { mod f; } }
         macro_rules! not_expanded { () => {} }
         cfg_rt! { pub mod g; mod h { mod i; } }
         fn body() { mod in_fn_inline { } }";
    let ast = crate::parse::parse_source(src).expect("parses");
    let ctx = crate::facts::FileContext {
        package: "demo".into(),
        crate_name: "demo".into(),
        module_path: vec!["top".into(), "sub".into()],
        rel_path: "src/top/sub.rs".into(),
        edition: Edition::E2021,
    };
    let facts = crate::facts::extract(&ctx, &ast, &crate::callgraph::check::apis());
    let expected = crate::discover::modtree::mod_decls(&ast);
    assert_eq!(facts.mod_decls, expected);
    let names: Vec<(&str, Vec<&str>)> = facts
        .mod_decls
        .iter()
        .map(|d| {
            (
                d.name.as_str(),
                d.inline.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(
        names,
        vec![
            ("a", vec![]),
            ("c", vec!["b"]),
            ("d", vec!["b"]),
            ("e", vec![]),
            ("f", vec![]),
            ("g", vec![]),
            ("i", vec!["h"]),
        ]
    );
    assert_eq!(facts.mod_decls[2].path_attr.as_deref(), Some("x/y.rs"));
}

/// Extracts `src` as the file of module `module` of crate `demo`, below files whose scopes are `inherited`.
fn extract_below(
    src: &str,
    module: &[&str],
    inherited: Option<std::sync::Arc<crate::facts::resolve::ScopeChain>>,
) -> crate::facts::FileFacts {
    let ast = crate::parse::parse_source(src).expect("parses");
    let ctx = crate::facts::FileContext {
        package: "demo".into(),
        crate_name: "demo".into(),
        module_path: module.iter().map(|m| m.to_string()).collect(),
        rel_path: format!("src/{}.rs", module.join("/")),
        edition: Edition::E2021,
    };
    crate::facts::extract_in(&ctx, &ast, inherited, &crate::callgraph::check::apis())
}

fn io_lines(facts: &crate::facts::FileFacts) -> Vec<(String, u32)> {
    let mut out: Vec<(String, u32)> = facts
        .functions
        .iter()
        .flat_map(|f| f.findings.iter())
        .filter(|fd| fd.kind == FindingKind::Io)
        .map(|fd| (fd.file.clone(), fd.line))
        .collect();
    out.sort();
    out
}

#[test]
fn glob_of_a_parent_module_in_another_file_imports_its_uses() {
    use crate::facts::resolve::ScopeChain;
    use std::sync::Arc;
    let mut root = extract_below(
        "use std::fs as filesystem;\nmod a;\npub fn ms(n: u64) -> u64 { n }\n",
        &[],
        None,
    );
    let root_chain = Arc::new(ScopeChain {
        scopes: std::mem::take(&mut root.scopes),
        parent: None,
    });
    let child_src = "use super::*;\nuse std::thread;\nmod b;\nmod chan_test {\n    use super::*;\n    fn f() { thread::sleep(std::time::Duration::from_millis(1)); }\n}\nfn g() { let _ = filesystem::read(\"x\"); }\n";
    let mut child = extract_below(child_src, &["a"], Some(root_chain.clone()));
    assert_eq!(
        io_lines(&child),
        vec![("src/a.rs".to_string(), 6), ("src/a.rs".to_string(), 8)]
    );
    // Without the parent file's scopes, `filesystem` is unknown.
    let alone = extract_below(child_src, &["a"], None);
    assert_eq!(io_lines(&alone), vec![("src/a.rs".to_string(), 6)]);
    // A grandchild follows `use super::*;` through the child's own glob up to the root file.
    let child_chain = Arc::new(ScopeChain {
        scopes: std::mem::take(&mut child.scopes),
        parent: Some(root_chain),
    });
    let grandchild = extract_below(
        "use super::*;\nfn h() { thread::sleep(std::time::Duration::from_millis(1)); let _ = filesystem::read(\"y\"); }\n",
        &["a", "b"],
        Some(child_chain),
    );
    // Both `thread::sleep` (the child's own `use`) and `filesystem::read` (the root file's).
    assert_eq!(
        io_lines(&grandchild),
        vec![("src/a/b.rs".to_string(), 2), ("src/a/b.rs".to_string(), 2)]
    );
}

// Precision (issue 9): each pattern that gave wrong findings on real crates is a negative test here; each
// missed one a positive test.

#[test]
fn shared_owners_of_unknown_content_may_hold_a_lock() {
    check(
        r#"
use std::sync::Arc;
pub fn read_through_arc() {
    let arc = Arc::new(crate::own::RwLock::new(0));
    let _g = arc.read();
    std::thread::sleep(std::time::Duration::from_millis(1)); // expect: io, lock-across-blocking
}
"#,
    );
}

#[test]
fn known_receiver_types_that_are_no_locks_take_no_guard() {
    check(
        r#"
use std::fs::File;
pub struct Cache { data: Vec<u8> }
pub fn raw(p: *const u64, f: &File, c: &Cache, n: u32) {
    let _v = unsafe { p.read() };
    let _g = f.lock();
    let _x = c.data.write();
    let _n = n.read();
    std::thread::sleep(std::time::Duration::from_millis(1)); // expect: io
}
"#,
    );
}

#[test]
fn unknown_receivers_are_guessed_locks_reported_lower_and_said() {
    use crate::vocab::Level;
    let out = check(
        r#"
pub fn other_file(state: &crate::other::State) {
    let _a = state.table.read();
    let _b = state.table.write(); // expect: double-lock
}
pub fn named(state: &crate::other::State) {
    let _a = state.table_lock.read();
    let _b = state.table_lock.write(); // expect: double-lock
}
pub fn unwrapped(state: &crate::other::State) {
    let _a = state.table.read().unwrap();
    let _b = state.table.write().unwrap(); // expect: double-lock
}
"#,
    );
    let level = |line: u32| {
        out.findings
            .iter()
            .find(|f| f.line == line && f.kind == FindingKind::DoubleLock)
            .map(|f| (f.level, f.message.clone()))
            .unwrap()
    };
    let (guessed, msg) = level(4);
    assert_eq!(guessed, Level::Note);
    assert!(
        msg.contains("type is unknown") && msg.contains(".write()"),
        "{msg}"
    );
    assert_eq!(
        level(8).0,
        Level::Error,
        "a lock-like name is evidence enough"
    );
    assert_eq!(
        level(12).0,
        Level::Error,
        "an unwrapped LockResult is a std lock"
    );
}

#[test]
fn try_lock_guard_only_on_the_success_branch() {
    check(
        r#"
use std::sync::{Mutex, TryLockError};
use std::time::Duration;
pub struct S { m: Mutex<Vec<u8>> }
impl S {
    pub fn if_let(&self) {
        if let Ok(mut g) = self.m.try_lock() {
            g.push(1);
            std::thread::sleep(Duration::from_millis(1)); // expect: io, lock-across-blocking
        } else {
            std::thread::sleep(Duration::from_millis(1)); // expect: io
        }
    }
    pub fn by_match(&self) -> Option<usize> {
        match self.m.try_lock() {
            Ok(g) => Some(g.len()),
            Err(TryLockError::WouldBlock) => {
                let g = self.m.lock().unwrap();
                Some(g.len())
            }
            Err(TryLockError::Poisoned(_)) => None,
        }
    }
    pub fn let_match(&self) -> Option<usize> {
        let g = match self.m.try_lock() {
            Ok(g) => g,
            Err(_) => {
                drop(self.m.lock());
                return None;
            }
        };
        std::thread::sleep(Duration::from_millis(1)); // expect: io, lock-across-blocking
        Some(g.len())
    }
    pub fn result_kept(&self) {
        let r = self.m.try_lock();
        std::thread::sleep(Duration::from_millis(1)); // expect: io, lock-across-blocking
        drop(r);
    }
    pub fn let_else(&self) {
        let Ok(_g) = self.m.try_lock() else {
            std::thread::sleep(Duration::from_millis(1)); // expect: io
            return;
        };
        std::thread::sleep(Duration::from_millis(1)); // expect: io, lock-across-blocking
    }
}
"#,
    );
}

#[test]
fn guards_moved_away_stop_being_held() {
    check(
        r#"
use std::sync::{Mutex, MutexGuard};
pub struct Holder<'a> { pub g: MutexGuard<'a, u8> }
pub struct S { m: Mutex<u8>, slot: Mutex<Option<Holder<'static>>> }
impl S {
    pub fn stored(&self) -> Holder<'_> {
        let g = self.m.lock().unwrap();
        let h = Holder { g };
        std::fs::read("x").unwrap(); // expect: io
        h
    }
    pub fn returned(&self, early: bool) -> Option<MutexGuard<'_, u8>> {
        let g = self.m.lock().unwrap();
        if early {
            return Some(g);
        }
        std::fs::read("x").unwrap(); // expect: io, lock-across-blocking
        None
    }
    pub fn rebound(&self) {
        let g = self.m.lock().unwrap();
        let h = g;
        drop(h);
        std::fs::read("x").unwrap(); // expect: io
    }
    pub fn sent(&self, tx: &std::sync::mpsc::Sender<MutexGuard<'static, u8>>, g: MutexGuard<'static, u8>) {
        tx.send(g).unwrap();
        std::fs::read("x").unwrap(); // expect: io
    }
}
"#,
    );
}

#[test]
fn reentrant_mutexes_never_double_lock() {
    check(
        r#"
use std::sync::ReentrantLock;
pub struct S {
    a: parking_lot::ReentrantMutex<u8>,
    b: lock_api::ReentrantMutex<parking_lot::RawMutex, parking_lot::RawThreadId, u8>,
    c: ReentrantLock<u8>,
    d: crate::sync::ReentrantMutex<u8>,
}
impl S {
    fn inner(&self) { let _a = self.a.lock(); let _c = self.c.lock(); }
    pub fn twice(&self) {
        let _a = self.a.lock();
        let _b1 = self.b.lock();
        let _b2 = self.b.lock();
        let _c = self.c.lock();
        let _c2 = self.c.lock();
        let _d1 = self.d.lock();
        let _d2 = self.d.lock();
        self.inner();
    }
}
"#,
    );
}

#[test]
fn module_patterns_match_only_functions() {
    check(
        r#"
use libc::*;
pub fn calls(fds: &mut fd_set, status: c_int) -> usize {
    unsafe {
        FD_SET(3, fds);
        FD_ZERO(fds);
        let _exited = WIFEXITED(status);
        let _len = CMSG_LEN(8);
        let _max = libc::FD_SETSIZE;
        let _n = libc::c_int::from(3u8);
        let _d = libc::makedev(1, 2);
        libc::getpid(); // expect: ffi
    }
    let _s = reqwest::blocking::Body::from("x");
    let _o: Result<u8, ()> = Ok(1);
    size_of::<fd_set>()
}
"#,
    );
}

#[test]
fn a_crates_own_paths_are_not_its_catalogue_entries() {
    // Analyzing libc itself: its own functions are not calls into libc.
    check_in(
        r#"
pub fn helper() -> i32 { 1 }
pub fn calls() -> i32 { crate::helper() + libc::helper() }
"#,
        "libc",
        Edition::E2021,
    );
}

#[test]
fn lazy_constructors_builders_and_in_memory_databases_are_not_io() {
    check(
        r#"
use std::time::SystemTime;
pub fn setup() -> rusqlite::Result<()> {
    let mem = rusqlite::Connection::open_in_memory()?;
    let _r = redis::Client::open("redis://127.0.0.1/").unwrap();
    let _times = std::fs::FileTimes::new().set_modified(SystemTime::now());
    let _req = ureq::get("http://example.com");
    let _opts = std::fs::OpenOptions::new();
    let _c = reqwest::blocking::Client::builder();
    mem.execute_batch("create table t(x)")?; // expect: io
    Ok(())
}
"#,
    );
}

#[test]
fn starting_a_process_is_io_but_not_blocking_in_async() {
    check(
        r#"
pub async fn start() {
    let _child = std::process::Command::new("true").spawn(); // expect: spawn, io
    let _out = std::process::Command::new("true").output(); // expect: io, blocking-in-async
}
"#,
    );
}

#[test]
fn unsafe_cell_is_not_single_thread_state() {
    check(
        r#"
use std::cell::{Cell, UnsafeCell};
pub struct Slot<T> { value: UnsafeCell<T>, hits: Cell<u32> } // expect: single-thread-state
unsafe impl<T: Send> Sync for Slot<T> {}
pub fn make() -> UnsafeCell<u8> { UnsafeCell::new(0) }
"#,
    );
}

#[test]
fn compute_hotspot_from_estimated_work() {
    let out = check(
        r#"
use std::sync::mpsc::Receiver;
pub fn small_constant_loops(m: &mut [[f64; 4]; 4]) {
    for i in 0..4 {
        for j in 0..4 {
            for k in 0..4 {
                m[i][j] = m[i][j] * 2.0 + (k as f64) * 3.0 - m[j][i] / 7.0 + 1.0;
            }
        }
    }
}
pub fn asserts_and_formatting(v: &[u64]) {
    for i in 0..v.len() {
        for j in 0..v.len() {
            assert_eq!(v[i] * 2 + v[j] * 3, v[j] * 3 + v[i] * 2);
            debug_assert!(v[i] + v[j] >= v[i], "{} {}", v[i] * 7, v[j] % 3);
            let _s = format!("{}", v[i] * v[j] + i as u64 * j as u64);
        }
    }
}
pub fn channel_traffic(rx: &Receiver<u64>, tx: &std::sync::mpsc::Sender<u64>, n: usize) -> u64 {
    let mut total = 0;
    for i in 0..n {
        for j in 0..n {
            let x = rx.recv().unwrap();
            total += x * (i as u64) + (j as u64) * 3 ^ x;
            tx.send(total % 7).unwrap();
        }
    }
    total
}
pub fn io_loop(paths: &[String]) -> usize {
    let mut n = 0;
    for p in paths {
        for q in paths {
            n += std::fs::read(format!("{p}/{q}")).unwrap().len() * 3 + n % 7 - 1; // expect: io
        }
    }
    n
}
pub fn retry(x: u32) -> u32 {
    match x {
        0 => retry(1),
        1 => retry(2),
        _ => x,
    }
}
pub fn straight(a: u64, b: u64) -> u64 {
    let x = a * b + a / 3 - b % 7 + (a as u32) as u64 ^ b << 3 >> 1 | a & b;
    x * x + x / 2 - x % 5 + x * 7 + x / 11 - x % 13 + (x as u8) as u64 + x * 17
}
pub fn matmul(a: &[Vec<f64>], b: &[Vec<f64>], c: &mut [Vec<f64>]) { // expect: compute-hotspot
    for i in 0..a.len() {
        for j in 0..b.len() {
            for k in 0..b.len() {
                c[i][j] += a[i][k] * b[k][j];
            }
        }
    }
}
"#,
    );
    let class = |p: &str| out.functions.iter().find(|f| f.path == p).unwrap().class;
    assert_eq!(class("demo::straight"), FnClass::Trivial);
    assert_eq!(class("demo::small_constant_loops"), FnClass::Trivial);
    assert_eq!(class("demo::asserts_and_formatting"), FnClass::Trivial);
    assert_eq!(class("demo::io_loop"), FnClass::IoBound);
    assert_eq!(class("demo::matmul"), FnClass::ComputeBound);
}

// Recall (issue 9).

#[test]
fn blocking_read_write_on_std_types_also_in_async() {
    check(
        r#"
use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::net::UnixStream;
pub struct Conn { sock: TcpStream }
pub async fn handler(mut f: std::fs::File, mut u: UnixStream) -> std::io::Result<String> {
    let mut s = String::new();
    f.read_to_string(&mut s)?; // expect: io, blocking-in-async
    u.write_all(b"x")?; // expect: io, blocking-in-async
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?; // expect: io, blocking-in-async
    Ok(s)
}
impl Conn {
    pub fn exchange(&mut self, buf: &mut [u8]) -> std::io::Result<()> {
        self.sock.read_exact(buf)?; // expect: io
        self.sock.write_all(buf)?; // expect: io
        self.sock.flush() // expect: io
    }
}
"#,
    );
}

#[test]
fn iterating_a_blocking_receiver_blocks() {
    check(
        r#"
use std::sync::{mpsc, Mutex};
use std::time::Duration;
pub fn drain(state: &Mutex<Vec<u8>>) {
    let (tx, rx) = mpsc::channel::<u8>(); // expect: channel
    drop(tx);
    let g = state.lock().unwrap();
    for x in &rx { // expect: lock-across-blocking
        let _ = x;
    }
    for x in rx.iter() { // expect: lock-across-blocking
        let _ = x;
    }
    let _ = rx.recv_timeout(Duration::from_millis(5)); // expect: lock-across-blocking
    let (_s, r) = crossbeam_channel::unbounded::<u8>(); // expect: channel
    for x in r { // expect: lock-across-blocking
        let _ = x;
    }
    drop(g);
}
"#,
    );
}

#[test]
fn blocking_database_and_cache_clients() {
    check(
        r#"
pub fn db() -> Result<(), Box<dyn std::error::Error>> {
    let mut pg = postgres::Client::connect("host=localhost", postgres::NoTls)?; // expect: io
    pg.query("select 1", &[])?; // expect: io
    let conn = rusqlite::Connection::open("x.db")?; // expect: io
    let mut stmt = conn.prepare("select 1")?;
    stmt.query_map([], |_| Ok(()))?; // expect: io
    let client = redis::Client::open("redis://localhost")?;
    let mut con = client.get_connection()?; // expect: io
    let _: () = redis::cmd("SET").arg("k").arg(1).query(&mut con)?; // expect: io
    let pool = mysql::Pool::new("mysql://localhost")?; // expect: io
    let mut my = pool.get_conn()?; // expect: io
    my.query_drop("select 1")?; // expect: io
    Ok(())
}
"#,
    );
}

#[test]
fn every_blocking_call_under_a_guard_is_its_own_finding() {
    let out = check(
        r#"
use std::sync::Mutex;
pub fn many(m: &Mutex<u8>) {
    let _g = m.lock().unwrap();
    std::fs::read("a").unwrap(); // expect: io, lock-across-blocking
    std::fs::read("b").unwrap(); std::fs::read("c").unwrap(); // expect: io, lock-across-blocking
    for p in ["d", "e"] {
        std::fs::read(p).unwrap(); // expect: io, lock-across-blocking
    }
}
"#,
    );
    let n = out
        .findings
        .iter()
        .filter(|f| f.kind == FindingKind::LockAcrossBlocking)
        .count();
    assert_eq!(n, 4, "two calls on one line are two findings");
}

#[test]
fn static_mut_in_extern_blocks() {
    check(
        r#"
extern "C" {
    static mut environ: *const *const u8; // expect: static-mut
    static timezone: i64;
    pub fn getenv(name: *const u8) -> *const u8;
}
pub fn first_env() -> *const *const u8 {
    unsafe { environ } // expect: static-mut
}
"#,
    );
}

#[test]
fn receivers_of_known_types_wait_only_where_their_type_says() {
    check(
        r#"
pub async fn tokio_side(m: &std::sync::Mutex<u8>) {
    let (_tx, mut rx) = tokio::sync::mpsc::channel::<u8>(1); // expect: channel
    let g = m.lock().unwrap();
    let fut = rx.recv();
    let (_s, r) = std::sync::mpsc::channel::<u8>(); // expect: channel
    let _ = r.recv(); // expect: lock-across-blocking, blocking-in-async
    drop((g, fut));
}
pub fn bind() {
    let _l = std::net::TcpListener::bind("127.0.0.1:0"); // expect: io
}
pub async fn bind_async() {
    let _l = std::net::TcpListener::bind("127.0.0.1:0"); // expect: io
}
"#,
    );
}

#[test]
fn a_guard_acquisition_is_not_a_same_named_package_method() {
    // console's `Term`: `impl Read for Term` has a blocking `read`, and `self.inner.prompt.read()` is an RwLock's.
    check(
        r#"
use std::io::{self, Read};
pub struct Term { inner: std::sync::Arc<crate::other::Inner> }
impl Read for Term {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        std::fs::read("/dev/tty").map(|v| v.len()) // expect: io
    }
}
impl Term {
    pub fn write_line(&self) {
        let prompt = self.inner.prompt.read().unwrap();
        let _ = prompt.len();
    }
    pub fn guessed(&self) {
        let prompt = self.inner.prompt.read();
        drop(prompt);
    }
}
"#,
    );
    // A receiver of a package type whose `read()` blocks is that method, and a guard held around it is.
    check(
        r#"
pub struct Pager;
impl Pager {
    pub fn read(&self) -> usize { std::fs::read("/dev/tty").map(|v| v.len()).unwrap_or(0) } // expect: io
}
pub fn page(p: &crate::other::Pager, m: &std::sync::Mutex<u8>) {
    let _g = m.lock().unwrap();
    let _ = p.read(); // expect: lock-across-blocking
}
"#,
    );
}

#[test]
fn loops_of_os_calls_user_input_or_constant_bounds_are_not_compute() {
    // sysinfo's Windows disk list: a loop of Win32 calls; dialoguer's prompt: a loop waiting on key presses.
    // Each loop would score well over the threshold without its calls (the last function shows it).
    check(
        r#"
use windows::Win32::Storage::FileSystem::{GetDriveTypeW, GetVolumeInformationW};
use console::Term;
pub unsafe fn get_list(volumes: &[Vec<u16>], out: &mut Vec<(u32, u32, usize)>) {
    for v in volumes {
        let t = GetDriveTypeW(v.as_ptr());
        let mut flags = 0u32;
        let ok = GetVolumeInformationW(v.as_ptr(), &mut flags);
        let mut h = 0u32;
        for c in v.iter() {
            h = (h.wrapping_mul(31) + *c as u32 ^ flags) % 65521 + (t << 2);
        }
        if t != 2 && t != 3 || ok == 0 { continue; }
        out.push((t + 1, flags | 4, v.len() - 1 + v[0] as usize * 3 + h as usize));
    }
}
pub fn ffi_loop(v: &[Vec<i32>], out: &mut [i32]) {
    for i in 0..v.len() {
        let mut h = 0i32;
        for c in v[i].iter() {
            h = (h.wrapping_mul(31) + *c ^ out[i]) % 65521 + (h << 2);
        }
        out[i] = unsafe { libc::abs(h * 3 + 1) } * 2 - out[i] / 4 + h % 7; // expect: ffi
    }
}
pub fn prompt(term: &Term, items: &[String]) -> std::io::Result<usize> {
    let mut sel = 0usize;
    let mut cursor = 0usize;
    loop {
        for (i, it) in items.iter().enumerate() {
            cursor = (cursor + it.len() * 2 + i) % (items.len() + 1);
        }
        match term.read_key()? { // expect: io
            console::Key::ArrowDown => sel = (sel + 1) % items.len(),
            console::Key::ArrowUp => sel = (sel + items.len() - 1) % items.len(),
            console::Key::Enter => return Ok(sel + cursor * 0),
            _ => {}
        }
    }
}
pub fn fixed_size(s: &[u8; 36]) -> [u8; 32] {
    let mut hex = [0u8; 32];
    let mut i = 0;
    while i < 8 { hex[i] = s[i] * 3 + (s[i + 1] ^ 7) % 5 - (i as u8 & 3); i += 1; }
    while i < 12 { hex[i] = s[i + 1] * 3 + (s[i + 2] ^ 7) % 5 - (i as u8 & 3); i += 1; }
    while i < 16 { hex[i] = s[i + 2] * 3 + (s[i + 3] ^ 7) % 5 - (i as u8 & 3); i += 1; }
    hex
}
pub fn same_loop_without_waits(items: &[String]) -> usize { // expect: compute-hotspot
    let mut sel = 0usize;
    let mut cursor = 0usize;
    for _ in 0..items.len() {
        for (i, it) in items.iter().enumerate() {
            cursor = (cursor + it.len() * 2 + i) % (items.len() + 1);
        }
        sel = (sel + 1) % items.len() + (sel + items.len() - 1) % items.len();
    }
    sel + cursor
}
"#,
    );
}

#[test]
fn building_a_parallel_iterator_to_hand_on_is_not_spawning() {
    check(
        r#"
use rayon::prelude::*;
pub struct Map { table: Vec<(u32, u32)> }
pub struct IntoParIter { inner: rayon::vec::IntoIter<(u32, u32)> }
impl IntoParallelIterator for Map {
    type Item = (u32, u32);
    type Iter = IntoParIter;
    fn into_par_iter(self) -> Self::Iter {
        IntoParIter { inner: self.table.into_par_iter() }
    }
}
impl Map {
    pub fn total(&self) -> u32 {
        self.table.par_iter().map(|(k, v)| k + v).sum() // expect: spawn
    }
}
pub trait ParallelIterator: Sized {
    fn chain<C: IntoParallelIterator>(self, chain: C) -> (Self, C::Iter) {
        (self, chain.into_par_iter())
    }
}
pub struct ParEdges<'a> { inner: rayon::slice::IterMut<'a, u32> }
pub fn par_edges(v: &mut [u32]) -> ParEdges<'_> {
    ParEdges { inner: v.par_iter_mut() }
}
pub fn par_values(v: &[u32]) -> rayon::slice::Iter<'_, u32> {
    unsafe { v.par_iter() }
}
pub fn early(v: &[u32]) -> rayon::slice::Iter<'_, u32> {
    if v.is_empty() {
        return v.par_iter();
    }
    v[1..].par_iter()
}
pub fn driven_here(v: &[u32]) -> u32 {
    let it = v.par_iter(); // expect: spawn
    it.sum()
}
pub trait Summary {
    fn total(v: Vec<u32>) -> u32 {
        v.into_par_iter().sum() // expect: spawn
    }
}
"#,
    );
}

#[test]
fn adaptor_closures_loop_only_on_iterators() {
    // Seed 6: a `combine` parser builder's closures (`map`, `and_then` on parsers) were taken for loops. The
    // same closures on an iterator chain (a source, a range, a local bound from one, an iterator parameter)
    // still loop.
    check(
        r#"
pub fn parser(n: usize) -> impl Parser {
    line().map(|l: usize| {
        int().map(|x: usize| x * 3 + n % 7 - x / 2 + (x ^ 5) * 11 + x * x + (l as usize) * 2 - 1)
    })
}
pub fn options(a: Option<u64>, b: Result<u64, ()>) -> Option<u64> {
    a.map(|x| b.map(|y| x * 3 + y % 7 - x / 2 + (y ^ 5) * 11 + x * y + x << 2).ok()).flatten()
}
pub fn rows(rows: &[Vec<u64>]) -> u64 { // expect: compute-hotspot
    rows.iter().map(|r| r.iter().map(|x| x * 3 + x % 7 - x / 2 + (x ^ 5) * 11 + x * x).sum::<u64>()).sum()
}
pub fn range_and_local(n: u64, v: &[u64]) -> u64 { // expect: compute-hotspot
    let it = v.iter().enumerate();
    (0..n).map(|i| it.clone().map(|(j, x)| x * i + (j as u64) % 7 - x / 2 + (i ^ 5) * 11).sum::<u64>()).sum()
}
pub fn generic<I: Iterator<Item = u64> + Clone>(xs: I, ys: impl Iterator<Item = u64> + Clone) -> u64 { // expect: compute-hotspot
    xs.map(|x| ys.clone().map(|y| x * 3 + y % 7 - x / 2 + (y ^ 5) * 11 + x * y).sum::<u64>()).sum()
}
"#,
    );
}

#[test]
fn foreign_function_pointers_are_waits_not_compute() {
    // Seed 6: sysinfo's loop over GPUs calling Vulkan through function-pointer fields. An unsafe function
    // pointer called in unsafe code is foreign code: the loop around it waits on it. A safe function value
    // called outside unsafe code is Rust and still counts.
    check(
        r#"
pub struct Vk {
    enumerate: unsafe extern "C" fn(u32, *mut u32) -> i32,
    table: [unsafe extern "C" fn(u64) -> u64; 2],
    step: fn(u64) -> u64,
}
impl Vk {
    pub fn devices(&self, gpus: &mut [u64]) {
        unsafe {
            for g in gpus.iter_mut() {
                let mut count = 0u32;
                (self.enumerate)(1, &mut count);
                for h in 0..count {
                    *g = *g * 3 + (h as u64) % 7 - *g / 2 + (*g ^ 5) * 11 + *g * *g + (h as u64) << 2;
                }
            }
        }
    }
    pub fn indexed(&self, gpus: &mut [u64]) {
        for g in gpus.iter_mut() {
            let x = unsafe { (self.table[1])(*g) };
            for h in 0..x {
                *g = *g * 3 + h % 7 - *g / 2 + (*g ^ 5) * 11 + *g * *g + h << 2;
            }
        }
    }
    pub fn safe_pointer(&self, gpus: &mut [u64]) { // expect: compute-hotspot
        for g in gpus.iter_mut() {
            let x = (self.step)(*g);
            for h in 0..x {
                *g = *g * 3 + h % 7 - *g / 2 + (*g ^ 5) * 11 + *g * *g + h << 2;
            }
        }
    }
}
"#,
    );
}

#[test]
fn lazy_initialisers_outside_the_loop_run_once() {
    // Seed 6: zip's loop over one entry's extra fields hashes the file name at most once, in
    // `crc.get_or_insert_with(|| crc32fast::hash(..))` on a local of the function. A lazy value of each
    // element (`f.cache.get_or_init(..)`) or a hash per element is computed per iteration.
    check(
        r#"
pub enum Field { A(u32), B(u32), C }
pub struct Cached { cache: std::sync::OnceLock<u32>, data: Vec<u8> }
pub fn apply(fields: &[Field], name: &[u8], comment: &[u8]) -> u32 {
    let mut name_crc = None;
    let mut comment_crc = None;
    let mut flags = 0;
    for f in fields {
        match f {
            Field::A(x) => {
                if *name_crc.get_or_insert_with(|| crc32fast::hash(name)) == *x { flags |= 1; }
            }
            Field::B(x) => {
                if *comment_crc.get_or_insert_with(|| crc32fast::hash(comment)) == *x { flags |= 2; }
            }
            Field::C => {}
        }
    }
    flags
}
pub fn per_element(items: &[Cached]) -> u32 { // expect: compute-hotspot
    let mut flags = 0;
    for f in items {
        flags ^= *f.cache.get_or_init(|| crc32fast::hash(&f.data));
        flags ^= crc32fast::hash(&f.data[1..]);
    }
    flags
}
"#,
    );
}

#[test]
fn a_dispatch_loop_weighs_one_arm_per_element() {
    // Seed 7: chrono's `parse_internal` loops over a format's items and runs one arm per item; the sum of
    // every arm's slicing was counted as the loop's work. The same operations all run each element in
    // `every_step`.
    check(
        r#"
pub enum Item { Lit(usize), Num(usize), Space, Frac(usize) }
pub fn dispatch(items: &[Item], s: &str) -> usize {
    let mut at = 0;
    let mut v = 0;
    for item in items {
        match item {
            Item::Lit(n) => at += n + s[at..].len() % 2,
            Item::Num(w) => v = v * 10 + (s.as_bytes()[at] - b'0') as usize + w,
            Item::Space => at = at + 1 - (at & 1),
            Item::Frac(w) => {
                if *w > 3 { v = v * 1000 + at / 3 } else { v = v * 10 + (at >> 2) }
            }
        }
    }
    v + at
}
pub fn every_step(items: &[usize], s: &str) -> usize { // expect: compute-hotspot
    let mut at = 0;
    let mut v = 0;
    for n in items {
        at += n + s[at..].len() % 2;
        v = v * 10 + (s.as_bytes()[at] - b'0') as usize + n;
        at = at + 1 - (at & 1);
        v = v * 1000 + at / 3;
        v = v * 10 + (at >> 2);
    }
    v + at
}
"#,
    );
}

#[test]
fn compiler_intrinsics_in_extern_blocks_are_not_ffi() {
    // Seed 8: encoding_rs declares an LLVM intrinsic in `extern "unadjusted"` with `link_name = "llvm.*"`;
    // calling it is one SIMD instruction, not foreign code. A C function beside it still is.
    check(
        r#"
unsafe extern "unadjusted" {
    #[link_name = "llvm.x86.sse2.packuswb.128"]
    fn packus(a: i16, b: i16) -> u8;
}
extern "C" {
    #[link_name = "llvm.ctpop.i32"]
    fn popcount(x: i32) -> i32;
    #[link_name = "strlen"]
    fn c_strlen(s: *const u8) -> usize;
}
pub fn pack(a: i16, b: i16, s: *const u8) -> usize {
    let p = unsafe { packus(a, b) } as usize;
    let c = unsafe { popcount(a as i32) } as usize;
    p + c + unsafe { c_strlen(s) } // expect: ffi
}
"#,
    );
}

#[test]
fn a_loop_that_waits_through_a_package_function_is_not_compute() {
    // Seed 7: rustyline's `page_completions` lays out completions and writes each row to the terminal through
    // a trait method whose unix impl calls the OS. The wait is in the callee, not in the loop's own body; a
    // test double that does nothing does not count. The same loop without the write is compute.
    check(
        r#"
pub trait Out { fn write_and_flush(&mut self, s: &str); }
pub struct Tty { fd: i32 }
pub struct Null;
impl Out for Tty { fn write_and_flush(&mut self, s: &str) { write_all(self.fd, s) } }
impl Out for Null { fn write_and_flush(&mut self, _: &str) {} }
fn write_all(fd: i32, s: &str) {
    unsafe { libc::write(fd, s.as_ptr() as *const _, s.len()); } // expect: ffi
}
pub fn page(out: &mut dyn Out, items: &[String], rows: usize, cols: usize) {
    for row in 0..rows {
        let mut w = 0;
        for col in 0..cols {
            let i = col * rows + row + 1;
            if i < items.len() { w += items[i].len() * 2 + (i % 3); }
        }
        out.write_and_flush(&"x".repeat(w % 80));
    }
}
pub fn layout(items: &[String], rows: usize, cols: usize) -> usize { // expect: compute-hotspot
    let mut total = 0;
    for row in 0..rows {
        let mut w = 0;
        for col in 0..cols {
            let i = col * rows + row + 1;
            if i < items.len() { w += items[i].len() * 2 + (i % 3); }
        }
        total += w;
    }
    total
}
"#,
    );
}

#[test]
fn taking_a_standard_stream_handle_is_not_io() {
    // Seeds 6, 7 and 9: `io::stdout()` taken only to ask whether it is a terminal, `stderr()` only to borrow
    // its raw handle. Reading or writing the handle is I/O, also through a lock bound by `let`.
    check(
        r#"
use std::io::{Read, Write};
pub fn is_tty() -> bool {
    is_terminal(&std::io::stdout()) && is_terminal(&std::io::stderr())
}
fn is_terminal<T>(_: &T) -> bool { true }
pub fn echo(buf: &mut [u8]) -> std::io::Result<()> {
    let mut input = std::io::stdin();
    let n = input.read(buf)?; // expect: io
    let mut out = std::io::stdout().lock();
    out.write_all(&buf[..n])?; // expect: io
    std::io::stderr().flush() // expect: io
}
"#,
    );
}

#[test]
fn a_loop_that_divides_its_integer_each_turn_runs_a_few_times() {
    // Seed 10: itoa's `u128::fmt` formats four digits a turn (`while remain > 999 { .. remain /= 10000 }`): at
    // most ten turns of a 128-bit integer, per-call work. Dividing by ten (up to 39 turns) is a constant count
    // too, fixed work per call (seed 15: loops of constant count up to `FIXED_WORK_TRIPS` turns in all); a
    // loop that also grows its integer is not bounded that way.
    let digits = |name: &str, marker: &str, cond: &str, step: &str, last: &str| {
        format!(
            r#"
pub fn {name}(mut remain: u64, buf: &mut [u8], table: &[u8]) -> usize {{ {marker}
    let mut offset = buf.len();
    while {cond} {{
        offset -= 4;
        let quad = remain % 10_000;
        {step};
        let (hi, lo) = ((quad / 100) as usize, (quad % 100) as usize);
        buf[offset] = table[hi * 2];
        buf[offset + 1] = table[hi * 2 + 1];
        buf[offset + 2] = table[lo * 2];
        {last};
    }}
    offset
}}"#
        )
    };
    let hot = "// expect: compute-hotspot";
    let store = "buf[offset + 3] = table[lo * 2 + 1]";
    check(
        &[
            digits("fmt", "", "remain > 999", "remain /= 10_000", store),
            digits("by_ten", "", "remain > 9", "remain /= 10", store),
            digits(
                "grows",
                hot,
                "remain > 999",
                "remain /= 10_000",
                "remain += table[lo * 2 + 1] as u64",
            ),
        ]
        .concat(),
    );
}

#[test]
fn a_spawned_closure_runs_on_another_thread() {
    // Closure corpus: blocking's `Executor::grow_pool` starts a thread running `main_loop`, which waits on a
    // condvar; the async `Unblock::with_mut` schedules through `grow_pool`, and was said to block on that
    // wait. The spawner waits for neither the thread's blocking calls nor its locks. Threads of a scope are
    // joined before it returns: what they do is the function's own.
    check(
        r#"
use std::sync::Mutex;
use std::time::Duration;
pub struct Executor { inner: Mutex<Vec<u8>> }
impl Executor {
    fn main_loop(&'static self) {
        loop {
            let _q = self.inner.lock().unwrap();
            std::thread::sleep(Duration::from_millis(5)); // expect: io, lock-across-blocking
        }
    }
    fn grow_pool(&'static self) {
        std::thread::spawn(move || self.main_loop()); // expect: spawn
        tokio::spawn(async move { // expect: spawn
            let _ = self.inner.lock().unwrap();
        });
    }
    fn scoped(&'static self) {
        std::thread::scope(|s| { // expect: spawn
            s.spawn(|| self.main_loop());
        });
    }
    pub async fn with_mut(&'static self) {
        self.grow_pool();
    }
    pub fn under_lock(&'static self) {
        let _g = self.inner.lock().unwrap();
        self.grow_pool();
    }
    pub async fn waits_for_scope(&'static self) {
        self.scoped(); // expect: blocking-in-async
    }
    pub async fn direct(&'static self) {
        self.main_loop(); // expect: blocking-in-async
    }
}
"#,
    );
}

#[test]
fn a_call_on_another_value_takes_that_values_locks() {
    // Closure corpus: quinn's `Endpoint::connect_with` holds `self.inner.state` and calls
    // `endpoint.inner.connect(..)` (quinn-proto's, linked by name to quinn's own `Endpoint::connect`, which
    // calls `self.connect_with` again): that would lock the state of another endpoint, not this one. Through
    // `self.f()` calls, or on a static, it is the same lock.
    check(
        r#"
use std::sync::Mutex;
static TABLE: Mutex<u8> = Mutex::new(0); // expect: global-state
pub struct Endpoint { state: Mutex<u8> }
impl Endpoint {
    pub fn connect(&self) -> u8 {
        self.connect_with(1)
    }
    pub fn connect_with(&self, x: u8) -> u8 {
        let endpoint = self.state.lock().unwrap();
        let _ = endpoint.inner.connect();
        *endpoint + x
    }
    pub fn transfer(&self, other: &Endpoint) {
        let _g = self.state.lock().unwrap();
        let _ = other.connect_with(2);
    }
    pub fn relock(&self) {
        let _g = self.state.lock().unwrap();
        let _ = self.connect(); // expect: double-lock
    }
    fn table(&self) -> u8 {
        *TABLE.lock().unwrap()
    }
    pub fn both(&self, other: &Endpoint) {
        let _g = TABLE.lock().unwrap();
        let _ = other.table(); // expect: double-lock
    }
}
"#,
    );
}

#[test]
fn a_read_that_handles_would_block_on_a_handle_without_timeout_does_not_wait() {
    // Closure corpus: cc's async `acquire` calls `HelperThread::try_recv`, which drains a pipe it made
    // non-blocking (`O_NONBLOCK`, through libc) in a `match` with an arm for `WouldBlock`. A file, pipe or
    // stdio handle only gives `WouldBlock` when it is non-blocking; a socket also does when a timeout it waited
    // for elapses, so its read still blocks, as does a file read that does not expect `WouldBlock`.
    check(
        r#"
use std::io::{self, Read};
pub struct Helper { notified: std::fs::File, sock: std::net::TcpStream }
impl Helper {
    fn drain(&mut self) -> io::Result<()> {
        loop {
            match self.notified.read(&mut [0; 64]) { // expect: io
                Ok(0) => return Ok(()),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) => return Err(e),
            }
        }
    }
    fn timed(&mut self) -> io::Result<usize> {
        match self.sock.read(&mut [0; 64]) { // expect: io
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(0),
            other => other,
        }
    }
    fn plain(&mut self) -> io::Result<usize> {
        match self.notified.read(&mut [0; 64]) { // expect: io
            Err(e) => Err(e),
            other => other,
        }
    }
    pub async fn acquire(&mut self) -> io::Result<()> {
        self.drain()?;
        self.timed()?; // expect: blocking-in-async
        self.plain()?; // expect: blocking-in-async
        Ok(())
    }
}
"#,
    );
}

#[test]
fn only_the_atomic_types_of_an_atomics_crate_are_atomics() {
    // Seed 11: portable-atomic's interrupt `Guard { state: super::arch::State }` (a saved interrupt flag, a
    // `u32`) was an atomic, matched by a `portable_atomic::*` prefix; its `AtomicU64` is one.
    check(
        r#"
pub struct Guard { state: portable_atomic::imp::interrupt::arch::State, order: portable_atomic::Ordering }
pub struct Counter { hits: portable_atomic::AtomicU64 } // expect: atomic
"#,
    );
}

#[test]
fn a_statics_lazy_initialiser_waits_once_per_process() {
    // Seed 11: cc's async block calls `ActiveJobTokenServer::new`, whose `JOBSERVER.get_or_init(|| ..)` opens
    // the jobserver's fifo the first time only. What a static's initialiser waits for is a one-time cost: no
    // blocking-in-async or lock-across-blocking, in the body or through calls. An instance's lazy field
    // (`self.cache.get_or_init`) may be filled on every call; a static's initialiser still takes its locks.
    check(
        r#"
use std::sync::{Mutex, OnceLock};
static JOBSERVER: OnceLock<Vec<u8>> = OnceLock::new();
static TABLE: Mutex<u8> = Mutex::new(0); // expect: global-state
pub struct Cached { cache: OnceLock<Vec<u8>> }
fn open_fifo() -> Vec<u8> {
    std::fs::read("/tmp/fifo").unwrap_or_default() // expect: io
}
pub fn server() -> &'static [u8] {
    static SERVER: OnceLock<Vec<u8>> = OnceLock::new();
    SERVER.get_or_init(|| open_fifo())
}
pub fn server_inline() -> &'static [u8] {
    JOBSERVER.get_or_init(|| std::fs::read("/tmp/fifo").unwrap_or_default()) // expect: io
}
pub fn locked_init() -> &'static [u8] {
    JOBSERVER.get_or_init(|| vec![*TABLE.lock().unwrap()])
}
impl Cached {
    pub fn per_instance(&self) -> &[u8] {
        self.cache.get_or_init(|| open_fifo())
    }
}
pub async fn run(c: &Cached) {
    let _ = server();
    let _ = server_inline();
    let _ = c.per_instance(); // expect: blocking-in-async
    let _ = open_fifo(); // expect: blocking-in-async
    let _g = TABLE.lock().unwrap();
    let _ = JOBSERVER.get_or_init(|| std::fs::read("/tmp/fifo").unwrap_or_default()); // expect: io
    let _ = locked_init(); // expect: double-lock
}
"#,
    );
}

#[test]
fn a_thread_local_static_is_not_shared() {
    // Seed 11: thread_local's nightly path keeps each thread's id in a `#[thread_local] static mut`: one copy
    // per thread, so neither the item nor its accesses are shared, unsynchronised state. A `static mut` without
    // the attribute is; a `#[thread_local]` cell is per-thread global state, like `thread_local!`'s.
    let out = check(
        r#"
use std::cell::Cell;
#[thread_local]
static mut THREAD: Option<u64> = None;
#[thread_local]
static DEPTH: Cell<u32> = Cell::new(0); // expect: global-state
static mut SHARED: u64 = 0; // expect: static-mut
pub fn get() -> Option<u64> {
    unsafe { THREAD = Some(SHARED); } // expect: static-mut
    DEPTH.set(DEPTH.get() + 1);
    unsafe { THREAD }
}
"#,
    );
    let depth = out
        .findings
        .iter()
        .find(|f| f.kind == FindingKind::GlobalState)
        .map(|f| f.message.clone());
    assert!(
        depth.is_some_and(|m| m.contains("one copy per thread")),
        "a thread-local static is per thread"
    );
}

#[test]
fn compare_exchange_retries_and_spins_wait_for_other_threads() {
    // Seed 11: dashmap's `lock_exclusive_slow` (compare-exchange retries, spinning, `parking_lot_core::park`)
    // and concurrent-queue's lock-free `pop` (a compare-exchange loop that yields through `busy_wait`) were
    // compute hotspots for their bit arithmetic. A loop that retries a compare-exchange, spins, yields or parks
    // waits for other threads; the same arithmetic over data is compute.
    check(
        r#"
use std::sync::atomic::{AtomicUsize, Ordering};
const SHIFT: usize = 1;
const LAP: usize = 32;
const MARK: usize = 1;
pub struct Queue { head: AtomicUsize, tail: AtomicUsize } // expect: atomic
fn busy_wait() { std::thread::yield_now(); }
impl Queue {
    pub fn pop(&self) -> Result<usize, ()> {
        let mut head = self.head.load(Ordering::Acquire);
        loop {
            let offset = (head >> SHIFT) % LAP;
            let tail = self.tail.load(Ordering::Relaxed);
            let mut new_head = head + (1 << SHIFT);
            if (head >> SHIFT) / LAP != (tail >> SHIFT) / LAP { new_head |= MARK; }
            let mix = (head >> SHIFT) % LAP * 3 + (tail >> SHIFT) / LAP - (head & 7) / 2 + (tail | MARK) * 5;
            if offset == LAP - 1 + mix { busy_wait(); continue; }
            match self.head.compare_exchange_weak(head, new_head, Ordering::SeqCst, Ordering::Acquire) {
                Ok(_) => return Ok(offset * 2 + (new_head & MARK) - (tail >> SHIFT) % 3),
                Err(h) => head = h,
            }
        }
    }
    pub fn spin(&self) -> usize {
        let mut state = self.head.load(Ordering::Relaxed);
        loop {
            while state & MARK == 0 {
                state = (state | MARK << 2) + (state >> SHIFT) % LAP * 3 - (state & 7) / 2;
                std::hint::spin_loop();
            }
            if state % LAP + (state >> SHIFT) / 3 > state & 255 { return state * 2 + 1; }
        }
    }
    pub fn offsets(&self, heads: &[usize]) -> usize { // expect: compute-hotspot
        let mut sum = 0;
        for &head in heads {
            let offset = (head >> SHIFT) % LAP;
            let tail = self.tail.load(Ordering::Relaxed);
            let mut new_head = head + (1 << SHIFT);
            if (head >> SHIFT) / LAP != (tail >> SHIFT) / LAP { new_head |= MARK; }
            let mix = (head >> SHIFT) % LAP * 3 + (tail >> SHIFT) / LAP - (head & 7) / 2 + (tail | MARK) * 5;
            sum += mix + offset * 2 + (new_head & MARK) - (tail >> SHIFT) % 3;
        }
        sum
    }
}
"#,
    );
}

#[test]
fn a_loop_bounded_by_a_mask_runs_a_few_times() {
    // Seed 12: lzma-rust2's `parse_from_slice` loops over the filters of one XZ block header, at most four (two
    // bits of the flags byte: `let num_filters = ((flags & 0x03) + 1) as usize`). A count that is not masked, or
    // a local that may change, is data-sized.
    let header = |name: &str, marker: &str, count: &str| {
        format!(
            r#"
pub fn {name}(data: &[u8], out: &mut [u32; 64]) -> usize {{ {marker}
    let flags = data[0];
    {count};
    let mut offset = 1;
    for i in 0..num_filters {{
        let id = (data[offset] as u32) << 8 | data[offset + 1] as u32;
        let size = (data[offset + 2] & 0x7F) as usize + 1;
        out[i] = id * 3 + (size as u32 % 7) - (id >> 4) / 2 + out[i / 2] * 5;
        offset += size * 2 + (id as usize & 3);
    }}
    offset
}}"#
        )
    };
    let hot = "// expect: compute-hotspot";
    check(
        &[
            header(
                "masked",
                "",
                "let num_filters = ((flags & 0x03) + 1) as usize",
            ),
            header(
                "min",
                "",
                "let num_filters: usize = (flags as usize).min(4)",
            ),
            header("plain", hot, "let num_filters = flags as usize + 1"),
            header(
                "mutable",
                hot,
                "let mut num_filters = (flags & 3) as usize; num_filters *= data.len()",
            ),
        ]
        .concat(),
    );
}

#[test]
fn a_const_fn_without_parameters_computes_a_constant() {
    // Corpus (read while looking for mechanisms, after seed 12): h2's `const fn build_fast_table()` and zmij's
    // `const fn new()` fill lookup tables, in practice at compile time. A `const fn` of an input, or a plain
    // `fn` without one (it may read files or globals), is scored as usual.
    let table = |head: &str, marker: &str| {
        format!(
            r#"
{head} {{ {marker}
    let mut table = [0u32; 256];
    let mut a = 0;
    while a < 256 {{
        let mut i = 0;
        while i < (a & 15) * 17 + 1 {{
            table[(a * 7 + i) % 256] ^= ((a as u32) << 16) | ((i as u32) << 8) | (a * i) as u32;
            i += 1;
        }}
        a += 1;
    }}
    table
}}"#
        )
    };
    let hot = "// expect: compute-hotspot";
    check(
        &[
            table("pub const fn build_fast_table() -> [u32; 256]", ""),
            table("pub const fn of_input(seed: u32) -> [u32; 256]", hot),
            table("pub fn at_run_time() -> [u32; 256]", hot),
        ]
        .concat(),
    );
}

#[test]
fn a_loop_bounded_by_a_small_constant_runs_a_few_times() {
    // Corpus (read after seed 12 for mechanisms): xxhash-rust's `accumulate_512` loops `while idx < ACC_NB` over
    // `const ACC_NB: usize = 8`, chacha20's blocks `0..PAR_BLOCKS`: a named constant bounds a loop as its
    // literal does. A large constant does not.
    check(
        r#"
const ACC_NB: usize = 8;
const LANES: usize = ACC_NB / 2;
const BIG: usize = 1 << 20;
pub fn accumulate(acc: &mut [u64; 8], input: &[u64], secret: &[u64]) {
    let mut idx = 0;
    while idx < ACC_NB {
        let data_val = input[idx * 2] ^ secret[idx + 1];
        acc[idx ^ 1] = acc[idx ^ 1].wrapping_add(data_val * 3 + (data_val >> 32) % 7);
        acc[idx] = acc[idx].wrapping_add((data_val & 0xFFFF_FFFF) * (data_val >> 32) + secret[idx] / 5);
        idx += 1;
    }
    for lane in 0..LANES {
        acc[lane] = acc[lane] * 7 + (acc[lane + 1] >> 3) % 11 - acc[lane] / 3 + input[lane] * secret[lane];
    }
}
pub fn local_const(acc: &mut [u64; 8], input: &[u64]) {
    const CHUNK: usize = 4;
    for i in 0..CHUNK {
        acc[i] = acc[i] * 7 + (acc[i + 1] >> 3) % 11 - acc[i] / 3 + input[i] * input[i + 1] ^ input[i * 2];
        acc[i + 4] = acc[i] * 5 + (acc[i + 2] >> 2) % 13 - acc[i] / 9 + input[i] * input[i + 3];
    }
}
pub fn large(acc: &mut [u64], input: &[u64]) { // expect: compute-hotspot
    for i in 0..BIG {
        acc[i] = acc[i] * 7 + (acc[i + 1] >> 3) % 11 - acc[i] / 3 + input[i] * input[i + 1] ^ input[i * 2];
        acc[i + 4] = acc[i] * 5 + (acc[i + 2] >> 2) % 13 - acc[i] / 9 + input[i] * input[i + 3];
    }
}
"#,
    );
}

#[test]
fn a_cell_inside_a_lock_is_guarded_shared_state() {
    // Seed 13: event-listener's `List(critical_section::Mutex<RefCell<Inner>>)`, built as
    // `critical_section::Mutex::new(RefCell::new(inner))`, was single-thread state. A `Cell` or `RefCell` is
    // `Send`: inside a lock it is shared between threads, guarded. An `Rc` is not `Send`, so a lock does not
    // make it shareable; a cell outside a lock stays on one thread.
    check(
        r#"
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Mutex;
pub struct List(critical_section::Mutex<RefCell<Vec<u8>>>);
pub struct Guarded { inner: Mutex<RefCell<u32>> }
pub struct Pinned { inner: Mutex<Rc<u32>> } // expect: single-thread-state
pub struct Plain { inner: RefCell<u32> } // expect: single-thread-state
pub fn new_list(v: Vec<u8>) -> List {
    List(critical_section::Mutex::new(RefCell::new(v)))
}
pub fn new_guarded() -> Guarded {
    Guarded { inner: Mutex::new(RefCell::new(0)) }
}
pub fn new_plain() -> Plain {
    Plain { inner: RefCell::new(0) } // expect: single-thread-state
}
pub fn new_pinned() -> Pinned {
    Pinned { inner: Mutex::new(Rc::new(0)) } // expect: single-thread-state
}
"#,
    );
}

#[test]
fn a_branch_that_leaves_the_loop_runs_once() {
    // Closure corpus (read after seed 14 for mechanisms): crossbeam's and concurrent-queue's `len` retry
    // `loop { load tail and head; if tail did not move { rotate the indices ..; return tail - head } }`: all
    // the arithmetic is in the branch that returns, which runs once per call, not once a turn (so is h2's
    // `decode_code_slow` emitting its symbol). A branch that stays in the loop, one that only leaves an inner
    // loop, one that may `continue` an outer loop first (syn's `whitespace::skip` skipping comments), and a
    // `return` inside a closure (it leaves the closure only) are work of the loop.
    let len = |name: &str, marker: &str, exit: &str| {
        format!(
            r#"
pub fn {name}(tail_at: &AtomicUsize, head_at: &AtomicUsize) -> usize {{ {marker}
    let mut total = 0;
    loop {{
        let mut tail = tail_at.load(Ordering::SeqCst);
        let mut head = head_at.load(Ordering::SeqCst);
        if tail_at.load(Ordering::SeqCst) == tail {{
            tail &= !((1 << SHIFT) - 1);
            head &= !((1 << SHIFT) - 1);
            if (tail >> SHIFT) & (LAP - 1) == LAP - 1 {{ tail = tail.wrapping_add(1 << SHIFT); }}
            let lap = (head >> SHIFT) / LAP;
            tail = tail.wrapping_sub((lap * LAP) << SHIFT);
            total += tail - head - tail / LAP;
            {exit}
        }}
    }}
}}"#
        )
    };
    let hot = "// expect: compute-hotspot";
    check(
        &[
            len("returns", "", "return total;"),
            len("breaks", "", "break total;"),
            len("panics", "", "panic!(\"{total}\");"),
            len("labelled", "", "{ break 'done; }"),
            len("stays", hot, "tail_at.store(total, Ordering::SeqCst);"),
            len(
                "continues_first",
                hot,
                "if total > 3 { continue; } return total;",
            ),
            len(
                "closure",
                hot,
                "let f = || { return total; }; tail_at.store(f(), Ordering::SeqCst);",
            ),
        ]
        .concat()
        .replace(
            "pub fn labelled(tail_at: &AtomicUsize, head_at: &AtomicUsize) -> usize { \n    let mut total = 0;\n    loop {",
            "pub fn labelled(tail_at: &AtomicUsize, head_at: &AtomicUsize) -> usize { \n    let mut total = 0;\n    'done: loop {",
        ),
    );
    // An inner loop's `break` leaves the inner loop only: its branch still runs once per outer turn; a
    // `continue 'outer` from a loop inside the branch starts another turn of the outer loop.
    check(
        r#"
pub fn inner_break(rows: &[Vec<u64>]) -> u64 { // expect: compute-hotspot
    let mut total = 0;
    for row in rows {
        for &x in row {
            if x > 7 {
                total += (x * 3 + (x >> 2) % 5 - x / 7) ^ (x << 1) | (x & 255) + x * x - (x % 11) * 13;
                break;
            }
        }
    }
    total
}
pub fn skip(mut s: &[u8]) -> usize { // expect: compute-hotspot
    let mut n = 0;
    'skip: while s.len() > 0 {
        if s[0] == b'/' {
            let mut i = 0;
            while i < s.len() {
                if s[i] == b'*' && s[i + 1] == b'/' { s = &s[i + 2..]; n += i * 2 + 1; continue 'skip; }
                n += (s[i] as usize * 3) % 7 + i / 2;
                i += 1;
            }
            return n;
        }
        s = &s[1..];
    }
    n
}
"#,
    );
}

#[test]
fn a_method_of_a_range_or_a_literal_is_std_s() {
    // Closure corpus, read for mechanisms after seed 14: zip's `read_huffman_code` and `ReduceState::expand_until`
    // check `debug_assert!((1..=16).contains(&len))` in their loops, and the call was linked by name to zip's own
    // `MagicPositionCache::contains`, which reads a file (once readers known only by their trait wait): their
    // loops would take it for a wait. A range or a string
    // literal is std's; `x.contains(..)` on a value of unknown type is still linked by name.
    check(
        r#"
pub struct Cache { path: String }
impl Cache {
    pub fn contains(&self, x: &u8) -> bool { std::fs::read(&self.path).unwrap().contains(x) } // expect: io
}
pub fn lengths(data: &[u8], out: &mut [u32]) { // expect: compute-hotspot
    for i in 0..data.len() {
        let b = data[i] as u32;
        debug_assert!((1..=16).contains(&b) && "abc".contains('a'));
        out[i] = (b ^ 7) * 3 + (b >> 2) % 5 - (b & 7) / 2 + out[i / 2] * 7 + (i % 3) as u32 * (b | 1);
    }
}
pub fn cached(c: &Cache, data: &[u8], out: &mut [u32]) {
    for i in 0..data.len() {
        let b = data[i] as u32;
        if c.contains(&data[i]) { out[i] = 0; }
        out[i] = (b ^ 7) * 3 + (b >> 2) % 5 - (b & 7) / 2 + out[i / 2] * 7 + (i % 3) as u32 * (b | 1);
    }
}
"#,
    );
}

#[test]
fn a_loop_reading_a_reader_known_only_by_its_trait_may_wait() {
    // Seeds 5 and 14: lzma-rust2's `BcjReader::read` (`impl<R: Read> Read for BcjReader<R>`) loops copying
    // filtered bytes out and reading more from `self.inner: R`; flate2's `GzHeaderParser::parse<R: BufRead>`
    // reads a gzip header through `read_to_nul(r, ..)`, a loop over `r.bytes()`. A reader known only by its trait
    // may be a file or a socket: the loop around a read on it may wait on I/O, as a loop reading a file does, and
    // keeps none of its work (no `io` finding: it may as well be a slice). One read per call (a helper, a
    // buffer flush) does not make its callers' loops wait; a type built over a reader (`BitReader<R>`) and a
    // concrete reader known not to wait (`&[u8]`) are not such a reader, nor is a field that is not one.
    let adapter = |name: &str, marker: &str, head: &str, read: &str| {
        format!(
            r#"
pub struct {name}<R> {{ inner: R, inputs: Vec<R>, buf: Vec<u8>, pos: usize, filtered: usize }}
{head} {{
    pub fn read(&mut self, out: &mut [u8]) -> usize {{ {marker}
        let mut off = 0;
        loop {{
            let n = self.filtered.min(out.len() - off);
            out[off..off + n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
            self.pos += n * 2 - n;
            off += n + (self.pos & 7) * 0;
            self.filtered -= n;
            if self.pos + self.filtered == self.buf.len() {{ self.pos = (self.pos % 4) * 0; }}
            let got = {read};
            self.filtered += got * 2 / 2 + (got >> 8) - (off % 3) * 0;
        }}
    }}
}}"#
        )
    };
    let hot = "// expect: compute-hotspot";
    check(
        &[
            adapter(
                "Bcj",
                "",
                "impl<R: Read> Bcj<R>",
                "self.inner.read(&mut self.buf).unwrap()",
            ),
            adapter(
                "Where",
                "",
                "impl<R> Where<R> where R: std::io::BufRead",
                "self.inner.fill_buf().unwrap().len()",
            ),
            adapter(
                "Many",
                "",
                "impl<R: Read> Many<R>",
                "self.inputs[self.pos % 4].read(&mut self.buf).unwrap()",
            ),
            adapter(
                "Plain",
                hot,
                "impl<R: Clone> Plain<R>",
                "self.inner.read(&mut self.buf).unwrap()",
            ),
            adapter(
                "Other",
                hot,
                "impl<R: Read> Other<R>",
                "self.buf.read(&mut [0u8; 4]).unwrap()",
            ),
        ]
        .concat(),
    );
    check(
        r#"
use std::io::{BufRead, Read, Write};
fn read_into<R: Read>(r: &mut R, buf: &mut [u8]) -> usize { r.read(buf).unwrap_or(0) }
fn read_to_nul<R: BufRead>(r: &mut R, out: &mut Vec<u8>) {
    let mut bytes = r.bytes();
    loop {
        match bytes.next() { Some(Ok(0)) | None => return, Some(b) => out.push(b.unwrap_or(0)) }
    }
}
pub fn header<R: BufRead>(r: &mut R, buf: &mut [u8; 10], flags: &mut u32) -> u32 {
    let mut count = 0;
    loop {
        while count < buf.len() { count += read_into(r, &mut buf[count..]); }
        *flags = (buf[3] as u32) << 24 | (buf[4] as u32) << 16 | (buf[5] as u32) << 8 | buf[6] as u32;
        if *flags & 0x80 != 0 { let mut name = Vec::new(); read_to_nul(r, &mut name); count += name.len() * 2 % 7; }
        count = (count + (*flags >> 3) as usize % 5) * 2 - count / 3;
        if count > 64 { return count as u32; }
    }
}
pub fn lines(r: &mut dyn BufRead) -> u64 {
    let mut total = 0u64;
    for line in r.lines() {
        let line = line.unwrap();
        for b in line.bytes() { total = total.wrapping_mul(31) + (b as u64 ^ 7) * 3 + (total >> 7) % 11; }
    }
    total
}
pub fn dump(w: &mut impl Write, rows: &[Vec<u32>]) {
    for row in rows {
        for x in row {
            let y = x * 3 + (x >> 2) % 5 - x / 7 + (x << 1) ^ 255 | (x & 7) * x + (x % 9) * 2;
            write!(w, "{y} ").unwrap();
        }
    }
}
pub struct Out<W: Write> { inner: W, buf: [u8; 64], pos: usize }
impl<W: Write> Out<W> {
    fn flush_buffer(&mut self) { self.inner.write_all(&self.buf[..self.pos]).unwrap(); self.pos = 0; }
    pub fn encode(&mut self, data: &[u8]) { // expect: compute-hotspot
        for (i, &b) in data.iter().enumerate() {
            let x = (b as usize * 7 + i) ^ (i >> 3) % 13 + (b as usize & 15) * 3 - (i % 5) / 2;
            self.buf[self.pos] = (x + (x >> 8) * 5 + (x % 251) * 3) as u8;
            self.pos += 1;
            if self.pos == 64 { self.flush_buffer(); }
        }
    }
}
pub fn bits<T: Read>(r: &mut BitReader<T>, out: &mut [u8]) { // expect: compute-hotspot
    for i in 0..out.len() {
        let b: u8 = r.read(8).unwrap();
        out[i] = (b ^ (i as u8) * 3) + (b >> 2) % 5 - (b & 7) / 2 + out[i / 2] * 7 + (i % 3) as u8 * (b | 1);
    }
}
pub fn slice(r: &mut &[u8], out: &mut [u8]) { // expect: compute-hotspot
    for i in 0..out.len() {
        let mut b = [0u8; 1];
        r.read(&mut b).unwrap();
        out[i] = (b[0] ^ (i as u8) * 3) + (b[0] >> 2) % 5 - (b[0] & 7) / 2 + out[i / 2] * 7 + (i % 3) as u8 * (b[0] | 1);
    }
}
"#,
    );
}

#[test]
fn a_simd_intrinsic_is_an_operation() {
    // Closure corpus: bstr's `first_non_ascii_byte_sse2` scans a slice 64 bytes a turn with `_mm_load_si128`,
    // `_mm_or_si128` and `_mm_movemask_epi8` (from `use core::arch::x86_64::*`): each is an operation on a
    // vector, as `a | b` is on an integer. The same names from elsewhere (not imported here) are plain calls.
    let scan = |name: &str, marker: &str, uses: &str| {
        format!(
            r#"
pub fn {name}(v: &[u8]) -> usize {{ {marker}
    {uses}
    let mut i = 0;
    let mut found = 0;
    while i + 64 <= v.len() {{
        unsafe {{
            let a = _mm_loadu_si128(v.as_ptr().add(i) as *const _);
            let b = _mm_loadu_si128(v.as_ptr().add(i + 16) as *const _);
            let c = _mm_loadu_si128(v.as_ptr().add(i + 32) as *const _);
            let d = _mm_loadu_si128(v.as_ptr().add(i + 48) as *const _);
            let m = _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(a, b), _mm_or_si128(c, d)));
            found |= _mm_cvtsi128_si32(_mm_and_si128(a, _mm_xor_si128(b, c))) as usize;
            found += m as usize;
        }}
        i += 64;
    }}
    found
}}"#
        )
    };
    let hot = "// expect: compute-hotspot";
    check(
        &[
            scan("std_arch", hot, "use std::arch::x86_64::*;"),
            scan("core_arch", hot, "use core::arch::x86_64::{_mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_cvtsi128_si32, _mm_and_si128, _mm_xor_si128};"),
            scan("own", "", ""),
        ]
        .concat(),
    );
}

#[test]
fn a_loop_over_a_small_fixed_size_array_runs_a_few_times() {
    // Closure corpus: chacha20's `add_xor_rot(blocks: &mut [[__m128i; 4]; PAR_BLOCKS])` loops over its
    // `PAR_BLOCKS` (4) blocks, sha1_smol's `process` over `let mut words = [0u32; 16]`, quinn-proto's
    // `poll_transmit` `while space_idx < spaces.len()` over three packet-number spaces: an array's length is
    // its type's, so these are small loops as `0..4` is. A slice is data-sized; 64 blocks are a constant
    // count, fixed work per call; an array of 2048 runs more turns than `FIXED_WORK_TRIPS`.
    let rot = |name: &str, marker: &str, ty: &str, head: &str| {
        format!(
            r#"
pub fn {name}(blocks: {ty}) {{ {marker}
    let mut words = [0u32; 16];
    {head} {{
        b[0] = b[0].wrapping_add(b[1]) ^ (b[3] << 16 | b[3] >> 16) + words[0] * 3;
        b[2] = b[2].wrapping_add(b[3]) ^ (b[1] << 12 | b[1] >> 20) + words[1] % 7;
        b[0] = b[0].wrapping_add(b[1]) ^ (b[3] << 8 | b[3] >> 24) - words[2] / 5;
        b[2] = b[2].wrapping_add(b[3]) ^ (b[1] << 7 | b[1] >> 25) & words[3];
    }}
    for w in words.iter_mut() {{ *w = (*w ^ 0x5a) * 3 + (*w >> 2) % 5 - (*w & 7) / 2; }}
    let mut i = 0;
    while i < words.len() {{ words[i] = words[i] * 7 + (words[i] >> 3) % 11 - words[i] / 3; i += 1; }}
}}"#
        )
    };
    let hot = "// expect: compute-hotspot";
    check(
        &[
            "const PAR_BLOCKS: usize = 4;".to_string(),
            rot(
                "par_blocks",
                "",
                "&mut [[u32; 4]; PAR_BLOCKS]",
                "for b in blocks.iter_mut()",
            ),
            rot("deref", "", "&mut [[u32; 4]; 8]", "for b in &mut *blocks"),
            rot(
                "slice",
                hot,
                "&mut [[u32; 4]]",
                "for b in blocks.iter_mut()",
            ),
            // 64 blocks: a constant count, fixed work per call (at most FIXED_WORK_TRIPS turns in all).
            rot(
                "medium",
                "",
                "&mut [[u32; 4]; 64]",
                "for b in blocks.iter_mut()",
            ),
            rot(
                "long",
                hot,
                "&mut [[u32; 4]; 2048]",
                "for b in blocks.iter_mut()",
            ),
        ]
        .concat(),
    );
}

#[test]
fn a_loop_counted_to_a_small_bound_runs_a_few_times() {
    // Closure corpus: aes' bitsliced key schedules run `loop { ..; rcon += 1; if rcon >= 8 { break; } .. }`,
    // eight rounds a key, and were scored as data-sized loops. A counter that starts where the syntax does not
    // say, that the body writes elsewhere, that a `continue` may skip, that an enclosing loop does not reset,
    // or that counts to a large bound, is no such bound.
    let schedule = |name: &str, marker: &str, start: &str, exit: &str, extra: &str| {
        format!(
            r#"
pub fn {name}(key: &[u32; 8], rkeys: &mut [u32; 120], mut from: usize) {{ {marker}
    {start}
    let mut off = 8;
    loop {{
        for i in 0..8 {{
            rkeys[off + i] = (rkeys[off - 8 + i] >> 3 & 0x1111) | (key[i] << 5 & 0x2222) ^ rkeys[off + i - 1];
        }}
        rcon += 1;
        {extra}
        off += 8;
        rkeys[off % 120] ^= (rcon as u32) * 0x1b + (rkeys[off / 2] >> 7) % 3;
        {exit}
        rkeys[off + 1] = rkeys[off] ^ (rkeys[off - 1] << 2) | rkeys[off - 2] & (off as u32 * 5 - 1);
    }}
}}"#
        )
    };
    let hot = "// expect: compute-hotspot";
    let zero = "let mut rcon = 0;";
    let ge8 = "if rcon >= 8 { break; }";
    check(
        &[
            schedule("ge", "", zero, ge8, ""),
            schedule("eq", "", zero, "if rcon == 7 { return; }", ""),
            schedule(
                "gt_swapped",
                "",
                "let mut rcon: u8 = 2;",
                "if 9 < rcon { break; }",
                "",
            ),
            schedule("unknown_start", hot, "let mut rcon = from;", ge8, ""),
            schedule(
                "written_before",
                hot,
                "let mut rcon = 0; rcon -= 50;",
                ge8,
                "",
            ),
            schedule(
                "written_in_body",
                hot,
                zero,
                ge8,
                "rcon -= key[0] as usize;",
            ),
            schedule("continues", hot, zero, ge8, "if key[1] == 0 { continue; }"),
            schedule(
                "eq_by_two",
                hot,
                zero,
                "if rcon == 8 { break; }",
                "rcon += 1;",
            ),
            schedule("large", hot, zero, "if rcon >= 100 { break; }", ""),
        ]
        .concat(),
    );
    // Counted in an outer loop's body that does not declare it: not reset for each outer turn.
    check(
        r#"
pub fn outer(rows: &[u32], out: &mut [u32]) { // expect: compute-hotspot
    let mut n = 0;
    for &r in rows {
        loop {
            out[n % 64] = (r >> 3 & 0x1111) | (r << 5 & 0x2222) ^ out[(n + 1) % 64] * 7 - r / 3;
            n += 1;
            if n >= 8 { break; }
        }
    }
}
"#,
    );
}
