//! Per-file facts: name resolution and everything one file says about each of its functions
//! (calls, locks and guards, blocking sites, shared state, compute score). Pure: facts/ does no I/O.
//!
//! Entry point: [`extract`], called once per parsed file, on a rayon worker, while the AST is alive
//! (syn's ASTs are not `Send`, so everything returned here is plain data). [`extract_in`] also takes the
//! module scopes of the file's ancestor files ([`resolve::ScopeChain`]), so that `use super::*;` in a file
//! module imports what its parent file declares and imports; the analysis processes the module tree level by
//! level, so a file's ancestors are always extracted before it. The item walk also collects the file's
//! out-of-line `mod` declarations, so that the analysis walks each file (and parses its item macros) once.
//!
//! Layout, bottom up: `resolve` (use maps, full paths), `types` (what a type holds), `file` (what the whole
//! file knows: resolver, field and static types, sites, type-occurrence findings), `items` (module-level walk:
//! statics, fields, `thread_local!`/`lazy_static!`, extern blocks; hands each body to `body`), and for one
//! function body: `guards` (the guard stack: liveness), `infer` (local types, receivers, which lock),
//! `classify` (what a call is, from the API tables), `emit` (findings), `work` (the compute score), and
//! `body`, the visitor that walks the body and asks them; `gil` (PyO3 entry points and the closures that
//! release or re-take the GIL) is a pass of its own over the same body.

mod body;
mod classify;
mod emit;
mod file;
pub mod gil;
mod guards;
mod infer;
mod items;
pub mod resolve;
pub mod types;
mod work;

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::parse::Edition;
use crate::rules::apis::Apis;
use crate::vocab::{Finding, LockRef};

/// Where a file sits: which package and crate, at which module path, in which edition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileContext {
    pub package: String,
    /// Crate name of the target that reaches this file, with `_` (e.g. `demo`, or a bin's name).
    pub crate_name: String,
    /// Module path of the file inside the crate, without the crate name (`[]` for the root).
    pub module_path: Vec<String>,
    /// Relative to the workspace root, `/`-separated: what findings carry in `file`.
    pub rel_path: String,
    pub edition: Edition,
}

/// Everything extracted from one file.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct FileFacts {
    pub rel_path: String,
    /// Findings outside any function (e.g. a `static` item). The facts cache stores findings apart, with every
    /// field and their typed data (`analyze::cache`).
    #[serde(skip)]
    pub item_findings: Vec<Finding>,
    /// Macro calls whose tokens could not be parsed as Rust.
    pub macros_not_expanded: usize,
    /// Every function with a body: free functions, methods, trait default methods, nested fns.
    pub functions: Vec<FnFacts>,
    /// Full paths of functions declared in `extern` blocks.
    pub extern_fns: Vec<String>,
    /// Full paths of `static mut` items.
    pub static_muts: Vec<String>,
    /// Struct fields holding a lock: `(Type.field, lock type path)`, so that messages about locks of types
    /// declared in another file can name the lock type.
    pub field_locks: Vec<(String, String)>,
    /// Statics that got an item finding (`global-state`, `static-mut`): full path and the line of that finding,
    /// so that link can put the finding on the path of every function using the static.
    pub static_decls: Vec<(String, u32)>,
    /// Out-of-line `mod` declarations (top level, inline modules, item macros), in source order: the same as
    /// `discover::modtree::mod_decls`, collected during the item walk so the analysis walks the file once.
    pub mod_decls: Vec<crate::discover::modtree::ModDecl>,
    /// The file's module scopes (module full path → names and globs), for the files below it: see
    /// [`resolve::ScopeChain`]. The analysis moves them out before linking.
    pub scopes: std::collections::HashMap<String, resolve::ModuleScope>,
}

/// What one function does (closures and async blocks inside it included).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct FnFacts {
    /// `crate::module::f` or `crate::module::Type::f`.
    pub path: String,
    pub name: String,
    /// Last segment of the impl's self type (or the trait, for default methods).
    pub self_type: Option<String>,
    pub file: String,
    /// Line of the `fn` keyword.
    pub line: u32,
    pub is_async: bool,
    /// Takes `self` (callable as `x.f()`); associated functions without it are not targets of method calls.
    pub has_self: bool,
    /// Own-body compute score (see `rules::compute_hotspot`).
    pub compute_score: u32,
    /// Own I/O weight: 10 per blocking I/O site, 1 per console site.
    pub io_weight: u32,
    /// The body waits somewhere (blocking I/O, sleep, channel traffic, `.await`, foreign code): a caller's
    /// loop that calls it is dominated by the wait (see `callgraph`).
    pub waits: bool,
    /// The outermost loops of the body that kept compute score, with their calls.
    pub loop_regions: Vec<LoopRegion>,
    /// Findings located in this function's own body or signature (stored apart by the facts cache).
    #[serde(skip)]
    pub findings: Vec<Finding>,
    pub calls: Vec<CallSite>,
    /// First own blocking call (I/O, sleep, receive, join), for callers' summaries.
    pub blocking: Option<BlockingSite>,
    /// Every (waiting) lock acquisition.
    pub locks: Vec<LockUse>,
    /// Lock B acquired while lock A is held, in this body.
    pub lock_pairs: Vec<LockPair>,
    /// Paths that may name statics (upper-case last segment), checked against `static mut` items at link time.
    pub static_uses: Vec<PathUse>,
    /// Paths that may name statics, in any context (`LOCK.lock()`, `COUNTER.fetch_add(..)`): the function uses
    /// that static, so its item finding is on the function's path.
    pub global_uses: Vec<PathUse>,
    /// Python entry point and GIL regions (PyO3), see [`gil`].
    pub gil: gil::GilFacts,
}

