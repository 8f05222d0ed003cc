//! One visitor pass over a function body: calls (for the call graph), lock acquisitions and guard liveness,
//! blocking sites, async context, API sites (I/O, spawn, channel, process-global, FFI, constructions) and the
//! compute score. Closures and async blocks belong to the enclosing function.
//!
//! Guards: a guard from `lock()`/`read()`/`write()`/`try_*()` (through `.unwrap()`/`.expect()`/`?`/`.await`)
//! bound by `let` lives to the end of its block or to `drop(guard)`; an unbound (temporary) guard lives to the
//! end of its statement, except that `if`/`while` conditions, match arms, closure bodies and the right side of
//! `&&`/`||` end their own temporaries; `match`, `if let`, `while let` and `for` scrutinee temporaries live
//! through the whole expression (in edition 2024 an `if let` scrutinee's are dropped before `else`).
//! Closures passed to spawning calls and async blocks run later: guards of the enclosing code are not alive
//! in them.

use std::collections::HashMap;

use quote::ToTokens;
use syn::spanned::Spanned;
use syn::visit::{self, Visit};

use super::items::{macro_static_findings, path_segments, push_type_findings, FileInfo};
use super::{
    pos, BlockingSite, CallSite, CallTarget, FnFacts, HeldLock, LockPair, LockUse, PathUse,
};
use crate::parse::Edition;
use crate::rules::apis::{self, Api};
use crate::rules::{self, compute_hotspot};
use crate::vocab::FindingKind;

#[derive(Debug, Clone)]
struct Guard {
    lock: HeldLock,
    binding: Option<String>,
    alive: bool,
}

#[derive(Debug, Clone, Default)]
struct Local {
    /// Full path of the local's type, when known.
    ty: Option<String>,
    /// The lock this local is or aliases.
    lock: Option<HeldLock>,
}

/// Visits one function; returns its facts, items nested in its body, and unparseable macro calls.
pub(super) fn visit_fn(
    info: &FileInfo,
    module: &[String],
    self_type: Option<&str>,
    sig: &syn::Signature,
    block: &syn::Block,
) -> (FnFacts, Vec<syn::Item>, usize) {
    let name = sig.ident.to_string();
    let mut path = info.resolver.module_path(module);
    if let Some(t) = self_type {
        path.push_str("::");
        path.push_str(t);
    }
    path.push_str("::");
    path.push_str(&name);
    let (line, column) = pos(sig.fn_token.span);
    let self_type_path = self_type.map(|t| format!("{}::{}", info.resolver.module_path(module), t));
    let mut v = BodyVisitor {
        info,
        module,
        self_type: self_type.map(str::to_string),
        self_type_path,
        fn_path: path.clone(),
        edition: info.ctx.edition,
        out: FnFacts {
            path,
            name,
            self_type: self_type.map(str::to_string),
            file: info.ctx.rel_path.clone(),
            line,
            column,
            is_async: sig.asyncness.is_some(),
            ..FnFacts::default()
        },
        guards: Vec::new(),
        floor: 0,
        in_async: sig.asyncness.is_some(),
        loop_depth: 0,
        unsafe_depth: u32::from(sig.unsafety.is_some()),
        adaptor_closure: false,
        locals: HashMap::new(),
        overlay: Vec::new(),
        awaited: 0,
        nested: Vec::new(),
        not_expanded: 0,
    };
    v.signature(sig);
    v.visit_block(block);
    if v.out.compute_score >= compute_hotspot::THRESHOLD {
        let msg = rules::compute_hotspot::message(&v.out.name, v.out.compute_score);
        let site = info.site(sig.fn_token.span, Some(&v.fn_path));
        v.out
            .findings
            .push(rules::finding(FindingKind::ComputeHotspot, site, msg));
    }
    (v.out, v.nested, v.not_expanded)
}

struct BodyVisitor<'i, 'a> {
    info: &'i FileInfo<'a>,
    module: &'i [String],
    self_type: Option<String>,
    self_type_path: Option<String>,
    fn_path: String,
    edition: Edition,
    out: FnFacts,
    guards: Vec<Guard>,
    /// Guards below this index belong to code that is not running here (spawned closure, async block).
    floor: usize,
    in_async: bool,
    loop_depth: u32,
    /// Inside `unsafe` (or `addr_of!`, `&raw`): where `static mut` items can be accessed.
    unsafe_depth: u32,
    /// The closures about to be visited are arguments of an iterator adaptor.
    adaptor_closure: bool,
    locals: HashMap<String, Local>,
    overlay: Vec<(String, String)>,
    /// Address of the method call being awaited (`x.recv().await` is not a blocking recv).
    awaited: usize,
    nested: Vec<syn::Item>,
    not_expanded: usize,
}

fn strip_guard_wrappers(e: &syn::Expr) -> &syn::Expr {
    match e {
        syn::Expr::MethodCall(mc) if ident_in(&mc.method, apis::GUARD_UNWRAP_METHODS) => {
            strip_guard_wrappers(&mc.receiver)
        }
        syn::Expr::Try(t) => strip_guard_wrappers(&t.expr),
        syn::Expr::Await(a) => strip_guard_wrappers(&a.base),
        syn::Expr::Paren(p) => strip_guard_wrappers(&p.expr),
        _ => e,
    }
}

/// The `lock()`-like call an expression is (after unwrapping), if any.
fn guard_call(e: &syn::Expr) -> Option<&syn::ExprMethodCall> {
    match strip_guard_wrappers(e) {
        syn::Expr::MethodCall(mc)
            if mc.args.is_empty() && ident_in(&mc.method, apis::GUARD_METHODS) =>
        {
            Some(mc)
        }
        _ => None,
    }
}

