//! One visitor pass over a function body. It walks the syntax and asks the parts: `guards` (which guards are
//! alive), `infer` (what locals and receivers are), `classify` (what a call is), `emit` (findings) and `work`
//! (the compute score); it records calls (for the call graph), lock acquisitions and pairs, and uses of
//! statics itself. Closures and async blocks belong to the enclosing function.
//!
//! Guards: a guard from `lock()`/`read()`/`write()`/`try_*()` (through `.unwrap()`/`.expect()`/`?`/`.await`)
//! bound by `let` lives to the end of its block or to `drop(guard)`; an unbound (temporary) guard lives to the
//! end of its statement, except that `if`/`while` conditions, match arms, closure bodies and the right side of
//! `&&`/`||` end their own temporaries; `match`, `if let`, `while let` and `for` scrutinee temporaries live
//! through the whole expression (in edition 2024 an `if let` scrutinee's are dropped before `else`).
//! Closures passed to spawning calls and async blocks run later: guards of the enclosing code are not alive
//! in them.

use std::collections::HashMap;

use syn::spanned::Spanned;
use syn::visit::{self, Visit};

use super::classify;
use super::emit::{Blocking, Context, Emitter};
use super::file::{macro_static_findings, FileInfo};
use super::guards::GuardStack;
use super::infer::{
    guard_call, has_await, ident_in, is_static_name, pat_idents, single_ident,
    strip_guard_wrappers, strip_refs, Env, Local,
};
use super::types::{bounded_generics, is_bounded_type, is_io_trait, is_iterator_trait};
use super::work::{self, Trips, Work};
use super::{pos, CallSite, CallTarget, FnFacts, HeldLock, LockPair, LockUse, PathUse};
use crate::parse::Edition;
use crate::rules::apis::{self, Api};
use crate::rules::compute_hotspot;

/// What a function belongs to: the last segment of its impl's self type (or its trait's, for a default
/// method), the trait it implements, and its impl's generics.
#[derive(Default, Clone, Copy)]
pub(super) struct Owner<'o> {
    pub self_type: Option<&'o str>,
    pub of_trait: Option<&'o str>,
    pub generics: Option<&'o syn::Generics>,
}

/// Visits one function; returns its facts, items nested in its body, and unparseable macro calls.
pub(super) fn visit_fn(
    info: &FileInfo,
    module: &[String],
    owner: Owner,
    sig: &syn::Signature,
    block: &syn::Block,
) -> (FnFacts, Vec<syn::Item>, usize) {
    let Owner {
        self_type,
        of_trait,
        generics,
    } = owner;
    let mut io_generics = bounded_generics(&sig.generics, is_io_trait);
    if let Some(g) = generics {
        io_generics.extend(bounded_generics(g, is_io_trait));
    }
    let name = sig.ident.to_string();
    let mut path = info.resolver.module_path(module);
    if let Some(t) = self_type {
        path.push_str("::");
        path.push_str(t);
    }
    path.push_str("::");
    path.push_str(&name);
    let (line, _) = pos(sig.fn_token.span);
    let self_type_path = self_type.map(|t| format!("{}::{}", info.resolver.module_path(module), t));
    let mut v = BodyVisitor {
        env: Env {
            info,
            module,
            self_type: self_type.map(str::to_string),
            self_type_path,
            fn_path: path.clone(),
            locals: HashMap::new(),
            overlay: Vec::new(),
            io_generics,
        },
        emit: Emitter::new(info, path.clone()),
        work: Work::default(),
        edition: info.ctx.edition,
        out: FnFacts {
            path,
            name,
            self_type: self_type.map(str::to_string),
            file: info.ctx.rel_path.clone(),
            line,
            is_async: sig.asyncness.is_some(),
            has_self: sig.receiver().is_some(),
            ..FnFacts::default()
        },
        guards: GuardStack::default(),
        in_async: sig.asyncness.is_some(),
        unsafe_depth: u32::from(sig.unsafety.is_some()),
        adaptor_closure: None,
        detached: 0,
        scoped: 0,
        scoped_spawn: false,
        once: 0,
        awaited: 0,
        would_block: 0,
        lock_ctor_args: Vec::new(),
        unwrapped: 0,
        builds_par_iter: of_trait.is_some_and(|t| apis::PAR_ITER_TRAITS.contains(&t)),
        handed_on: Vec::new(),
        loop_targets: Vec::new(),
        fn_frames: 0,
        nested: Vec::new(),
        not_expanded: 0,
    };
    v.signature(sig);
    if let Some(syn::Stmt::Expr(tail, None)) = block.stmts.last() {
        v.hand_on(tail);
    }
    v.visit_block(block);
    // A `const fn` without parameters computes a constant (no I/O, no mutable statics, no input): the same
    // work on every call, in practice once at compile time (zmij's, h2's lookup tables).
    let constant = sig.constness.is_some() && sig.inputs.is_empty();
    let score = if constant { 0 } else { v.work.score() };
    if score >= compute_hotspot::THRESHOLD {
        v.emit
            .compute_hotspot(&v.out.name, score, sig.fn_token.span);
    }
    let mut out = v.out;
    out.compute_score = score;
    out.waits = v.work.waited();
    out.loop_regions = v.work.regions().to_vec();
    out.findings = v.emit.findings;
    out.blocking = v.emit.blocking;
    out.io_weight = v.emit.io_weight;
    (out, v.nested, v.not_expanded)
}

struct BodyVisitor<'i, 'a> {
    env: Env<'i, 'a>,
    emit: Emitter<'i, 'a>,
    work: Work,
    edition: Edition,
    /// Calls, locks and static uses (findings, blocking and the score are filled in at the end).
    out: FnFacts,
    guards: GuardStack,
    in_async: bool,
    /// Inside `unsafe` (or `addr_of!`, `&raw`): where `static mut` items can be accessed.
    unsafe_depth: u32,
    /// The closures about to be visited are arguments of an iterator adaptor.
    adaptor_closure: Option<Trips>,
    /// Inside closures or async blocks passed to a spawning call: they run on another thread or later.
    detached: u32,
    /// Inside closures passed to a scope (`thread::scope`, `rayon::scope`): the threads its `s.spawn(..)`
    /// starts are joined before the scope returns, so the function waits for them.
    scoped: u32,
    /// The spawning method call whose arguments are about to be visited is a scope's `spawn`.
    scoped_spawn: bool,
    /// Inside the lazy initialiser of a static (`CACHE.get_or_init(|| ..)`): it runs once per process.
    once: u32,
    /// Address of the method call being awaited (`x.recv().await` is not a blocking recv).
    awaited: usize,
    /// Address of the method call that a `match` scrutinizes with an arm for `WouldBlock`.
    would_block: usize,
    /// Addresses of the calls that are direct arguments of a lock's constructor (`Mutex::new(RefCell::new(..))`).
    lock_ctor_args: Vec<usize>,
    /// Address of the guard call being unwrapped (`x.read().unwrap()`: a std lock's `LockResult`).
    unwrapped: usize,
    /// In an impl of a parallel-iterator trait (`impl IntoParallelIterator for ..`) or a default method of
    /// one (`ParallelIterator::chain`): a parallel iterator built here is handed to the caller, who drives it.
    builds_par_iter: bool,
    /// Addresses of the expressions whose value leaves the function as it is (a struct literal's field, the
    /// returned value): a parallel iterator built there is driven by whoever gets it, not here.
    handed_on: Vec<usize>,
    /// The loops around here in the current function, closure or async block, innermost last: each one's
    /// label and the work frames around it (what a `break` out of it leaves: see `exit_target`).
    loop_targets: Vec<(Option<String>, usize)>,
    /// The work frames around the current function, closure or async block: what a `return` leaves to.
    fn_frames: usize,
    nested: Vec<syn::Item>,
    not_expanded: usize,
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
    ) || work::is_compound_assign(op)
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

