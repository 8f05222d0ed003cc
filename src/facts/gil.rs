//! Python's GIL in PyO3 code, as syntax: which functions are Python entry points (`#[pyfunction]`, methods
//! of a `#[pymethods]` impl, `#[pymodule]` functions) and which stretches of a body run with the GIL
//! released (a closure passed to `allow_threads`/`detach`) or re-acquired (a closure passed to
//! `Python::with_gil`/`Python::attach`). Regions are source ranges; the call graph (`callgraph::gil`) places
//! call and I/O sites in them and decides, by the pyo3 version in the lock file, which spelling counts.

use std::collections::HashMap;

use syn::spanned::Spanned;

pub use crate::rules::gil_held::{ParamKind, PyParam};
use syn::visit::Visit;

/// How a function is exposed to Python.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum PyEntry {
    /// `#[pyfunction]`
    Function,
    /// A method of a `#[pymethods]` impl.
    Method,
    /// `#[pymodule]`
    Module,
}

/// What a region does to the GIL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum GilOp {
    /// `py.allow_threads(|| ..)` / `py.detach(|| ..)`: the closure runs without the GIL.
    Release,
    /// `Python::with_gil(|py| ..)` / `Python::attach(|py| ..)`: the closure holds it.
    Acquire,
}

/// Which pyo3 names a region was written with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Spelling {
    /// `allow_threads` / `with_gil` (every pyo3 before 0.26; deprecated aliases after).
    Old,
    /// `detach` / `attach` (pyo3 0.26 and later).
    New,
}

/// A closure body whose GIL state differs from its surroundings.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct GilRegion {
    pub op: GilOp,
    pub spelling: Spelling,
    /// 1-based (line, column) of the closure's first and last character.
    pub start: (u32, u32),
    pub end: (u32, u32),
}

impl GilRegion {
    pub fn contains(&self, at: (u32, u32)) -> bool {
        self.start <= at && at <= self.end
    }
}

/// The GIL facts of one function.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct GilFacts {
    pub entry: Option<PyEntry>,
    /// Release and acquire regions, in source order (an inner region follows the region holding it).
    pub regions: Vec<GilRegion>,
    /// Positions of the body's loops (`for`, `while`, `loop`), where its own compute happens.
    pub loops: Vec<(u32, u32)>,
    /// The parameters (entry points only): what a closure releasing the GIL could take with it.
    pub params: Vec<PyParam>,
}

fn param_kind(ty: &syn::Type) -> ParamKind {
    let last = |ty: &syn::Type| match ty {
        syn::Type::Path(tp) => tp.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    };
    let py_object = |name: &str| {
        matches!(name, "Bound" | "Borrowed" | "PyRef" | "PyRefMut")
            || name.starts_with("Py") && name != "Py" && !name.starts_with("PyResult")
    };
    match ty {
        syn::Type::Reference(r) => match last(&r.elem) {
            Some(n) if py_object(&n) => ParamKind::PyObject,
            _ => ParamKind::Borrowed,
        },
        syn::Type::Path(_) => match last(ty).as_deref() {
            Some("Python") => ParamKind::Token,
            Some(n) if py_object(n) => ParamKind::PyObject,
            _ => ParamKind::Owned,
        },
        _ => ParamKind::Owned,
    }
}

fn params(sig: &syn::Signature) -> Vec<PyParam> {
    use quote::ToTokens;
    sig.inputs
        .iter()
        .map(|a| match a {
            syn::FnArg::Receiver(r) => PyParam {
                name: "self".into(),
                ty: r.ty.to_token_stream().to_string().replace(" ", ""),
                kind: if r.reference.is_some() {
                    ParamKind::SelfRef
                } else {
                    ParamKind::PyObject
                },
            },
            syn::FnArg::Typed(t) => PyParam {
                name: match &*t.pat {
                    syn::Pat::Ident(pi) => pi.ident.to_string(),
                    other => other.to_token_stream().to_string(),
                },
                ty: tidy(&t.ty.to_token_stream().to_string()),
                kind: param_kind(&t.ty),
            },
        })
        .collect()
}

/// `& [u8]` → `&[u8]`, `PyRef < '_ , Self >` → `PyRef<'_, Self>`.
fn tidy(tokens: &str) -> String {
    tokens
        .replace(" < ", "<")
        .replace("< ", "<")
        .replace(" >", ">")
        .replace("& ", "&")
        .replace(" ,", ",")
        .replace("' ", "'")
        .replace(" :: ", "::")
        .replace("[ ", "[")
        .replace(" ]", "]")
}

/// The entry kind of a free function with attributes `attrs`.
pub fn fn_entry(attrs: &[syn::Attribute]) -> Option<PyEntry> {
    if has_attr(attrs, "pyfunction") {
        Some(PyEntry::Function)
    } else if has_attr(attrs, "pymodule") {
        Some(PyEntry::Module)
    } else {
        None
    }
}