/// True when `ident` is one of `names` (no allocation).
fn ident_in(ident: &syn::Ident, names: &[&str]) -> bool {
    names.iter().any(|n| ident == n)
}

/// True when the guard wrappers of `e` include `.await` (`m.lock().await`): an async lock.
fn has_await(e: &syn::Expr) -> bool {
    match e {
        syn::Expr::Await(_) => true,
        syn::Expr::MethodCall(mc) if ident_in(&mc.method, apis::GUARD_UNWRAP_METHODS) => {
            has_await(&mc.receiver)
        }
        syn::Expr::Try(t) => has_await(&t.expr),
        syn::Expr::Paren(p) => has_await(&p.expr),
        _ => false,
    }
}

fn strip_refs(e: &syn::Expr) -> &syn::Expr {
    match e {
        syn::Expr::Paren(p) => strip_refs(&p.expr),
        syn::Expr::Reference(r) => strip_refs(&r.expr),
        syn::Expr::Group(g) => strip_refs(&g.expr),
        syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => strip_refs(&u.expr),
        syn::Expr::MethodCall(mc)
            if mc.args.is_empty() && ident_in(&mc.method, apis::ALIAS_METHODS) =>
        {
            strip_refs(&mc.receiver)
        }
        _ => e,
    }
}

fn expr_text(e: &syn::Expr) -> String {
    e.to_token_stream()
        .to_string()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

fn single_ident(e: &syn::Expr) -> Option<String> {
    match e {
        syn::Expr::Path(p) if p.qself.is_none() && p.path.segments.len() == 1 => {
            Some(p.path.segments[0].ident.to_string())
        }
        _ => None,
    }
}

fn pat_idents(p: &syn::Pat, out: &mut Vec<String>) {
    match p {
        syn::Pat::Ident(i) => out.push(i.ident.to_string()),
        syn::Pat::Type(t) => pat_idents(&t.pat, out),
        syn::Pat::Reference(r) => pat_idents(&r.pat, out),
        syn::Pat::Tuple(t) => t.elems.iter().for_each(|e| pat_idents(e, out)),
        syn::Pat::TupleStruct(t) => t.elems.iter().for_each(|e| pat_idents(e, out)),
        syn::Pat::Paren(p) => pat_idents(&p.pat, out),
        _ => {}
    }
}

fn is_arith(op: &syn::BinOp) -> bool {
    use syn::BinOp::*;
    matches!(
        op,
        Add(_)
            | Sub(_)
            | Mul(_)
            | Div(_)
            | Rem(_)
            | BitXor(_)
            | BitAnd(_)
            | BitOr(_)
            | Shl(_)
            | Shr(_)
            | AddAssign(_)
            | SubAssign(_)
            | MulAssign(_)
            | DivAssign(_)
            | RemAssign(_)
            | BitXorAssign(_)
            | BitAndAssign(_)
            | BitOrAssign(_)
            | ShlAssign(_)
            | ShrAssign(_)
    )
}

/// Ends of a constructor path that build a value of the type before them.
fn is_ctor_name(last: &str) -> bool {
    apis::CTOR_NAMES.contains(&last)
}

/// True when a macro body is only literals, names, `,` and `=` (format arguments): it parses, and holds no
/// call, method, index or closure that could matter.
fn only_plain_args(tokens: &proc_macro2::TokenStream) -> bool {
    use proc_macro2::TokenTree;
    tokens.clone().into_iter().all(|tt| match tt {
        TokenTree::Literal(_) | TokenTree::Ident(_) => true,
        TokenTree::Punct(p) => p.as_char() == ',' || p.as_char() == '=',
        TokenTree::Group(_) => false,
    })
}

/// True when the last segment of `path` is written like a static (`CACHE`, `MAX_2`).
fn is_static_name(path: &str) -> bool {
    let name = path.rsplit("::").next().unwrap_or(path);
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_uppercase() || c.is_ascii_digit() || c == '_')
        && name.chars().any(|c| c.is_uppercase())
}

enum Blocking {
    /// I/O, sleep, receive, join: `what` names it.
    Call(String),
    Await,
}

impl BodyVisitor<'_, '_> {
    fn site(&self, span: proc_macro2::Span) -> rules::Site {
        self.info.site(span, Some(&self.fn_path))
    }

    fn push(&mut self, kind: FindingKind, span: proc_macro2::Span, message: String) {
        let site = self.site(span);
        self.out.findings.push(rules::finding(kind, site, message));
    }

    fn resolve(&self, path: &syn::Path) -> Vec<String> {
        let segs = path_segments(path);
        self.info.resolver.resolve(
            self.module,
            &self.overlay,
            self.self_type_path.as_deref(),
            &segs,
            path.leading_colon.is_some(),
        )
    }

    fn resolve_type(&self, path: &syn::Path) -> String {
        self.resolve(path)
            .into_iter()
            .next()
            .unwrap_or_else(|| path_segments(path).join("::"))
    }

    fn live(&self) -> impl Iterator<Item = &Guard> {
        self.guards[self.floor.min(self.guards.len())..]
            .iter()
            .filter(|g| g.alive)
    }

    fn held(&self) -> Vec<HeldLock> {
        self.live().map(|g| g.lock.clone()).collect()
    }

