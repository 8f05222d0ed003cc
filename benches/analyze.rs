//! Benchmark: `cargo-concur analyze` as a whole process against a parse-only program run as its own process
//! (read + `syn::parse_file` of the same files, rayon, span locations, nothing else), interleaved, several
//! rounds; prints medians, min/max, peak memory (the process's own, read at its exit; and `wait4`'s, which is the
//! largest of the process and its children) and the ratios, and `cargo metadata` alone (the fixed cost).
//! Also times warm re-analysis (the facts cache) after an edit of one file, and checks that its output is
//! byte-identical to a cold run's.
//!
//! Run: `cargo bench --bench analyze` (tokio, syn and regex-automata, fetched through cargo once), or
//! `cargo bench --bench analyze -- [--rounds N] [/path/to/crate/Cargo.toml ...]`; `-- --measure N CMD ARGS..`
//! measures any command the same way, N times.
//!
//! Parse-only reads exactly the files analyze reads in its default scope (analyze's `-vv` list of them).
//! The parse-only program is this same executable started as `analyze --parse-only LIST`: a separate process
//! that links nothing it uses but syn, proc-macro2 and rayon.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rayon::prelude::*;

#[path = "../tests/support/real_crates.rs"]
mod support;

/// The crates measured by default: tokio and two other large ones.
const DEFAULT_CRATES: &[(&str, &str)] = &[
    ("tokio", "=1.54.1"),
    ("syn", "2"),
    ("regex-automata", "0.4"),
];

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    if args.first().map(String::as_str) == Some("--parse-only") {
        let Some(list) = args.get(1) else {
            eprintln!("error: --parse-only needs a file list");
            std::process::exit(2);
        };
        std::process::exit(parse_only(Path::new(list)));
    }
    if args.first().map(String::as_str) == Some("--measure") {
        // `--measure N CMD ARGS...`: the command N times, each measured as the benchmark measures.
        let (Some(n), Some(program)) = (
            args.get(1).and_then(|n| n.parse::<usize>().ok()),
            args.get(2),
        ) else {
            eprintln!("error: --measure takes a count and a command");
            std::process::exit(2);
        };
        let mut samples = Vec::new();
        for _ in 0..n {
            match run(Command::new(program).args(&args[3..])) {
                Ok(s) => samples.push(s),
                Err(e) => {
                    eprintln!("error: {e}");
                    std::process::exit(1);
                }
            }
        }
        if !samples.is_empty() {
            line(program, &samples);
        }
        std::process::exit(0);
    }
    let mut rounds = 9usize;
    let mut manifests = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--rounds" => match it.next().and_then(|s| s.parse().ok()) {
                Some(n) if n > 0 => rounds = n,
                _ => {
                    eprintln!("error: --rounds takes a positive number");
                    std::process::exit(2);
                }
            },
            other => manifests.push(PathBuf::from(other)),
        }
    }
    let scratch = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-crates");
    if manifests.is_empty() {
        match support::fetch(&scratch.join("fetch"), DEFAULT_CRATES) {
            Ok(v) => manifests = v.into_iter().map(|(_, m)| m).collect(),
            Err(e) => {
                eprintln!("error: cannot fetch the benchmark crates: {e}");
                std::process::exit(2);
            }
        }
    }
    let concur = PathBuf::from(env!("CARGO_BIN_EXE_cargo-concur"));
    let me = match std::env::current_exe() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: cannot find this executable: {e}");
            std::process::exit(2);
        }
    };
    println!(
        "cores: {}, rounds: {rounds} (interleaved, after one warm-up each)",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    for manifest in &manifests {
        if let Err(e) = bench_crate(&concur, &me, manifest, &scratch, rounds) {
            eprintln!("error: {}: {e}", manifest.display());
            std::process::exit(1);
        }
    }
}

/// One measured process: wall time, its own peak RSS, the peak RSS `wait4` reports (the largest of the
/// process and the children it waited for: for analyze, `rustc --print cfg`'s is larger than its own), and
/// its stdout.
struct Sample {
    wall: Duration,
    max_rss_kb: u64,
    with_children_rss_kb: u64,
    stdout: Vec<u8>,
}

