//! Python workloads in the report: the findings on the path of the Python entry points the `call`
//! expression calls, and the GIL's side of the verdict — threads when the GIL is released (shared data, no
//! pickling), processes when it is held (threads serialise; pool start-up and pickling said), sequential when
//! the jobs are too small or pickling eats the gain — with the numbers and the `gil-held` findings.

use crate::analyze::doc::AnalysisDoc;
use crate::profile::doc::{PythonRun, WorkloadProfile};
use crate::vocab::FindingKind;
use crate::vocab::Model;

use super::doc::Verdict;
use super::evidence::{duration, label, times, Evidence, ModelPoint, PathFinding};
use super::reason::{Code, Reason};
use super::verdict::Decision;

/// Findings reachable from the package's functions named like the entry points the call expression calls
/// (`m.hash_block(data, job)` → `crate::hash_block`), each once.
pub fn path_findings<'a>(
    analysis: &'a AnalysisDoc,
    w: &WorkloadProfile,
    py: &PythonRun,
) -> Vec<PathFinding<'a>> {
    let krate = w.package.replace('-', "_");
    let mut out: Vec<PathFinding<'a>> = Vec::new();
    for name in &py.entry_points {
        let suffix = format!("::{name}");
        for f in analysis.functions.iter().filter(|f| {
            f.path.ends_with(&suffix) && (f.package == w.package || f.path.starts_with(&krate))
        }) {
            for fd in analysis.findings_reachable_from(&f.path) {
                // A `gil-held` finding belongs to the entry point its chain starts at.
                if fd.kind == FindingKind::GilHeld
                    && fd.chain.first().is_some_and(|first| first != &f.path)
                {
                    continue;
                }
                if !out.iter().any(|p| std::ptr::eq(p.finding, fd)) {
                    out.push(PathFinding {
                        finding: fd,
                        via: super::evidence::Via::Run,
                    });
                }
            }
        }
    }
    out.sort_by(|a, b| {
        (&a.finding.file, a.finding.line, a.finding.kind).cmp(&(
            &b.finding.file,
            b.finding.line,
            b.finding.kind,
        ))
    });
    out
}

/// `hash_held → mix`
fn chain_text(chain: &[String]) -> String {
    chain
        .iter()
        .map(|p| p.rsplit("::").next().unwrap_or(p))
        .collect::<Vec<_>>()
        .join(" → ")
}

/// `threads ×2 1.02x`
fn point_text(p: &ModelPoint<'_>) -> String {
    format!(
        "{} {}",
        label(p.run.model, p.run.workers),
        times(p.speedup.interval.estimate)
    )
}

/// `16 MB` / `5 bytes`
fn bytes_text(n: u64) -> String {
    if n >= 1 << 20 {
        format!("{:.1} MB", n as f64 / (1u64 << 20) as f64)
    } else if n >= 1 << 10 {
        format!("{:.1} kB", n as f64 / 1024.0)
    } else {
        format!("{n} bytes")
    }
}