    fn signature(&mut self, sig: &syn::Signature) {
        for input in &sig.inputs {
            if let syn::FnArg::Typed(pt) = input {
                let ti = self
                    .info
                    .classify(&pt.ty, self.module, self.self_type.as_deref());
                let site = self.site(pt.ty.span());
                push_type_findings(&mut self.out.findings, &ti, &site, false);
                let mut names = Vec::new();
                pat_idents(&pt.pat, &mut names);
                for n in names {
                    let lock = ti.lock.as_ref().map(|(desc, is_async)| HeldLock {
                        id: format!("{}::{}", self.fn_path, n),
                        desc: desc.clone(),
                        is_async: *is_async,
                        shared: false,
                    });
                    self.locals.insert(
                        n,
                        Local {
                            ty: ti.outer.clone(),
                            lock,
                        },
                    );
                }
            }
        }
        if let syn::ReturnType::Type(_, ty) = &sig.output {
            let ti = self
                .info
                .classify(ty, self.module, self.self_type.as_deref());
            let site = self.site(ty.span());
            push_type_findings(&mut self.out.findings, &ti, &site, false);
        }
    }

    /// The lock an expression denotes (a lock value, a reference to one, an alias), when it can be told.
    fn lock_of(&self, e: &syn::Expr) -> Option<HeldLock> {
        let e = strip_refs(e);
        match e {
            syn::Expr::Path(p) if p.qself.is_none() => {
                if let Some(name) = single_ident(e) {
                    if let Some(local) = self.locals.get(&name) {
                        return local.lock.clone();
                    }
                }
                let full = self.resolve(&p.path).into_iter().next()?;
                match self.info.statics.get(&full) {
                    Some(ti) => {
                        let (desc, is_async) = ti.lock.clone()?;
                        Some(HeldLock {
                            id: full,
                            desc,
                            is_async,
                            shared: false,
                        })
                    }
                    // A static of another file (`crate::state::CACHE`): known by its path.
                    None if is_static_name(&full) => Some(HeldLock {
                        id: full,
                        desc: "lock".into(),
                        is_async: false,
                        shared: false,
                    }),
                    None => None,
                }
            }
            syn::Expr::Field(f) => {
                let member = match &f.member {
                    syn::Member::Named(i) => i.to_string(),
                    syn::Member::Unnamed(i) => i.index.to_string(),
                };
                let base = strip_refs(&f.base);
                if single_ident(base).as_deref() == Some("self") {
                    let ty = self.self_type.clone()?;
                    let desc = self
                        .info
                        .fields
                        .get(&(ty.clone(), member.clone()))
                        .and_then(|ti| ti.lock.clone());
                    let (desc, is_async) = desc.unwrap_or_else(|| ("lock".into(), false));
                    return Some(HeldLock {
                        id: format!("{ty}.{member}"),
                        desc,
                        is_async,
                        shared: false,
                    });
                }
                let ty_name = single_ident(base)
                    .and_then(|n| self.locals.get(&n))
                    .and_then(|l| l.ty.clone())
                    .and_then(|t| t.rsplit("::").next().map(str::to_string));
                let (desc, is_async) = ty_name
                    .and_then(|t| self.info.fields.get(&(t, member)))
                    .and_then(|ti| ti.lock.clone())
                    .unwrap_or_else(|| ("lock".into(), false));
                Some(HeldLock {
                    id: format!("{}::{}", self.fn_path, expr_text(e)),
                    desc,
                    is_async,
                    shared: false,
                })
            }
            syn::Expr::Call(c) => {
                let syn::Expr::Path(fp) = &*c.func else {
                    return None;
                };
                let full = self.resolve_type(&fp.path);
                let (head, last) = full.rsplit_once("::")?;
                if apis::ARC_TYPES.contains(&head) && matches!(last, "new" | "clone" | "from") {
                    return c.args.first().and_then(|a| self.lock_of(a));
                }
                if let Some((lock, is_async)) = apis::lock_type(head) {
                    if is_ctor_name(last) {
                        return Some(HeldLock {
                            id: String::new(),
                            desc: lock.to_string(),
                            is_async,
                            shared: false,
                        });
                    }
                }
                None
            }
            _ => None,
        }
    }

    /// The type of a receiver expression, when locals, fields, constructors or builder chains tell.
    fn type_of(&self, e: &syn::Expr) -> Option<String> {
        match e {
            syn::Expr::Path(_) => {
                let name = single_ident(e)?;
                if name == "self" {
                    return self.self_type_path.clone();
                }
                self.locals.get(&name).and_then(|l| l.ty.clone())
            }
            syn::Expr::Call(c) => match &*c.func {
                syn::Expr::Path(fp) => apis::return_type(&self.resolve_type(&fp.path)),
                _ => None,
            },
            syn::Expr::MethodCall(mc) => {
                let ty = self.type_of(&mc.receiver)?;
                match apis::method_return_type(&ty, &mc.method.to_string()) {
                    Some(returned) => Some(returned.to_string()),
                    None => Some(ty),
                }
            }
            syn::Expr::Try(t) => self.type_of(&t.expr),
            syn::Expr::Paren(p) => self.type_of(&p.expr),
            syn::Expr::Reference(r) => self.type_of(&r.expr),
            syn::Expr::Field(f) => {
                let base = single_ident(&f.base)?;
                let member = match &f.member {
                    syn::Member::Named(i) => i.to_string(),
                    syn::Member::Unnamed(i) => i.index.to_string(),
                };
                let owner = if base == "self" {
                    self.self_type.clone()?
                } else {
                    self.locals
                        .get(&base)?
                        .ty
                        .as_ref()?
                        .rsplit("::")
                        .next()?
                        .to_string()
                };
                self.info.fields.get(&(owner, member))?.outer.clone()
            }
            _ => None,
        }
    }