/// The entry kind of the methods of an impl with attributes `attrs`.
pub fn impl_entry(attrs: &[syn::Attribute]) -> Option<PyEntry> {
    has_attr(attrs, "pymethods").then_some(PyEntry::Method)
}

fn has_attr(attrs: &[syn::Attribute], name: &str) -> bool {
    attrs.iter().any(|a| {
        let segs: Vec<String> = a
            .path()
            .segments
            .iter()
            .map(|s| s.ident.to_string())
            .collect();
        match segs.as_slice() {
            [one] => one == name,
            [krate, one] => krate == "pyo3" && one == name,
            _ => false,
        }
    })
}

/// Scans one function body for GIL regions and loops.
pub fn scan(entry: Option<PyEntry>, sig: &syn::Signature, block: &syn::Block) -> GilFacts {
    let mut s = Scan {
        out: GilFacts {
            entry,
            params: if entry.is_some() {
                params(sig)
            } else {
                Vec::new()
            },
            ..GilFacts::default()
        },
        closures: HashMap::new(),
    };
    s.visit_block(block);
    s.out.regions.sort_by(|a, b| {
        (a.start, std::cmp::Reverse(a.end)).cmp(&(b.start, std::cmp::Reverse(b.end)))
    });
    s.out
}

struct Scan {
    out: GilFacts,
    /// Closures bound to a local name (`let work = || ..;`), so that `py.detach(work)` releases their body.
    closures: HashMap<String, Span>,
}

/// First and last (line, column) of an expression.
type Span = ((u32, u32), (u32, u32));

fn range(e: &syn::Expr) -> Span {
    let span = e.span();
    let (s, t) = (span.start(), span.end());
    (
        (s.line.max(1) as u32, s.column as u32 + 1),
        (t.line.max(1) as u32, t.column as u32 + 1),
    )
}

/// What a method or function name does to the GIL, and in which spelling.
fn op_of(name: &str, associated: bool) -> Option<(GilOp, Spelling)> {
    match (name, associated) {
        ("allow_threads", _) => Some((GilOp::Release, Spelling::Old)),
        ("detach", _) => Some((GilOp::Release, Spelling::New)),
        ("with_gil", true) => Some((GilOp::Acquire, Spelling::Old)),
        ("attach", true) => Some((GilOp::Acquire, Spelling::New)),
        _ => None,
    }
}

impl Scan {
    fn region(&mut self, op: GilOp, spelling: Spelling, arg: &syn::Expr) {
        let (start, end) = match arg {
            syn::Expr::Closure(_) => range(arg),
            syn::Expr::Path(p) if p.path.segments.len() == 1 => {
                match self.closures.get(&p.path.segments[0].ident.to_string()) {
                    Some(r) => *r,
                    None => return,
                }
            }
            _ => return,
        };
        self.out.regions.push(GilRegion {
            op,
            spelling,
            start,
            end,
        });
    }
}

impl<'ast> Visit<'ast> for Scan {
    fn visit_expr_method_call(&mut self, mc: &'ast syn::ExprMethodCall) {
        // `py.allow_threads(f)` / `py.detach(f)`; `with_gil`/`attach` are associated functions only.
        if let (Some((op, sp)), 1) = (op_of(&mc.method.to_string(), false), mc.args.len()) {
            self.region(op, sp, &mc.args[0]);
        }
        syn::visit::visit_expr_method_call(self, mc);
    }

    fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
        if let syn::Expr::Path(p) = &*c.func {
            let segs = super::resolve::segments(&p.path);
            // `Python::with_gil(|py| ..)`, `pyo3::Python::attach(..)`, `Python::allow_threads(py, || ..)`.
            if let [.., ty, name] = segs.as_slice() {
                if ty == "Python" {
                    if let (Some((op, sp)), Some(last)) = (op_of(name, true), c.args.last()) {
                        self.region(op, sp, last);
                    }
                }
            }
        }
        syn::visit::visit_expr_call(self, c);
    }

    fn visit_local(&mut self, l: &'ast syn::Local) {
        if let (syn::Pat::Ident(pi), Some(init)) = (&l.pat, &l.init) {
            if matches!(&*init.expr, syn::Expr::Closure(_)) {
                self.closures
                    .insert(pi.ident.to_string(), range(&init.expr));
            }
        }
        syn::visit::visit_local(self, l);
    }

    fn visit_expr_for_loop(&mut self, f: &'ast syn::ExprForLoop) {
        self.out.loops.push(super::pos(f.for_token.span));
        syn::visit::visit_expr_for_loop(self, f);
    }

    fn visit_expr_while(&mut self, w: &'ast syn::ExprWhile) {
        self.out.loops.push(super::pos(w.while_token.span));
        syn::visit::visit_expr_while(self, w);
    }

    fn visit_expr_loop(&mut self, l: &'ast syn::ExprLoop) {
        self.out.loops.push(super::pos(l.loop_token.span));
        syn::visit::visit_expr_loop(self, l);
    }

    // Items nested in the body are functions of their own.
    fn visit_item(&mut self, _: &'ast syn::Item) {}
}
