//! Loops that wait through the functions they call: a body's compute score keeps the work of its loops
//! (`facts::work`), but the body cannot see that a call in a loop waits (writes to a terminal, reads a file)
//! inside a function of the package. Here a function waits when its own body does, or when one of its calls
//! does; a call waits when its targets (leaving out the trivial ones: no call and no wait of their own, like
//! a test double's `Ok(())`) all wait. An outermost loop with a call that waits is dominated by the wait: its
//! work is taken back from the function's score, and a `compute-hotspot` below the threshold is dropped.
//! Calling an `async fn` only builds a future: it never waits here.

use super::graph::Edge;
use super::hazards::Owned;
use crate::facts::FnFacts;
use crate::rules::compute_hotspot;
use crate::vocab::FindingData;

/// Takes back from each function's `compute_score` the work of its loops that call something that waits,
/// and drops or rescores its `compute-hotspot` finding; `sccs` callees first (as Tarjan gives them).
pub(super) fn take_back_waiting_loops(
    fns: &mut [FnFacts],
    edges: &[Vec<Edge>],
    sccs: &[Vec<usize>],
    findings: &mut Vec<Owned>,
) {
    let trivial: Vec<bool> = fns.iter().map(|f| !f.waits && f.calls.is_empty()).collect();
    let mut waits: Vec<bool> = fns.iter().map(|f| f.waits && !f.is_async).collect();
    for scc in sccs {
        loop {
            let mut changed = false;
            for &f in scc {
                if !waits[f] && !fns[f].is_async {
                    let any =
                        (0..fns[f].calls.len()).any(|c| call_waits(&edges[f], c, &waits, &trivial));
                    if any {
                        waits[f] = true;
                        changed = true;
                    }
                }
            }
            if !changed {
                break;
            }
        }
    }
    let mut adjusted: Vec<Option<u32>> = vec![None; fns.len()];
    for (f, facts) in fns.iter_mut().enumerate() {
        let taken: u32 = facts
            .loop_regions
            .iter()
            .filter(|r| {
                (r.calls.0..r.calls.1).any(|c| call_waits(&edges[f], c as usize, &waits, &trivial))
            })
            .map(|r| r.kept)
            .sum();
        if taken > 0 {
            facts.compute_score = facts.compute_score.saturating_sub(taken);
            adjusted[f] = Some(facts.compute_score);
        }
    }
    findings.retain_mut(|(fd, owner)| {
        let Some(score) = owner.and_then(|o| adjusted[o]) else {
            return true;
        };
        match &mut fd.data {
            Some(FindingData::ComputeHotspot { score: s, .. }) => {
                *s = score;
                score >= compute_hotspot::THRESHOLD
            }
            _ => true,
        }
    });
}

/// True when call `call` (an index into the caller's calls) waits: its targets other than trivial ones are
/// not none, and all wait.
fn call_waits(edges: &[Edge], call: usize, waits: &[bool], trivial: &[bool]) -> bool {
    let mut any = false;
    for e in edges.iter().filter(|e| e.call == call) {
        if trivial[e.callee] {
            continue;
        }
        if !waits[e.callee] {
            return false;
        }
        any = true;
    }
    any
}