    fn blocking(&mut self, b: Blocking, span: proc_macro2::Span) {
        let (line, column) = pos(span);
        let live: Vec<HeldLock> = self.held();
        match &b {
            Blocking::Await => {
                if let Some(g) = live.iter().rev().find(|g| !g.is_async) {
                    let msg = rules::lock_across_blocking::direct(&short(&g.id), &g.desc, ".await");
                    self.push(FindingKind::LockAcrossBlocking, span, msg);
                }
            }
            Blocking::Call(what) => {
                if let Some(g) = live.last() {
                    let msg = rules::lock_across_blocking::direct(&short(&g.id), &g.desc, what);
                    self.push(FindingKind::LockAcrossBlocking, span, msg);
                }
                if self.in_async {
                    self.push(
                        FindingKind::BlockingInAsync,
                        span,
                        rules::blocking_in_async::direct(what),
                    );
                }
                if self.out.blocking.is_none() {
                    self.out.blocking = Some(BlockingSite {
                        what: what.clone(),
                        line,
                        column,
                    });
                }
            }
        }
    }

    /// Applies API categories of a call or method call named `what` at `span`.
    fn apply(&mut self, apis_found: &[Api], what: &str, span: proc_macro2::Span) {
        for api in apis_found {
            match api {
                Api::Io => {
                    self.out.io_weight += 10;
                    self.push(FindingKind::Io, span, rules::io::message(what));
                    self.blocking(Blocking::Call(what.to_string()), span);
                }
                Api::Sleep => {
                    self.out.io_weight += 10;
                    self.push(FindingKind::Io, span, rules::io::message(what));
                    self.blocking(Blocking::Call(what.to_string()), span);
                }
                Api::Console => {
                    self.out.io_weight += 1;
                    self.push(FindingKind::Io, span, rules::io::message(what));
                }
                Api::Recv | Api::Join => self.blocking(Blocking::Call(what.to_string()), span),
                Api::ProcessGlobal => self.push(
                    FindingKind::ProcessGlobal,
                    span,
                    rules::process_global::call(what),
                ),
                Api::Spawn => self.push(FindingKind::Spawn, span, rules::spawn::message(what)),
                Api::Channel => {
                    self.push(FindingKind::Channel, span, rules::channel::message(what))
                }
                Api::Ffi => self.push(FindingKind::Ffi, span, rules::ffi::message(what)),
                Api::Cpu => self.out.compute_score += 6 * (self.loop_depth + 1),
                Api::Detaches | Api::SyncContext | Api::Drop => {}
            }
        }
    }

    fn record_call(&mut self, target: CallTarget, span: proc_macro2::Span) {
        let (line, column) = pos(span);
        let held = self.held();
        self.out.calls.push(CallSite {
            target,
            line,
            column,
            held,
            in_async: self.in_async,
        });
    }

    /// Visits a call argument; closures (and async blocks) in spawning calls run elsewhere.
    fn visit_arg(&mut self, arg: &syn::Expr, detaches: bool, sync_context: bool) {
        let is_closure = matches!(arg, syn::Expr::Closure(_));
        let is_async_block = matches!(arg, syn::Expr::Async(_));
        let moved_closure = matches!(arg, syn::Expr::Closure(c) if c.capture.is_some());
        if !(is_closure || is_async_block) || !(detaches || sync_context || moved_closure) {
            self.visit_expr(arg);
            return;
        }
        let (floor, in_async) = (self.floor, self.in_async);
        let mark = self.guards.len();
        if detaches {
            self.floor = mark;
        }
        if (sync_context || moved_closure) && is_closure {
            self.in_async = false;
        }
        self.visit_expr(arg);
        self.guards.truncate(mark.min(self.guards.len()));
        self.floor = floor;
        self.in_async = in_async;
    }

    /// Visits an argument; a guard passed by value (`f(m.lock().unwrap())`, `f(guard)`) moves into the
    /// callee and is no longer held here.
    fn visit_moving_arg(&mut self, arg: &syn::Expr, detaches: bool, sync_context: bool) {
        let before = self.guards.len();
        self.visit_arg(arg, detaches, sync_context);
        if before == self.guards.len()
            && !self.guards.iter().any(|g| g.alive && g.binding.is_some())
        {
            // No guard created by the argument and none bound: nothing can move.
            return;
        }
        if guard_call(arg).is_some() {
            let from = before.min(self.guards.len());
            for g in &mut self.guards[from..] {
                g.alive = false;
            }
        } else if let Some(name) = single_ident(arg) {
            let floor = self.floor.min(self.guards.len());
            if let Some(g) = self.guards[floor..]
                .iter_mut()
                .rev()
                .find(|g| g.alive && g.binding.as_deref() == Some(name.as_str()))
            {
                g.alive = false;
            }
        }
    }

    /// A lock acquisition `recv.method()`.
    fn acquire(&mut self, mc: &syn::ExprMethodCall) {
        let method = mc.method.to_string();
        let Some(mut lock) = self.guards_from(mc) else {
            return;
        };
        let awaited = std::ptr::from_ref(mc) as usize == self.awaited;
        if lock.is_async && !awaited {
            // An async lock's `lock()` only builds a future; nothing is held until it is awaited.
            return;
        }
        lock.is_async |= awaited;
        lock.shared = apis::SHARED_GUARD_METHODS.contains(&method.as_str());
        let is_try = apis::TRY_GUARD_METHODS.contains(&method.as_str());
        let (line, column) = pos(mc.method.span());
        if !is_try {
            let live: Vec<HeldLock> = self.held();
            for held in &live {
                let reentrant = apis::REENTRANT_LOCKS.contains(&lock.desc.as_str());
                if held.id == lock.id && !(held.shared && lock.shared) && !reentrant {
                    let msg = rules::double_lock::direct(&short(&lock.id), &lock.desc);
                    self.push(FindingKind::DoubleLock, mc.method.span(), msg);
                } else if held.id != lock.id {
                    self.out.lock_pairs.push(LockPair {
                        first: held.clone(),
                        second: lock.clone(),
                        line,
                        column,
                    });
                }
            }
            self.out.locks.push(LockUse {
                lock: lock.clone(),
                line,
                column,
            });
        }
        self.guards.push(Guard {
            lock,
            binding: None,
            alive: true,
        });
    }

