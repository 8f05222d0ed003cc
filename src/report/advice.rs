//! Refactoring advice: what to change in the code on the workload's path (each tied to a finding's
//! file:line) so that the recommended model, or a better one, works well.

use crate::vocab::FindingKind;

use super::evidence::{Evidence, PathFinding};
use super::verdict::Decision;
use crate::report::doc::{Refactor, Verdict};

/// Advice per finding kind; `None` when the kind needs no change for the verdict. `order_dependent`: the
/// results depend on job order, so globals are state carried between jobs, not locks to shard.
fn advice_for(f: &PathFinding<'_>, verdict: Verdict, order_dependent: bool) -> Option<String> {
    let what = &f.finding.message;
    let text = match f.finding.kind {
        FindingKind::GlobalState | FindingKind::StaticMut | FindingKind::Atomic if order_dependent => format!(
            "derive this state from the job id instead of carrying it from one job to the next ({what}): \
             e.g. seed a generator with the job id, or index by the job id; then the jobs can run in any \
             order and in parallel"
        ),
        FindingKind::GlobalState | FindingKind::StaticMut => format!(
            "shard or remove this global ({what}), or keep per-thread state and merge it at the end, so that \
             threads stop queueing on it"
        ),
        FindingKind::SharedLock => format!(
            "shrink the critical section or shard the shared lock ({what}); per-worker state merged at the \
             end avoids it entirely"
        ),
        FindingKind::LockAcrossBlocking => format!(
            "move the blocking call out of the guard's scope ({what}): copy what you need, drop the guard, \
             then do the I/O"
        ),
        FindingKind::DoubleLock => {
            format!("take the lock once and pass the guard down instead of locking again ({what})")
        }
        FindingKind::LockOrder => {
            format!("acquire these locks in one global order everywhere ({what})")
        }
        FindingKind::SingleThreadState => format!(
            "replace Rc/RefCell/Cell with Arc/Mutex (or give each thread its own copy) before threading \
             ({what})"
        ),
        FindingKind::ProcessGlobal => format!(
            "keep env/cwd/process-wide changes out of the jobs: pass the values explicitly as arguments, \
             or run the jobs in processes ({what})"
        ),
        FindingKind::Atomic => {
            format!("count per thread and sum at the end instead of sharing one atomic ({what})")
        }
        FindingKind::BlockingInAsync => format!(
            "move the blocking call into `spawn_blocking` or use the runtime's async equivalent ({what})"
        ),
        FindingKind::Io if matches!(verdict, Verdict::Threads | Verdict::Async) => format!(
            "fan this I/O out over a bounded thread pool{} ({what})",
            if verdict == Verdict::Async {
                " or, better here, async tasks with bounded concurrency"
            } else {
                " (or an async runtime for thousands of waits)"
            }
        ),
        FindingKind::ComputeHotspot if verdict == Verdict::Threads => format!(
            "CPU-bound data parallelism: `rayon` (`par_iter`) over the jobs or this loop gives threads with \
             work stealing ({what})"
        ),
        _ => return None,
    };
    Some(text)
}

/// One refactor per finding on the path that calls for a change, in (file, line) order; a general
/// pointer when nothing on the path does.
pub fn advise(ev: &Evidence<'_>, decision: &Decision) -> Vec<Refactor> {
    let (verdict, workers) = (decision.model, decision.workers);
    let order_dependent = decision
        .reasons
        .iter()
        .any(|r| r.code == super::reason::Code::OrderDependent);
    let mut out: Vec<Refactor> = Vec::new();
    for f in &ev.findings {
        let Some(message) = advice_for(f, verdict, order_dependent) else {
            continue;
        };
        let duplicate = out.iter().any(|r| {
            r.file.as_deref() == Some(f.finding.file.as_str())
                && r.line == Some(f.finding.line)
                && r.message == message
        });
        if !duplicate {
            out.push(Refactor {
                message,
                file: Some(f.finding.file.clone()),
                line: Some(f.finding.line),
            });
        }
    }
    // Globals the analysis did not trace to the path, when the reasons point at them.
    if decision.cites_untraced_globals {
        for f in &ev.crate_globals {
            out.push(Refactor {
                message: format!(
                    "if the jobs use this global ({}): shard or remove it, or keep per-thread state and merge \
                     it at the end, so that threads stop queueing on it",
                    f.message
                ),
                file: Some(f.file.clone()),
                line: Some(f.line),
            });
        }
    }
    if out.is_empty() {
        let python = ev.workload.python.is_some();
        let general = match verdict {
            // Python workloads: the pools Python offers, with what each needs.
            Verdict::Threads if python => Some(format!(
                "call it from `concurrent.futures.ThreadPoolExecutor(max_workers={workers})`: the GIL is \
                 released on the path, so the threads run it in parallel on the one shared input"
            )),
            Verdict::Processes if python => Some(format!(
                "call it from `concurrent.futures.ProcessPoolExecutor(max_workers={workers})` started once and \
                 reused (its start-up is paid per pool, not per call); or release the GIL in the Rust code to \
                 use threads"
            )),
            Verdict::Threads
                if ev
                    .sequential_cpu_share()
                    .is_some_and(|s| s < super::verdict::IO_BOUND_CPU_SHARE) =>
            {
                Some(format!(
                    "run the jobs on a bounded pool of {workers} threads (more than the cores: they mostly wait)"
                ))
            }
            Verdict::Threads => Some(format!(
                "CPU-bound data parallelism: `rayon` (`par_iter` over the jobs) or a scoped pool of {workers} threads"
            )),
            // The runtime and the jobs in flight: `verdict_async::advice`.
            Verdict::Async => None,
            Verdict::Processes => Some(format!(
                "run the jobs in {workers} worker processes (a job queue over pipes or files), each with its own state"
            )),
            Verdict::Sequential => None,
        };
        out.extend(general.map(|message| Refactor {
            message,
            file: None,
            line: None,
        }));
    }
    out
}
