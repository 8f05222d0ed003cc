//! The runtime of the cargo-concur harness. This file is a template: cargo-concur embeds it, appends
//! `mod protocol` (the field names and line tags shared with the host, from `protocol.rs`) and a generated
//! `fn entries()` naming the user's workloads, and builds it as a standalone package. It uses std only, so
//! building it needs nothing but the user's crate; when some workload's `run` is an `async fn`, the async
//! part (`harness_async_template.rs`, on tokio) is appended too, else a stub of `run_async`.
//!
//! Private protocol with cargo-concur (names in `protocol`):
//!   harness run <workload> --model sequential|threads|processes|async --workers N [--jobs N]
//!               [--order forward|reverse] [--runtime current-thread|multi-thread --in-flight K]
//!       runs every job once and prints one JSON line on stdout (see `print_report`); exit 0, or 3 after a
//!       failed job (the JSON then carries "error"). A job that ends the whole process (a fatal signal, a
//!       stack overflow, `abort`, `process::exit`) first makes the harness write `JOB_ENDED_MARKER` with
//!       its number on stdout. Jobs always run on spawned threads (sequential: one),
//!       never on the main thread, whose allocator arena behaves differently; setup runs on the main thread
//!       in every in-process model. `--order reverse` runs the sequential jobs last to first. An async
//!       workload's jobs run under the sync models one at a time per thread, each thread blocking on its own
//!       current-thread runtime; under `async` as tasks on one runtime (N worker threads for multi-thread),
//!       K of them in flight.
//!   harness worker <workload>
//!       a worker process: runs setup once, prints `ready <setup_ns>`, then for each job id read from stdin
//!       prints `done <job> <digest hex> <nanos>`; exits on EOF. A panicking job prints
//!       `panic <job> <message>` and exits 101.
//!   harness list
//!       prints `<name> <jobs>` per workload.

use std::fmt::Debug;
use std::io::{BufRead, BufReader, Write};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicPtr, AtomicU8, AtomicUsize, Ordering};
use std::sync::{mpsc, Mutex};
use std::time::Instant;

/// One workload, ready to run jobs (setup already done).
pub trait Instance: Sync {
    /// Runs one job and returns the `Debug` text of its result.
    fn job(&self, job: usize) -> String;
}

/// A workload without setup: `pub fn(usize) -> R`.
pub struct Plain<F>(pub F);

impl<R: Debug, F: Fn(usize) -> R + Sync> Instance for Plain<F> {
    fn job(&self, job: usize) -> String {
        format!("{:?}", (self.0)(job))
    }
}

/// A workload with setup: `pub fn(&S, usize) -> R` sharing the value `setup` built.
pub struct Shared<S, F> {
    state: S,
    run: F,
}

impl<S, F> Shared<S, F> {
    pub fn new(state: S, run: F) -> Shared<S, F> {
        Shared { state, run }
    }
}

impl<S: Sync, R: Debug, F: Fn(&S, usize) -> R + Sync> Instance for Shared<S, F> {
    fn job(&self, job: usize) -> String {
        format!("{:?}", (self.run)(&self.state, job))
    }
}

/// A workload whose `run` is an `async fn`, ready to start jobs as futures (setup already done). It
/// lives for the whole process (leaked), so its futures borrow the setup value for `'static`.
pub trait AsyncInstance: Sync {
    /// Starts one job; the future yields the `Debug` text of its result.
    fn job(
        &'static self,
        job: usize,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = String> + Send + 'static>>;
}

/// A generated table entry: name, number of jobs, and the constructors that run `setup`: `make` for the
/// sync models, `make_async` (async workloads only) for tasks on a runtime.
pub struct Entry {
    pub name: &'static str,
    pub jobs: usize,
    pub make: fn() -> Box<dyn Instance>,
    pub make_async: Option<fn() -> &'static dyn AsyncInstance>,
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

fn fnv1a(hash: u64, bytes: &[u8]) -> u64 {
    let mut h = hash;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(FNV_PRIME);
    }
    h
}

/// Digest of one (job, result text) pair; the run digest is their wrapping sum (order-independent).
fn job_digest(job: usize, text: &str) -> u64 {
    let h = fnv1a(FNV_OFFSET, &(job as u64).to_le_bytes());
    fnv1a(h, text.as_bytes())
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".to_string()
    }
}

fn one_line(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}

fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Linux `struct rusage` (64-bit): two timevals, then 14 longs (maxrss first).
#[repr(C)]
struct Rusage {
    utime: [i64; 2],
    stime: [i64; 2],
    longs: [i64; 14],
}

extern "C" {
    fn wait4(pid: i32, status: *mut i32, options: i32, rusage: *mut Rusage) -> i32;
    fn getrusage(who: i32, rusage: *mut Rusage) -> i32;
    fn fcntl(fd: i32, cmd: i32, ...) -> i32;
    fn dup2(old: i32, new: i32) -> i32;
    fn write(fd: i32, buf: *const u8, count: usize) -> isize;
    fn sigaction(sig: i32, new: *const SigAction, old: *mut SigAction) -> i32;
    fn raise(sig: i32) -> i32;
    fn atexit(callback: extern "C" fn()) -> i32;
}

/// Linux `struct sigaction` (glibc and musl): handler, a 1024-bit mask, flags, restorer.
#[repr(C)]
struct SigAction {
    handler: usize,
    mask: [u64; 16],
    flags: i32,
    restorer: usize,
}

const SA_SIGINFO: i32 = 4;
const SA_ONSTACK: i32 = 0x0800_0000;
/// SIGILL, SIGABRT, SIGBUS, SIGFPE, SIGSEGV: the signals a job can end the process with.
const FATAL_SIGNALS: [i32; 5] = [4, 6, 7, 8, 11];
/// SIGUSR1: the host's timeout is up (SIGKILL follows); name the jobs still running.
const SIGUSR1: i32 = 10;

/// The jobs running now, one slot per thread that runs jobs (job + 1; 0: none), and under processes one
/// per worker process (set by the harness as it hands jobs out); read by the SIGUSR1 handler.
static RUNNING: [AtomicUsize; 256] = [const { AtomicUsize::new(0) }; 256];
static NEXT_SLOT: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// This thread's slot in `RUNNING` (`usize::MAX` until it runs a job).
    static SLOT: std::cell::Cell<usize> = const { std::cell::Cell::new(usize::MAX) };
}

fn running_slot() -> usize {
    SLOT.with(|s| {
        if s.get() == usize::MAX {
            s.set(NEXT_SLOT.fetch_add(1, Ordering::SeqCst) % RUNNING.len());
        }
        s.get()
    })
}

/// Async runs: each job's task state ([`TASK_IN_FLIGHT`] from its spawn until it finished, then
/// [`TASK_DONE`]), `IN_FLIGHT_LEN` of them, set up by `run_async` before its first task (leaked, never
/// freed); read by the SIGUSR1 handler. Null in every other run.
static IN_FLIGHT: AtomicPtr<AtomicU8> = AtomicPtr::new(std::ptr::null_mut());
static IN_FLIGHT_LEN: AtomicUsize = AtomicUsize::new(0);
const TASK_IN_FLIGHT: u8 = 1;
#[allow(dead_code)] // set by the async part only
const TASK_DONE: u8 = 2;

/// The host's timeout: name every job still running, one marker line each; in an async run, every task
/// in flight too, as waiting (the host counts a task named both ways as running: it was being polled).
extern "C" fn on_timeout(_sig: i32, _info: *mut std::ffi::c_void, _context: *mut std::ffi::c_void) {
    for slot in &RUNNING {
        let v = slot.load(Ordering::SeqCst);
        if v > 0 {
            mark_job_ended(v - 1, protocol::JOB_RUNNING_AT_TIMEOUT.as_bytes(), None);
        }
    }
    let board = IN_FLIGHT.load(Ordering::SeqCst);
    if board.is_null() {
        return;
    }
    for job in 0..IN_FLIGHT_LEN.load(Ordering::SeqCst) {
        // SAFETY: `board` points to `IN_FLIGHT_LEN` leaked atomics, stored before the pointer.
        if unsafe { &*board.add(job) }.load(Ordering::SeqCst) == TASK_IN_FLIGHT {
            mark_job_ended(job, protocol::JOB_WAITING_AT_TIMEOUT.as_bytes(), None);
        }
    }
}

/// The protocol channel's descriptor, for the crash marker (-1 until the channel is taken).
static CHANNEL_FD: AtomicI32 = AtomicI32::new(-1);
/// The handler (and its flags) each fatal signal had before ours: Rust's stack-overflow handler for
/// SIGSEGV and SIGBUS, the default for the rest.
static OLD_HANDLER: [AtomicUsize; 32] = [const { AtomicUsize::new(0) }; 32];
static OLD_FLAGS: [AtomicI32; 32] = [const { AtomicI32::new(0) }; 32];

