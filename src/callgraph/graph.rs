//! The call graph of one package: edges from each call to the functions it may reach (see the linking rules
//! in `callgraph`), interned lock ids, and the blocking and lock summaries propagated to callers over SCCs to
//! a fixpoint. It makes no findings.

use std::collections::BTreeMap;

use foldhash::HashMap;

use super::MAX_AMBIGUOUS_TARGETS;
use crate::facts::{CallTarget, FnFacts, HeldLock};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Hop {
    Own,
    Via(usize),
}

#[derive(Debug, Clone, Copy)]
pub(super) struct Edge {
    pub callee: usize,
    pub call: usize,
    /// A single, certain target: summaries travel along it.
    pub precise: bool,
}

pub(super) struct Graph<'f> {
    pub fns: &'f [FnFacts],
    pub edges: Vec<Vec<Edge>>,
}

pub(super) fn link_edges(fns: &[FnFacts]) -> Vec<Vec<Edge>> {
    let mut by_path: HashMap<&str, Vec<usize>> = HashMap::default();
    let mut by_method: HashMap<&str, Vec<usize>> = HashMap::default();
    let mut by_type_method: HashMap<(&str, &str), Vec<usize>> = HashMap::default();
    for (i, f) in fns.iter().enumerate() {
        by_path.entry(f.path.as_str()).or_default().push(i);
        if let Some(t) = &f.self_type {
            by_method.entry(f.name.as_str()).or_default().push(i);
            by_type_method
                .entry((t.as_str(), f.name.as_str()))
                .or_default()
                .push(i);
        }
    }
    let empty: Vec<usize> = Vec::new();
    // Each function's edges depend only on the read-only indexes: linked in parallel, collected in order.
    use rayon::prelude::*;
    fns.par_iter()
        .map(|f| {
            let mut edges = Vec::new();
            for (ci, call) in f.calls.iter().enumerate() {
                let with_self: Vec<usize>;
                let targets: &Vec<usize> = match &call.target {
                    CallTarget::Path(cands) => cands
                        .iter()
                        .find_map(|c| by_path.get(c.as_str()))
                        .or_else(|| {
                            let first = cands.first()?;
                            let mut it = first.rsplit("::");
                            let name = it.next()?;
                            let ty = it.next()?;
                            by_type_method.get(&(ty, name))
                        })
                        .unwrap_or(&empty),
                    CallTarget::Method {
                        name,
                        self_type,
                        on_self,
                    } => match self_type {
                        Some(t) => by_type_method
                            .get(&(t.as_str(), name.as_str()))
                            .or_else(|| {
                                // `self.f()` where `f` comes from a trait of the package.
                                by_method
                                    .get(name.as_str())
                                    .filter(|all| *on_self && all.len() <= MAX_AMBIGUOUS_TARGETS)
                            })
                            .unwrap_or(&empty),
                        None => {
                            // `x.f()` with an unknown `x` calls a method that takes `self` (the cap counts
                            // every function of that name, as the name is as ambiguous either way).
                            with_self = by_method
                                .get(name.as_str())
                                .filter(|all| all.len() <= MAX_AMBIGUOUS_TARGETS)
                                .map(|all| {
                                    all.iter().copied().filter(|&i| fns[i].has_self).collect()
                                })
                                .unwrap_or_default();
                            &with_self
                        }
                    },
                };
                let precise = targets.len() == 1;
                for &callee in targets {
                    edges.push(Edge {
                        callee,
                        call: ci,
                        precise,
                    });
                }
            }
            edges
        })
        .collect()
}

/// Lock summaries use interned lock ids.
#[derive(Default)]
pub(super) struct Locks {
    ids: HashMap<String, usize>,
    pub info: Vec<HeldLock>,
}

impl Locks {
    pub fn intern(&mut self, l: &HeldLock) -> usize {
        if let Some(&i) = self.ids.get(&l.id) {
            return i;
        }
        self.ids.insert(l.id.clone(), self.info.len());
        self.info.push(l.clone());
        self.info.len() - 1
    }
}

pub(super) struct Summaries {
    pub blocks: Vec<Option<Hop>>,
    pub locks: Vec<BTreeMap<usize, Hop>>,
    /// The locks of `locks` that a function takes on its own `self` (or statics): taken in its body, or
    /// through `self.f()` calls only. A lock named `Type.field` reached through `other.f()` is `other`'s.
    pub self_locks: Vec<BTreeMap<usize, Hop>>,
}

/// Records that `lock` is reached through `callee` unless it already is; true when it was new.
fn add_hop(locks: &mut BTreeMap<usize, Hop>, lock: usize, callee: usize) -> bool {
    match locks.entry(lock) {
        std::collections::btree_map::Entry::Vacant(v) => {
            v.insert(Hop::Via(callee));
            true
        }
        std::collections::btree_map::Entry::Occupied(_) => false,
    }
}

impl Graph<'_> {
    pub fn summarize(&self, sccs: &[Vec<usize>], locks: &mut Locks) -> Summaries {
        let n = self.fns.len();
        let mut s = Summaries {
            blocks: vec![None; n],
            locks: vec![BTreeMap::new(); n],
            self_locks: vec![BTreeMap::new(); n],
        };
        for (i, f) in self.fns.iter().enumerate() {
            if f.blocking.is_some() {
                s.blocks[i] = Some(Hop::Own);
            }
            for l in &f.locks {
                let id = locks.intern(&l.lock);
                s.locks[i].entry(id).or_insert(Hop::Own);
                s.self_locks[i].entry(id).or_insert(Hop::Own);
            }
        }
        for scc in sccs {
            loop {
                let mut changed = false;
                for &f in scc {
                    for e in &self.edges[f] {
                        // A call made on another thread (a spawned closure) neither blocks this function
                        // nor takes its locks here.
                        if !e.precise
                            || self.fns[e.callee].is_async
                            || e.callee == f
                            || self.fns[f].calls[e.call].detached
                        {
                            continue;
                        }
                        // A static's initialiser runs once per process: what it waits for is no wait
                        // of every call.
                        let once = self.fns[f].calls[e.call].once;
                        if !once && s.blocks[f].is_none() && s.blocks[e.callee].is_some() {
                            s.blocks[f] = Some(Hop::Via(e.callee));
                            changed = true;
                        }
                        let callee_locks: Vec<usize> = s.locks[e.callee].keys().copied().collect();
                        for l in callee_locks {
                            changed |= add_hop(&mut s.locks[f], l, e.callee);
                        }
                        let on_self = self.fns[f].calls[e.call].on_self();
                        let callee_self: Vec<usize> = s.self_locks[e.callee]
                            .keys()
                            .copied()
                            .filter(|&l| on_self || locks.info[l].is_global())
                            .collect();
                        for l in callee_self {
                            changed |= add_hop(&mut s.self_locks[f], l, e.callee);
                        }
                    }
                }
                if !changed
                    || scc.len() == 1 && !self.edges[scc[0]].iter().any(|e| e.callee == scc[0])
                {
                    break;
                }
            }
        }
        s
    }

    /// Path names from `from` following hops to the function that owns the construct.
    pub fn chain(&self, from: usize, hop_of: impl Fn(usize) -> Option<Hop>) -> Vec<usize> {
        let mut out = vec![from];
        let mut at = from;
        while let Some(Hop::Via(next)) = hop_of(at) {
            if out.contains(&next) {
                break;
            }
            out.push(next);
            at = next;
        }
        out
    }
}
