//! Runs one measured command: spawned in its own process group with stdout/stderr to files under the
//! target directory (bounded: a stream past [`OUTPUT_CAP`] is cut, its head and tail kept), counters
//! around it, an optional address-space limit (`setrlimit` in the child, inherited by worker processes),
//! reaped with `wait4` (rusage of the whole tree that was waited for), killed as a group on timeout by a
//! watchdog thread (SIGUSR1 first, so the harness names the jobs still running, SIGKILL [`TIMEOUT_GRACE`] later), and on SIGINT/SIGTERM by the signal handler. The tool is a child subreaper, so
//! whatever a run started and left behind (a `setsid` grandchild, a double fork) is reparented to it
//! and killed and reaped after the run ([`sweep`]): no process of a run outlives it. Every process of a
//! run carries the run's token in its environment ([`RUN_TOKEN_VAR`]), so a sweep kills what its run
//! started and nothing else this process started (another thread's child, a test's beside it).

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::counters::{CounterSet, Reading};
use crate::error::{Error, Result};

/// Process group of the run in progress (0: none); read by the signal handler.
static RUNNING_GROUP: AtomicI32 = AtomicI32::new(0);
/// The signal (SIGINT or SIGTERM) that interrupted the profile; 0 while none did.
static INTERRUPTED: AtomicI32 = AtomicI32::new(0);

extern "C" fn on_signal(sig: libc::c_int) {
    INTERRUPTED.store(sig, Ordering::SeqCst);
    let group = RUNNING_GROUP.load(Ordering::SeqCst);
    if group > 0 {
        // SAFETY: kill(2) is async-signal-safe; a negative pid addresses the run's process group.
        unsafe {
            libc::kill(-group, libc::SIGKILL);
        }
    }
}

/// Installs the SIGINT and SIGTERM handler (no SA_RESTART, so a blocked `wait4` returns and sees the
/// flag; the run's group is killed at once, what escaped it by the sweep after `wait4`).
pub fn install_interrupt_handler() {
    // SAFETY: the sigaction struct is zeroed then filled; the handler only touches atomics and kill(2).
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as usize;
        libc::sigemptyset(&mut action.sa_mask);
        action.sa_flags = 0;
        libc::sigaction(libc::SIGINT, &action, std::ptr::null_mut());
        libc::sigaction(libc::SIGTERM, &action, std::ptr::null_mut());
    }
}

/// True once SIGINT or SIGTERM arrived.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst) != 0
}

/// The error that ends the tool after SIGINT (exit 130) or SIGTERM (exit 143), as shells report them.
pub fn interrupted_error() -> Error {
    let sig = INTERRUPTED.load(Ordering::SeqCst);
    let (code, name) = if sig == libc::SIGTERM {
        (crate::exit::TERMINATED, "SIGTERM")
    } else {
        (crate::exit::INTERRUPTED, "SIGINT")
    };
    Error {
        code,
        message: format!("interrupted by {name}; every process of the run was killed"),
    }
}

/// Each of a run's stdout and stderr is kept to this many bytes on disk: past it, the watchdog saves the
/// head and empties the file (the child writes with `O_APPEND`, so it goes on at the new end).
pub const OUTPUT_CAP: u64 = 16 << 20;
/// What is kept of the start of a stream that passed [`OUTPUT_CAP`].
const HEAD_KEPT: usize = 64 << 10;
/// Between the SIGUSR1 that tells a timed-out run's processes their time is up (the harness then names
/// the jobs still running on its protocol channel) and the SIGKILL of the whole group.
pub const TIMEOUT_GRACE: Duration = Duration::from_millis(200);
/// How often the watchdog looks at the output files and the deadline.
const POLL: Duration = Duration::from_millis(50);

/// How the measured process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    Exited(i32),
    Signaled(i32),
}