/// An outermost loop (or adaptor closure) of a body that kept compute score: how much, and the calls made
/// inside it (indices into [`FnFacts::calls`], `calls.0..calls.1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoopRegion {
    pub kept: u32,
    pub calls: (u32, u32),
}

/// A call whose target may be a function of the crate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallSite {
    pub target: CallTarget,
    pub line: u32,
    pub column: u32,
    /// Locks whose guards are alive at the call.
    pub held: Vec<HeldLock>,
    /// In async context (not inside a `spawn_blocking`-like closure).
    pub in_async: bool,
    /// Made by code that runs on another thread or later (a closure or async block passed to a spawning
    /// call): the caller neither waits for it nor holds its locks.
    pub detached: bool,
    /// Made in the lazy initialiser of a static (`JOBSERVER.get_or_init(|| ..)`): it runs once per process,
    /// so what it waits for is a one-time cost, not a wait of every call (its locks are still taken).
    pub once: bool,
}

impl CallSite {
    /// `self.f()`: the callee's `self` is the caller's.
    pub fn on_self(&self) -> bool {
        matches!(self.target, CallTarget::Method { on_self: true, .. })
    }
}

/// How a call names its target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum CallTarget {
    /// Resolved path candidates, best first.
    Path(Vec<String>),
    /// `x.f()`: method name, with the receiver's type (last segment) when known.
    Method {
        name: String,
        self_type: Option<String>,
        /// `self.f()`: when the impl type has no `f`, it may be a trait method of the package.
        on_self: bool,
    },
}

/// A lock as identified for guard tracking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldLock {
    /// `Type.field`, a static's full path, or `fn_path::expr` for locals and unknown receivers.
    pub id: String,
    /// The lock's type path (`std::sync::Mutex`), or `lock` ([`LockRef::UNKNOWN_TYPE`]) when unknown.
    pub desc: String,
    /// Async lock (guard may be held across `.await`).
    pub is_async: bool,
    /// Held in shared mode (`read()`): two shared guards of one lock are not a double lock.
    pub shared: bool,
    /// The holding thread may take it again (a re-entrant mutex): never a double lock.
    pub reentrant: bool,
    /// Taken for a lock from the method name alone (`x.read()` on a receiver of unknown type): the method.
    /// Hazards on it are reported at a lower level, saying so.
    pub guessed: Option<String>,
}

impl HeldLock {
    /// The lock as findings name it: its short name and its type.
    pub fn lock_ref(&self) -> LockRef {
        LockRef {
            name: short_lock_name(&self.id).to_string(),
            ty: self.desc.clone(),
            guessed: self.guessed.clone(),
        }
    }

    /// A static (`CACHE`, `crate::state::LOCK`): one lock wherever it is named. Any other id names a lock
    /// relative to a value (`Type.field` of some `self`, a parameter's or local's field): another function
    /// that names it the same way may mean another instance.
    pub fn is_global(&self) -> bool {
        !self.id.contains('.') && infer::is_static_name(&self.id)
    }
}

/// The short name of a lock id for messages: `Type.field`, a static's name, a local's expression.
pub fn short_lock_name(id: &str) -> &str {
    id.rsplit_once("::").map(|(_, l)| l).unwrap_or(id)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockingSite {
    /// What blocks: `std::fs::write`, `recv`, `join`.
    pub what: String,
    pub line: u32,
    pub column: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockUse {
    pub lock: HeldLock,
    pub line: u32,
    pub column: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockPair {
    pub first: HeldLock,
    pub second: HeldLock,
    /// Where `second` is acquired.
    pub line: u32,
    pub column: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathUse {
    pub path: String,
    pub line: u32,
    pub column: u32,
}

/// 1-based line and column of a span.
pub(crate) fn pos(span: proc_macro2::Span) -> (u32, u32) {
    let s = span.start();
    (s.line.max(1) as u32, s.column as u32 + 1)
}

/// Extracts the facts of one file, looking APIs up in `apis`.
pub fn extract(ctx: &FileContext, ast: &syn::File, apis: &Arc<Apis>) -> FileFacts {
    items::extract_file(ctx, ast, None, apis)
}

/// Extracts the facts of one file whose ancestor files' module scopes are `inherited`.
pub fn extract_in(
    ctx: &FileContext,
    ast: &syn::File,
    inherited: Option<Arc<resolve::ScopeChain>>,
    apis: &Arc<Apis>,
) -> FileFacts {
    items::extract_file(ctx, ast, inherited, apis)
}

#[cfg(test)]
mod tests;