/// Writes `<JOB_ENDED_MARKER><job> <how>[ <n>]` on the protocol channel, with no allocation or lock (it
/// runs in a signal handler, or in `exit` with other threads still running).
fn mark_job_ended(job: usize, how: &[u8], n: Option<i32>) {
    let fd = CHANNEL_FD.load(Ordering::SeqCst);
    if fd < 0 {
        return;
    }
    let mut buf = [0u8; 128];
    let mut len = 0;
    let mut put = |bytes: &[u8]| {
        for &b in bytes {
            if len < buf.len() {
                buf[len] = b;
                len += 1;
            }
        }
    };
    let digits = |mut v: u64, out: &mut [u8; 20]| -> usize {
        let mut i = out.len();
        loop {
            i -= 1;
            out[i] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                return i;
            }
        }
    };
    let mut num = [0u8; 20];
    put(b"\n");
    put(protocol::JOB_ENDED_MARKER.as_bytes());
    let at = digits(job as u64, &mut num);
    put(&num[at..]);
    put(b" ");
    put(how);
    if let Some(n) = n {
        put(b" ");
        let at = digits(n.max(0) as u64, &mut num);
        put(&num[at..]);
    }
    put(b"\n");
    // SAFETY: write(2) of a stack buffer to our own descriptor; async-signal-safe.
    unsafe {
        write(fd, buf.as_ptr(), len);
    }
}

/// A fatal signal on a thread running a job: name the job on the protocol channel, then let the signal
/// do what it would have done (Rust's handler reports a stack overflow and aborts; else the default).
extern "C" fn on_fatal_signal(sig: i32, info: *mut std::ffi::c_void, context: *mut std::ffi::c_void) {
    if let Some(job) = CURRENT_JOB.with(|c| c.get()) {
        mark_job_ended(job, protocol::JOB_ENDED_SIGNAL.as_bytes(), Some(sig));
    }
    let i = sig as usize % 32;
    let old = OLD_HANDLER[i].load(Ordering::SeqCst);
    if old > 1 && OLD_FLAGS[i].load(Ordering::SeqCst) & SA_SIGINFO != 0 {
        // SAFETY: `old` is the SA_SIGINFO handler sigaction(2) returned for this signal.
        let chained: extern "C" fn(i32, *mut std::ffi::c_void, *mut std::ffi::c_void) =
            unsafe { std::mem::transmute(old) };
        chained(sig, info, context);
        return;
    }
    let default = SigAction { handler: old, mask: [0; 16], flags: 0, restorer: 0 };
    // SAFETY: sigaction(2) and raise(2) are async-signal-safe; the signal is blocked until we return, so
    // the raised one is delivered then, under the restored action.
    unsafe {
        sigaction(sig, &default, std::ptr::null_mut());
        raise(sig);
    }
}

/// `process::exit` from a job: name the job before the process goes.
extern "C" fn on_exit() {
    if let Some(job) = CURRENT_JOB.with(|c| c.get()) {
        mark_job_ended(job, protocol::JOB_ENDED_EXIT.as_bytes(), None);
    }
}

/// Names the job that ends the whole process (a fatal signal, `process::exit`) on the protocol channel,
/// so the host records which job crashed under the in-process models too.
fn install_crash_marker() {
    for sig in FATAL_SIGNALS {
        let new = SigAction {
            handler: on_fatal_signal as extern "C" fn(i32, *mut std::ffi::c_void, *mut std::ffi::c_void)
                as usize,
            mask: [0; 16],
            flags: SA_SIGINFO | SA_ONSTACK,
            restorer: 0,
        };
        let mut old = SigAction { handler: 0, mask: [0; 16], flags: 0, restorer: 0 };
        // SAFETY: valid sigaction structs; the handler only reads a thread-local and calls
        // async-signal-safe functions.
        if unsafe { sigaction(sig, &new, &mut old) } == 0 {
            OLD_HANDLER[sig as usize % 32].store(old.handler, Ordering::SeqCst);
            OLD_FLAGS[sig as usize % 32].store(old.flags, Ordering::SeqCst);
        }
    }
    let timeout = SigAction {
        handler: on_timeout as extern "C" fn(i32, *mut std::ffi::c_void, *mut std::ffi::c_void) as usize,
        mask: [0; 16],
        flags: SA_SIGINFO | SA_ONSTACK,
        restorer: 0,
    };
    // SAFETY: registers a plain `extern "C" fn()`, and a handler that only reads atomics and calls
    // write(2).
    unsafe {
        atexit(on_exit);
        sigaction(SIGUSR1, &timeout, std::ptr::null_mut());
    }
}

