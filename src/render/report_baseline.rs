//! The "since the baseline" lines of `report --baseline`, shared by the human and Markdown reports:
//! "`lookup`: threads ×2 → processes ×2; threads 1.90x → 1.00x (outside both 95% intervals); new on its
//! path: global-state at src/lib.rs:12 (`CACHE` is a static ...)".

use crate::report::compare::WorkloadChange;
use crate::report::doc::Verdict;

fn verdict(v: Verdict, workers: usize) -> String {
    match v {
        Verdict::Sequential => "sequential".into(),
        v => format!("{} ×{workers}", v.as_str()),
    }
}

/// One line per workload that changed; empty when nothing did.
pub fn lines(changes: &[WorkloadChange]) -> Vec<String> {
    let mut out = Vec::new();
    for c in changes.iter().filter(|c| !c.is_quiet()) {
        if c.new_workload {
            out.push(format!(
                "`{}`: new workload, not in the baseline",
                c.workload
            ));
            continue;
        }
        let mut parts = Vec::new();
        if let Some(v) = &c.verdict {
            parts.push(format!(
                "verdict {} → {}",
                verdict(v.before, v.before_workers),
                verdict(v.after, v.after_workers)
            ));
        }
        for r in &c.regressions {
            parts.push(format!(
                "{} {:.2}x → {:.2}x (95% CI {:.2}-{:.2} vs {:.2}-{:.2}: outside the noise)",
                r.model.as_str(),
                r.before.speedup,
                r.after.speedup,
                r.before.low,
                r.before.high,
                r.after.low,
                r.after.high
            ));
        }
        if !c.new_findings.is_empty() {
            let list: Vec<String> = c
                .new_findings
                .iter()
                .map(|f| format!("{} at {}:{} ({})", f.kind.id(), f.file, f.line, f.message))
                .collect();
            parts.push(format!("new on its path: {}", list.join("; ")));
        }
        out.push(format!("`{}`: {}", c.workload, parts.join("; ")));
    }
    out
}