/// What one measured run produced.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub wall_ns: u64,
    pub user_ns: u64,
    pub sys_ns: u64,
    pub maxrss_kb: u64,
    pub voluntary_switches: u64,
    pub involuntary_switches: u64,
    pub minor_faults: u64,
    pub major_faults: u64,
    pub reading: Reading,
    pub ended: Ended,
    pub timed_out: bool,
    pub stdout: String,
    /// Last lines of stderr, for error messages.
    pub stderr_tail: String,
    /// The job and message of a `concur-harness: panic in job N: ...` line on stderr, if any.
    pub panic_marker: Option<(usize, String)>,
    /// Bytes of stdout and stderr together that were cut out (past [`OUTPUT_CAP`]); 0 when none.
    pub output_dropped: u64,
    /// Bytes written to stdout and stderr together.
    pub output_bytes: u64,
    /// Rust's allocation-failure message was on stderr (`memory allocation of N bytes failed`), or the
    /// process was killed by the kernel's OOM killer while a memory limit was set.
    pub out_of_memory: bool,
    /// A thread overflowed its stack (Rust's `has overflowed its stack` message on stderr).
    pub stack_overflow: bool,
    /// Processes the run left behind (escaped its process group) that the sweep killed.
    pub escaped: usize,
}

/// One output file the watchdog keeps bounded.
struct Stream {
    file: std::fs::File,
    /// The head saved before the file was first emptied.
    head: Arc<std::sync::Mutex<Option<Vec<u8>>>>,
    dropped: Arc<AtomicU64>,
}

enum WatchCmd {
    Arm(i32, Instant, Vec<Stream>),
    Disarm,
}

/// Kills a process group when its deadline passes, and keeps the run's output files bounded. Created
/// before the counters are opened, so its thread is not counted.
struct Watchdog {
    tx: mpsc::Sender<WatchCmd>,
    /// Acknowledges a `Disarm`: after it the thread touches no file of the run.
    done_rx: mpsc::Receiver<()>,
    fired: Arc<AtomicBool>,
}

/// Empties `s.file` when it passed the cap, saving its head the first time.
fn bound(s: &Stream) {
    use std::io::{Read, Seek, SeekFrom};
    let Ok(meta) = s.file.metadata() else { return };
    if meta.len() <= OUTPUT_CAP {
        return;
    }
    if let Ok(mut head) = s.head.lock() {
        if head.is_none() {
            let mut buf = vec![0u8; HEAD_KEPT];
            let mut f = &s.file;
            let n = f
                .seek(SeekFrom::Start(0))
                .and_then(|_| f.read(&mut buf))
                .unwrap_or(0);
            buf.truncate(n);
            *head = Some(buf);
        }
    }
    if s.file.set_len(0).is_ok() {
        s.dropped.fetch_add(meta.len(), Ordering::SeqCst);
    }
}

impl Watchdog {
    fn start() -> Watchdog {
        let (tx, rx) = mpsc::channel::<WatchCmd>();
        let (done_tx, done_rx) = mpsc::channel::<()>();
        let fired = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&fired);
        std::thread::spawn(move || {
            // The run's group, its deadline (`None` once it fired), and its output files.
            let mut armed: Option<(i32, Option<Instant>, Vec<Stream>)> = None;
            loop {
                let wait = match &mut armed {
                    None => None,
                    Some((group, deadline, streams)) => {
                        for s in streams.iter() {
                            bound(s);
                        }
                        if let Some(d) = *deadline {
                            if Instant::now() >= d {
                                // First SIGUSR1 (the harness names the jobs still running), then, a
                                // moment later, SIGKILL.
                                let first = !flag.swap(true, Ordering::SeqCst);
                                let sig = if first { libc::SIGUSR1 } else { libc::SIGKILL };
                                // SAFETY: plain kill(2) of the run's process group.
                                unsafe {
                                    libc::kill(-*group, sig);
                                }
                                *deadline = first.then(|| Instant::now() + TIMEOUT_GRACE);
                            }
                        }
                        let left =
                            deadline.map_or(POLL, |d| d.saturating_duration_since(Instant::now()));
                        Some(left.min(POLL))
                    }
                };
                let cmd = match wait {
                    None => match rx.recv() {
                        Ok(c) => c,
                        Err(_) => return,
                    },
                    Some(w) => match rx.recv_timeout(w) {
                        Ok(c) => c,
                        Err(mpsc::RecvTimeoutError::Timeout) => continue,
                        Err(mpsc::RecvTimeoutError::Disconnected) => return,
                    },
                };
                match cmd {
                    WatchCmd::Arm(g, d, streams) => armed = Some((g, Some(d), streams)),
                    WatchCmd::Disarm => {
                        armed = None;
                        let _ = done_tx.send(());
                    }
                }
            }
        });
        Watchdog { tx, done_rx, fired }
    }
}