impl BodyVisitor<'_, '_> {
    fn signature(&mut self, sig: &syn::Signature) {
        let iter_generics = bounded_generics(&sig.generics, is_iterator_trait);
        for input in &sig.inputs {
            if let syn::FnArg::Typed(pt) = input {
                let ti =
                    self.env
                        .info
                        .classify(&pt.ty, self.env.module, self.env.self_type.as_deref());
                self.emit.type_findings(&ti, pt.ty.span());
                let mut names = Vec::new();
                pat_idents(&pt.pat, &mut names);
                for n in names {
                    let lock = ti.lock.as_ref().map(|(desc, is_async)| {
                        let id = format!("{}::{}", self.env.fn_path, n);
                        self.env.held_lock(id, desc.clone(), *is_async)
                    });
                    self.env.locals.insert(
                        n,
                        Local {
                            ty: ti.outer.clone(),
                            lock,
                            iter: is_bounded_type(&pt.ty, is_iterator_trait, &iter_generics),
                            io: is_bounded_type(&pt.ty, is_io_trait, &self.env.io_generics),
                            // `blocks: &mut [[u32; 4]; PAR_BLOCKS]`: its length.
                            bound: work::array_len(&pt.ty, &|id| self.bound_of(id)),
                            ..Local::default()
                        },
                    );
                }
            }
        }
        if let syn::ReturnType::Type(_, ty) = &sig.output {
            let ti = self
                .env
                .info
                .classify(ty, self.env.module, self.env.self_type.as_deref());
            self.emit.type_findings(&ti, ty.span());
        }
    }

    fn blocking(&mut self, b: Blocking, span: proc_macro2::Span) {
        self.work.wait();
        let held = self.guards.held();
        let cx = Context {
            held: &held,
            in_async: self.in_async,
            detached: self.detached > 0,
            once: self.once > 0,
        };
        self.emit.blocking(b, span, &cx);
    }

    /// Applies API categories of a call or method call named `what` at `span`.
    fn apply(&mut self, apis_found: &[Api], what: &str, span: proc_macro2::Span) {
        if apis_found.is_empty() {
            return;
        }
        let held = self.guards.held();
        let cx = Context {
            held: &held,
            in_async: self.in_async,
            detached: self.detached > 0,
            once: self.once > 0,
        };
        for api in apis_found {
            match api {
                Api::Cpu => self.work.heavy_call(),
                Api::Io
                | Api::IoQuick
                | Api::Sleep
                | Api::Recv
                | Api::Join
                | Api::Console
                | Api::Ffi => {
                    // The loop around a wait (or a foreign call: its time is spent in foreign code,
                    // a system call most often) is dominated by it.
                    self.work.wait();
                    self.emit.api(*api, what, span, &cx);
                }
                _ => self.emit.api(*api, what, span, &cx),
            }
        }
    }

    /// How many loops were around the declaration of the value `e` is a place of (`cache`, `*cache`,
    /// `self.cache`, a static `CACHE`): `None` when it is not known to outlive the current iteration (a
    /// closure or loop pattern's name, a temporary).
    fn declared_loops(&self, e: &syn::Expr) -> Option<usize> {
        let mut base = strip_refs(e);
        while let syn::Expr::Field(f) = base {
            base = strip_refs(&f.base);
        }
        let name = single_ident(base)?;
        if name == "self" {
            return Some(0);
        }
        match self.env.locals.get(&name) {
            Some(local) => Some(local.loops),
            None if is_static_name(&name) => Some(0),
            None => None,
        }
    }

    /// The upper bound known for what `path` names: a local (see `Local::bound`), or a constant of the file.
    fn bound_of(&self, path: &syn::Path) -> Option<u64> {
        if let Some(local) = path
            .get_ident()
            .and_then(|id| self.env.locals.get(&id.to_string()))
        {
            return local.bound;
        }
        self.env.info.const_bound(self.env.module, path)
    }

    /// The trip-count estimate of a loop body counted to a bound (see `work::counted_trips`): a counter's
    /// start is known when it was declared around here (not in an enclosing loop's earlier turn) and not
    /// written since.
    fn counted_trips(&self, body: &syn::Block) -> Trips {
        let start = |id: &syn::Ident| {
            let local = self.env.locals.get(&id.to_string())?;
            (local.loops == self.work.loops()).then_some(local.start)?
        };
        work::counted_trips(body, &start, &|p| self.bound_of(p))
    }

    /// Forgets the start value of the local `e` names (`rcon = 5`, `rcon += 1`, `&mut rcon`).
    fn written(&mut self, e: &syn::Expr) {
        if let Some(local) = single_ident(e).and_then(|n| self.env.locals.get_mut(&n)) {
            local.start = None;
        }
    }

    /// True when `e` (through references) names a static: `CACHE`, `crate::state::CACHE`, a `static` item of
    /// the body, not a `let` local.
    fn is_static(&self, e: &syn::Expr) -> bool {
        let syn::Expr::Path(p) = strip_refs(e) else {
            return false;
        };
        let Some(last) = p.path.segments.last() else {
            return false;
        };
        let name = last.ident.to_string();
        match self.env.locals.get(&name) {
            Some(local) => local.is_static,
            None => is_static_name(&name),
        }
    }

    /// Marks the method call that `e` is (through parentheses and `unsafe { .. }`) as handed on as it is.
    fn hand_on(&mut self, e: &syn::Expr) {
        match e {
            syn::Expr::MethodCall(mc) => self.handed_on.push(std::ptr::from_ref(mc) as usize),
            syn::Expr::Paren(p) => self.hand_on(&p.expr),
            syn::Expr::Unsafe(u) => {
                if let [syn::Stmt::Expr(tail, None)] = u.block.stmts.as_slice() {
                    self.hand_on(tail);
                }
            }
            _ => {}
        }
    }