/// Linux `F_DUPFD_CLOEXEC`: duplicate onto the lowest free descriptor, close-on-exec.
const F_DUPFD_CLOEXEC: i32 = 1030;

/// A copy of `fd` that processes a job starts do not inherit (a plain `dup` would be inherited: a
/// grandchild holding the protocol pipe open would keep the reader from ever seeing its end).
fn dup_cloexec(fd: i32) -> i32 {
    // SAFETY: fcntl(2) on one of this process's own descriptors; no pointers.
    unsafe { fcntl(fd, F_DUPFD_CLOEXEC, 0) }
}

/// The protocol channel: the original stdout (and, for workers, stdin), moved to fresh close-on-exec
/// descriptors so that the user's jobs printing to stdout (it now goes to stderr) or reading stdin (now
/// /dev/null) cannot disturb it, and processes they start do not hold it open.
struct Channel {
    out: std::fs::File,
    input: Option<std::fs::File>,
}

fn take_channel(with_input: bool) -> Channel {
    use std::os::unix::io::{AsRawFd, FromRawFd};
    // SAFETY: dup2 on the process's own standard descriptors; each new descriptor is owned by exactly
    // one `File`.
    unsafe {
        let out_fd = dup_cloexec(1);
        if out_fd < 0 {
            usage("cannot duplicate stdout");
        }
        CHANNEL_FD.store(out_fd, Ordering::SeqCst);
        dup2(2, 1);
        let input = if with_input {
            let in_fd = dup_cloexec(0);
            if in_fd < 0 {
                usage("cannot duplicate stdin");
            }
            if let Ok(null) = std::fs::File::open("/dev/null") {
                dup2(null.as_raw_fd(), 0);
            }
            Some(std::fs::File::from_raw_fd(in_fd))
        } else {
            None
        };
        Channel {
            out: std::fs::File::from_raw_fd(out_fd),
            input,
        }
    }
}

/// Peak resident memory of this process's own address space (`VmHWM`), in KB; 0 where /proc has none.
/// Unlike rusage's maxrss it does not include the image of the process that forked this one before exec.
fn self_hwm_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
            line.split_whitespace().nth(1)?.parse().ok()
        })
        .unwrap_or(0)
}

fn self_maxrss_kb() -> u64 {
    let mut ru = Rusage {
        utime: [0; 2],
        stime: [0; 2],
        longs: [0; 14],
    };
    // SAFETY: `ru` is a valid, writable `struct rusage`; RUSAGE_SELF is 0.
    let rc = unsafe { getrusage(0, &mut ru) };
    if rc == 0 {
        ru.longs[0].max(0) as u64
    } else {
        0
    }
}

/// Reaps a worker; returns (exit description, maxrss in KB).
fn reap(pid: u32) -> (String, u64) {
    let mut status = 0i32;
    let mut ru = Rusage {
        utime: [0; 2],
        stime: [0; 2],
        longs: [0; 14],
    };
    loop {
        // SAFETY: valid pointers to a status word and a `struct rusage`; `pid` is our own child.
        let rc = unsafe { wait4(pid as i32, &mut status, 0, &mut ru) };
        if rc == pid as i32 {
            break;
        }
        if rc == -1 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
            continue;
        }
        return ("not waitable".to_string(), 0);
    }
    let how = if status & 0x7f == 0 {
        format!("exit code {}", (status >> 8) & 0xff)
    } else {
        format!("signal {}", status & 0x7f)
    };
    (how, ru.longs[0].max(0) as u64)
}

struct Failure {
    kind: &'static str,
    job: Option<usize>,
    message: String,
}

struct Report {
    setup_ns: u64,
    setup_ns_per_worker: Vec<u64>,
    jobs_wall_ns: u64,
    job_ns: Vec<u64>,
    job_digests: Vec<u64>,
    digest: u64,
    workers_maxrss_kb: u64,
    workers_spawned: usize,
}

