//! The findings only linking can make: calls into the package's `extern` blocks and accesses to its
//! `static mut`s seen across files, and the through-call hazards — a blocking or locking callee reached
//! under a guard or in async context, lock pairs taken in both orders. It builds findings' typed data,
//! never their messages, and does not decide reachability or classes.

use std::collections::BTreeMap;

use foldhash::{HashMap, HashSet};

use super::graph::{Graph, Hop, Locks, Summaries};
use crate::facts::{short_lock_name, CallTarget, FnFacts};
use crate::rules::{self, Site};
use crate::vocab::{Finding, FindingData};

/// A finding with the index of the function that owns it (`None`: an item outside any function).
pub(super) type Owned = (Finding, Option<usize>);

fn site(f: &FnFacts, line: u32, column: u32) -> Site {
    Site {
        file: f.file.clone(),
        line,
        column,
        function: Some(f.path.clone()),
    }
}

/// Calls into an `extern` block of the package (ffi) and accesses to its `static mut`s.
pub(super) fn link_time(
    fns: &[FnFacts],
    externs: &HashSet<String>,
    static_muts: &HashSet<String>,
    out: &mut Vec<Owned>,
) {
    for (i, f) in fns.iter().enumerate() {
        for c in &f.calls {
            if let CallTarget::Path(cands) = &c.target {
                if let Some(p) = cands.iter().find(|p| externs.contains(*p)) {
                    let data = FindingData::Ffi { api: p.to_string() };
                    out.push((rules::finding(site(f, c.line, c.column), data), Some(i)));
                }
            }
        }
        for u in &f.static_uses {
            if static_muts.contains(&u.path) {
                let name = u.path.rsplit("::").next().unwrap_or(&u.path);
                let data = FindingData::StaticMut {
                    name: name.to_string(),
                    accessed: true,
                };
                out.push((rules::finding(site(f, u.line, u.column), data), Some(i)));
            }
        }
    }
}

/// Two locks held together at one site: `second` taken while `first` is held.
pub(super) struct PairSite {
    first: usize,
    second: usize,
    owner: usize,
    line: u32,
    column: u32,
    file: String,
    chain: Vec<String>,
}