/// Runs measured commands one at a time.
pub struct Runner {
    watchdog: Watchdog,
    pub counters: CounterSet,
    scratch: PathBuf,
    /// Address-space limit of each process of a run (`RLIMIT_AS`), bytes.
    memory_limit: Option<u64>,
    /// Whether this process became a child subreaper (Linux); without it, only the run's process group
    /// is killed and what left the group is not seen.
    pub subreaper: bool,
    /// Processes the runs since the last [`Runner::take_escaped`] left behind, killed by the sweep.
    escaped: usize,
}

/// Makes this process the reaper of its orphaned descendants (PR_SET_CHILD_SUBREAPER, Linux 3.4).
fn become_subreaper() -> bool {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: prctl with integer arguments only.
        unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0 }
    }
    #[cfg(not(target_os = "linux"))]
    {
        false
    }
}

/// The environment variable that tags every process of a run with the run's token (inherited by whatever
/// the run starts, through `setsid` and double forks): the sweep kills only children that carry it.
pub const RUN_TOKEN_VAR: &str = "CARGO_CONCUR_RUN";

/// Runs started by this process, for each run's token (`<pid>-<n>`).
static RUNS_STARTED: AtomicU64 = AtomicU64::new(0);

/// A child of this process as `/proc/<pid>/stat` shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Child {
    pid: i32,
    /// Dead and not yet reaped: its environment is gone.
    zombie: bool,
    group: i32,
    session: i32,
}

/// Children of this process (parent pid in `/proc/<pid>/stat`), zombies included.
fn children() -> Vec<Child> {
    let me = std::process::id() as i32;
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            // `pid (comm) state ppid pgrp session ...`: comm may hold spaces and parentheses.
            let (_, rest) = stat.rsplit_once(')')?;
            let mut fields = rest.split_whitespace();
            let state = fields.next()?;
            let mut num = || fields.next()?.parse::<i32>().ok();
            let (ppid, group, session) = (num()?, num()?, num()?);
            (ppid == me).then_some(Child {
                pid,
                zombie: state == "Z",
                group,
                session,
            })
        })
        .collect()
}

/// Whether `pid`'s environment holds `RUN_TOKEN_VAR=token` (false when it cannot be read).
fn carries_token(pid: i32, token: &str) -> bool {
    let Ok(environ) = std::fs::read(format!("/proc/{pid}/environ")) else {
        return false;
    };
    let entry = format!("{RUN_TOKEN_VAR}={token}");
    environ.split(|&b| b == 0).any(|e| e == entry.as_bytes())
}

/// Whether a child of this process belongs to the run tagged `token` whose process group is `group`: a
/// live one carries the token or is in the group; a dead one (its environment gone) is in the group or
/// leads a session of its own (what `setsid` makes; this process starts no such child itself). Anything
/// else (a child another thread started, alive or waiting to be reaped by it) is left alone.
fn of_run(c: &Child, token: &str, group: i32) -> bool {
    if c.group == group {
        return true;
    }
    if c.zombie {
        c.session == c.pid
    } else {
        carries_token(c.pid, token)
    }
}