impl Report {
    /// The report of a run in this process, after a setup of `setup_ns`, before any of `jobs` ran.
    fn in_process(setup_ns: u64, jobs: usize) -> Report {
        Report {
            setup_ns,
            setup_ns_per_worker: vec![setup_ns],
            jobs_wall_ns: 0,
            job_ns: vec![0; jobs],
            job_digests: vec![0; jobs],
            digest: 0,
            workers_maxrss_kb: 0,
            workers_spawned: 0,
        }
    }
}

fn print_report(
    channel: &mut Channel,
    workload: &str,
    model: &str,
    workers: usize,
    jobs: usize,
    report: &Report,
    failure: Option<&Failure>,
) {
    let list = |v: &[u64]| format!("[{}]", v.iter().map(u64::to_string).collect::<Vec<_>>().join(","));
    let digests: Vec<String> = report.job_digests.iter().map(|d| json_string(&format!("{d:016x}"))).collect();
    let error = match failure {
        None => "null".to_string(),
        Some(f) => format!(
            "{{{}:{},{}:{},{}:{}}}",
            json_string(protocol::ERROR_KIND),
            json_string(f.kind),
            json_string(protocol::ERROR_JOB),
            f.job.map_or("null".to_string(), |j| j.to_string()),
            json_string(protocol::ERROR_MESSAGE),
            json_string(&f.message)
        ),
    };
    let fields: [(&str, String); 14] = [
        (protocol::WORKLOAD, json_string(workload)),
        (protocol::MODEL, json_string(model)),
        (protocol::WORKERS, workers.to_string()),
        (protocol::JOBS, jobs.to_string()),
        (protocol::SETUP_NS, report.setup_ns.to_string()),
        (protocol::SETUP_NS_PER_WORKER, list(&report.setup_ns_per_worker)),
        (protocol::JOBS_WALL_NS, report.jobs_wall_ns.to_string()),
        (protocol::JOB_NS, list(&report.job_ns)),
        (protocol::JOB_DIGESTS, format!("[{}]", digests.join(","))),
        (protocol::DIGEST, json_string(&format!("{:016x}", report.digest))),
        (protocol::SELF_MAXRSS_KB, self_maxrss_kb().to_string()),
        (protocol::SELF_HWM_KB, self_hwm_kb().to_string()),
        (protocol::WORKERS_MAXRSS_KB, report.workers_maxrss_kb.to_string()),
        (protocol::WORKERS_SPAWNED, report.workers_spawned.to_string()),
    ];
    let mut line = String::from("{");
    for (name, value) in fields {
        line.push_str(&format!("{}:{value},", json_string(name)));
    }
    line.push_str(&format!("{}:{error}}}", json_string(protocol::ERROR)));
    let _ = writeln!(channel.out, "{line}");
    let _ = channel.out.flush();
}

fn usage(message: &str) -> ! {
    eprintln!("concur harness: {message}");
    std::process::exit(2)
}

fn find(name: &str) -> Entry {
    match entries().into_iter().find(|e| e.name == name) {
        Some(e) => e,
        None => usage(&format!("no workload named {name}")),
    }
}

fn make_timed(entry: &Entry) -> (Box<dyn Instance>, u64) {
    let start = Instant::now();
    let instance = (entry.make)();
    (instance, start.elapsed().as_nanos() as u64)
}

fn run_sequential(entry: &Entry, jobs: usize, reverse: bool) -> (Report, Option<Failure>) {
    let (instance, setup_ns) = make_timed(entry);
    let mut report = Report::in_process(setup_ns, jobs);
    let order: Vec<usize> = if reverse { (0..jobs).rev().collect() } else { (0..jobs).collect() };
    let start = Instant::now();
    // One spawned thread, as threads ×1 runs its jobs: the main thread's allocator arena differs.
    let failure = std::thread::scope(|scope| {
        let worker = scope.spawn(|| {
            for job in order {
                let t = Instant::now();
                match catch_unwind(AssertUnwindSafe(|| run_job(&*instance, job))) {
                    Ok(text) => {
                        report.job_ns[job] = t.elapsed().as_nanos() as u64;
                        let d = job_digest(job, &text);
                        report.job_digests[job] = d;
                        report.digest = report.digest.wrapping_add(d);
                    }
                    Err(p) => {
                        let message = one_line(&panic_text(p.as_ref()));
                        return Some(Failure { kind: protocol::KIND_PANIC, job: Some(job), message });
                    }
                }
            }
            None
        });
        worker.join().unwrap_or_else(|_| {
            Some(Failure { kind: protocol::KIND_CRASH, job: None, message: "the job thread died".into() })
        })
    });
    report.jobs_wall_ns = start.elapsed().as_nanos() as u64;
    (report, failure)
}