    fn record_call(&mut self, target: CallTarget, span: proc_macro2::Span) {
        let (line, column) = pos(span);
        let held = self.guards.held();
        self.work.call();
        self.out.calls.push(CallSite {
            target,
            line,
            column,
            held,
            in_async: self.in_async,
            detached: self.detached > 0,
            once: self.once > 0,
        });
    }

    /// Visits a call argument; closures (and async blocks) in spawning calls run elsewhere (and, except in a
    /// scope, this function does not wait for them: see `CallSite::detached`).
    fn visit_arg(&mut self, arg: &syn::Expr, detaches: bool, sync_context: bool) {
        let waited_for = std::mem::take(&mut self.scoped_spawn);
        let is_closure = matches!(arg, syn::Expr::Closure(_));
        let is_async_block = matches!(arg, syn::Expr::Async(_));
        let moved_closure = matches!(arg, syn::Expr::Closure(c) if c.capture.is_some());
        if !(is_closure || is_async_block) || !(detaches || sync_context || moved_closure) {
            self.visit_expr(arg);
            return;
        }
        let in_async = self.in_async;
        let entered = self.guards.enter(detaches);
        if (sync_context || moved_closure) && is_closure {
            self.in_async = false;
        }
        let detached = u32::from(detaches && !waited_for);
        self.detached += detached;
        self.visit_expr(arg);
        self.detached -= detached;
        self.guards.leave(entered);
        self.in_async = in_async;
    }

    /// Visits an argument; a guard passed by value (`f(m.lock().unwrap())`, `f(guard)`) moves into the
    /// callee and is no longer held here.
    fn visit_moving_arg(&mut self, arg: &syn::Expr, detaches: bool, sync_context: bool) {
        let before = self.guards.mark();
        self.visit_arg(arg, detaches, sync_context);
        if !self.guards.grew_since(before) && !self.guards.any_bound_alive() {
            // No guard created by the argument and none bound: nothing can move.
            return;
        }
        if guard_call(arg).is_some() {
            self.guards.release_since(before);
        } else if let Some(name) = single_ident(arg) {
            self.guards.release(&name);
        }
    }

    /// A lock acquisition `recv.method()`.
    /// Takes the guard of `mc` (a guard method with no argument) when its receiver may be a lock; returns the
    /// lock, also for an async lock's unawaited `lock()` and for a `try_*()`, which hold nothing here.
    fn acquire(&mut self, mc: &syn::ExprMethodCall) -> Option<HeldLock> {
        let method = mc.method.to_string();
        let mut lock = self.env.guards_from(mc)?;
        let awaited = std::ptr::from_ref(mc) as usize == self.awaited;
        if std::ptr::from_ref(mc) as usize == self.unwrapped {
            // `x.read().unwrap()`: a `LockResult`, so a std lock.
            lock.guessed = None;
        }
        if lock.is_async && !awaited {
            // An async lock's `lock()` only builds a future; nothing is held until it is awaited.
            return Some(lock);
        }
        lock.is_async |= awaited;
        lock.shared = apis::SHARED_GUARD_METHODS.contains(&method.as_str());
        let is_try = apis::TRY_GUARD_METHODS.contains(&method.as_str());
        let (line, column) = pos(mc.method.span());
        if !is_try {
            let live: Vec<HeldLock> = self.guards.held();
            for held in &live {
                if held.id == lock.id && !(held.shared && lock.shared) && !lock.reentrant {
                    self.emit.double_lock(&lock, held, mc.method.span());
                } else if held.id != lock.id {
                    self.out.lock_pairs.push(LockPair {
                        first: held.clone(),
                        second: lock.clone(),
                        line,
                        column,
                    });
                }
            }
            if self.detached == 0 {
                // A lock taken on another thread is not one this function's callers wait for.
                self.out.locks.push(LockUse {
                    lock: lock.clone(),
                    line,
                    column,
                });
            }
        }
        if !is_try {
            // A `try_lock()` guard exists only on its success branch: the `if let`/`match`/`let` that
            // tests it pushes it there (see `try_success`).
            self.guards.push_temp(lock.clone());
        }
        Some(lock)
    }

    /// The guard a successful `try_*()` gives, for the branch where it succeeded (`Ok(g)`/`Some(g)`), bound
    /// to the pattern's first name.
    fn push_try_guard(&mut self, mc: &syn::ExprMethodCall, scrutinee: &syn::Expr, pat: &syn::Pat) {
        let Some(mut lock) = self.env.guards_from(mc) else {
            return;
        };
        if lock.is_async && !has_await(scrutinee) {
            return;
        }
        lock.is_async |= has_await(scrutinee);
        lock.shared = ident_in(&mc.method, apis::SHARED_GUARD_METHODS);
        let mut names = Vec::new();
        pat_idents(pat, &mut names);
        self.guards.push_bound(lock, names.first().cloned());
    }

    /// The work frames left around the code after `e` runs, when `e` leaves loops of the current function:
    /// `return` (to the function's, closure's or async block's own frames), `break` (out of its loop, by
    /// label or the innermost), a panicking macro (out of every loop).
    fn exit_of(&self, e: &syn::Expr) -> Option<usize> {
        match e {
            syn::Expr::Return(_) => Some(self.fn_frames),
            syn::Expr::Break(b) => {
                let label = b.label.as_ref().map(|l| l.ident.to_string());
                let target = match &label {
                    Some(l) => self
                        .loop_targets
                        .iter()
                        .rev()
                        .find(|(n, _)| n.as_ref() == Some(l)),
                    None => self.loop_targets.last(),
                };
                target.map(|(_, frames)| *frames)
            }
            syn::Expr::Macro(m) => is_panic_macro(&m.mac).then_some(0),
            syn::Expr::Block(b) if b.label.is_none() => self.exit_target(&b.block),
            _ => None,
        }
    }

    /// The work frames a block leaves to when one of its own statements (not a nested one) leaves loops (see
    /// [`exit_of`](Self::exit_of)): the statements after it never run, so the block runs at most once for
    /// the loops it leaves.
    /// A `continue` of a loop outside the block (`continue 'outer` from a loop inside it, too) starts another
    /// turn: a block with one is no exit.
    fn exit_target(&self, b: &syn::Block) -> Option<usize> {
        let exit = b.stmts.iter().find_map(|s| match s {
            syn::Stmt::Expr(e, _) => self.exit_of(e),
            syn::Stmt::Macro(m) => is_panic_macro(&m.mac).then_some(0),
            _ => None,
        })?;
        let mut c = Continues::default();
        c.visit_block(b);
        (!c.escapes).then_some(exit)
    }