/// lock-across-blocking, blocking-in-async and double-lock through calls (one per call site and kind);
/// returns every lock pair, taken in one body or through a call, for [`lock_order`].
pub(super) fn through_calls(
    graph: &Graph<'_>,
    sums: &Summaries,
    locks: &mut Locks,
    out: &mut Vec<Owned>,
) -> Vec<PairSite> {
    let fns = graph.fns;
    let path_of = |i: usize| fns[i].path.clone();
    let block_what = |chain: &[usize]| -> String {
        chain
            .last()
            .and_then(|&l| fns[l].blocking.as_ref())
            .map(|b| b.what.clone())
            .unwrap_or_default()
    };
    let mut pairs: Vec<PairSite> = Vec::new();
    for (i, f) in fns.iter().enumerate() {
        for p in &f.lock_pairs {
            pairs.push(PairSite {
                first: locks.intern(&p.first),
                second: locks.intern(&p.second),
                owner: i,
                line: p.line,
                column: p.column,
                file: f.file.clone(),
                chain: Vec::new(),
            });
        }
        let mut done_calls: HashSet<(usize, u8)> = HashSet::default();
        for e in &graph.edges[i] {
            // Recursion under a guard is reported by its direct acquisitions, not as a call to itself.
            if !e.precise || fns[e.callee].is_async || e.callee == i {
                continue;
            }
            let call = &f.calls[e.call];
            let at = site(f, call.line, call.column);
            let callee_path = path_of(e.callee);
            let block_chain = || {
                let mut c = vec![i];
                c.extend(graph.chain(e.callee, |x| sums.blocks[x]));
                c
            };
            // A call in a static's initialiser waits once per process: no hazard (see `CallSite::once`).
            if sums.blocks[e.callee].is_some() && !call.once {
                if let Some(g) = call.held.last() {
                    if done_calls.insert((e.call, 0)) {
                        let chain = block_chain();
                        let data = FindingData::LockAcrossBlocking {
                            lock: g.lock_ref(),
                            blocker: block_what(&chain),
                            via: Some(callee_path.clone()),
                        };
                        let mut fd = rules::finding(at.clone(), data);
                        fd.chain = chain.into_iter().map(path_of).collect();
                        out.push((fd, Some(i)));
                    }
                }
                if call.in_async && done_calls.insert((e.call, 1)) {
                    let chain = block_chain();
                    let data = FindingData::BlockingInAsync {
                        blocker: block_what(&chain),
                        via: Some(callee_path.clone()),
                    };
                    let mut fd = rules::finding(at.clone(), data);
                    fd.chain = chain.into_iter().map(path_of).collect();
                    out.push((fd, Some(i)));
                }
            }
            if call.held.is_empty() {
                continue;
            }
            for (&lock, _) in sums.locks[e.callee].iter() {
                let lock_chain = |hops: &[BTreeMap<usize, Hop>]| {
                    let mut c = vec![i];
                    c.extend(graph.chain(e.callee, |x| hops[x].get(&lock).copied()));
                    c.into_iter().map(path_of).collect::<Vec<_>>()
                };
                let info = locks.info[lock].clone();
                if info.reentrant && call.held.iter().any(|h| h.id == info.id) {
                    continue;
                }
                // The callee takes the very lock held here only when it is a static, or when every call
                // on the way passes `self` on (`self.f()`): `other.f()` takes `other`'s.
                let same = (info.is_global() || call.on_self())
                    && sums.self_locks[e.callee].contains_key(&lock);
                if same && call.held.iter().any(|h| h.id == info.id && !h.shared) {
                    if done_calls.insert((e.call, 2)) {
                        let data = FindingData::DoubleLock {
                            lock: info.lock_ref(),
                            via: Some(callee_path.clone()),
                        };
                        let mut fd = rules::finding(at.clone(), data);
                        fd.chain = lock_chain(&sums.self_locks);
                        out.push((fd, Some(i)));
                    }
                } else if !call.held.iter().any(|h| h.id == info.id) {
                    for h in &call.held {
                        let first = locks.intern(h);
                        pairs.push(PairSite {
                            first,
                            second: lock,
                            owner: i,
                            line: call.line,
                            column: call.column,
                            file: f.file.clone(),
                            chain: lock_chain(&sums.locks),
                        });
                    }
                }
            }
        }
    }
    pairs
}

/// lock-order: a pair of locks taken in both orders, reported at each site with the other order's place.
pub(super) fn lock_order(pairs: &[PairSite], locks: &Locks, fns: &[FnFacts], out: &mut Vec<Owned>) {
    let mut by_order: HashMap<(usize, usize), Vec<usize>> = HashMap::default();
    for (k, p) in pairs.iter().enumerate() {
        by_order.entry((p.first, p.second)).or_default().push(k);
    }
    for p in pairs {
        let Some(other) = by_order.get(&(p.second, p.first)).and_then(|v| v.first()) else {
            continue;
        };
        let o = &pairs[*other];
        let (first, second) = (&locks.info[p.first], &locks.info[p.second]);
        let data = FindingData::LockOrder {
            first: short_lock_name(&first.id).to_string(),
            second: short_lock_name(&second.id).to_string(),
            other_fn: fns[o.owner].path.clone(),
            other_line: o.line,
            guessed: first.guessed.clone().or_else(|| second.guessed.clone()),
        };
        let at = Site {
            file: p.file.clone(),
            line: p.line,
            column: p.column,
            function: Some(fns[p.owner].path.clone()),
        };
        let mut fd = rules::finding(at, data);
        fd.chain = p.chain.clone();
        fd.related = vec![crate::vocab::Related {
            file: o.file.clone(),
            line: o.line,
            column: o.column,
            function: Some(fns[o.owner].path.clone()),
            role: crate::vocab::RelatedRole::OppositeOrder,
        }];
        out.push((fd, Some(p.owner)));
    }
}
