//! The intra-crate call graph: links the functions of a package's files, propagates summaries to callers
//! (strongly connected components, to a fixpoint) and turns facts into findings and function classes.
//!
//! Linking: a path call goes to the function with that full path (or, for `Type::f`, to `f` in an impl of a
//! type named `Type`); a method call `x.f()` goes to `f` of the receiver's type when known, otherwise to every
//! method of the package named `f` (when there are at most [`MAX_AMBIGUOUS_TARGETS`]; ambiguous edges count for reachability and classes, but lock and blocking
//! summaries only travel along edges with a single target, to keep findings precise). Calling an `async fn`
//! only builds a future, so summaries never travel through async callees.
//!
//! Summaries per function: does it block (I/O, sleep, receive, join), and which locks does it acquire —
//! each with the next hop, so that a finding's `chain` lists caller → callee → ... → the function holding the
//! construct. Recursion is handled by computing SCCs (Tarjan) and iterating each to a fixpoint.
//!
//! Statics: a function that names a static with an item finding (`GLOBAL_LOCK.lock()`, `COUNTER.fetch_add(..)`,
//! `CELL.with(..)`) has that `global-state` / `static-mut` finding in its reachable findings, and so does every
//! function that reaches it.
//!
//! Classes (see [`class_of`]): over the function and everything it reaches, `io` = 10 per blocking I/O site
//! (fs, net, process, sleep, blocking clients) + 1 per console site, `compute` = the sum of compute scores
//! (`rules::compute_hotspot`). Shared callees are counted once per path (sums saturate at 1,000,000).
//! io ≥ 10 and compute ≥ 5 → `mixed`; only io → `io-bound`; only compute → `compute-bound`; else `trivial`.

#[cfg(test)]
pub(crate) mod check;
mod scc;

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::analyze::doc::FunctionDoc;
use crate::facts::{CallTarget, FileFacts, FnFacts, HeldLock};
use crate::rules::{self, compute_hotspot, Site};
use crate::vocab::{Finding, FindingKind, FnClass};

/// Findings and function summaries of one package.
#[derive(Debug, Clone, Default)]
pub struct PackageOutput {
    pub findings: Vec<Finding>,
    /// `reachable_findings` index into `findings` above.
    pub functions: Vec<FunctionDoc>,
}

/// An untyped method call `x.f()` links to every method named `f` only up to this many: a name implemented by
/// more types than this (`parse`, `fmt`, `to_tokens`) says nothing about which one runs.
pub const MAX_AMBIGUOUS_TARGETS: usize = 8;

/// I/O weight from which I/O is significant for a class.
pub const IO_CLASS_THRESHOLD: u32 = 10;

