//! What each function reaches: the findings of its own body, of the statics it names and of everything it
//! calls (a bitset per SCC, callees first), and its class from the I/O and compute weights on that path.
//! It makes no findings.

use foldhash::HashMap;

use super::class_of;
use super::graph::Graph;
use crate::facts::FnFacts;
use crate::vocab::{Finding, FindingKind, FunctionDoc};

/// Adds to `own` (findings per function) the item finding of each static a function names
/// (`GLOBAL_LOCK.lock()`, `COUNTER.fetch_add(..)`); `static_decls`: static path → (file, line) of its item.
pub(super) fn static_uses(
    fns: &[FnFacts],
    static_decls: &HashMap<String, (String, u32)>,
    findings: &[Finding],
    own: &mut [Vec<usize>],
) {
    let mut static_findings: HashMap<(&str, u32), Vec<usize>> = HashMap::default();
    for (k, fd) in findings.iter().enumerate() {
        if matches!(fd.kind, FindingKind::GlobalState | FindingKind::StaticMut) {
            static_findings
                .entry((fd.file.as_str(), fd.line))
                .or_default()
                .push(k);
        }
    }
    for (i, f) in fns.iter().enumerate() {
        for u in &f.global_uses {
            let Some((file, line)) = static_decls.get(&u.path) else {
                continue;
            };
            for &k in static_findings
                .get(&(file.as_str(), *line))
                .map(Vec::as_slice)
                .unwrap_or(&[])
            {
                if !own[i].contains(&k) {
                    own[i].push(k);
                }
            }
        }
    }
}

/// Weights saturate here, so that shared callees counted once per path cannot overflow.
const WEIGHT_CAP: u32 = 1_000_000;

/// One `FunctionDoc` per function: reachable findings (indices into the package's `findings`, of which
/// there are `n_findings`) and class, computed per SCC in callee-first order (`sccs` as Tarjan gives them).
pub(super) fn functions(
    package: &str,
    graph: &Graph<'_>,
    sccs: &[Vec<usize>],
    own: &[Vec<usize>],
    n_findings: usize,
) -> Vec<FunctionDoc> {
    let fns = graph.fns;
    let words = n_findings.div_ceil(64);
    let mut comp_of = vec![0usize; fns.len()];
    for (c, scc) in sccs.iter().enumerate() {
        for &f in scc {
            comp_of[f] = c;
        }
    }
    let mut reach: Vec<Vec<u64>> = vec![Vec::new(); sccs.len()];
    let mut io_w = vec![0u32; sccs.len()];
    let mut cpu_w = vec![0u32; sccs.len()];
    let mut seen_by = vec![usize::MAX; sccs.len()];
    for (c, scc) in sccs.iter().enumerate() {
        let mut bits = vec![0u64; words];
        let (mut io, mut cpu) = (0u32, 0u32);
        let mut callee_comps: Vec<usize> = Vec::new();
        seen_by[c] = c;
        for &f in scc {
            for &fi in &own[f] {
                bits[fi / 64] |= 1 << (fi % 64);
            }
            io = io.saturating_add(fns[f].io_weight);
            cpu = cpu.saturating_add(fns[f].compute_score);
            for e in &graph.edges[f] {
                let cc = comp_of[e.callee];
                if seen_by[cc] != c {
                    seen_by[cc] = c;
                    callee_comps.push(cc);
                }
            }
        }
        for cc in callee_comps {
            for (w, x) in bits.iter_mut().zip(&reach[cc]) {
                *w |= x;
            }
            io = io.saturating_add(io_w[cc]).min(WEIGHT_CAP);
            cpu = cpu.saturating_add(cpu_w[cc]).min(WEIGHT_CAP);
        }
        reach[c] = bits;
        io_w[c] = io;
        cpu_w[c] = cpu;
    }
    fns.iter()
        .enumerate()
        .map(|(i, f)| {
            let c = comp_of[i];
            FunctionDoc {
                path: f.path.clone(),
                file: f.file.clone(),
                line: f.line,
                class: class_of(io_w[c], cpu_w[c]),
                package: package.to_string(),
                reachable_findings: set_bits(&reach[c]),
            }
        })
        .collect()
}

/// The indices of the set bits, ascending.
fn set_bits(words: &[u64]) -> Vec<usize> {
    let mut out = Vec::new();
    for (w, &word) in words.iter().enumerate() {
        let mut x = word;
        while x != 0 {
            out.push(w * 64 + x.trailing_zeros() as usize);
            x &= x - 1;
        }
    }
    out
}
