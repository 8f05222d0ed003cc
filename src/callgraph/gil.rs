//! `gil-held` through the call graph: from every Python entry point (GIL held), walk the calls carrying
//! whether the GIL is held at each one — a call inside a released region (`allow_threads`/`detach` closure) runs
//! without it, inside a re-acquired region (`with_gil`/`attach`) with it, elsewhere as at the caller — and report
//! heavy sites reached while it is held (see `rules::gil_held`), each with the chain from the entry point.

use std::collections::VecDeque;

use foldhash::{HashMap, HashSet};

use super::graph::Edge;
use crate::facts::gil::{GilOp, GilRegion, Spelling};
use crate::facts::{CallTarget, FnFacts};
use crate::rules::apis::{Api, Apis};
use crate::rules::gil_held::{self, ReleaseName};
use crate::rules::{self, compute_hotspot, Site};
use crate::vocab::{Finding, FindingData, FindingKind, GilHeavy};

/// Whether the GIL is held at `at` in a function entered with `inherited`, and whether a re-acquisition
/// region decides it.
fn held_at(regions: &[&GilRegion], at: (u32, u32), inherited: bool) -> (bool, bool) {
    // Regions are sorted by start (outer before inner): the last containing one is the innermost.
    match regions.iter().rev().find(|r| r.contains(at)) {
        Some(r) => (r.op == GilOp::Acquire, r.op == GilOp::Acquire),
        None => (inherited, false),
    }
}

fn counts(name: ReleaseName, r: &GilRegion) -> bool {
    match name {
        ReleaseName::AllowThreads => r.spelling == Spelling::Old,
        ReleaseName::Detach | ReleaseName::Either => true,
    }
}

/// The blocking I/O call an `io` finding is about (`std::fs::read`), unless it is console output.
fn io_what<'f>(fd: &'f Finding, apis: &Apis) -> Option<&'f str> {
    let Some(FindingData::Io { api: what }) = &fd.data else {
        return None;
    };
    let console = what.ends_with('!')
        || what.starts_with("std::io::Std")
        || apis.call_apis(what).contains(&Api::Console);
    (!console).then_some(what)
}

