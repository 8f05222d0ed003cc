//! Runs one measured command: spawned in its own process group with stdout/stderr to files under the
//! target directory, counters around it, reaped with `wait4` (rusage of the whole tree that was waited
//! for), killed as a group on timeout by a watchdog thread, and on Ctrl-C by the SIGINT handler.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::counters::{CounterSet, Reading};
use crate::error::{Error, Result};

/// Process group of the run in progress (0: none); read by the SIGINT handler.
static RUNNING_GROUP: AtomicI32 = AtomicI32::new(0);
/// Set by the SIGINT handler.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_sigint(_: libc::c_int) {
    INTERRUPTED.store(true, Ordering::SeqCst);
    let group = RUNNING_GROUP.load(Ordering::SeqCst);
    if group > 0 {
        // SAFETY: kill(2) is async-signal-safe; a negative pid addresses the run's process group.
        unsafe {
            libc::kill(-group, libc::SIGKILL);
        }
    }
}

/// Installs the SIGINT handler (no SA_RESTART, so a blocked `wait4` returns and sees the flag).
pub fn install_interrupt_handler() {
    // SAFETY: the sigaction struct is zeroed then filled; the handler only touches atomics and kill(2).
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_sigint as extern "C" fn(libc::c_int) as usize;
        libc::sigemptyset(&mut action.sa_mask);
        action.sa_flags = 0;
        libc::sigaction(libc::SIGINT, &action, std::ptr::null_mut());
    }
}

/// True once Ctrl-C was pressed.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// The error that ends the tool after Ctrl-C (exit 130, as shells report SIGINT).
pub fn interrupted_error() -> Error {
    Error {
        code: 130,
        message: "interrupted; every process of the run was killed".to_string(),
    }
}

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
}

enum WatchCmd {
    Arm(i32, Instant),
    Disarm,
}

/// Kills a process group when its deadline passes. Created before the counters are opened, so its
/// thread is not counted.
struct Watchdog {
    tx: mpsc::Sender<WatchCmd>,
    fired: Arc<AtomicBool>,
}

impl Watchdog {
    fn start() -> Watchdog {
        let (tx, rx) = mpsc::channel::<WatchCmd>();
        let fired = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&fired);
        std::thread::spawn(move || {
            let mut armed: Option<(i32, Instant)> = None;
            loop {
                let cmd = match armed {
                    None => match rx.recv() {
                        Ok(c) => c,
                        Err(_) => return,
                    },
                    Some((group, deadline)) => {
                        let left = deadline.saturating_duration_since(Instant::now());
                        match rx.recv_timeout(left) {
                            Ok(c) => c,
                            Err(mpsc::RecvTimeoutError::Timeout) => {
                                flag.store(true, Ordering::SeqCst);
                                // SAFETY: plain kill(2) of the run's process group.
                                unsafe {
                                    libc::kill(-group, libc::SIGKILL);
                                }
                                armed = None;
                                continue;
                            }
                            Err(mpsc::RecvTimeoutError::Disconnected) => return,
                        }
                    }
                };
                armed = match cmd {
                    WatchCmd::Arm(g, d) => Some((g, d)),
                    WatchCmd::Disarm => None,
                };
            }
        });
        Watchdog { tx, fired }
    }
}

/// Runs measured commands one at a time.
pub struct Runner {
    watchdog: Watchdog,
    pub counters: CounterSet,
    scratch: PathBuf,
}

impl Runner {
    /// `scratch`: a directory inside the target directory for the runs' stdout/stderr files.
    pub fn new(perf: bool, scratch: PathBuf) -> Result<Runner> {
        std::fs::create_dir_all(&scratch)
            .map_err(|e| Error::internal(format!("cannot create {}: {e}", scratch.display())))?;
        let watchdog = Watchdog::start();
        let counters = super::counters::open(perf);
        Ok(Runner {
            watchdog,
            counters,
            scratch,
        })
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
            std::fs::File::create(p)
                .map_err(|e| Error::internal(format!("cannot create {}: {e}", p.display())))
        };
        let (out_file, err_file) = (create(&out_path)?, create(&err_path)?);
        cmd.process_group(0)
            .stdin(Stdio::null())
            .stdout(out_file)
            .stderr(err_file);
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
        let _ = self.watchdog.tx.send(WatchCmd::Arm(pid, start + timeout));
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
        let _ = self.watchdog.tx.send(WatchCmd::Disarm);
        // Leave nothing behind: worker processes of a crashed harness die with their group.
        // SAFETY: plain kill(2) of the group we created; ESRCH when it is already empty.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
        RUNNING_GROUP.store(0, Ordering::SeqCst);
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
        let stdout = std::fs::read_to_string(&out_path).unwrap_or_default();
        let stderr = std::fs::read_to_string(&err_path).unwrap_or_default();
        let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
        let stderr_tail = lines[lines.len().saturating_sub(3)..].join(" | ");
        let panic_marker = lines.iter().find_map(|l| {
            let rest = l.strip_prefix("concur-harness: panic in job ")?;
            let (job, message) = rest.split_once(": ")?;
            Some((job.parse().ok()?, message.to_string()))
        });
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
        })
    }
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
        Runner::new(false, dir).unwrap()
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
        assert!(o.timed_out);
        assert_eq!(o.ended, Ended::Signaled(libc::SIGKILL));
        assert!(t.elapsed() < Duration::from_secs(5));
        let _ = std::fs::remove_dir_all(&r.scratch);
    }
}