    fn constructions(&mut self, full: &str, call: &syn::ExprCall) {
        let Some((head, last)) = full.rsplit_once("::") else {
            return;
        };
        if !is_ctor_name(last) {
            return;
        }
        if apis::any_matches(apis::SINGLE_THREAD_TYPES, head) {
            let span = call.func.span();
            self.push(
                FindingKind::SingleThreadState,
                span,
                rules::single_thread_state::message(head),
            );
        }
        if apis::ARC_TYPES.contains(&head) {
            if let Some(syn::Expr::Call(inner)) = call.args.first() {
                if let syn::Expr::Path(ip) = &*inner.func {
                    let inner_full = self.resolve_type(&ip.path);
                    if let Some((ihead, ilast)) = inner_full.rsplit_once("::") {
                        if is_ctor_name(ilast) {
                            if let Some((lock, _)) = apis::lock_type(ihead) {
                                let msg = rules::shared_lock::message(lock);
                                self.push(FindingKind::SharedLock, call.func.span(), msg);
                            } else if apis::any_matches(apis::ATOMIC_TYPES, ihead) {
                                let msg = rules::atomic::message(ihead);
                                self.push(FindingKind::Atomic, call.func.span(), msg);
                            }
                        }
                    }
                }
            }
        }
    }

    fn with_temp_scope(&mut self, f: impl FnOnce(&mut Self)) {
        let mark = self.guards.len();
        f(self);
        self.guards
            .truncate(mark.max(self.floor).min(self.guards.len()));
    }

    fn visit_macro_call(&mut self, mac: &syn::Macro) {
        let name = mac
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default();
        match name.as_str() {
            n if apis::DECLARATION_MACROS.contains(&n) => {
                let found = macro_static_findings(self.info, mac, self.module, Some(&self.fn_path));
                self.out.findings.extend(found.into_iter().map(|(_, f)| f));
                return;
            }
            n if apis::CONSOLE_MACROS.contains(&n) => {
                let what = format!("{name}!");
                self.apply(&[Api::Console], &what, mac.path.span());
            }
            _ => {}
        }
        if mac.tokens.is_empty() {
            return;
        }
        // `addr_of!(STATIC)` needs no `unsafe` but still touches the static.
        let addr_of = apis::ADDR_OF_MACROS.contains(&name.as_str());
        self.unsafe_depth += u32::from(addr_of);
        self.macro_body(mac, &name);
        self.unsafe_depth -= u32::from(addr_of);
    }

    fn macro_body(&mut self, mac: &syn::Macro, name: &str) {
        // Names in `unsafe` may be `static mut` uses; `write!`'s first argument decides whether it is I/O.
        let needs_exprs = self.unsafe_depth > 0
            || apis::WRITE_MACROS.contains(&name)
            || apis::ADDR_OF_MACROS.contains(&name);
        if !needs_exprs && only_plain_args(&mac.tokens) {
            // `println!("{}", x)`, `assert_eq!(a, b)`: literals and names, nothing to find; no need to parse.
            return;
        }
        match crate::parse::macro_exprs(&mac.tokens) {
            Some(exprs) => {
                for e in &exprs {
                    self.visit_expr(e);
                }
                if apis::WRITE_MACROS.contains(&name) {
                    // `writeln!(out, ..)` is `out.write_fmt(..)`: I/O when `out` is a file, socket or console.
                    let ty = exprs.first().and_then(|w| self.type_of(w));
                    if let Some(ty) = ty {
                        let found = apis::typed_method_apis(&ty, "write_all");
                        self.apply(&found, &format!("{ty}::write_fmt"), mac.path.span());
                    }
                }
            }
            None => self.not_expanded += 1,
        }
    }

    fn visit_cond(&mut self, cond: &syn::Expr) -> bool {
        match cond {
            syn::Expr::Let(_) => true,
            syn::Expr::Binary(b) if matches!(b.op, syn::BinOp::And(_)) => {
                self.has_let(&b.left) || self.has_let(&b.right)
            }
            _ => false,
        }
    }

    fn has_let(&self, e: &syn::Expr) -> bool {
        match e {
            syn::Expr::Let(_) => true,
            syn::Expr::Binary(b) if matches!(b.op, syn::BinOp::And(_)) => {
                self.has_let(&b.left) || self.has_let(&b.right)
            }
            _ => false,
        }
    }

    fn enter_loop(&mut self) {
        self.loop_depth += 1;
        self.out.compute_score += 2 * self.loop_depth;
    }
}

/// The short name of a lock id for messages: `Type.field`, a static's name, a local's expression.
fn short(id: &str) -> String {
    match id.rsplit_once("::") {
        Some((_, last)) => last.to_string(),
        None => id.to_string(),
    }
}