/// `gil-held` findings of one package; `io` are the package's own-body findings with their owners.
pub(super) fn findings(
    fns: &[FnFacts],
    edges: &[Vec<Edge>],
    io: &[(Finding, Option<usize>)],
    name: ReleaseName,
    apis: &Apis,
) -> Vec<(Finding, Option<usize>)> {
    // The analysis's catalogue (built-in and configured entries): which I/O is console output.
    let mut io_of: HashMap<usize, Vec<&Finding>> = HashMap::default();
    for (fd, owner) in io {
        if let (FindingKind::Io, Some(o)) = (fd.kind, owner) {
            io_of.entry(*o).or_default().push(fd);
        }
    }
    let regions: Vec<Vec<&GilRegion>> = fns
        .iter()
        .map(|f| f.gil.regions.iter().filter(|r| counts(name, r)).collect())
        .collect();
    let hotspot = |i: usize| fns[i].compute_score >= compute_hotspot::THRESHOLD;
    let mut out: Vec<(Finding, Option<usize>)> = Vec::new();
    let mut reported: HashSet<(usize, u32, u32)> = HashSet::default();
    for entry in (0..fns.len()).filter(|&i| fns[i].gil.entry.is_some()) {
        let params = &fns[entry].gil.params;
        // Breadth first, so each site is reported with its shortest chain; states are (function, held).
        let mut parent: HashMap<(usize, bool), (usize, bool)> = HashMap::default();
        let mut queue = VecDeque::from([(entry, true)]);
        let mut seen: HashSet<(usize, bool)> = [(entry, true)].into_iter().collect();
        while let Some((f, inherited)) = queue.pop_front() {
            let chain = {
                let mut c = vec![fns[f].path.clone()];
                let mut at = (f, inherited);
                while let Some(&p) = parent.get(&at) {
                    c.push(fns[p.0].path.clone());
                    at = p;
                }
                c.reverse();
                c
            };
            let mut report =
                |at: (u32, u32), heavy: GilHeavy, reacquired: bool, extra: Option<&str>| {
                    if !reported.insert((f, at.0, at.1)) {
                        return;
                    }
                    let site = Site {
                        file: fns[f].file.clone(),
                        line: at.0,
                        column: at.1,
                        function: Some(fns[f].path.clone()),
                    };
                    let data = FindingData::GilHeld {
                        entry: fns[entry].path.clone(),
                        function: fns[f].path.clone(),
                        heavy,
                        reacquired,
                    };
                    let mut fd = rules::finding(site, data);
                    fd.help = gil_held::help(name, params, reacquired);
                    fd.chain = chain.clone();
                    if let Some(callee) = extra {
                        fd.chain.push(callee.to_string());
                    }
                    out.push((fd, Some(f)));
                };
            for fd in io_of.get(&f).map(Vec::as_slice).unwrap_or(&[]) {
                let at = (fd.line, fd.column);
                let (held, re) = held_at(&regions[f], at, inherited);
                if let (true, Some(what)) = (held, io_what(fd, apis)) {
                    report(
                        at,
                        GilHeavy::Io {
                            api: what.to_string(),
                        },
                        re,
                        None,
                    );
                }
            }
            if hotspot(f) {
                let own_loop = fns[f].gil.loops.iter().copied().find(|&at| {
                    let (held, re) = held_at(&regions[f], at, inherited);
                    held && (f == entry || re)
                });
                if let Some(at) = own_loop {
                    let (_, re) = held_at(&regions[f], at, inherited);
                    report(at, GilHeavy::Loop, re, None);
                }
            }
            for c in &fns[f].calls {
                let CallTarget::Path(cands) = &c.target else {
                    continue;
                };
                let Some(what) = cands.iter().find(|p| apis.call_apis(p).contains(&Api::Cpu))
                else {
                    continue;
                };
                let (held, re) = held_at(&regions[f], (c.line, c.column), inherited);
                if held {
                    report(
                        (c.line, c.column),
                        GilHeavy::CpuApi { api: what.clone() },
                        re,
                        None,
                    );
                }
            }
            for e in &edges[f] {
                if !e.precise || fns[e.callee].is_async || e.callee == f {
                    continue;
                }
                let call = &fns[f].calls[e.call];
                let at = (call.line, call.column);
                let (held, re) = held_at(&regions[f], at, inherited);
                if held && hotspot(e.callee) {
                    let callee = fns[e.callee].path.clone();
                    report(
                        at,
                        GilHeavy::Compute {
                            callee: callee.clone(),
                        },
                        re,
                        Some(&callee),
                    );
                }
                if seen.insert((e.callee, held)) {
                    parent.insert((e.callee, held), (f, inherited));
                    queue.push_back((e.callee, held));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::callgraph::check::check_python;
    use crate::rules::gil_held::ReleaseName;
    use crate::vocab::FindingKind;

    /// A compute hotspot shared by the cases below (its own line carries `compute-hotspot`).
    const DIGEST: &str = "
fn digest(data: &[u8]) -> u64 { // expect: compute-hotspot
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for _ in 0..64 {
        for &b in data {
            h ^= b as u64;
            h = h.wrapping_mul(0x0100_0000_01b3);
            h = h.wrapping_add(h >> 13);
            h ^= h << 5;
        }
    }
    h
}
";

    fn with_digest(src: &str) -> String {
        format!("use pyo3::prelude::*;\n{src}{DIGEST}")
    }

    fn gil_held(out: &crate::callgraph::PackageOutput) -> Vec<&crate::vocab::Finding> {
        out.findings
            .iter()
            .filter(|f| f.kind == FindingKind::GilHeld)
            .collect()
    }

    #[test]
    fn old_spelling_releases_only_with_allow_threads() {
        let src = with_digest(
            "
#[pyfunction]
fn released(py: Python<'_>, data: Vec<u8>) -> u64 {
    py.allow_threads(move || digest(&data))
}
#[pyfunction]
fn new_name_on_old_pyo3(py: Python<'_>, data: Vec<u8>) -> u64 {
    py.detach(move || digest(&data)) // expect: gil-held
}
#[pyfunction]
fn ufcs(py: Python<'_>, data: Vec<u8>) -> u64 {
    Python::allow_threads(py, move || digest(&data))
}
",
        );
        let out = check_python(&src, ReleaseName::AllowThreads);
        let f = gil_held(&out)[0];
        assert!(
            f.help.contains("`py.allow_threads(move || ...)`"),
            "{}",
            f.help
        );
        assert!(f.help.contains("`data: Vec<u8>`"), "{}", f.help);
    }

    #[test]
    fn new_spelling_releases_with_detach_and_its_deprecated_alias() {
        let src = with_digest(
            "
#[pyfunction]
fn released(py: Python<'_>, data: Vec<u8>) -> u64 {
    py.detach(move || digest(&data))
}
#[pyfunction]
fn alias(py: Python<'_>, data: Vec<u8>) -> u64 {
    py.allow_threads(move || digest(&data))
}
#[pyfunction]
fn held(data: &[u8]) -> u64 {
    digest(data) // expect: gil-held
}
",
        );
        let out = check_python(&src, ReleaseName::Detach);
        let f = gil_held(&out)[0];
        assert_eq!(f.chain, ["demo::held", "demo::digest"]);
        assert!(f
            .message
            .contains("`held` computes in `digest` while holding the GIL"));
        assert!(f.help.contains("`py.detach(move || ...)`"), "{}", f.help);
        assert!(f.help.contains("take `py: Python<'_>`"), "{}", f.help);
        assert!(
            f.help.contains("copy out first") && f.help.contains("`data: &[u8]`"),
            "{}",
            f.help
        );
    }

    #[test]
    fn nested_closures_and_named_closures_stay_released() {
        let src = with_digest(
            "
#[pyfunction]
fn nested(py: Python<'_>, blocks: Vec<Vec<u8>>) -> u64 {
    py.detach(|| blocks.iter().map(|b| digest(b)).sum())
}
#[pyfunction]
fn named(py: Python<'_>, data: Vec<u8>) -> u64 {
    let work = || digest(&data);
    py.detach(work)
}
#[pyfunction]
fn outside_the_closure(py: Python<'_>, blocks: Vec<Vec<u8>>) -> u64 {
    let first = blocks.iter().map(|b| digest(b)).sum::<u64>(); // expect: gil-held
    first + py.detach(|| digest(&blocks[0]))
}
",
        );
        check_python(&src, ReleaseName::Detach);
    }

    #[test]
    fn reacquiring_inside_the_closure_holds_the_gil_again() {
        let src = with_digest(
            "
#[pyfunction]
fn direct(py: Python<'_>, data: Vec<u8>) -> u64 {
    py.detach(|| Python::attach(|_py| digest(&data))) // expect: gil-held
}
#[pyfunction]
fn light_inside(py: Python<'_>, data: Vec<u8>) -> u64 {
    py.detach(|| { let h = digest(&data); Python::attach(|_py| h + 1) })
}
fn helper(data: &[u8]) -> u64 {
    pyo3::Python::attach(|_py| digest(data)) // expect: gil-held
}
#[pyfunction]
fn through_helper(py: Python<'_>, data: Vec<u8>) -> u64 {
    py.detach(|| helper(&data))
}
#[pyfunction]
fn old_name(py: Python<'_>, data: Vec<u8>) -> u64 {
    py.detach(|| Python::with_gil(|_py| digest(&data))) // expect: gil-held
}
",
        );
        let out = check_python(&src, ReleaseName::Detach);
        let via = gil_held(&out)
            .into_iter()
            .find(|f| f.function.as_deref() == Some("demo::helper"))
            .expect("helper");
        assert_eq!(
            via.chain,
            ["demo::through_helper", "demo::helper", "demo::digest"]
        );
        assert!(
            via.message.contains("with the GIL re-acquired"),
            "{}",
            via.message
        );
        assert!(via.help.contains("Python::attach"), "{}", via.help);
    }

    #[test]
    fn methods_and_chains_through_helpers() {
        let src = with_digest(
            "
fn all(blocks: &[Vec<u8>]) -> u64 {
    let mut t = 0;
    for b in blocks {
        t += mid(b);
    }
    t
}
fn mid(b: &[u8]) -> u64 {
    digest(b) // expect: gil-held
}
#[pyclass]
struct Store { blocks: Vec<Vec<u8>> }
#[pymethods]
impl Store {
    fn total(&self) -> u64 {
        all(&self.blocks)
    }
    fn total_released(&self, py: Python<'_>) -> u64 {
        let blocks = self.blocks.clone();
        py.detach(move || all(&blocks))
    }
    fn save(&self, path: &str) -> std::io::Result<()> {
        std::fs::write(path, &self.blocks[0]) // expect: io, gil-held
    }
}
pub fn rust_only(b: &[u8]) -> u64 {
    mid(b)
}
",
        );
        let out = check_python(&src, ReleaseName::Detach);
        let held = gil_held(&out);
        let mid = held.iter().find(|f| f.line == 11).expect("mid");
        assert_eq!(
            mid.chain,
            [
                "demo::Store::total",
                "demo::all",
                "demo::mid",
                "demo::digest"
            ]
        );
        assert!(
            mid.help.contains("`self` (the fields you need)"),
            "{}",
            mid.help
        );
        let io = held.iter().find(|f| f.line != 11).expect("save");
        assert!(
            io.message.contains("blocks on I/O (`std::fs::write`)"),
            "{}",
            io.message
        );
    }

    #[test]
    fn an_entry_computing_in_its_own_loops() {
        let src = "use pyo3::prelude::*;
#[pyfunction]
fn own(data: Vec<u8>) -> u64 { // expect: compute-hotspot
    let mut h = 0u64;
    for _ in 0..64 { // expect: gil-held
        for &b in &data {
            h ^= b as u64;
            h = h.wrapping_mul(0x0100_0000_01b3);
            h = h.wrapping_add(h >> 13);
            h ^= h << 5;
        }
    }
    println!(\"{h}\"); // expect: io
    h
}
";
        check_python(src, ReleaseName::Detach);
    }

    #[test]
    fn no_findings_without_pyo3() {
        let src = with_digest(
            "
#[pyfunction]
fn held(data: &[u8]) -> u64 {
    digest(data)
}
",
        );
        let out = crate::callgraph::check::run(&src, "demo", crate::parse::Edition::E2021);
        assert!(gil_held(&out).is_empty());
    }
}