fn run_threads(entry: &Entry, jobs: usize, workers: usize) -> (Report, Option<Failure>) {
    let (instance, setup_ns) = make_timed(entry);
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let results: Mutex<Vec<(usize, u64, u64)>> = Mutex::new(Vec::with_capacity(jobs));
    let failure: Mutex<Option<Failure>> = Mutex::new(None);
    let start = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                let mut mine = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let job = next.fetch_add(1, Ordering::Relaxed);
                    if job >= jobs {
                        break;
                    }
                    let t = Instant::now();
                    match catch_unwind(AssertUnwindSafe(|| run_job(&*instance, job))) {
                        Ok(text) => {
                            mine.push((job, job_digest(job, &text), t.elapsed().as_nanos() as u64))
                        }
                        Err(p) => {
                            stop.store(true, Ordering::Relaxed);
                            let message = one_line(&panic_text(p.as_ref()));
                            let mut f = failure.lock().unwrap_or_else(|e| e.into_inner());
                            if f.is_none() {
                                *f = Some(Failure { kind: protocol::KIND_PANIC, job: Some(job), message });
                            }
                            break;
                        }
                    }
                }
                results.lock().unwrap_or_else(|e| e.into_inner()).extend(mine);
            });
        }
    });
    let mut report = Report::in_process(setup_ns, jobs);
    report.jobs_wall_ns = start.elapsed().as_nanos() as u64;
    for (job, digest, ns) in results.into_inner().unwrap_or_else(|e| e.into_inner()) {
        report.job_ns[job] = ns;
        report.job_digests[job] = digest;
        report.digest = report.digest.wrapping_add(digest);
    }
    (report, failure.into_inner().unwrap_or_else(|e| e.into_inner()))
}

enum WorkerEvent {
    Line(usize, String),
    Closed(usize),
}