/// Puts the GIL's reasons first: what the verdict means for Python's threads and processes.
pub fn explain(ev: &Evidence<'_>, py: &PythonRun, decision: &mut Decision) {
    if decision.failed {
        return;
    }
    let held: Vec<String> = ev
        .findings
        .iter()
        .filter(|f| f.finding.kind == FindingKind::GilHeld)
        .map(|f| {
            format!(
                "{} ({}, via {})",
                f.finding.message,
                f.location(),
                chain_text(&f.finding.chain)
            )
        })
        .collect();
    let threads = ev.best(Model::Threads);
    let processes = ev.best(Model::Processes);
    let pool = processes.map(|p| p.run.pool_start_ns).unwrap_or(0);
    let pickled = processes.map(|p| p.run.pickled_bytes_per_job).unwrap_or(0);
    let process_costs = processes
        .map(|p| {
            format!(
                "{} after {} of pool start-up ({} start method, setup included) and {} pickled per job",
                point_text(p),
                duration(pool as f64),
                py.start_method,
                bytes_text(pickled)
            )
        })
        .unwrap_or_else(|| "processes not measured".to_string());
    let threads_text = threads
        .map(point_text)
        .unwrap_or_else(|| "threads not measured".to_string());
    let mut lines: Vec<String> = Vec::new();
    // With the GIL on and held on the path, Python threads run these jobs one at a time by construction:
    // a threads verdict can only come from noise or from time spent outside the held part.
    if py.gil_enabled
        && !held.is_empty()
        && matches!(decision.model, Verdict::Threads | Verdict::Async)
    {
        let fallback =
            processes.filter(|p| super::verdict::meaningful(p) && p.run.results_match_sequential);
        lines.push(format!(
            "threads ruled out: the GIL is held on the path, so Python threads take turns ({threads_text} \
             measured); {}",
            match fallback {
                Some(p) => format!("{} instead", point_text(p)),
                None => "processes do not beat sequential either".to_string(),
            }
        ));
        match fallback {
            Some(p) => {
                decision.model = Verdict::Processes;
                decision.workers = p.run.workers;
            }
            None => {
                decision.model = Verdict::Sequential;
                decision.workers = 1;
            }
        }
    }
    if !py.gil_enabled {
        lines.push(format!(
            "free-threaded Python {} with the GIL disabled: threads run Python code in parallel, so this is a \
             different experiment than on a default build",
            py.version
        ));
    }
    let gil_word = if held.is_empty() {
        "the GIL is released on the path (no `gil-held` finding)".to_string()
    } else {
        format!("the GIL is held: {}", held.join("; "))
    };
    match decision.model {
        Verdict::Threads | Verdict::Async => lines.push(format!(
            "threads: {gil_word}; {threads_text} on shared data with no pickling and no pool start-up; \
             {process_costs}"
        )),
        Verdict::Processes => {
            let mut line = format!(
                "processes: {}; Python threads serialise on it ({threads_text}); {process_costs}",
                if held.is_empty() {
                    "threads do not scale though no `gil-held` finding is on the path (the GIL may be held in \
                     Python code or in a dependency)"
                        .to_string()
                } else {
                    gil_word.clone()
                }
            );
            if !held.is_empty() {
                line.push_str(
                    "; release the GIL around the heavy part (`py.detach`) to get threads without copying",
                );
            }
            lines.push(line);
        }
        Verdict::Sequential => {
            let total = ev.sequential.map(|s| s.wall_ns.median).unwrap_or(0);
            let per_job = total as f64 / ev.workload.jobs.max(1) as f64;
            let why = if pickled >= 1 << 20 {
                format!(
                    "pickling eats the gain: {} pickled to every job",
                    bytes_text(pickled)
                )
            } else if pool > 0 && total < 2 * pool {
                format!(
                    "jobs too small ({} each, {} in all) for a process pool that takes {} to start",
                    duration(per_job),
                    duration(total as f64),
                    duration(pool as f64)
                )
            } else {
                "neither Python threads nor processes beat one process by a meaningful margin here".to_string()
            };
            lines.push(format!(
                "sequential: {why}; {gil_word}; {threads_text}; {process_costs}"
            ));
        }
    }
    let mut reasons: Vec<Reason> = lines
        .into_iter()
        .map(|l| Reason::new(Code::Gil, l))
        .collect();
    if py.gil_enabled && !held.is_empty() {
        // The GIL is the lock that explains a gap between threads and processes.
        decision.reasons.retain(|r| r.code != Code::NoExplanation);
    }
    reasons.append(&mut decision.reasons);
    decision.reasons = reasons;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts() {
        assert_eq!(bytes_text(5), "5 bytes");
        assert_eq!(bytes_text(16 << 20), "16.0 MB");
        assert_eq!(
            chain_text(&["ext::hash_held".into(), "ext::mix".into()]),
            "hash_held → mix"
        );
    }
}
