//! The intra-crate call graph: links the functions of a package's files, propagates summaries to callers
//! (strongly connected components, to a fixpoint) and turns facts into findings and function classes. It never
//! reads files or looks at syntax: it takes `FileFacts` and returns data.
//!
//! Linking: a path call goes to the function with that full path (or, for `Type::f`, to `f` in an impl of a
//! type named `Type`); a method call `x.f()` goes to `f` of the receiver's type when known, otherwise to every
//! method of the package named `f` (when there are at most [`MAX_AMBIGUOUS_TARGETS`]; ambiguous edges count for reachability and classes, but lock and blocking
//! summaries only travel along edges with a single target, to keep findings precise). Calling an `async fn`
//! only builds a future, so summaries never travel through async callees; nor through calls made on another
//! thread or later (in a closure or async block passed to a spawning call other than a scope's), which the
//! caller does not wait for.
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
//! (`rules::compute_hotspot`), after each score has lost the work of its loops that call a function that waits
//! (see [`waits`]). Shared callees are counted once per path (sums saturate at 1,000,000).
//! io ≥ 10 and compute ≥ 5 → `mixed`; only io → `io-bound`; only compute → `compute-bound`; else `trivial`.

#[cfg(test)]
pub(crate) mod check;
mod gil;
mod graph;
mod hazards;
mod reach;
mod scc;
mod waits;

use foldhash::{HashMap, HashSet};

use crate::facts::{FileFacts, FnFacts};
use crate::rules::{self, compute_hotspot};
use crate::vocab::{Finding, FindingData, FindingKind, FnClass, FunctionDoc, LockRef};
use graph::{Graph, Locks};
use hazards::Owned;

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

/// What the files of a package bring to linking.
struct Gathered {
    fns: Vec<FnFacts>,
    /// Every function's and item's findings so far, with their owner.
    findings: Vec<Owned>,
    externs: HashSet<String>,
    static_muts: HashSet<String>,
    /// `Type.field` → lock type, for locks whose type another file declares.
    field_locks: HashMap<String, String>,
    /// Static full path → (file, line) of its item finding.
    static_decls: HashMap<String, (String, u32)>,
}

fn gather(files: Vec<FileFacts>) -> Gathered {
    // Reserved whole: functions are big, and growing the vector moves them again and again.
    let n_fns = files.iter().map(|f| f.functions.len()).sum();
    let n_findings = files
        .iter()
        .map(|f| {
            f.item_findings.len() + f.functions.iter().map(|g| g.findings.len()).sum::<usize>()
        })
        .sum();
    let mut g = Gathered {
        fns: Vec::with_capacity(n_fns),
        findings: Vec::with_capacity(n_findings),
        externs: HashSet::default(),
        static_muts: HashSet::default(),
        field_locks: HashMap::default(),
        static_decls: HashMap::default(),
    };
    let mut item_findings = Vec::new();
    for f in files {
        for (path, line) in f.static_decls {
            g.static_decls
                .entry(path)
                .or_insert_with(|| (f.rel_path.clone(), line));
        }
        for (field, lock) in f.field_locks {
            g.field_locks.entry(field).or_insert(lock);
        }
        g.externs.extend(f.extern_fns);
        g.static_muts.extend(f.static_muts);
        item_findings.extend(f.item_findings);
        g.fns.extend(f.functions);
    }
    let fn_index: HashMap<&str, usize> = g
        .fns
        .iter()
        .enumerate()
        .map(|(i, f)| (f.path.as_str(), i))
        .collect();
    for f in item_findings {
        let owner = f.function.as_deref().and_then(|p| fn_index.get(p).copied());
        g.findings.push((f, owner));
    }
    for (i, f) in g.fns.iter_mut().enumerate() {
        g.findings.extend(
            std::mem::take(&mut f.findings)
                .into_iter()
                .map(|fd| (fd, Some(i))),
        );
    }
    g
}

/// Links the facts of every file of one package (all targets) and derives findings (no pyo3 dependency).
#[cfg(test)]
pub fn link(package: &str, files: Vec<FileFacts>) -> PackageOutput {
    link_with(package, files, None, &crate::callgraph::check::apis())
}

/// Links the facts of every file of one package (all targets) and derives findings; for a package that
/// depends on pyo3 when `python` is set (the spelling of the GIL release in its
/// locked version): its Python entry points get `gil-held` findings (see [`gil`]).
pub fn link_with(
    package: &str,
    files: Vec<FileFacts>,
    python: Option<rules::gil_held::ReleaseName>,
    apis: &crate::rules::apis::Apis,
) -> PackageOutput {
    let Gathered {
        mut fns,
        mut findings,
        externs,
        static_muts,
        field_locks,
        static_decls,
    } = gather(files);
    hazards::link_time(&fns, &externs, &static_muts, &mut findings);
    let edges = graph::link_edges(&fns);
    let sccs = scc::tarjan(fns.len(), |v| edges[v].iter().map(|e| e.callee));
    waits::take_back_waiting_loops(&mut fns, &edges, &sccs, &mut findings);
    let graph = Graph { fns: &fns, edges };
    let mut locks = Locks::default();
    let sums = graph.summarize(&sccs, &mut locks);
    let pairs = hazards::through_calls(&graph, &sums, &mut locks, &mut findings);
    if let Some(name) = python {
        let held = gil::findings(&fns, &graph.edges, &findings, name, apis);
        findings.extend(held);
    }
    hazards::lock_order(&pairs, &locks, &fns, &mut findings);
    let (findings, mut own) = finish(package, findings, &field_locks, fns.len());
    reach::static_uses(&fns, &static_decls, &findings, &mut own);
    let functions = reach::functions(package, &graph, &sccs, &own, findings.len());
    PackageOutput {
        findings,
        functions,
    }
}

/// The package's findings as the document has them: one per (kind, file, line, function), the first met;
/// each with its package and its message, made by its rule from the final data. Also returns each
/// function's own findings (indices into the first).
fn finish(
    package: &str,
    findings: Vec<Owned>,
    field_locks: &HashMap<String, String>,
    n_fns: usize,
) -> (Vec<Finding>, Vec<Vec<usize>>) {
    let mut seen: HashSet<(FindingKind, String, u32, u32, Option<String>)> = HashSet::default();
    let mut out = Vec::new();
    let mut own: Vec<Vec<usize>> = vec![Vec::new(); n_fns];
    for (mut fd, owner) in findings {
        let key = (
            fd.kind,
            fd.file.clone(),
            fd.line,
            fd.column,
            fd.function.clone(),
        );
        if !seen.insert(key) {
            continue;
        }
        fd.package = package.to_string();
        if let Some(data) = &mut fd.data {
            name_field_lock(data, field_locks);
            fd.message = rules::message(data);
        }
        if let Some(o) = owner {
            own[o].push(out.len());
        }
        out.push(fd);
    }
    (out, own)
}

/// A lock named `Type.field` whose type the file could not see (declared in another file) gets it here.
fn name_field_lock(data: &mut FindingData, field_locks: &HashMap<String, String>) {
    let Some(lock) = data.lock_mut() else {
        return;
    };
    if lock.ty == LockRef::UNKNOWN_TYPE {
        if let Some(ty) = field_locks.get(&lock.name) {
            lock.ty = ty.clone();
        }
    }
}

#[cfg(test)]
mod tests;