fn run_processes(name: &str, jobs: usize, workers: usize) -> (Report, Option<Failure>) {
    let exe = match std::env::current_exe() {
        Ok(p) => p,
        Err(e) => usage(&format!("cannot find own executable: {e}")),
    };
    let count = workers.min(jobs).max(1);
    let mut report = Report {
        setup_ns: 0,
        setup_ns_per_worker: vec![0; count],
        jobs_wall_ns: 0,
        job_ns: vec![0; jobs],
        job_digests: vec![0; jobs],
        digest: 0,
        workers_maxrss_kb: 0,
        workers_spawned: 0,
    };
    let start = Instant::now();
    let (tx, rx) = mpsc::channel();
    let mut children = Vec::new();
    let mut stdins = Vec::new();
    for w in 0..count {
        let spawned = Command::new(&exe)
            .arg("worker")
            .arg(name)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn();
        let mut child = match spawned {
            Ok(c) => c,
            Err(e) => {
                let message = format!("cannot start worker process: {e}");
                return (report, Some(Failure { kind: protocol::KIND_CRASH, job: None, message }));
            }
        };
        report.workers_spawned += 1;
        stdins.push(child.stdin.take());
        if let Some(out) = child.stdout.take() {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(out).lines() {
                    match line {
                        Ok(l) => {
                            if tx.send(WorkerEvent::Line(w, l)).is_err() {
                                return;
                            }
                        }
                        Err(_) => break,
                    }
                }
                let _ = tx.send(WorkerEvent::Closed(w));
            });
        }
        children.push(child);
    }
    drop(tx);
    // Jobs are handed out one at a time to whichever worker is free: a shared queue across processes.
    let mut next_job = 0usize;
    let mut outstanding: Vec<Option<usize>> = vec![None; count];
    let mut ready = vec![false; count];
    let mut done = 0usize;
    let mut open = count;
    let mut failure: Option<Failure> = None;
    let hand_out = |w: usize,
                    stdins: &mut Vec<Option<std::process::ChildStdin>>,
                    outstanding: &mut Vec<Option<usize>>,
                    next_job: &mut usize| {
        if *next_job < jobs {
            let job = *next_job;
            *next_job += 1;
            outstanding[w] = Some(job);
            RUNNING[w % RUNNING.len()].store(job + 1, Ordering::SeqCst);
            if let Some(stdin) = stdins[w].as_mut() {
                let _ = writeln!(stdin, "{job}").and_then(|_| stdin.flush());
            }
        } else {
            outstanding[w] = None;
            RUNNING[w % RUNNING.len()].store(0, Ordering::SeqCst);
            stdins[w] = None; // EOF: the worker exits.
        }
    };
    while open > 0 {
        let Ok(event) = rx.recv() else { break };
        match event {
            WorkerEvent::Line(w, line) => {
                let mut parts = line.splitn(4, ' ');
                match parts.next() {
                    Some(protocol::WORKER_READY) => {
                        ready[w] = true;
                        report.setup_ns_per_worker[w] =
                            parts.next().and_then(|s| s.parse().ok()).unwrap_or(0);
                        if failure.is_none() {
                            hand_out(w, &mut stdins, &mut outstanding, &mut next_job);
                        } else {
                            stdins[w] = None;
                        }
                    }
                    Some(protocol::WORKER_DONE) => {
                        let job: usize = parts.next().and_then(|s| s.parse().ok()).unwrap_or(usize::MAX);
                        let digest = parts.next().and_then(|s| u64::from_str_radix(s, 16).ok()).unwrap_or(0);
                        let ns: u64 = parts.next().and_then(|s| s.trim().parse().ok()).unwrap_or(0);
                        if job < jobs {
                            report.job_ns[job] = ns;
                            report.job_digests[job] = digest;
                            report.digest = report.digest.wrapping_add(digest);
                            done += 1;
                        }
                        if failure.is_none() {
                            hand_out(w, &mut stdins, &mut outstanding, &mut next_job);
                        } else {
                            outstanding[w] = None;
                            stdins[w] = None;
                        }
                    }
                    Some(protocol::WORKER_PANIC) => {
                        let job = parts.next().and_then(|s| s.parse().ok());
                        let message = parts.collect::<Vec<_>>().join(" ");
                        outstanding[w] = None;
                        if failure.is_none() {
                            failure = Some(Failure { kind: protocol::KIND_PANIC, job, message });
                        }
                        for s in stdins.iter_mut() {
                            *s = None;
                        }
                    }
                    _ => {}
                }
            }
            WorkerEvent::Closed(w) => {
                open -= 1;
                stdins[w] = None;
                if !ready[w] && failure.is_none() {
                    let message = format!("worker process {w} exited during setup");
                    failure = Some(Failure { kind: protocol::KIND_CRASH, job: None, message });
                    for c in children.iter_mut() {
                        let _ = c.kill();
                    }
                }
                if let Some(job) = outstanding[w].take() {
                    if failure.is_none() {
                        let message = format!("worker process {w} exited while running job {job}");
                        failure = Some(Failure { kind: protocol::KIND_EARLY_EXIT, job: Some(job), message });
                    }
                    // Stop the others: a partial run is not comparable.
                    for c in children.iter_mut() {
                        let _ = c.kill();
                    }
                }
            }
        }
    }
    report.jobs_wall_ns = start.elapsed().as_nanos() as u64;
    for (w, child) in children.iter().enumerate() {
        let (how, maxrss) = reap(child.id());
        report.workers_maxrss_kb += maxrss;
        if let Some(f) = failure.as_mut() {
            if f.kind == protocol::KIND_EARLY_EXIT && f.message.contains(&format!("process {w} ")) {
                f.message = format!("{} ({how})", f.message);
            }
        }
    }
    report.setup_ns = report.setup_ns_per_worker.iter().copied().max().unwrap_or(0);
    if failure.is_none() && done != jobs {
        let message = format!("only {done} of {jobs} jobs completed");
        failure = Some(Failure { kind: protocol::KIND_EARLY_EXIT, job: None, message });
    }
    (report, failure)
}