impl<'ast> Visit<'ast> for BodyVisitor<'_, '_> {
    fn visit_block(&mut self, b: &'ast syn::Block) {
        let mark = self.guards.len();
        let overlay_mark = self.overlay.len();
        for s in &b.stmts {
            if let syn::Stmt::Item(item) = s {
                match item {
                    syn::Item::Use(u) => {
                        let mut entries = Vec::new();
                        super::resolve::flatten_use(
                            &u.tree,
                            &mut Vec::new(),
                            self.module,
                            u.leading_colon.is_some(),
                            &mut entries,
                        );
                        for e in entries {
                            let alias = e.alias.unwrap_or_else(|| "*".to_string());
                            let full = self
                                .info
                                .resolver
                                .resolve(self.module, &self.overlay, None, &e.segs, e.leading_colon)
                                .into_iter()
                                .next();
                            if let Some(full) = full {
                                self.overlay.push((alias, full));
                            }
                        }
                    }
                    syn::Item::Fn(f) => {
                        let full = format!(
                            "{}::{}",
                            self.info.resolver.module_path(self.module),
                            f.sig.ident
                        );
                        self.overlay.push((f.sig.ident.to_string(), full));
                        self.nested.push(item.clone());
                    }
                    syn::Item::Macro(m) => {
                        let n = m.mac.path.segments.last().map(|s| s.ident.to_string());
                        if n.is_some_and(|n| apis::DECLARATION_MACROS.contains(&n.as_str())) {
                            self.visit_macro_call(&m.mac);
                        } else if m.ident.is_none() {
                            self.not_expanded += 1;
                        }
                    }
                    syn::Item::Static(st) => {
                        // A static in a body is visible by name in it: remember what lock it is.
                        let ti = self
                            .info
                            .classify(&st.ty, self.module, self.self_type.as_deref());
                        let lock = ti.lock.as_ref().map(|(desc, is_async)| HeldLock {
                            id: format!("{}::{}", self.fn_path, st.ident),
                            desc: desc.clone(),
                            is_async: *is_async,
                            shared: false,
                        });
                        let local = Local {
                            ty: ti.outer.clone(),
                            lock,
                        };
                        self.locals.insert(st.ident.to_string(), local);
                        self.nested.push(item.clone());
                    }
                    _ => self.nested.push(item.clone()),
                }
            }
        }
        for s in &b.stmts {
            self.visit_stmt(s);
        }
        self.guards
            .truncate(mark.max(self.floor).min(self.guards.len()));
        self.overlay.truncate(overlay_mark);
    }

    fn visit_stmt(&mut self, s: &'ast syn::Stmt) {
        match s {
            syn::Stmt::Local(l) => self.visit_local(l),
            syn::Stmt::Item(_) => {}
            syn::Stmt::Expr(e, _) => self.with_temp_scope(|v| v.visit_expr(e)),
            syn::Stmt::Macro(m) => self.with_temp_scope(|v| v.visit_macro_call(&m.mac)),
        }
    }

    fn visit_local(&mut self, l: &'ast syn::Local) {
        if l.attrs.iter().any(|a| a.path().is_ident("cfg")) {
            // `#[cfg(a)] let g = ..; #[cfg(not(a))] let g = ..;` are alternatives: the earlier `g` is not held.
            let mut names = Vec::new();
            pat_idents(&l.pat, &mut names);
            for g in &mut self.guards {
                if g.binding.as_ref().is_some_and(|b| names.contains(b)) {
                    g.alive = false;
                }
            }
        }
        let mark = self.guards.len();
        if let Some(init) = &l.init {
            self.visit_expr(&init.expr);
            if let Some((_, diverge)) = &init.diverge {
                self.visit_expr(diverge);
            }
        }
        self.guards
            .truncate(mark.max(self.floor).min(self.guards.len()));
        let mut names = Vec::new();
        pat_idents(&l.pat, &mut names);
        let mut local = Local::default();
        if let syn::Pat::Type(pt) = &l.pat {
            let ti = self
                .info
                .classify(&pt.ty, self.module, self.self_type.as_deref());
            let site = self.site(pt.ty.span());
            push_type_findings(&mut self.out.findings, &ti, &site, false);
            local.ty = ti.outer.clone();
            local.lock = ti.lock.map(|(desc, is_async)| HeldLock {
                id: String::new(),
                desc,
                is_async,
                shared: false,
            });
        }
        let Some(init) = &l.init else {
            for n in names {
                self.locals.insert(n, local.clone());
            }
            return;
        };
        // `let g = m.lock().unwrap();`, or `let g = match m.lock() { Ok(g) => g, Err(p) => p.into_inner() };`
        let bound_guard =
            guard_call(&init.expr).or_else(|| match strip_guard_wrappers(&init.expr) {
                syn::Expr::Match(m) => guard_call(&m.expr),
                _ => None,
            });
        if let Some(mc) = bound_guard {
            let is_wild = matches!(&l.pat, syn::Pat::Wild(_));
            if !is_wild {
                if let Some(mut g) = self
                    .guards_from(mc)
                    .filter(|g| !g.is_async || has_await(&init.expr))
                {
                    g.is_async |= has_await(&init.expr);
                    g.shared = ident_in(&mc.method, apis::SHARED_GUARD_METHODS);
                    self.guards.push(Guard {
                        lock: g,
                        binding: names.first().cloned(),
                        alive: true,
                    });
                }
            }
            return;
        }
        if local.ty.is_none() {
            local.ty = self.type_of(strip_guard_wrappers(&init.expr));
        }
        if local.lock.is_none() {
            local.lock = self.lock_of(&init.expr);
        }
        for n in names {
            let mut this = local.clone();
            if let Some(lock) = &mut this.lock {
                if lock.id.is_empty() {
                    lock.id = format!("{}::{}", self.fn_path, n);
                }
            }
            self.locals.insert(n, this);
        }
    }

    fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
        let syn::Expr::Path(fp) = &*c.func else {
            visit::visit_expr_call(self, c);
            return;
        };
        if fp
            .path
            .get_ident()
            .is_some_and(|i| self.locals.contains_key(&i.to_string()))
        {
            // `f(x)` where `f` is a parameter or local: a closure call, not a function of the package.
            visit::visit_expr_call(self, c);
            return;
        }
        let candidates = self.resolve(&fp.path);
        let primary = candidates.first().cloned().unwrap_or_default();
        let raw_drop = fp
            .path
            .get_ident()
            .is_some_and(|i| ident_in(i, apis::DROP_NAMES));
        let found = apis::call_apis(&primary);
        if raw_drop || found.contains(&Api::Drop) {
            for a in &c.args {
                self.visit_expr(a);
            }
            if let Some(name) = c.args.first().and_then(single_ident) {
                let floor = self.floor.min(self.guards.len());
                if let Some(g) = self.guards[floor..]
                    .iter_mut()
                    .rev()
                    .find(|g| g.alive && g.binding.as_deref() == Some(name.as_str()))
                {
                    g.alive = false;
                }
            }
            return;
        }
        let detaches = found.contains(&Api::Detaches);
        // Closures passed to an awaited call (`asyncify(|| ..).await`) run on a blocking pool.
        let awaited = std::ptr::from_ref(c) as usize == self.awaited;
        let sync_context = found.contains(&Api::SyncContext) || awaited;
        for a in &c.args {
            self.visit_moving_arg(a, detaches, sync_context);
        }
        let span = fp.path.span();
        self.apply(&found, &primary, span);
        self.constructions(&primary, c);
        if primary == self.fn_path {
            self.out.compute_score += 10;
        }
        // Any non-std path may be a function of the package (another target's crate: `use demo::f` in a bin).
        if found.is_empty()
            && candidates
                .iter()
                .any(|p| p.contains("::") && !p.starts_with("std::"))
        {
            self.record_call(CallTarget::Path(candidates), span);
        } else if fp.path.segments.len() == 2 && found.is_empty() {
            // `Type::f` with a type the file cannot resolve (glob import, other file): link by type + name.
            let ty = fp.path.segments[0].ident.to_string();
            if ty.chars().next().is_some_and(|ch| ch.is_uppercase()) {
                let name = fp.path.segments[1].ident.to_string();
                self.record_call(
                    CallTarget::Method {
                        name,
                        self_type: Some(ty),
                        on_self: false,
                    },
                    span,
                );
            }
        }
    }

    fn visit_expr_method_call(&mut self, mc: &'ast syn::ExprMethodCall) {
        let name = mc.method.to_string();
        let argc = mc.args.len();
        self.visit_expr(&mc.receiver);
        if argc == 0 && apis::GUARD_METHODS.contains(&name.as_str()) {
            self.acquire(mc);
        }
        let awaited = std::ptr::from_ref(mc) as usize == self.awaited;
        let is_adaptor = apis::LOOP_METHODS.contains(&name.as_str());
        let is_spawn = apis::DETACHING_METHODS.contains(&name.as_str());
        if is_adaptor {
            self.out.compute_score += 1;
        }
        for a in &mc.args {
            if is_adaptor {
                let prev = self.adaptor_closure;
                self.adaptor_closure = true;
                self.visit_arg(a, false, false);
                self.adaptor_closure = prev;
            } else {
                self.visit_moving_arg(a, is_spawn, is_spawn);
            }
        }
        let mut found: Vec<Api> = Vec::new();
        let mut what = name.clone();
        if apis::is_typed_method_name(&name) {
            if let Some(ty) = self.type_of(&mc.receiver) {
                let typed = apis::typed_method_apis(&ty, &name);
                if !typed.is_empty() {
                    what = format!("{ty}::{name}");
                    found.extend(typed);
                }
            }
        }
        for api in apis::any_method_apis(&name, argc) {
            if !found.contains(&api) {
                found.push(api);
            }
        }
        if awaited {
            found.retain(|a| !matches!(a, Api::Io | Api::Sleep | Api::Recv | Api::Join));
        }
        self.apply(&found, &what, mc.method.span());
        if self.loop_depth > 0 && apis::is_arith_method(&name) {
            self.out.compute_score += self.loop_depth;
        }
        let receiver_is_self = single_ident(strip_refs(&mc.receiver)).as_deref() == Some("self");
        let receiver_type = if receiver_is_self {
            None
        } else {
            self.type_of(&mc.receiver)
        };
        if receiver_type
            .as_deref()
            .is_some_and(|t| t.starts_with("std::") || apis::is_known(t))
        {
            // A method of a std or table type (`self.0.lock()` on a `std::sync::Mutex` field) is not a
            // function of the package, even when a package type of the same name has one.
            return;
        }
        let self_type = if receiver_is_self {
            self.self_type.clone()
        } else {
            receiver_type.and_then(|t| t.rsplit("::").next().map(str::to_string))
        };
        if receiver_is_self && Some(&name) == Some(&self.out.name) {
            self.out.compute_score += 10;
        }
        self.record_call(
            CallTarget::Method {
                name,
                self_type,
                on_self: receiver_is_self,
            },
            mc.method.span(),
        );
    }

    fn visit_expr_await(&mut self, a: &'ast syn::ExprAwait) {
        let prev = self.awaited;
        match &*a.base {
            syn::Expr::MethodCall(mc) => self.awaited = std::ptr::from_ref(mc) as usize,
            syn::Expr::Call(c) => self.awaited = std::ptr::from_ref(c) as usize,
            _ => {}
        }
        let is_acquisition = guard_call(&a.base).is_some();
        self.visit_expr(&a.base);
        self.awaited = prev;
        if !is_acquisition {
            self.blocking(Blocking::Await, a.await_token.span);
        }
    }

    fn visit_expr_closure(&mut self, c: &'ast syn::ExprClosure) {
        let adaptor = std::mem::take(&mut self.adaptor_closure);
        if adaptor {
            self.loop_depth += 1;
        }
        let (in_async, floor) = (self.in_async, self.floor);
        if c.asyncness.is_some() {
            self.in_async = true;
        }
        let mark = self.guards.len();
        if c.capture.is_some() {
            // A `move` closure runs later or elsewhere: the enclosing guards are not held in it.
            self.floor = mark;
        }
        self.with_temp_scope(|v| v.visit_expr(&c.body));
        self.guards.truncate(mark.min(self.guards.len()));
        self.in_async = in_async;
        self.floor = floor;
        if adaptor {
            self.loop_depth -= 1;
        }
    }

    fn visit_expr_async(&mut self, a: &'ast syn::ExprAsync) {
        let (floor, in_async) = (self.floor, self.in_async);
        self.floor = self.guards.len();
        self.in_async = true;
        self.visit_block(&a.block);
        self.guards.truncate(self.floor.min(self.guards.len()));
        self.floor = floor;
        self.in_async = in_async;
    }

    fn visit_expr_if(&mut self, i: &'ast syn::ExprIf) {
        let mark = self.guards.len();
        if self.visit_cond(&i.cond) {
            self.visit_expr(&i.cond);
            self.visit_block(&i.then_branch);
            if self.edition >= Edition::E2024 {
                self.guards
                    .truncate(mark.max(self.floor).min(self.guards.len()));
            }
        } else {
            self.with_temp_scope(|v| v.visit_expr(&i.cond));
            self.visit_block(&i.then_branch);
        }
        if let Some((_, e)) = &i.else_branch {
            self.visit_expr(e);
        }
        if self.edition >= Edition::E2024 {
            self.guards
                .truncate(mark.max(self.floor).min(self.guards.len()));
        }
    }

    fn visit_expr_while(&mut self, w: &'ast syn::ExprWhile) {
        let mark = self.guards.len();
        if self.visit_cond(&w.cond) {
            self.visit_expr(&w.cond);
        } else {
            self.with_temp_scope(|v| v.visit_expr(&w.cond));
        }
        self.enter_loop();
        self.visit_block(&w.body);
        self.loop_depth -= 1;
        self.guards
            .truncate(mark.max(self.floor).min(self.guards.len()));
    }

    fn visit_expr_for_loop(&mut self, f: &'ast syn::ExprForLoop) {
        self.visit_expr(&f.expr);
        self.enter_loop();
        self.visit_block(&f.body);
        self.loop_depth -= 1;
    }

    fn visit_expr_loop(&mut self, l: &'ast syn::ExprLoop) {
        self.enter_loop();
        self.visit_block(&l.body);
        self.loop_depth -= 1;
    }

    fn visit_expr_match(&mut self, m: &'ast syn::ExprMatch) {
        self.visit_expr(&m.expr);
        for arm in &m.arms {
            self.with_temp_scope(|v| {
                if let Some((_, g)) = &arm.guard {
                    v.visit_expr(g);
                }
                v.visit_expr(&arm.body);
            });
        }
    }

    fn visit_expr_binary(&mut self, b: &'ast syn::ExprBinary) {
        if self.loop_depth > 0 && is_arith(&b.op) {
            self.out.compute_score += self.loop_depth;
        }
        self.visit_expr(&b.left);
        if matches!(b.op, syn::BinOp::And(_) | syn::BinOp::Or(_)) {
            self.with_temp_scope(|v| v.visit_expr(&b.right));
        } else {
            self.visit_expr(&b.right);
        }
    }

    fn visit_expr_cast(&mut self, c: &'ast syn::ExprCast) {
        if self.loop_depth > 0 {
            self.out.compute_score += self.loop_depth;
        }
        visit::visit_expr_cast(self, c);
    }

    fn visit_expr_index(&mut self, i: &'ast syn::ExprIndex) {
        if self.loop_depth > 0 {
            self.out.compute_score += self.loop_depth;
        }
        visit::visit_expr_index(self, i);
    }

    fn visit_expr_path(&mut self, p: &'ast syn::ExprPath) {
        // Static names are upper case by convention; only those are checked against `static mut` items
        // (in unsafe code) and against statics with findings (anywhere).
        if p.qself.is_some() {
            return;
        }
        let Some(last) = p.path.segments.last() else {
            return;
        };
        let name = last.ident.to_string();
        if is_static_name(&name) && !self.locals.contains_key(&name) {
            if let Some(full) = self.resolve(&p.path).into_iter().next() {
                let (line, column) = pos(p.path.span());
                let found = PathUse {
                    path: full,
                    line,
                    column,
                };
                if self.unsafe_depth > 0 {
                    self.out.static_uses.push(found.clone());
                }
                self.out.global_uses.push(found);
            }
        }
    }

    fn visit_expr_unsafe(&mut self, u: &'ast syn::ExprUnsafe) {
        self.unsafe_depth += 1;
        visit::visit_expr_unsafe(self, u);
        self.unsafe_depth -= 1;
    }

    fn visit_expr_raw_addr(&mut self, r: &'ast syn::ExprRawAddr) {
        self.unsafe_depth += 1;
        visit::visit_expr_raw_addr(self, r);
        self.unsafe_depth -= 1;
    }

    fn visit_expr_macro(&mut self, m: &'ast syn::ExprMacro) {
        self.visit_macro_call(&m.mac);
    }

    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

impl BodyVisitor<'_, '_> {
    /// The lock that `mc` (`recv.lock()`, `recv.read()`...) acquires, identified by its path, or by the
    /// receiver's text within this function when its path is unknown; `None` when the receiver's type is
    /// known not to be a lock.
    fn guards_from(&self, mc: &syn::ExprMethodCall) -> Option<HeldLock> {
        if let Some(ty) = self.type_of(&mc.receiver) {
            if apis::any_matches(apis::NOT_LOCK_RECEIVERS, &ty) {
                return None;
            }
        }
        let mut lock = self.lock_of(&mc.receiver).unwrap_or_else(|| HeldLock {
            id: String::new(),
            desc: "lock".into(),
            is_async: false,
            shared: false,
        });
        if lock.id.is_empty() {
            lock.id = format!("{}::{}", self.fn_path, expr_text(strip_refs(&mc.receiver)));
        }
        Some(lock)
    }
}