/// The class of a function from the I/O and compute weights of everything it reaches.
pub fn class_of(io: u32, compute: u32) -> FnClass {
    let io_sig = io >= IO_CLASS_THRESHOLD;
    let cpu_sig = compute >= compute_hotspot::CLASS_THRESHOLD;
    match (io_sig, cpu_sig) {
        (true, true) => FnClass::Mixed,
        (true, false) => FnClass::IoBound,
        (false, true) => FnClass::ComputeBound,
        (false, false) => FnClass::Trivial,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hop {
    Own,
    Via(usize),
}

#[derive(Debug, Clone, Copy)]
struct Edge {
    callee: usize,
    call: usize,
    /// A single, certain target: summaries travel along it.
    precise: bool,
}

struct Graph<'f> {
    fns: &'f [FnFacts],
    edges: Vec<Vec<Edge>>,
}

fn link_edges(fns: &[FnFacts]) -> Vec<Vec<Edge>> {
    let mut by_path: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut by_method: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut by_type_method: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
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
    fns.iter()
        .map(|f| {
            let mut edges = Vec::new();
            for (ci, call) in f.calls.iter().enumerate() {
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
                        None => by_method
                            .get(name.as_str())
                            .filter(|all| all.len() <= MAX_AMBIGUOUS_TARGETS)
                            .unwrap_or(&empty),
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
struct Locks {
    ids: HashMap<String, usize>,
    info: Vec<HeldLock>,
}

impl Locks {
    fn intern(&mut self, l: &HeldLock) -> usize {
        if let Some(&i) = self.ids.get(&l.id) {
            return i;
        }
        self.ids.insert(l.id.clone(), self.info.len());
        self.info.push(l.clone());
        self.info.len() - 1
    }
}

struct Summaries {
    blocks: Vec<Option<Hop>>,
    locks: Vec<BTreeMap<usize, Hop>>,
}

impl Graph<'_> {
    fn summarize(&self, sccs: &[Vec<usize>], locks: &mut Locks) -> Summaries {
        let n = self.fns.len();
        let mut s = Summaries {
            blocks: vec![None; n],
            locks: vec![BTreeMap::new(); n],
        };
        for (i, f) in self.fns.iter().enumerate() {
            if f.blocking.is_some() {
                s.blocks[i] = Some(Hop::Own);
            }
            for l in &f.locks {
                let id = locks.intern(&l.lock);
                s.locks[i].entry(id).or_insert(Hop::Own);
            }
        }
        for scc in sccs {
            loop {
                let mut changed = false;
                for &f in scc {
                    for e in &self.edges[f] {
                        if !e.precise || self.fns[e.callee].is_async || e.callee == f {
                            continue;
                        }
                        if s.blocks[f].is_none() && s.blocks[e.callee].is_some() {
                            s.blocks[f] = Some(Hop::Via(e.callee));
                            changed = true;
                        }
                        let callee_locks: Vec<usize> = s.locks[e.callee].keys().copied().collect();
                        for l in callee_locks {
                            if let std::collections::btree_map::Entry::Vacant(v) =
                                s.locks[f].entry(l)
                            {
                                v.insert(Hop::Via(e.callee));
                                changed = true;
                            }
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
    fn chain(&self, from: usize, hop_of: impl Fn(usize) -> Option<Hop>) -> Vec<usize> {
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

struct PairSite {
    first: usize,
    second: usize,
    owner: usize,
    line: u32,
    column: u32,
    file: String,
    chain: Vec<String>,
}

/// Links the facts of every file of one package (all targets) and derives findings.
pub fn link(package: &str, files: Vec<FileFacts>) -> PackageOutput {
    let mut findings: Vec<(Finding, Option<usize>)> = Vec::new();
    let mut fns: Vec<FnFacts> = Vec::new();
    let mut externs: HashSet<String> = HashSet::new();
    let mut static_muts: HashSet<String> = HashSet::new();
    let mut item_findings = Vec::new();
    let mut field_locks: HashMap<String, String> = HashMap::new();
    // Static full path → (file, line) of its item finding.
    let mut static_decls: HashMap<String, (String, u32)> = HashMap::new();
    for f in files {
        for (path, line) in f.static_decls {
            static_decls
                .entry(path)
                .or_insert_with(|| (f.rel_path.clone(), line));
        }
        for (field, lock) in f.field_locks {
            field_locks.entry(field).or_insert(lock);
        }
        externs.extend(f.extern_fns);
        static_muts.extend(f.static_muts);
        item_findings.extend(f.item_findings);
        fns.extend(f.functions);
    }
    let fn_index: HashMap<String, usize> = fns
        .iter()
        .enumerate()
        .map(|(i, f)| (f.path.clone(), i))
        .collect();
    for f in item_findings {
        let owner = f.function.as_ref().and_then(|p| fn_index.get(p).copied());
        findings.push((f, owner));
    }
    for (i, f) in fns.iter_mut().enumerate() {
        for fd in std::mem::take(&mut f.findings) {
            findings.push((fd, Some(i)));
        }
    }
    let site = |f: &FnFacts, line: u32, column: u32| Site {
        file: f.file.clone(),
        line,
        column,
        function: Some(f.path.clone()),
    };
    // Link-time findings: calls into extern blocks, accesses to `static mut`.
    for (i, f) in fns.iter().enumerate() {
        for c in &f.calls {
            if let CallTarget::Path(cands) = &c.target {
                if let Some(p) = cands.iter().find(|p| externs.contains(*p)) {
                    let fd = rules::finding(
                        FindingKind::Ffi,
                        site(f, c.line, c.column),
                        rules::ffi::message(p),
                    );
                    findings.push((fd, Some(i)));
                }
            }
        }
        for u in &f.static_uses {
            if static_muts.contains(&u.path) {
                let name = u.path.rsplit("::").next().unwrap_or(&u.path);
                let fd = rules::finding(
                    FindingKind::StaticMut,
                    site(f, u.line, u.column),
                    rules::static_mut::accessed(name),
                );
                findings.push((fd, Some(i)));
            }
        }
    }

    let edges = link_edges(&fns);
    let graph = Graph { fns: &fns, edges };
    let sccs = scc::tarjan(fns.len(), |v| graph.edges[v].iter().map(|e| e.callee));
    let mut locks = Locks {
        ids: HashMap::new(),
        info: Vec::new(),
    };
    let sums = graph.summarize(&sccs, &mut locks);
    let path_of = |i: usize| fns[i].path.clone();
    let block_what = |chain: &[usize]| -> String {
        chain
            .last()
            .and_then(|&l| fns[l].blocking.as_ref())
            .map(|b| b.what.clone())
            .unwrap_or_default()
    };

    // Through-call findings and lock pairs.
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
        let mut done_calls: HashSet<(usize, u8)> = HashSet::new();
        for e in &graph.edges[i] {
            // Recursion under a guard is reported by its direct acquisitions, not as a call to itself.
            if !e.precise || fns[e.callee].is_async || e.callee == i {
                continue;
            }
            let call = &f.calls[e.call];
            let callee_path = path_of(e.callee);
            let block_chain = || {
                let mut c = vec![i];
                c.extend(graph.chain(e.callee, |x| sums.blocks[x]));
                c
            };
            if sums.blocks[e.callee].is_some() {
                if let Some(g) = call.held.last() {
                    if done_calls.insert((e.call, 0)) {
                        let chain = block_chain();
                        let what = block_what(&chain);
                        let msg = rules::lock_across_blocking::through_call(
                            short(&g.id),
                            &g.desc,
                            &callee_path,
                            &what,
                        );
                        let mut fd = rules::finding(
                            FindingKind::LockAcrossBlocking,
                            site(f, call.line, call.column),
                            msg,
                        );
                        fd.chain = chain.into_iter().map(path_of).collect();
                        findings.push((fd, Some(i)));
                    }
                }
                if call.in_async && done_calls.insert((e.call, 1)) {
                    let chain = block_chain();
                    let what = block_what(&chain);
                    let msg = rules::blocking_in_async::through_call(&callee_path, &what);
                    let mut fd = rules::finding(
                        FindingKind::BlockingInAsync,
                        site(f, call.line, call.column),
                        msg,
                    );
                    fd.chain = chain.into_iter().map(path_of).collect();
                    findings.push((fd, Some(i)));
                }
            }
            if call.held.is_empty() {
                continue;
            }
            for (&lock, _) in sums.locks[e.callee].iter() {
                let lock_chain = || {
                    let mut c = vec![i];
                    c.extend(graph.chain(e.callee, |x| sums.locks[x].get(&lock).copied()));
                    c.into_iter().map(path_of).collect::<Vec<_>>()
                };
                let info = locks.info[lock].clone();
                let reentrant = crate::rules::apis::REENTRANT_LOCKS.contains(&info.desc.as_str());
                if reentrant && call.held.iter().any(|h| h.id == info.id) {
                    continue;
                }
                if call.held.iter().any(|h| h.id == info.id && !h.shared) {
                    if done_calls.insert((e.call, 2)) {
                        let msg = rules::double_lock::through_call(
                            short(&info.id),
                            &info.desc,
                            &callee_path,
                        );
                        let mut fd = rules::finding(
                            FindingKind::DoubleLock,
                            site(f, call.line, call.column),
                            msg,
                        );
                        fd.chain = lock_chain();
                        findings.push((fd, Some(i)));
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
                            chain: lock_chain(),
                        });
                    }
                }
            }
        }
    }

    // Lock order: pairs seen in both orders.
    let mut by_order: HashMap<(usize, usize), Vec<usize>> = HashMap::new();
    for (k, p) in pairs.iter().enumerate() {
        by_order.entry((p.first, p.second)).or_default().push(k);
    }
    for p in &pairs {
        let Some(other) = by_order.get(&(p.second, p.first)).and_then(|v| v.first()) else {
            continue;
        };
        let o = &pairs[*other];
        let msg = rules::lock_order::message(
            short(&locks.info[p.first].id),
            short(&locks.info[p.second].id),
            &fns[o.owner].path,
            o.line,
        );
        let mut fd = rules::finding(
            FindingKind::LockOrder,
            Site {
                file: p.file.clone(),
                line: p.line,
                column: p.column,
                function: Some(fns[p.owner].path.clone()),
            },
            msg,
        );
        fd.chain = p.chain.clone();
        findings.push((fd, Some(p.owner)));
    }

    // Deduplicate (same kind, file, line, function) and index per function.
    let mut seen: HashSet<(FindingKind, String, u32, Option<String>)> = HashSet::new();
    let mut out_findings = Vec::new();
    let mut own: Vec<Vec<usize>> = vec![Vec::new(); fns.len()];
    for (mut fd, owner) in findings {
        if !seen.insert((fd.kind, fd.file.clone(), fd.line, fd.function.clone())) {
            continue;
        }
        fd.package = package.to_string();
        name_field_lock(&mut fd, &field_locks);
        if let Some(o) = owner {
            own[o].push(out_findings.len());
        }
        out_findings.push(fd);
    }

    // A function using a static has the static's item finding on its path.
    let mut static_findings: HashMap<(&str, u32), Vec<usize>> = HashMap::new();
    for (k, fd) in out_findings.iter().enumerate() {
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

    // Reachability (findings bitsets per SCC) and class weights, callees first.
    let words = out_findings.len().div_ceil(64);
    let mut comp_of = vec![0usize; fns.len()];
    for (c, scc) in sccs.iter().enumerate() {
        for &f in scc {
            comp_of[f] = c;
        }
    }
    let mut reach: Vec<Vec<u64>> = vec![Vec::new(); sccs.len()];
    let mut io_w = vec![0u32; sccs.len()];
    let mut cpu_w = vec![0u32; sccs.len()];
    const CAP: u32 = 1_000_000;
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
            io = io.saturating_add(io_w[cc]).min(CAP);
            cpu = cpu.saturating_add(cpu_w[cc]).min(CAP);
        }
        reach[c] = bits;
        io_w[c] = io;
        cpu_w[c] = cpu;
    }
    let functions = fns
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let c = comp_of[i];
            let mut reachable = Vec::new();
            for (w, &word) in reach[c].iter().enumerate() {
                let mut x = word;
                while x != 0 {
                    let b = x.trailing_zeros() as usize;
                    reachable.push(w * 64 + b);
                    x &= x - 1;
                }
            }
            FunctionDoc {
                path: f.path.clone(),
                file: f.file.clone(),
                line: f.line,
                class: class_of(io_w[c], cpu_w[c]),
                package: package.to_string(),
                reachable_findings: reachable,
            }
        })
        .collect();
    PackageOutput {
        findings: out_findings,
        functions,
    }
}

/// A lock named `Type.field` whose type the file could not see (declared in another file) gets it here.
fn name_field_lock(fd: &mut Finding, field_locks: &HashMap<String, String>) {
    if !matches!(
        fd.kind,
        FindingKind::LockAcrossBlocking | FindingKind::DoubleLock
    ) || !fd.message.contains("` (lock)")
    {
        return;
    }
    let Some(name) = fd.message.split('`').nth(1) else {
        return;
    };
    if let Some(lock) = field_locks.get(name) {
        let from = format!("`{name}` (lock)");
        let to = format!("`{name}` ({lock})");
        fd.message = fd.message.replacen(&from, &to, 1);
    }
}

/// The short name of a lock id for messages.
fn short(id: &str) -> &str {
    id.rsplit_once("::").map(|(_, l)| l).unwrap_or(id)
}

#[cfg(test)]
mod tests;