    /// Visits a branch (an `if` or `else` block, a `match` arm) with `visit`; when the branch leaves loops to
    /// `exit` frames, its work runs once for those loops, not once a turn: it weighs as code outside them,
    /// and a wait in it does not dominate them (`loop { .. if done { return tally(..) } }`).
    fn visit_branch(&mut self, exit: Option<usize>, visit: impl FnOnce(&mut Self)) {
        match exit.filter(|&frames| frames < self.work.loops()) {
            Some(frames) => {
                self.work.enter_once(frames);
                visit(self);
                self.work.leave_loop();
            }
            None => visit(self),
        }
    }

    /// Visits the `else` of an `if`: a block that leaves loops is a branch that runs once for them (see
    /// [`visit_branch`](Self::visit_branch)); an `else if` is an `if` of its own.
    fn visit_else(&mut self, e: &syn::Expr) {
        let exit = match e {
            syn::Expr::Block(b) if b.label.is_none() => self.exit_target(&b.block),
            _ => None,
        };
        self.visit_branch(exit, |v| v.visit_expr(e));
    }

    /// Visits a closure's or async block's body with `visit`: `return` and `break` in it leave only its own
    /// loops.
    fn visit_own_body(&mut self, visit: impl FnOnce(&mut Self)) {
        let targets = std::mem::take(&mut self.loop_targets);
        let frames = std::mem::replace(&mut self.fn_frames, self.work.loops());
        visit(self);
        self.fn_frames = frames;
        self.loop_targets = targets;
    }

    /// Visits a loop's body with `visit`, as a target of `break` (see [`exit_of`](Self::exit_of)).
    fn visit_loop(
        &mut self,
        label: Option<&syn::Label>,
        trips: Trips,
        visit: impl FnOnce(&mut Self),
    ) {
        let label = label.map(|l| l.name.ident.to_string());
        self.loop_targets.push((label, self.work.loops()));
        self.work.enter_loop(trips);
        visit(self);
        self.work.leave_loop();
        self.loop_targets.pop();
    }

    fn with_temp_scope(&mut self, f: impl FnOnce(&mut Self)) {
        let mark = self.guards.mark();
        f(self);
        self.guards.end_scope(mark);
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
                let found = macro_static_findings(
                    self.env.info,
                    mac,
                    self.env.module,
                    Some(&self.env.fn_path),
                );
                self.emit.findings.extend(found.into_iter().map(|(_, f)| f));
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
        // Assertions, formatting and logging are not compute, whatever their arguments compute.
        let quiet = apis::QUIET_MACROS.contains(&name.as_str());
        self.unsafe_depth += u32::from(addr_of);
        if quiet {
            self.work.enter_quiet();
        }
        self.macro_body(mac, &name);
        if quiet {
            self.work.leave_quiet();
        }
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
                    if exprs.first().is_some_and(|w| self.env.is_opaque_io(w)) {
                        // `write!(w, ..)` on a writer known only by its trait (`W: Write`): it may wait.
                        self.work.may_wait();
                    }
                    let written = exprs
                        .first()
                        .and_then(|w| classify::write_macro(&self.env, w));
                    if let Some((found, what)) = written {
                        self.apply(&found, &what, mac.path.span());
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
                has_let(&b.left) || has_let(&b.right)
            }
            _ => false,
        }
    }

    /// A `use` item or nested item of a block, seen before the block's statements.
    fn block_item(&mut self, item: &syn::Item) {
        match item {
            syn::Item::Use(u) => {
                let mut entries = Vec::new();
                super::resolve::flatten_use(
                    &u.tree,
                    &mut Vec::new(),
                    self.env.module,
                    u.leading_colon.is_some(),
                    &mut entries,
                );
                for e in entries {
                    let alias = e.alias.unwrap_or_else(|| "*".to_string());
                    let full = self
                        .env
                        .info
                        .resolver
                        .resolve(
                            self.env.module,
                            &self.env.overlay,
                            None,
                            &e.segs,
                            e.leading_colon,
                        )
                        .into_iter()
                        .next();
                    if let Some(full) = full {
                        self.env.overlay.push((alias, full));
                    }
                }
            }
            syn::Item::Fn(f) => {
                let full = format!(
                    "{}::{}",
                    self.env.info.resolver.module_path(self.env.module),
                    f.sig.ident
                );
                self.env.overlay.push((f.sig.ident.to_string(), full));
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
            syn::Item::Const(c) => {
                // `const CHUNK: usize = 32;` in a body bounds the loops that name it.
                let local = Local {
                    bound: work::upper_bound(&c.expr, &|p| self.bound_of(p)),
                    ..Local::default()
                };
                self.env.locals.insert(c.ident.to_string(), local);
                self.nested.push(item.clone());
            }
            syn::Item::Static(st) => {
                // A static in a body is visible by name in it: remember what lock it is.
                let ti =
                    self.env
                        .info
                        .classify(&st.ty, self.env.module, self.env.self_type.as_deref());
                let lock = ti.lock.as_ref().map(|(desc, is_async)| {
                    let id = format!("{}::{}", self.env.fn_path, st.ident);
                    self.env.held_lock(id, desc.clone(), *is_async)
                });
                let local = Local {
                    ty: ti.outer.clone(),
                    lock,
                    is_static: true,
                    ..Local::default()
                };
                self.env.locals.insert(st.ident.to_string(), local);
                self.nested.push(item.clone());
            }
            _ => self.nested.push(item.clone()),
        }
    }
}

/// True for a callee that is a function value reached through a field, an index or parentheses
/// (`(self.f)(..)`, `(table[i])(..)`), not a path.
fn is_fn_pointer_value(func: &syn::Expr) -> bool {
    match func {
        syn::Expr::Paren(p) => is_fn_pointer_value(&p.expr),
        syn::Expr::Group(g) => is_fn_pointer_value(&g.expr),
        syn::Expr::Field(_) | syn::Expr::Index(_) => true,
        syn::Expr::Unary(u) => is_fn_pointer_value(&u.expr),
        _ => false,
    }
}

/// `let Ok(g) = m.try_lock()` (or `Some(g)`, through wrappers) as a condition: the try call, the scrutinee
/// and the success pattern.
fn try_success(cond: &syn::Expr) -> Option<(&syn::ExprMethodCall, &syn::Expr, &syn::Pat)> {
    let syn::Expr::Let(l) = cond else {
        return None;
    };
    let mc = guard_call(&l.expr)?;
    (ident_in(&mc.method, apis::TRY_GUARD_METHODS) && is_success_pat(&l.pat))
        .then_some((mc, &*l.expr, &*l.pat))
}