/// Kills and reaps every process left over from the run tagged `token` (process group `group`): the
/// children of this process that belong to it ([`of_run`]: what the subreaper inherited when a run's
/// process exited: `setsid` grandchildren, double forks), with their process groups, until none is left
/// (each kill may orphan more). Returns how many were killed.
fn sweep(token: &str, group: i32) -> usize {
    let mut killed = 0;
    for _ in 0..1000 {
        let left: Vec<i32> = children()
            .iter()
            .filter(|c| of_run(c, token, group))
            .map(|c| c.pid)
            .collect();
        if left.is_empty() {
            break;
        }
        for &pid in &left {
            // SAFETY: kill(2) of our own child, and of the group it may lead.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
                libc::kill(-pid, libc::SIGKILL);
            }
        }
        for &pid in &left {
            let mut status = 0;
            // SAFETY: waitpid(2) on our own child; it was sent SIGKILL, so this returns.
            if unsafe { libc::waitpid(pid, &mut status, 0) } == pid {
                killed += 1;
            }
        }
    }
    killed
}

impl Runner {
    /// `scratch`: a directory inside the target directory for the runs' stdout/stderr files.
    pub fn new(counters: super::settings::CounterChoice, scratch: PathBuf) -> Result<Runner> {
        std::fs::create_dir_all(&scratch)
            .map_err(|e| Error::internal(format!("cannot create {}: {e}", scratch.display())))?;
        let watchdog = Watchdog::start();
        let counters = super::counters::open(counters);
        Ok(Runner {
            watchdog,
            counters,
            scratch,
            memory_limit: None,
            subreaper: become_subreaper(),
            escaped: 0,
        })
    }

    /// How many processes the runs since the last call left behind (each killed and reaped by the sweep).
    pub fn take_escaped(&mut self) -> usize {
        std::mem::take(&mut self.escaped)
    }

    /// Limits the address space of every process of each run (`--memory-limit`).
    pub fn set_memory_limit(&mut self, bytes: Option<u64>) {
        self.memory_limit = bytes;
    }

    /// This process's stdout/stderr files for runs: named by pid, so that two `cargo concur` processes
    /// profiling the same project at once do not read each other's output.
    fn scratch_files(&self) -> (PathBuf, PathBuf) {
        let pid = std::process::id();
        (
            self.scratch.join(format!("run-{pid}.stdout")),
            self.scratch.join(format!("run-{pid}.stderr")),
        )
    }