fn worker(name: &str) {
    let mut channel = take_channel(true);
    let entry = find(name);
    let (instance, setup_ns) = make_timed(&entry);
    let Some(input) = channel.input.take() else { return };
    // Jobs on a spawned thread, as in every other model (the main thread's allocator arena differs).
    std::thread::scope(|scope| {
        let jobs = scope.spawn(|| {
            let mut out = std::io::BufWriter::new(&mut channel.out);
            if writeln!(out, "{} {setup_ns}", protocol::WORKER_READY).and_then(|_| out.flush()).is_err() {
                return;
            }
            for line in BufReader::new(input).lines() {
                let Ok(line) = line else { return };
                let Ok(job) = line.trim().parse::<usize>() else { continue };
                let t = Instant::now();
                match catch_unwind(AssertUnwindSafe(|| run_job(&*instance, job))) {
                    Ok(text) => {
                        let ns = t.elapsed().as_nanos() as u64;
                        let d = job_digest(job, &text);
                        if writeln!(out, "{} {job} {d:016x} {ns}", protocol::WORKER_DONE)
                            .and_then(|_| out.flush())
                            .is_err()
                        {
                            return;
                        }
                    }
                    Err(p) => {
                        let _ = writeln!(out, "{} {job} {}", protocol::WORKER_PANIC, one_line(&panic_text(p.as_ref())));
                        let _ = out.flush();
                        std::process::exit(101);
                    }
                }
            }
        });
        let _ = jobs.join();
    });
}

thread_local! {
    /// The job this thread is running, for the panic hook.
    static CURRENT_JOB: std::cell::Cell<Option<usize>> = const { std::cell::Cell::new(None) };
}

fn run_job(instance: &dyn Instance, job: usize) -> String {
    /// Clears this thread's running slot however the job ends (a panic unwinds through it).
    struct Running(usize);
    impl Drop for Running {
        fn drop(&mut self) {
            RUNNING[self.0].store(0, Ordering::SeqCst);
        }
    }
    let slot = running_slot();
    RUNNING[slot].store(job + 1, Ordering::SeqCst);
    let _running = Running(slot);
    CURRENT_JOB.with(|c| c.set(Some(job)));
    let text = instance.job(job);
    CURRENT_JOB.with(|c| c.set(None));
    text
}

/// Names the job of a panic on stderr before the default hook runs: with `panic = "abort"` in the
/// user's release profile, `catch_unwind` never sees the panic and this line is all that is left.
fn install_panic_marker() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if let Some(job) = CURRENT_JOB.with(|c| c.get()) {
            eprintln!("{}{job}: {}", protocol::PANIC_MARKER, one_line(&panic_text(info.payload())));
        }
        default(info);
    }));
}

fn main() {
    install_panic_marker();
    install_crash_marker();
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("list") => {
            for e in entries() {
                println!("{} {}", e.name, e.jobs);
            }
        }
        Some("worker") => match args.get(1) {
            Some(name) => worker(name),
            None => usage("worker: missing workload name"),
        },
        Some("run") => {
            let Some(name) = args.get(1) else { usage("run: missing workload name") };
            let mut model = "sequential".to_string();
            let mut workers = 1usize;
            let mut jobs: Option<usize> = None;
            let mut reverse = false;
            let mut runtime = "current-thread".to_string();
            let mut in_flight = 1usize;
            let mut i = 2;
            while i < args.len() {
                let value = args.get(i + 1).cloned().unwrap_or_default();
                match args[i].as_str() {
                    "--model" => model = value,
                    "--workers" => workers = value.parse().unwrap_or_else(|_| usage("bad --workers")),
                    "--jobs" => jobs = Some(value.parse().unwrap_or_else(|_| usage("bad --jobs"))),
                    protocol::ORDER_FLAG => reverse = value == protocol::ORDER_REVERSE,
                    "--runtime" => runtime = value,
                    "--in-flight" => {
                        in_flight = value.parse().unwrap_or_else(|_| usage("bad --in-flight"))
                    }
                    other => usage(&format!("unknown argument {other}")),
                }
                i += 2;
            }
            let mut channel = take_channel(false);
            let entry = find(name);
            let jobs = jobs.unwrap_or(entry.jobs);
            let workers = workers.max(1);
            let (report, failure) = match model.as_str() {
                "sequential" => run_sequential(&entry, jobs, reverse),
                "threads" => run_threads(&entry, jobs, workers),
                "processes" => run_processes(name, jobs, workers),
                "async" => run_async(&entry, jobs, &runtime, workers, in_flight.max(1)),
                other => usage(&format!("unknown model {other}")),
            };
            print_report(&mut channel, name, &model, workers, jobs, &report, failure.as_ref());
            if failure.is_some() {
                std::process::exit(3);
            }
        }
        _ => usage("usage: harness run|worker|list ..."),
    }
}

// ---- generated by cargo-concur below this line ----
