//! API classification: what a call, a method call or a construction in a body is, according to the API tables
//! (`rules::apis`) and the receiver's inferred type. Answers only; `emit` turns the answers into findings and
//! the body visitor into guard and call-graph facts.

use syn::spanned::Spanned;

use super::infer::{is_ctor_name, Env};
use crate::rules::apis::{Api, TypeKind};

/// The categories of `path` called as a function (resolved path).
pub(super) fn call(env: &Env, path: &str) -> Vec<Api> {
    env.apis()
        .call_apis_in(path, Some(&env.info.ctx.crate_name))
}

/// The categories of a method call, with the name to report it by (`std::fs::File::write_all` when the
/// receiver's type is known, the bare method name otherwise). `awaited`: the call is awaited, so a `recv()`
/// or `read()` is an async one, not blocking. `handles_would_block`: the caller matches the call's result
/// against `WouldBlock`, so on a handle with no timeout ([`apis::NO_TIMEOUT_HANDLES`]) it is non-blocking
/// I/O: an I/O site that does not wait.
pub(super) fn method(
    env: &Env,
    mc: &syn::ExprMethodCall,
    awaited: bool,
    handles_would_block: bool,
) -> (Vec<Api>, String) {
    let apis = env.apis();
    let name = mc.method.to_string();
    let mut found: Vec<Api> = Vec::new();
    let mut what = name.clone();
    let ty = env.type_of(&mc.receiver);
    if let Some(ty) = ty.as_deref().filter(|_| apis.is_typed_method_name(&name)) {
        let typed = apis.typed_method_apis(ty, &name);
        if !typed.is_empty() {
            what = format!("{ty}::{name}");
            found.extend(typed);
        }
    }
    for api in apis.any_method_apis(&name, mc.args.len()) {
        // A receiver of a known type waits only where its type's entries say so: `rx.recv()` on a tokio
        // receiver is async, whatever any-receiver entry matches the name.
        let waits = matches!(api, Api::Recv | Api::Join);
        if waits && ty.is_some() {
            continue;
        }
        if !found.contains(&api) {
            found.push(api);
        }
    }
    if awaited {
        found.retain(|a| !matches!(a, Api::Io | Api::Sleep | Api::Recv | Api::Join));
    }
    let no_timeout = ty
        .as_deref()
        .is_some_and(|t| crate::rules::apis::NO_TIMEOUT_HANDLES.contains(&t));
    if handles_would_block && no_timeout {
        for a in &mut found {
            if *a == Api::Io {
                *a = Api::IoQuick;
            }
        }
    }
    (found, what)
}

/// What `writeln!(out, ..)` is, given its first argument: `out.write_fmt(..)`, I/O when `out` is a file,
/// socket or console.
pub(super) fn write_macro(env: &Env, out: &syn::Expr) -> Option<(Vec<Api>, String)> {
    let ty = env.type_of(out)?;
    let found = env.apis().typed_method_apis(&ty, "write_all");
    Some((found, format!("{ty}::write_fmt")))
}

/// A value built by a constructor call that a rule cares about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Construction {
    /// `Rc::new`, `RefCell::new`...: the type.
    SingleThread(String),
    /// `Arc::new(Mutex::new(..))`: the lock type.
    SharedLock(String),
    /// `Arc::new(AtomicU64::new(..))`: the atomic type.
    SharedAtomic(String),
}

/// True when the resolved path `full` constructs a lock (`std::sync::Mutex::new`).
pub(super) fn is_lock_constructor(env: &Env, full: &str) -> bool {
    full.rsplit_once("::")
        .is_some_and(|(head, last)| is_ctor_name(last) && env.apis().lock_type(head).is_some())
}

/// What the call `call` of the resolved path `full` constructs, with the span to report it at; `in_lock`: the
/// call is a direct argument of a lock's constructor, so a `Send` cell it builds is guarded by that lock.
pub(super) fn constructions(
    env: &Env,
    full: &str,
    call: &syn::ExprCall,
    in_lock: bool,
) -> Vec<(Construction, proc_macro2::Span)> {
    let mut out = Vec::new();
    let Some((head, last)) = full.rsplit_once("::") else {
        return out;
    };
    if !is_ctor_name(last) {
        return out;
    }
    let apis = env.apis();
    let span = call.func.span();
    let guarded = in_lock && crate::rules::apis::SEND_CELLS.contains(&head);
    if apis.is_type(TypeKind::SingleThread, head) && !guarded {
        out.push((Construction::SingleThread(head.to_string()), span));
    }
    if apis.is_shared_owner(head) {
        if let Some(syn::Expr::Call(inner)) = call.args.first() {
            if let syn::Expr::Path(ip) = &*inner.func {
                let inner_full = env.resolve_type(&ip.path);
                if let Some((ihead, ilast)) = inner_full.rsplit_once("::") {
                    if is_ctor_name(ilast) {
                        if apis.lock_type(ihead).is_some() {
                            out.push((Construction::SharedLock(ihead.to_string()), span));
                        } else if apis.is_type(TypeKind::Atomic, ihead) {
                            out.push((Construction::SharedAtomic(ihead.to_string()), span));
                        }
                    }
                }
            }
        }
    }
    out
}