    /// Runs `cmd` to completion or until `timeout`, measuring it.
    pub fn run(&mut self, mut cmd: Command, timeout: Duration) -> Result<Outcome> {
        use std::os::unix::process::CommandExt;
        if interrupted() {
            return Err(interrupted_error());
        }
        let (out_path, err_path) = self.scratch_files();
        let create = |p: &PathBuf| {
            // Appending: when the watchdog empties a file past the cap, the child goes on at its new end.
            std::fs::OpenOptions::new()
                .create(true)
                .write(true)
                .truncate(true)
                .open(p)
                .and_then(|f| {
                    drop(f);
                    std::fs::OpenOptions::new().append(true).open(p)
                })
                .map_err(|e| Error::internal(format!("cannot create {}: {e}", p.display())))
        };
        let (out_file, err_file) = (create(&out_path)?, create(&err_path)?);
        // The watchdog's own handles (read for the head, write to empty the file), with their own offsets.
        let streams = [&out_path, &err_path]
            .into_iter()
            .map(|p| {
                std::fs::OpenOptions::new()
                    .read(true)
                    .write(true)
                    .open(p)
                    .map(|file| Stream {
                        file,
                        head: Arc::new(std::sync::Mutex::new(None)),
                        dropped: Arc::new(AtomicU64::new(0)),
                    })
            })
            .collect::<std::io::Result<Vec<Stream>>>()
            .map_err(|e| Error::internal(format!("cannot open the run's output files: {e}")))?;
        let heads: Vec<_> = streams
            .iter()
            .map(|s| (Arc::clone(&s.head), Arc::clone(&s.dropped)))
            .collect();
        let token = format!(
            "{}-{}",
            std::process::id(),
            RUNS_STARTED.fetch_add(1, Ordering::SeqCst)
        );
        cmd.process_group(0)
            .env(RUN_TOKEN_VAR, &token)
            .stdin(Stdio::null())
            .stdout(out_file)
            .stderr(err_file);
        if let Some(bytes) = self.memory_limit {
            // SAFETY: between fork and exec only setrlimit(2) runs, which is async-signal-safe.
            unsafe {
                cmd.pre_exec(move || {
                    let limit = libc::rlimit {
                        rlim_cur: bytes as libc::rlim_t,
                        rlim_max: bytes as libc::rlim_t,
                    };
                    if libc::setrlimit(libc::RLIMIT_AS, &limit) != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    Ok(())
                });
            }
        }
        self.watchdog.fired.store(false, Ordering::SeqCst);
        self.counters.start();
        let start = Instant::now();
        let child = match cmd.spawn() {
            Ok(c) => c,
            Err(e) => {
                self.counters.stop();
                return Err(Error::internal(format!("cannot start {cmd:?}: {e}")));
            }
        };
        let pid = child.id() as i32;
        RUNNING_GROUP.store(pid, Ordering::SeqCst);
        let _ = self
            .watchdog
            .tx
            .send(WatchCmd::Arm(pid, start + timeout, streams));
        let mut status: libc::c_int = 0;
        // SAFETY: an all-zero rusage is valid; wait4 fills it for our own child.
        let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
        loop {
            // SAFETY: valid pointers; `pid` is our child, reaped exactly once here (std's Child never waits).
            let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut ru) };
            if rc == pid {
                break;
            }
            let e = std::io::Error::last_os_error();
            if e.kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return Err(Error::internal(format!("wait4 failed: {e}")));
        }
        let wall = start.elapsed();
        let reading = self.counters.stop();
        // Leave nothing behind: worker processes of a crashed harness die with their group, and what left
        // the group was reparented to this subreaper when its parent died.
        // SAFETY: plain kill(2) of the group we created; ESRCH when it is already empty.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
        // Members of the group that outlived the run's process and were reparented here (a pool's helper
        // that was about to exit, such as Python's resource tracker) died with the group: reap them before
        // counting what escaped it.
        loop {
            let mut st = 0;
            // SAFETY: waitpid(2) on our own children of the group just sent SIGKILL; returns -1 (ECHILD)
            // once none is left, so this ends.
            if unsafe { libc::waitpid(-pid, &mut st, 0) } <= 0 {
                break;
            }
        }
        let escaped = sweep(&token, pid);
        self.escaped += escaped;
        RUNNING_GROUP.store(0, Ordering::SeqCst);
        let _ = self.watchdog.tx.send(WatchCmd::Disarm);
        let _ = self.watchdog.done_rx.recv_timeout(Duration::from_secs(5));
        drop(child);
        if interrupted() {
            return Err(interrupted_error());
        }
        let timed_out = self.watchdog.fired.load(Ordering::SeqCst) && wall >= timeout;
        let ended = if libc::WIFEXITED(status) {
            Ended::Exited(libc::WEXITSTATUS(status))
        } else {
            Ended::Signaled(libc::WTERMSIG(status))
        };
        let mut output_dropped = 0;
        let mut output_bytes = 0;
        let mut texts = Vec::new();
        for (path, (head, dropped)) in [&out_path, &err_path].into_iter().zip(&heads) {
            let (text, kept) = read_bounded(path, head, dropped.load(Ordering::SeqCst));
            output_dropped += dropped.load(Ordering::SeqCst) + (kept.0 - kept.1);
            output_bytes += dropped.load(Ordering::SeqCst) + kept.0;
            texts.push(text);
        }
        let stderr = texts.pop().unwrap_or_default();
        let stdout = texts.pop().unwrap_or_default();
        let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
        let stderr_tail = lines[lines.len().saturating_sub(3)..].join(" | ");
        let panic_marker = lines.iter().find_map(|l| {
            let rest = l.strip_prefix("concur-harness: panic in job ")?;
            let (job, message) = rest.split_once(": ")?;
            Some((job.parse().ok()?, message.to_string()))
        });
        let allocation_failed = lines
            .iter()
            .any(|l| l.starts_with("memory allocation of ") && l.contains(" failed"));
        let oom_killed =
            self.memory_limit.is_some() && ended == Ended::Signaled(libc::SIGKILL) && !timed_out;
        let stack_overflow = lines.iter().any(|l| l.contains("has overflowed its stack"));
        let ns = |tv: libc::timeval| tv.tv_sec as u64 * 1_000_000_000 + tv.tv_usec as u64 * 1000;
        Ok(Outcome {
            wall_ns: wall.as_nanos() as u64,
            user_ns: ns(ru.ru_utime),
            sys_ns: ns(ru.ru_stime),
            maxrss_kb: ru.ru_maxrss.max(0) as u64,
            voluntary_switches: ru.ru_nvcsw.max(0) as u64,
            involuntary_switches: ru.ru_nivcsw.max(0) as u64,
            minor_faults: ru.ru_minflt.max(0) as u64,
            major_faults: ru.ru_majflt.max(0) as u64,
            reading,
            ended,
            timed_out,
            stdout,
            stderr_tail,
            panic_marker,
            output_dropped,
            output_bytes,
            out_of_memory: allocation_failed || oom_killed,
            stack_overflow,
            escaped,
        })
    }
}