/// The element types of a pair type written `(A, B)` in the API catalogue.
fn tuple_types(ty: &str) -> Option<Vec<&str>> {
    let inner = ty.strip_prefix('(')?.strip_suffix(')')?;
    Some(inner.split(',').map(str::trim).collect())
}

/// `Ok(..)` or `Some(..)`: the pattern of a successful `try_*()`.
fn is_success_pat(p: &syn::Pat) -> bool {
    match p {
        syn::Pat::TupleStruct(t) => t
            .path
            .segments
            .last()
            .is_some_and(|s| s.ident == "Ok" || s.ident == "Some"),
        syn::Pat::Paren(p) => is_success_pat(&p.pat),
        _ => false,
    }
}

/// True when the guard wrappers of `e` unwrap a result (`.unwrap()`, `.expect(..)`, `?`): what follows runs
/// only on success.
fn unwraps(e: &syn::Expr) -> bool {
    match e {
        syn::Expr::Try(_) => true,
        syn::Expr::MethodCall(mc) if mc.method == "unwrap" || mc.method == "expect" => true,
        syn::Expr::MethodCall(mc) if ident_in(&mc.method, apis::GUARD_UNWRAP_METHODS) => {
            unwraps(&mc.receiver)
        }
        syn::Expr::Await(a) => unwraps(&a.base),
        syn::Expr::Paren(p) => unwraps(&p.expr),
        _ => false,
    }
}

/// True when an arm of a `match` names `WouldBlock` (`Err(e) if e.kind() == io::ErrorKind::WouldBlock`, or in
/// its body): the code expects the call it scrutinizes to return instead of waiting.
fn handles_would_block(arms: &[syn::Arm]) -> bool {
    struct Finder(bool);
    impl<'ast> Visit<'ast> for Finder {
        fn visit_path(&mut self, p: &'ast syn::Path) {
            self.0 |= p.segments.last().is_some_and(|s| s.ident == "WouldBlock");
        }
    }
    let mut f = Finder(false);
    for arm in arms {
        f.visit_arm(arm);
    }
    f.0
}

/// Whether a block has a `continue` of a loop outside it: an unlabelled one outside the block's own loops, or
/// one naming a label none of them has. Closures, async blocks and items are not looked into (a `continue`
/// cannot leave them); macro bodies are not either.
#[derive(Default)]
struct Continues {
    /// Labels of the block's loops around here (`None` for an unlabelled one).
    inner: Vec<Option<String>>,
    escapes: bool,
}

impl Continues {
    fn in_loop(&mut self, label: Option<&syn::Label>, visit: impl FnOnce(&mut Self)) {
        self.inner.push(label.map(|l| l.name.ident.to_string()));
        visit(self);
        self.inner.pop();
    }
}

impl<'ast> Visit<'ast> for Continues {
    fn visit_expr_continue(&mut self, c: &'ast syn::ExprContinue) {
        self.escapes |= match &c.label {
            None => self.inner.is_empty(),
            Some(l) => !self.inner.iter().flatten().any(|n| l.ident == n),
        };
    }

    fn visit_expr_while(&mut self, w: &'ast syn::ExprWhile) {
        self.visit_expr(&w.cond);
        self.in_loop(w.label.as_ref(), |c| c.visit_block(&w.body));
    }

    fn visit_expr_for_loop(&mut self, f: &'ast syn::ExprForLoop) {
        self.visit_expr(&f.expr);
        self.in_loop(f.label.as_ref(), |c| c.visit_block(&f.body));
    }

    fn visit_expr_loop(&mut self, l: &'ast syn::ExprLoop) {
        self.in_loop(l.label.as_ref(), |c| c.visit_block(&l.body));
    }

    fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}

    fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}

    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

/// A macro that panics ([`apis::PANIC_MACROS`]): the code after it never runs.
fn is_panic_macro(m: &syn::Macro) -> bool {
    m.path
        .segments
        .last()
        .is_some_and(|s| ident_in(&s.ident, apis::PANIC_MACROS))
}

fn has_let(e: &syn::Expr) -> bool {
    match e {
        syn::Expr::Let(_) => true,
        syn::Expr::Binary(b) if matches!(b.op, syn::BinOp::And(_)) => {
            has_let(&b.left) || has_let(&b.right)
        }
        _ => false,
    }
}