/// Runs `cmd` and measures it. Its own peak RSS is read from `/proc/PID/status` (`VmHWM`) at its exit:
/// the process is traced (`PTRACE_TRACEME`, then only `PTRACE_O_TRACEEXIT`: no system call stops) and
/// stops once, as it exits, while its memory is still there.
fn run(cmd: &mut Command) -> Result<Sample, String> {
    use std::os::unix::process::CommandExt;
    // SAFETY: ptrace(PTRACE_TRACEME) is async-signal-safe and touches nothing of the parent's state.
    unsafe {
        cmd.pre_exec(|| {
            if libc::ptrace(libc::PTRACE_TRACEME, 0, 0, 0) == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let start = Instant::now();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start {cmd:?}: {e}"))?;
    let pid = child.id() as libc::pid_t;
    // Read its output on a thread: the tracing loop below must keep answering its stops.
    let out = child.stdout.take();
    let reader = std::thread::spawn(move || {
        let mut stdout = Vec::new();
        if let Some(mut out) = out {
            let _ = out.read_to_end(&mut stdout);
        }
        stdout
    });
    let mut own_kb = 0u64;
    let (status, usage) = loop {
        let mut status = 0;
        // SAFETY: an all-zero rusage is a valid value; wait4 fills it for our own child.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: pid is our child, not reaped yet (we never called wait on `child`).
        let r = unsafe { libc::wait4(pid, &mut status, libc::__WALL, &mut usage) };
        if r != pid {
            return Err(format!("wait4 failed for {cmd:?}"));
        }
        if libc::WIFEXITED(status) || libc::WIFSIGNALED(status) {
            break (status, usage);
        }
        if !libc::WIFSTOPPED(status) {
            continue;
        }
        let event = (status >> 16) & 0xff;
        let mut deliver = 0;
        if event == libc::PTRACE_EVENT_EXIT {
            own_kb = vm_hwm_kb(pid).unwrap_or(0);
        } else if libc::WSTOPSIG(status) == libc::SIGTRAP && event == 0 && own_kb == 0 {
            // The stop after exec: from now on, stop only at its exit.
            // SAFETY: the tracee is ours and stopped.
            unsafe {
                libc::ptrace(
                    libc::PTRACE_SETOPTIONS,
                    pid,
                    0,
                    libc::PTRACE_O_TRACEEXIT | libc::PTRACE_O_EXITKILL,
                )
            };
        } else {
            deliver = libc::WSTOPSIG(status);
        }
        // SAFETY: the tracee is stopped; continuing it with the signal it stopped for (if any).
        unsafe { libc::ptrace(libc::PTRACE_CONT, pid, 0, deliver) };
    };
    let wall = start.elapsed();
    let stdout = reader.join().unwrap_or_default();
    if !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) > 1 {
        return Err(format!("{cmd:?} failed (status {status})"));
    }
    Ok(Sample {
        wall,
        max_rss_kb: own_kb,
        with_children_rss_kb: usage.ru_maxrss as u64,
        stdout,
    })
}

/// `VmHWM` of a live process, in kB.
fn vm_hwm_kb(pid: libc::pid_t) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

fn bench_crate(
    concur: &Path,
    me: &Path,
    manifest: &Path,
    scratch: &Path,
    rounds: usize,
) -> Result<(), String> {
    let root = manifest.parent().ok_or("manifest has no directory")?;
    let name = root
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // A private copy, so the warm run can edit a file of it.
    let copy = scratch.join("copies").join(&name);
    if !copy.join("Cargo.toml").exists() {
        copy_tree(root, &copy).map_err(|e| format!("cannot copy {}: {e}", root.display()))?;
    }
    let manifest = copy.join("Cargo.toml");
    let all_files = rs_files(&copy);
    // The files analyze reads in its default scope (its `-vv` list): parse-only parses exactly those, so the
    // ratio compares the same work.
    let listed = Command::new(concur)
        .args([
            "analyze",
            "-vv",
            "--no-cache",
            "--format",
            "json",
            "--manifest-path",
        ])
        .arg(&manifest)
        .env("NO_COLOR", "1")
        .env("CARGO_CONCUR_CACHE_DIR", scratch.join("cache-listing"))
        .stdout(Stdio::null())
        .output()
        .map_err(|e| format!("cannot start {concur:?}: {e}"))?;
    let files: Vec<PathBuf> = String::from_utf8_lossy(&listed.stderr)
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("Read "))
        .map(|rel| copy.join(rel))
        .collect();
    if files.is_empty() {
        return Err("analyze -vv listed no file it read".into());
    }
    let bytes: u64 = files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    let list = scratch.join(format!("{name}.files"));
    let text: String = files.iter().map(|f| format!("{}\n", f.display())).collect();
    std::fs::write(&list, text).map_err(|e| e.to_string())?;
    let cache_dir = scratch.join("cache").join(&name);

    let parse = || run(Command::new(me).arg("--parse-only").arg(&list));
    // The fixed cost every analyze pays before it reads a file: `cargo metadata`, as analyze runs it
    // (`$CARGO`, which cargo sets for this benchmark as it does for `cargo concur`).
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let metadata = || {
        run(Command::new(&cargo)
            .args([
                "metadata",
                "--format-version",
                "1",
                "--no-deps",
                "--offline",
                "--manifest-path",
            ])
            .arg(&manifest))
    };
    let analyze = |cache: bool| {
        let mut c = Command::new(concur);
        c.args(["analyze", "--format", "json", "--manifest-path"])
            .arg(&manifest)
            .env("NO_COLOR", "1")
            .env("CARGO_CONCUR_CACHE_DIR", &cache_dir);
        if !cache {
            c.arg("--no-cache");
        }
        run(&mut c)
    };
    // The file edited before every warm sample: the crate's root file.
    let touched = copy.join("src/lib.rs");
    let original = std::fs::read_to_string(&touched).map_err(|e| e.to_string())?;
    let mut edit = 0usize;
    let mut touch = || -> Result<(), String> {
        edit += 1;
        std::fs::write(&touched, format!("{original}\n// bench edit {edit}\n"))
            .map_err(|e| e.to_string())
    };

    // Warm-up: page cache, and a full cache for the warm runs.
    parse()?;
    let cold_doc = analyze(false)?;
    touch()?;
    analyze(true)?;
    let (mut p, mut a, mut w, mut m) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut identical = true;
    for _ in 0..rounds {
        p.push(parse()?);
        m.push(metadata()?);
        a.push(analyze(false)?);
        touch()?;
        let warm = analyze(true)?;
        let cold = analyze(false)?;
        identical &= warm.stdout == cold.stdout;
        w.push(warm);
    }
    std::fs::write(&touched, &original).map_err(|e| e.to_string())?;

    let analyzed = serde_json::from_slice::<serde_json::Value>(&cold_doc.stdout)
        .ok()
        .and_then(|v| v["files"]["analyzed"].as_u64())
        .unwrap_or(0);
    println!();
    println!(
        "crate: {name} — {} files read by analyze and parse-only ({analyzed} counted analyzed; {} .rs files \
         in the crate), {:.1} MB",
        files.len(),
        all_files.len(),
        bytes as f64 / 1e6
    );
    let pm = line("parse-only", &p);
    let am = line("analyze (cold, --no-cache)", &a);
    let wm = line("analyze (warm, one file edited)", &w);
    let mm = line("cargo metadata alone (fixed cost)", &m);
    println!(
        "  ratio cold / parse-only: {:.2}x (min/min {:.2}x); warm / cold: {:.0}%; peak memory cold / parse-only: {:.2}x",
        am / pm,
        min_ms(&a) / min_ms(&p),
        100.0 * wm / am,
        median_rss(&a) / median_rss(&p)
    );
    println!(
        "  cargo metadata alone is {:.0}% of cold (a warm run answers it from the discovery cache)",
        100.0 * mm / am,
    );
    println!(
        "  warm output byte-identical to cold output: {}",
        if identical { "yes" } else { "NO" }
    );
    if !identical {
        return Err("warm output differs from cold output".into());
    }
    Ok(())
}

/// Prints one row (median, min, max in ms, median peak RSS) and returns the median in ms.
fn line(label: &str, samples: &[Sample]) -> f64 {
    let mut ms: Vec<f64> = samples.iter().map(|s| s.wall.as_secs_f64() * 1e3).collect();
    ms.sort_by(f64::total_cmp);
    let median = ms[ms.len() / 2];
    let mut with_children: Vec<u64> = samples.iter().map(|s| s.with_children_rss_kb).collect();
    with_children.sort_unstable();
    println!(
        "  {label:<34} median {median:>7.1} ms  min {:>7.1}  max {:>7.1}  peak RSS {:>6.1} MB ({:.1} MB with \
         children)",
        ms[0],
        ms[ms.len() - 1],
        median_rss(samples) / 1024.0,
        with_children[with_children.len() / 2] as f64 / 1024.0
    );
    median
}

fn min_ms(samples: &[Sample]) -> f64 {
    samples
        .iter()
        .map(|s| s.wall.as_secs_f64() * 1e3)
        .fold(f64::INFINITY, f64::min)
}

fn median_rss(samples: &[Sample]) -> f64 {
    let mut v: Vec<u64> = samples.iter().map(|s| s.max_rss_kb).collect();
    v.sort_unstable();
    v[v.len() / 2] as f64
}

/// Every `.rs` file under `root`, outside `target/` and hidden folders, sorted.
fn rs_files(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let path = e.path();
            let name = e.file_name();
            let name = name.to_string_lossy();
            match e.file_type() {
                Ok(t) if t.is_dir() && name != "target" && !name.starts_with('.') => {
                    stack.push(path)
                }
                Ok(t) if t.is_file() && name.ends_with(".rs") => out.push(path),
                _ => {}
            }
        }
    }
    out.sort();
    out
}

fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for e in std::fs::read_dir(from)? {
        let e = e?;
        let target = to.join(e.file_name());
        if e.file_type()?.is_dir() {
            copy_tree(&e.path(), &target)?;
        } else {
            std::fs::copy(e.path(), target)?;
        }
    }
    Ok(())
}

/// The parse-only program: read every listed file and `syn::parse_file` it, in parallel. Exit 0.
fn parse_only(list: &Path) -> i32 {
    let Ok(text) = std::fs::read_to_string(list) else {
        eprintln!("error: cannot read {}", list.display());
        return 2;
    };
    let files: Vec<&str> = text.lines().collect();
    let parsed: usize = files
        .par_iter()
        .map(|f| {
            let text = std::fs::read_to_string(f).unwrap_or_default();
            usize::from(syn::parse_file(&text).is_ok())
        })
        .sum();
    eprintln!("parsed {parsed} of {} files", files.len());
    0
}