/// Most of a stream that is read back: its last bytes (the harness's result line is last).
const TAIL_KEPT: u64 = 4 << 20;

/// The text of a run's output file: the saved head (when the watchdog emptied it) and at most
/// [`TAIL_KEPT`] bytes of its end, with a note where bytes were cut. Also (bytes in the file, bytes read).
fn read_bounded(
    path: &PathBuf,
    head: &std::sync::Mutex<Option<Vec<u8>>>,
    dropped_before: u64,
) -> (String, (u64, u64)) {
    use std::io::{Read, Seek, SeekFrom};
    let Ok(mut f) = std::fs::File::open(path) else {
        return (String::new(), (0, 0));
    };
    let len = f.metadata().map_or(0, |m| m.len());
    let from = len.saturating_sub(TAIL_KEPT);
    let mut tail = Vec::new();
    let _ = f
        .seek(SeekFrom::Start(from))
        .and_then(|_| (&mut f).take(TAIL_KEPT).read_to_end(&mut tail));
    let cut = dropped_before + from;
    let mut text = String::new();
    if cut > 0 {
        let saved = head.lock().ok().and_then(|h| h.clone());
        let h = saved.unwrap_or_else(|| {
            let mut buf = Vec::new();
            let _ = f
                .seek(SeekFrom::Start(0))
                .and_then(|_| (&mut f).take(HEAD_KEPT as u64).read_to_end(&mut buf));
            buf
        });
        text.push_str(&String::from_utf8_lossy(&h));
        text.push_str(&format!(
            "\n[cargo-concur: {:.1} MB of output cut here]\n",
            cut as f64 / 1e6
        ));
    }
    text.push_str(&String::from_utf8_lossy(&tail));
    (text, (len, tail.len() as u64))
}

impl Drop for Runner {
    fn drop(&mut self) {
        let (out, err) = self.scratch_files();
        let _ = std::fs::remove_file(out);
        let _ = std::fs::remove_file(err);
    }
}