impl<'ast> Visit<'ast> for BodyVisitor<'_, '_> {
    fn visit_block(&mut self, b: &'ast syn::Block) {
        let mark = self.guards.mark();
        let overlay_mark = self.env.overlay.len();
        for s in &b.stmts {
            if let syn::Stmt::Item(item) = s {
                self.block_item(item);
            }
        }
        for s in &b.stmts {
            self.visit_stmt(s);
        }
        self.guards.end_scope(mark);
        self.env.overlay.truncate(overlay_mark);
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
            self.guards.forget_bindings(&names);
        }
        let mark = self.guards.mark();
        if let Some(init) = &l.init {
            self.visit_expr(&init.expr);
            if let Some((_, diverge)) = &init.diverge {
                self.visit_expr(diverge);
            }
        }
        self.guards.end_scope(mark);
        let mut names = Vec::new();
        pat_idents(&l.pat, &mut names);
        let mut local = Local {
            loops: self.work.loops(),
            ..Local::default()
        };
        let ident_pat = match &l.pat {
            syn::Pat::Type(pt) => &*pt.pat,
            p => p,
        };
        if let (syn::Pat::Ident(pi), Some(init)) = (ident_pat, &l.init) {
            // `let n = (flags & 0x03) + 1;`: an immutable integer with a bound keeps it.
            if pi.mutability.is_none() && pi.by_ref.is_none() && init.diverge.is_none() {
                local.bound = work::upper_bound(&init.expr, &|id| self.bound_of(id));
            }
            // `let mut rcon = 0;`: its value until written (see `work::counted_trips`).
            if pi.mutability.is_some() && pi.by_ref.is_none() && init.diverge.is_none() {
                local.start = work::int_literal(&init.expr);
            }
            // `let mut lanes = [0u32; 8];`: an array's length never changes.
            if pi.by_ref.is_none() {
                let len = work::array_expr_len(&init.expr, &|id| self.bound_of(id));
                local.bound = local.bound.or(len);
            }
        }
        if let syn::Pat::Type(pt) = &l.pat {
            // `let lanes: [u32; LANES] = ..;`
            let len = work::array_len(&pt.ty, &|id| self.bound_of(id));
            local.bound = local.bound.or(len);
            let ti = self
                .env
                .info
                .classify(&pt.ty, self.env.module, self.env.self_type.as_deref());
            self.emit.type_findings(&ti, pt.ty.span());
            local.ty = ti.outer.clone();
            local.lock = ti
                .lock
                .map(|(desc, is_async)| self.env.held_lock(String::new(), desc, is_async));
        }
        let Some(init) = &l.init else {
            for n in names {
                self.env.locals.insert(n, local.clone());
            }
            return;
        };
        // `let g = m.lock().unwrap();`, or `let g = match m.lock() { Ok(g) => g, Err(p) => p.into_inner() };`
        let bound_guard =
            guard_call(&init.expr).or_else(|| match strip_guard_wrappers(&init.expr) {
                syn::Expr::Match(m) => guard_call(&m.expr),
                _ => None,
            });
        // `let out = stdout().lock();` on a receiver known to hold no lock takes no guard: `out` is typed below.
        let bound_guard = bound_guard.filter(|mc| self.env.guards_from(mc).is_some());
        if let Some(mc) = bound_guard {
            let is_wild = matches!(&l.pat, syn::Pat::Wild(_));
            // A bound `try_lock()` (`let g = m.try_lock();`, `let Ok(g) = .. else`) may hold the guard from
            // here on; its failure branches (`else`, `Err(_)` arms) were visited without it.
            if !is_wild {
                if let Some(mut g) = self
                    .env
                    .guards_from(mc)
                    .filter(|g| !g.is_async || has_await(&init.expr))
                {
                    g.is_async |= has_await(&init.expr);
                    g.shared = ident_in(&mc.method, apis::SHARED_GUARD_METHODS);
                    if unwraps(&init.expr) {
                        // `x.read().unwrap()`: a `LockResult`, so a std lock.
                        g.guessed = None;
                    }
                    self.guards.push_bound(g, names.first().cloned());
                }
            }
            return;
        }
        if let (Some(from), [to]) = (single_ident(&init.expr), names.as_slice()) {
            // `let h = g;`: the guard moves to the new name.
            if self.guards.rebind(&from, to) {
                return;
            }
        }
        if local.ty.is_none() {
            local.ty = self.env.type_of(strip_guard_wrappers(&init.expr));
        }
        if let (Some(elems), syn::Pat::Tuple(t)) =
            (local.ty.as_deref().and_then(tuple_types), &l.pat)
        {
            // `let (tx, rx) = mpsc::channel();`: each name gets its element's type.
            for (p, ty) in t.elems.iter().zip(elems) {
                let mut names = Vec::new();
                pat_idents(p, &mut names);
                for n in names {
                    let local = Local {
                        ty: Some(ty.to_string()),
                        loops: self.work.loops(),
                        ..Local::default()
                    };
                    self.env.locals.insert(n, local);
                }
            }
            return;
        }
        if local.lock.is_none() {
            local.lock = self.env.lock_of(&init.expr);
        }
        // `let it = v.iter().enumerate();`: adaptors on `it` loop.
        local.iter |= self.env.iterates(strip_guard_wrappers(&init.expr));
        // `let mut bytes = r.bytes();` on a reader known only by its trait: its `next` reads.
        local.io |= self.env.reads_opaque_io(strip_guard_wrappers(&init.expr));
        for n in names {
            let mut this = local.clone();
            if let Some(lock) = &mut this.lock {
                if lock.id.is_empty() {
                    lock.id = format!("{}::{}", self.env.fn_path, n);
                }
            }
            self.env.locals.insert(n, this);
        }
    }

    fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
        let syn::Expr::Path(fp) = &*c.func else {
            if self.unsafe_depth > 0 && is_fn_pointer_value(&c.func) {
                // `(self.vk_enumerate)(..)` in unsafe code: an unsafe function pointer, in practice one
                // loaded from a C library. Its time is spent in foreign code, like an `extern` call's.
                self.work.wait();
            }
            visit::visit_expr_call(self, c);
            return;
        };
        if fp
            .path
            .get_ident()
            .is_some_and(|i| self.env.locals.contains_key(&i.to_string()))
        {
            // `f(x)` where `f` is a parameter or local: a closure call, not a function of the package.
            visit::visit_expr_call(self, c);
            return;
        }
        let candidates = self.env.resolve(&fp.path);
        let primary = candidates.first().cloned().unwrap_or_default();
        let raw_drop = fp
            .path
            .get_ident()
            .is_some_and(|i| ident_in(i, apis::DROP_NAMES));
        let found = classify::call(&self.env, &primary);
        if raw_drop || found.contains(&Api::Drop) {
            for a in &c.args {
                self.visit_expr(a);
            }
            if let Some(name) = c.args.first().and_then(single_ident) {
                self.guards.release(&name);
            }
            return;
        }
        let detaches = found.contains(&Api::Detaches);
        // Closures passed to an awaited call (`asyncify(|| ..).await`) run on a blocking pool.
        let awaited = std::ptr::from_ref(c) as usize == self.awaited;
        let sync_context = found.contains(&Api::SyncContext) || awaited;
        // `thread::scope(|s| ..)`: what it spawns is joined before it returns.
        let scope = u32::from(found.contains(&Api::Spawn) && !detaches);
        self.scoped += scope;
        let guards_args = classify::is_lock_constructor(&self.env, &primary);
        let mark = self.lock_ctor_args.len();
        if guards_args {
            let calls = c.args.iter().filter_map(|a| match a {
                syn::Expr::Call(inner) => Some(std::ptr::from_ref(inner) as usize),
                _ => None,
            });
            self.lock_ctor_args.extend(calls);
        }
        for a in &c.args {
            self.visit_moving_arg(a, detaches, sync_context);
        }
        self.lock_ctor_args.truncate(mark);
        self.scoped -= scope;
        let span = fp.path.span();
        self.apply(&found, &primary, span);
        if apis::is_os_api_call(&primary) || apis::THREAD_WAIT_CALLS.contains(&primary.as_str()) {
            // `GetDriveTypeW(..)`, `nix::unistd::read(..)`: the loop around it waits on the system;
            // `thread::yield_now()`, `spin_loop()`: on other threads.
            self.work.wait();
        }
        // `Mutex::new(RefCell::new(..))`: the cell is the lock's, shared and guarded.
        let guarded = self
            .lock_ctor_args
            .contains(&(std::ptr::from_ref(c) as usize));
        for (built, at) in classify::constructions(&self.env, &primary, c, guarded) {
            self.emit.construction(&built, at);
        }
        if candidates.iter().any(|c| apis::is_simd_intrinsic(c)) {
            // `_mm_or_si128(a, b)`, `vaddq_u8(a, b)`: an arithmetic operation (or a load) on a vector.
            self.work.operation();
        }
        if primary == self.env.fn_path {
            self.work.recursion();
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
        let prev_unwrapped = self.unwrapped;
        if name == "unwrap" || name == "expect" {
            if let Some(inner) = guard_call(&mc.receiver) {
                self.unwrapped = std::ptr::from_ref(inner) as usize;
            }
        }
        self.visit_expr(&mc.receiver);
        self.unwrapped = prev_unwrapped;
        let acquired = if argc == 0 && apis::GUARD_METHODS.contains(&name.as_str()) {
            self.acquire(mc)
        } else {
            None
        };
        let awaited = std::ptr::from_ref(mc) as usize == self.awaited;
        // `v.iter().map(..)` loops over `v`; `opt.map(..)` or a parser combinator's `p.map(..)` calls once.
        let is_adaptor = (apis::LOOP_METHODS.contains(&name.as_str())
            && self.env.iterates(&mc.receiver))
            || apis::COLLECTION_LOOP_METHODS.contains(&name.as_str());
        // `cache.get_or_insert_with(|| ..)` on a value from outside the loop runs its closure once.
        let once = apis::ONCE_METHODS
            .contains(&name.as_str())
            .then(|| self.declared_loops(&mc.receiver))
            .flatten();
        let is_spawn = self
            .env
            .apis()
            .any_method_apis(&name, argc)
            .contains(&Api::Detaches);
        if is_adaptor {
            self.work.adaptor_call();
        }
        if apis::CHANNEL_METHODS.contains(&name.as_str())
            || apis::RETRY_METHODS.contains(&name.as_str())
        {
            // Channel traffic or a compare-exchange retry: a loop that sends, receives or retries is
            // dominated by the other threads, not by compute.
            self.work.wait();
        }
        if let Some(loops) = once {
            self.work.enter_once(loops);
        }
        // `JOBSERVER.get_or_init(|| ..)`: a static's initialiser runs once per process.
        let static_once = once.is_some() && self.is_static(&mc.receiver);
        self.once += u32::from(static_once);
        for a in &mc.args {
            if is_adaptor {
                let prev = self.adaptor_closure;
                self.adaptor_closure = Some(work::for_trips(&mc.receiver, &|id| self.bound_of(id)));
                self.visit_arg(a, false, false);
                self.adaptor_closure = prev;
            } else {
                self.scoped_spawn = is_spawn && self.scoped > 0;
                self.visit_moving_arg(a, is_spawn, is_spawn);
                self.scoped_spawn = false;
            }
        }
        if once.is_some() {
            self.work.leave_loop();
        }
        self.once -= u32::from(static_once);
        let non_blocking = std::ptr::from_ref(mc) as usize == self.would_block;
        let (mut found, what) = classify::method(&self.env, mc, awaited, non_blocking);
        let handed_on = self.handed_on.contains(&(std::ptr::from_ref(mc) as usize));
        if (self.builds_par_iter || handed_on) && apis::PAR_ITER_BUILDERS.contains(&name.as_str()) {
            // `self.table.into_par_iter()` inside `fn into_par_iter`, or `Iter { inner: v.par_iter() }`:
            // building the iterator runs nothing; whoever drives it does.
            found.retain(|a| *a != Api::Spawn);
        }
        self.apply(&found, &what, mc.method.span());
        if ident_in(&mc.method, apis::IO_TRAIT_METHODS) && self.env.is_opaque_io(&mc.receiver) {
            // `self.inner.read(buf)` with `inner: R`, `R: Read`: as far as the syntax tells, a file or a
            // socket: the loop around it may wait on I/O (no `io` site: it may as well be a slice).
            self.work.may_wait();
        }
        if self.work.in_loop() && apis::is_arith_method(&name) {
            self.work.operation();
        }
        let receiver_is_self = single_ident(strip_refs(&mc.receiver)).as_deref() == Some("self");
        let receiver_type = if receiver_is_self {
            None
        } else {
            self.env.type_of(&mc.receiver)
        };
        if receiver_type
            .as_deref()
            .is_some_and(|t| t.starts_with("std::") || self.env.apis().is_known(t))
        {
            // A method of a std or table type (`self.0.lock()` on a `std::sync::Mutex` field) is not a
            // function of the package, even when a package type of the same name has one.
            return;
        }
        let self_type = if receiver_is_self {
            self.env.self_type.clone()
        } else {
            receiver_type.and_then(|t| t.rsplit("::").next().map(str::to_string))
        };
        if receiver_is_self && Some(&name) == Some(&self.out.name) {
            self.work.recursion();
        }
        if acquired.as_ref().is_some_and(|l| l.guessed.is_none()) {
            // A guard acquisition on a lock (its type, its name or an unwrapped `LockResult` says so) is the
            // lock's method, not a same-named method of the package (`prompt.read().unwrap()` vs `Term::read`).
            return;
        }
        self.record_call(
            CallTarget::Method {
                name,
                self_type,
                on_self: receiver_is_self,
            },
            mc.method.span(),
        );
        if let (Some(lock), Some(call)) = (acquired, self.out.calls.last_mut()) {
            // `x.read()` taken for a lock by its name: either it is one, and no package method runs, or it is
            // the package method, and no guard is held; either way not a guard held across its own call.
            call.held.retain(|h| h.id != lock.id);
        }
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
        let adaptor = self.adaptor_closure.take();
        if let Some(trips) = adaptor {
            self.work.enter_adaptor(trips);
        }
        let in_async = self.in_async;
        if c.asyncness.is_some() {
            self.in_async = true;
        }
        // A `move` closure runs later or elsewhere: the enclosing guards are not held in it.
        let entered = self.guards.enter(c.capture.is_some());
        self.visit_own_body(|v| v.with_temp_scope(|v| v.visit_expr(&c.body)));
        self.guards.leave(entered);
        self.in_async = in_async;
        if adaptor.is_some() {
            self.work.leave_loop();
        }
    }

    fn visit_expr_async(&mut self, a: &'ast syn::ExprAsync) {
        let in_async = self.in_async;
        let entered = self.guards.enter(true);
        self.in_async = true;
        self.visit_own_body(|v| v.visit_block(&a.block));
        self.guards.leave(entered);
        self.in_async = in_async;
    }

    fn visit_expr_if(&mut self, i: &'ast syn::ExprIf) {
        let mark = self.guards.mark();
        if let Some((mc, scrutinee, pat)) = try_success(&i.cond) {
            // `if let Ok(g) = m.try_lock() { .. } else { .. }`: the guard lives in the success branch only.
            self.visit_expr(scrutinee);
            self.push_try_guard(mc, scrutinee, pat);
            let mut arms = self.work.enter_branches();
            let exit = self.exit_target(&i.then_branch);
            self.visit_branch(exit, |v| v.visit_block(&i.then_branch));
            self.work.end_arm(&mut arms);
            self.guards.end_scope(mark);
            if let Some((_, e)) = &i.else_branch {
                self.visit_else(e);
            }
            self.work.end_arm(&mut arms);
            self.work.leave_branches(arms);
            self.guards.end_scope(mark);
            return;
        }
        // One branch runs: the work is the heavier one's (see `work`).
        let mut arms;
        let exit = self.exit_target(&i.then_branch);
        if self.visit_cond(&i.cond) {
            self.visit_expr(&i.cond);
            arms = self.work.enter_branches();
            self.visit_branch(exit, |v| v.visit_block(&i.then_branch));
            if self.edition >= Edition::E2024 {
                self.guards.end_scope(mark);
            }
        } else {
            self.with_temp_scope(|v| v.visit_expr(&i.cond));
            arms = self.work.enter_branches();
            self.visit_branch(exit, |v| v.visit_block(&i.then_branch));
        }
        self.work.end_arm(&mut arms);
        if let Some((_, e)) = &i.else_branch {
            self.visit_else(e);
        }
        self.work.end_arm(&mut arms);
        self.work.leave_branches(arms);
        if self.edition >= Edition::E2024 {
            self.guards.end_scope(mark);
        }
    }

    fn visit_expr_while(&mut self, w: &'ast syn::ExprWhile) {
        let mark = self.guards.mark();
        if self.visit_cond(&w.cond) {
            self.visit_expr(&w.cond);
        } else {
            self.with_temp_scope(|v| v.visit_expr(&w.cond));
        }
        let trips = work::fewer(
            work::while_trips(&w.cond, &w.body, &|id| self.bound_of(id)),
            self.counted_trips(&w.body),
        );
        self.visit_loop(w.label.as_ref(), trips, |v| v.visit_block(&w.body));
        self.guards.end_scope(mark);
    }

    fn visit_expr_for_loop(&mut self, f: &'ast syn::ExprForLoop) {
        self.visit_expr(&f.expr);
        let trips = work::for_trips(&f.expr, &|id| self.bound_of(id));
        self.visit_loop(f.label.as_ref(), trips, |v| {
            if v.env.reads_opaque_io(&f.expr) {
                // `for line in reader.lines()` on a reader known only by its trait: each turn may wait.
                v.work.may_wait();
            }
            // `for x in rx` / `for x in &rx` on a blocking receiver waits for every message.
            if let Some(ty) = v.env.type_of(strip_refs(&f.expr)) {
                // Iterating it is what its `iter()` does.
                let found = v.env.apis().typed_method_apis(&ty, "iter");
                v.apply(&found, &format!("{ty}::iter"), f.expr.span());
            }
            v.visit_block(&f.body);
        });
    }

    fn visit_expr_loop(&mut self, l: &'ast syn::ExprLoop) {
        let trips = self.counted_trips(&l.body);
        self.visit_loop(l.label.as_ref(), trips, |v| v.visit_block(&l.body));
    }

    fn visit_expr_match(&mut self, m: &'ast syn::ExprMatch) {
        let prev = self.would_block;
        if let (syn::Expr::MethodCall(mc), true) = (&*m.expr, handles_would_block(&m.arms)) {
            // `match file.read(..) { Err(e) if e.kind() == WouldBlock => .., .. }`: a non-blocking read.
            self.would_block = std::ptr::from_ref(mc) as usize;
        }
        self.visit_expr(&m.expr);
        self.would_block = prev;
        // `match m.try_lock() { Ok(g) => .., Err(_) => .. }`: only the success arms hold the guard.
        let tried = guard_call(&m.expr).filter(|mc| ident_in(&mc.method, apis::TRY_GUARD_METHODS));
        // One arm runs: the work is the heaviest arm's (see `work`).
        let mut arms = self.work.enter_branches();
        for arm in &m.arms {
            self.with_temp_scope(|v| {
                if let Some(mc) = tried.filter(|_| is_success_pat(&arm.pat)) {
                    v.push_try_guard(mc, &m.expr, &arm.pat);
                }
                if let Some((_, g)) = &arm.guard {
                    v.visit_expr(g);
                }
                let exit = v.exit_of(&arm.body);
                v.visit_branch(exit, |v| v.visit_expr(&arm.body));
            });
            self.work.end_arm(&mut arms);
        }
        self.work.leave_branches(arms);
    }

    fn visit_expr_binary(&mut self, b: &'ast syn::ExprBinary) {
        if is_arith(&b.op) {
            self.work.operation();
        }
        if work::is_compound_assign(&b.op) {
            self.written(&b.left);
        }
        self.visit_expr(&b.left);
        if matches!(b.op, syn::BinOp::And(_) | syn::BinOp::Or(_)) {
            self.with_temp_scope(|v| v.visit_expr(&b.right));
        } else {
            self.visit_expr(&b.right);
        }
    }

    fn visit_expr_cast(&mut self, c: &'ast syn::ExprCast) {
        self.work.operation();
        visit::visit_expr_cast(self, c);
    }

    fn visit_expr_index(&mut self, i: &'ast syn::ExprIndex) {
        self.work.operation();
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
        if self.env.locals.contains_key(&name) {
            return;
        }
        // Foreign statics (`extern { static mut environ: .. }`) are named in lower case.
        let foreign = self.unsafe_depth > 0 && !is_static_name(&name);
        if is_static_name(&name) || foreign {
            let full = self.env.resolve(&p.path).into_iter().next();
            let full = full.filter(|f| !foreign || self.env.info.statics.contains_key(f));
            if let Some(full) = full {
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

    fn visit_expr_return(&mut self, r: &'ast syn::ExprReturn) {
        // `return Some(g);` hands the guard to the caller on this path only: the code after the `return`
        // (reached on other paths) still holds it.
        let alive = self.guards.snapshot();
        if let Some(e) = &r.expr {
            self.hand_on(e);
            self.visit_expr(e);
        }
        self.guards.restore(&alive);
    }

    fn visit_expr_struct(&mut self, s: &'ast syn::ExprStruct) {
        // `Holder { guard: g }` stores the guard away: it is no longer held here.
        for f in &s.fields {
            self.hand_on(&f.expr);
            self.visit_moving_arg(&f.expr, false, false);
        }
        if let Some(rest) = &s.rest {
            self.visit_expr(rest);
        }
    }

    fn visit_expr_assign(&mut self, a: &'ast syn::ExprAssign) {
        // `self.guard = g;` stores the guard away.
        self.written(&a.left);
        self.visit_expr(&a.left);
        self.visit_moving_arg(&a.right, false, false);
    }

    fn visit_expr_reference(&mut self, r: &'ast syn::ExprReference) {
        if r.mutability.is_some() {
            self.written(&r.expr);
        }
        visit::visit_expr_reference(self, r);
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