/// A signal's name for messages (`SIGABRT`), or its number.
pub fn signal_name(sig: i32) -> String {
    match sig {
        libc::SIGABRT => "SIGABRT".into(),
        libc::SIGSEGV => "SIGSEGV".into(),
        libc::SIGKILL => "SIGKILL".into(),
        libc::SIGBUS => "SIGBUS".into(),
        libc::SIGILL => "SIGILL".into(),
        libc::SIGFPE => "SIGFPE".into(),
        libc::SIGTERM => "SIGTERM".into(),
        other => format!("signal {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runner(test: &str) -> Runner {
        let dir = std::env::temp_dir().join(format!("concur-runner-{}-{test}", std::process::id()));
        Runner::new(super::super::settings::CounterChoice::Rusage, dir).unwrap()
    }

    #[test]
    fn measures_a_child_and_its_exit_code() {
        let mut r = runner("exit");
        let mut cmd = Command::new("sh");
        cmd.args([
            "-c",
            "echo hello; i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; exit 4",
        ]);
        let o = r.run(cmd, Duration::from_secs(30)).unwrap();
        assert_eq!(o.ended, Ended::Exited(4));
        assert_eq!(o.stdout.trim(), "hello");
        assert!(!o.timed_out);
        assert!(o.user_ns + o.sys_ns > 0, "{o:?}");
        assert!(o.maxrss_kb > 0);
        let _ = std::fs::remove_dir_all(&r.scratch);
    }

    #[test]
    fn timeout_kills_the_whole_group() {
        let mut r = runner("timeout");
        let mut cmd = Command::new("sh");
        // A grandchild that would outlive its parent if only the parent were killed.
        cmd.args(["-c", "sleep 30 & sleep 30; wait"]);
        let t = Instant::now();
        let o = r.run(cmd, Duration::from_millis(300)).unwrap();
        assert!(o.timed_out, "{o:?}");
        // `sh` has no SIGUSR1 handler: the warning before the SIGKILL ends it.
        assert!(
            matches!(o.ended, Ended::Signaled(s) if s == libc::SIGKILL || s == libc::SIGUSR1),
            "{o:?}"
        );
        assert!(t.elapsed() < Duration::from_secs(5));
        let _ = std::fs::remove_dir_all(&r.scratch);
    }

    /// The sweep after a run kills what that run left behind (a `setsid` grandchild reparented to this
    /// subreaper) and nothing else this process started: a child alive through the run stays alive, and
    /// one that exited stays for its owner to reap (a sweep that reaped it would make its owner's wait
    /// fail). Tests run in parallel in this process, so this is what lets them.
    #[test]
    fn a_sweep_kills_only_what_its_run_started() {
        let mut r = runner("unrelated");
        assert!(
            r.subreaper,
            "Linux: the test process becomes a child subreaper"
        );
        let mut alive = Command::new("sleep").arg("30").spawn().unwrap();
        let mut exited = Command::new("true").spawn().unwrap();
        let zombie = |pid: u32| {
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|s| Some(s.rsplit_once(')')?.1.split_whitespace().next()? == "Z"))
                .unwrap_or(false)
        };
        let t = Instant::now();
        while !zombie(exited.id()) && t.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(zombie(exited.id()), "`true` exited and waits to be reaped");
        let mut cmd = Command::new("sh");
        // Leaves the run's process group and session, and outlives its parent.
        cmd.args(["-c", "setsid sleep 30 & sleep 0.3"]);
        let o = r.run(cmd, Duration::from_secs(30)).unwrap();
        let still_alive = alive.try_wait().unwrap();
        let _ = alive.kill();
        let _ = alive.wait();
        assert_eq!(o.ended, Ended::Exited(0), "{o:?}");
        assert_eq!(o.escaped, 1, "the setsid grandchild was killed: {o:?}");
        assert!(still_alive.is_none(), "the unrelated child was killed");
        let status = exited
            .wait()
            .expect("the exited child was left to its owner");
        assert!(status.success());
        let _ = std::fs::remove_dir_all(&r.scratch);
    }
}
