//! Checks that a declared `setup`/`run` path names a `pub fn` of the library with a fitting signature,
//! by walking the library's module tree (parsed with syn) from its root file.

use std::path::Path;

use syn::{FnArg, Item, ReturnType, Visibility};

use super::project::LibTarget;
use crate::discover::modtree::{self, ModDecl, ModuleFile};
use crate::error::{Error, Result};

/// What the function is declared as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// `pub fn() -> S`
    Setup,
    /// `pub fn(usize) -> R` or `pub async fn(usize) -> R`
    Run,
    /// `pub fn(&S, usize) -> R` or `pub async fn(&S, usize) -> R`
    RunWithSetup,
}

impl Role {
    fn key(self) -> &'static str {
        match self {
            Role::Setup => "setup",
            Role::Run | Role::RunWithSetup => "run",
        }
    }
    fn wanted(self) -> &'static str {
        match self {
            Role::Setup => "pub fn() -> S",
            Role::Run => "pub fn(job: usize) -> R or pub async fn(job: usize) -> R (R: Debug)",
            Role::RunWithSetup => {
                "pub fn(input: &S, job: usize) -> R or pub async fn(input: &S, job: usize) -> R (R: Debug), \
                 S being what setup returns"
            }
        }
    }
}

/// A checked declaration: the path where the function really is (through `pub use` re-exports), and a
/// warning when part of the path could not be followed (the compiler checks it when the harness is built).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub resolved: String,
    pub warning: Option<String>,
    /// The function is an `async fn` (a `run` only: its jobs are futures, run as tasks too).
    pub is_async: bool,
}

/// Why a path does not check: not found (a re-export may still lead somewhere the checker cannot see), or
/// found and wrong.
enum Problem {
    NotFound(Error),
    Bad(Error),
}

/// Re-exports followed at most this deep.
const MAX_HOPS: usize = 8;

/// Checks `path` (already starting with the crate name) for `role`.
pub fn check(lib: &LibTarget, path: &str, role: Role, ctx: &str) -> Result<Checked> {
    match check_at(lib, path, path, role, ctx, 0) {
        Ok(c) => Ok(c),
        Err(Problem::NotFound(e) | Problem::Bad(e)) => Err(e),
    }
}

fn check_at(
    lib: &LibTarget,
    declared: &str,
    path: &str,
    role: Role,
    ctx: &str,
    hops: usize,
) -> std::result::Result<Checked, Problem> {
    let key = role.key();
    let krate = &lib.crate_name;
    let segments: Vec<&str> = path.split("::").skip(1).collect();
    let Some((fn_name, modules)) = segments.split_last() else {
        return Err(Problem::Bad(Error::usage(format!(
            "{ctx}: {key} = \"{declared}\" names no function"
        ))));
    };
    let through = |items: &[Item],
                   name: &str,
                   at: &[String]|
     -> Option<std::result::Result<Checked, Problem>> {
        let targets = reexport_targets(items, name, krate, at);
        if targets.is_empty() {
            return None;
        }
        let rest = &segments[at.len() + 1..];
        let mut last = None;
        for t in targets {
            let next = [t, rest.iter().map(|s| s.to_string()).collect()]
                .concat()
                .join("::");
            if hops >= MAX_HOPS || next == path {
                break;
            }
            match check_at(lib, declared, &next, role, ctx, hops + 1) {
                Err(Problem::NotFound(_)) => last = Some(next),
                other => return Some(other),
            }
        }
        // A re-export of something outside the crate (or too deep): the compiler will check it.
        Some(Ok(Checked {
            resolved: last.unwrap_or_else(|| path.to_string()),
            warning: Some(format!(
                "{ctx}: {key} = \"{declared}\" goes through a `pub use` of `{name}` that cargo-concur cannot \
                 follow into this crate's source; the compiler will check it (and it is run as a plain, not \
                 an async, function)"
            )),
            is_async: false,
        }))
    };
    // The file being walked, and the inline modules entered in it since (the module tree rules are
    // `discover::modtree`'s).
    let mut current = ModuleFile {
        path: lib.src_path.clone(),
        module_path: Vec::new(),
        mod_rs: true,
    };
    let mut inline: Vec<String> = Vec::new();
    let mut at: Vec<String> = Vec::new();
    let mut items = with_macro_items(read_items(&current.path, ctx).map_err(Problem::Bad)?);
    for (depth, module) in modules.iter().enumerate() {
        let found = items.iter().find_map(|i| match i {
            Item::Mod(m) if m.ident == module => Some(m.clone()),
            _ => None,
        });
        let Some(m) = found else {
            if depth + 1 == modules.len() && names_type(&items, module) {
                return associated(&items, module, fn_name, declared, role, ctx, path);
            }
            if let Some(r) = through(&items, module, &at) {
                return r;
            }
            return Err(Problem::NotFound(Error::usage(format!(
                "{ctx}: {key} = \"{declared}\": no module `{module}` in `{}`; fix the path",
                prefix(path, depth + 1)
            ))));
        };
        // Through a re-export, the `pub use` is what makes the item reachable.
        if hops == 0 && !matches!(m.vis, Visibility::Public(_)) {
            return Err(Problem::Bad(Error::usage(format!(
                "{ctx}: {key} = \"{declared}\": module `{module}` is not `pub`; make it `pub mod {module}` or \
                 re-export the function"
            ))));
        }
        at.push(module.to_string());
        match m.content {
            Some((_, inner)) => {
                items = with_macro_items(inner);
                inline.push(module.to_string());
            }
            None => {
                let decl = ModDecl {
                    name: module.to_string(),
                    inline: std::mem::take(&mut inline),
                    path_attr: modtree::path_attr(&m.attrs),
                };
                let Some(next) = modtree::children(&current, &[decl]).into_iter().next() else {
                    return Err(Problem::Bad(Error::usage(format!(
                        "{ctx}: {key} = \"{declared}\": cannot find the file of module `{module}`"
                    ))));
                };
                items = with_macro_items(read_items(&next.path, ctx).map_err(Problem::Bad)?);
                current = next;
            }
        }
    }
    let function = items.iter().find_map(|i| match i {
        Item::Fn(f) if f.sig.ident == fn_name => Some(f.clone()),
        _ => None,
    });
    let Some(f) = function else {
        if let Some(r) = through(&items, fn_name, &at) {
            return r;
        }
        return Err(Problem::NotFound(Error::usage(format!(
            "{ctx}: {key} = \"{declared}\": no function `{fn_name}` in `{}`; declare `{}` there or fix the path",
            prefix(path, modules.len() + 1),
            role.wanted()
        ))));
    };
    if !matches!(f.vis, Visibility::Public(_)) {
        return Err(Problem::Bad(Error::usage(format!(
            "{ctx}: {key} = \"{declared}\": `{fn_name}` is not `pub`; declare it `pub fn {fn_name}`"
        ))));
    }
    signature(&f.sig, declared, role, ctx)?;
    Ok(Checked {
        resolved: path.to_string(),
        warning: None,
        is_async: f.sig.asyncness.is_some(),
    })
}

/// `Type::function`: an associated function of an inherent `impl` in the same module is called as it is;
/// a method (it takes `self`) cannot be.
fn associated(
    items: &[Item],
    ty: &str,
    fn_name: &str,
    declared: &str,
    role: Role,
    ctx: &str,
    path: &str,
) -> std::result::Result<Checked, Problem> {
    let key = role.key();
    let found = items.iter().find_map(|i| match i {
        Item::Impl(imp) if imp.trait_.is_none() && self_type_is(&imp.self_ty, ty) => {
            imp.items.iter().find_map(|it| match it {
                syn::ImplItem::Fn(f) if f.sig.ident == fn_name => Some(f.clone()),
                _ => None,
            })
        }
        _ => None,
    });
    let wrap = format!(
        "wrap it in a `pub fn` of a module, e.g. `pub fn {fn_name}_job({}) -> R {{ ... {ty}::{fn_name}(...) }}`, \
         and name that",
        match role {
            Role::Setup => "",
            Role::Run => "job: usize",
            Role::RunWithSetup => "input: &S, job: usize",
        }
    );
    let Some(f) = found else {
        return Err(Problem::NotFound(Error::usage(format!(
            "{ctx}: {key} = \"{declared}\": `{ty}` is a type, and no `impl {ty}` in its module has a function \
             `{fn_name}`; {wrap}"
        ))));
    };
    if f.sig.inputs.iter().any(|a| matches!(a, FnArg::Receiver(_))) {
        return Err(Problem::Bad(Error::usage(format!(
            "{ctx}: {key} = \"{declared}\": `{ty}::{fn_name}` is a method (it takes `self`); {wrap}"
        ))));
    }
    if !matches!(f.vis, Visibility::Public(_)) {
        return Err(Problem::Bad(Error::usage(format!(
            "{ctx}: {key} = \"{declared}\": `{ty}::{fn_name}` is not `pub`; declare it `pub fn {fn_name}`"
        ))));
    }
    signature(&f.sig, declared, role, ctx)?;
    Ok(Checked {
        resolved: path.to_string(),
        warning: None,
        is_async: f.sig.asyncness.is_some(),
    })
}

fn self_type_is(ty: &syn::Type, name: &str) -> bool {
    match ty {
        syn::Type::Path(p) => p.path.segments.last().is_some_and(|s| s.ident == name),
        _ => false,
    }
}

/// A struct, enum, union, type alias or trait named `name` in `items`.
fn names_type(items: &[Item], name: &str) -> bool {
    items.iter().any(|i| match i {
        Item::Struct(s) => s.ident == name,
        Item::Enum(e) => e.ident == name,
        Item::Union(u) => u.ident == name,
        Item::Type(t) => t.ident == name,
        Item::Trait(t) => t.ident == name,
        _ => false,
    })
}

/// `Rc<...>`: the first type in `ty` that keeps a value from being shared between threads.
fn not_sync(ty: &syn::Type) -> Option<&'static str> {
    use quote::ToTokens;
    let tokens: Vec<String> = ty
        .to_token_stream()
        .into_iter()
        .map(|t| t.to_string())
        .collect();
    for (i, t) in tokens.iter().enumerate() {
        let name = match t.as_str() {
            "Rc" => "Rc",
            "RefCell" => "RefCell",
            "Cell" => "Cell",
            "UnsafeCell" => "UnsafeCell",
            "OnceCell" => "OnceCell",
            "Receiver" => "Receiver",
            "*" if tokens
                .get(i + 1)
                .is_some_and(|n| n == "const" || n == "mut") =>
            {
                "a raw pointer"
            }
            _ => continue,
        };
        return Some(name);
    }
    None
}

/// `Rc<...>`, a raw pointer, a lock guard: the first type in `ty` that keeps a value from moving to another
/// thread (a result made on a worker thread goes back to whoever asked for it). `Cell`/`RefCell` move fine.
fn not_send(ty: &syn::Type) -> Option<&'static str> {
    use quote::ToTokens;
    let text = ty.to_token_stream().to_string();
    if ["MutexGuard", "RwLockReadGuard", "RwLockWriteGuard"]
        .iter()
        .any(|g| text.contains(g))
    {
        return Some("a lock guard");
    }
    not_sync(ty).filter(|what| matches!(*what, "Rc" | "a raw pointer"))
}

/// A reference or lifetime in a result type that is not `'static`: the result borrows from an input.
fn borrows(ty: &syn::Type) -> bool {
    use quote::ToTokens;
    let tokens: Vec<proc_macro2::TokenTree> = ty.to_token_stream().into_iter().collect();
    fn walk(ts: &[proc_macro2::TokenTree]) -> bool {
        for (i, t) in ts.iter().enumerate() {
            match t {
                proc_macro2::TokenTree::Punct(p) if p.as_char() == '&' => {
                    // `&'static T` is owned data for this purpose.
                    let next_is_static = matches!(ts.get(i + 1), Some(proc_macro2::TokenTree::Punct(q)) if q.as_char() == '\'')
                        && matches!(ts.get(i + 2), Some(proc_macro2::TokenTree::Ident(id)) if id == "static");
                    if !next_is_static {
                        return true;
                    }
                }
                proc_macro2::TokenTree::Punct(p) if p.as_char() == '\'' => {
                    let is_static = matches!(ts.get(i + 1), Some(proc_macro2::TokenTree::Ident(id)) if id == "static");
                    if !is_static {
                        return true;
                    }
                }
                proc_macro2::TokenTree::Group(g) => {
                    let inner: Vec<proc_macro2::TokenTree> = g.stream().into_iter().collect();
                    if walk(&inner) {
                        return true;
                    }
                }
                _ => {}
            }
        }
        false
    }
    walk(&tokens)
}

fn type_text(ty: &syn::Type) -> String {
    use quote::ToTokens;
    ty.to_token_stream()
        .to_string()
        .replace(" < ", "<")
        .replace(" >", ">")
        .replace("< ", "<")
        .replace(" ,", ",")
        .replace("& ", "&")
        .replace(" :: ", "::")
}

/// Checks a function's signature against its role; each message says what to write instead.
fn signature(
    sig: &syn::Signature,
    declared: &str,
    role: Role,
    ctx: &str,
) -> std::result::Result<(), Problem> {
    let key = role.key();
    let bad = |p: String| {
        Err(Problem::Bad(Error::usage(format!(
            "{ctx}: {key} = \"{declared}\": {p}"
        ))))
    };
    let wanted = role.wanted();
    let is_async = sig.asyncness.is_some();
    if is_async && role == Role::Setup {
        return bad(
            "it is `async`: setup runs once, before any runtime exists; make it a plain fn (block on what it \
             awaits inside it)"
                .to_string(),
        );
    }
    if !is_async && returns_impl_future(sig) {
        return bad(
            "it returns `impl Future` from a plain fn; declare it `pub async fn` so that cargo-concur runs its \
             jobs as tasks"
                .to_string(),
        );
    }
    if !sig
        .generics
        .params
        .iter()
        .all(|p| matches!(p, syn::GenericParam::Lifetime(_)))
    {
        return bad(format!(
            "it is generic; the signature must be `{wanted}` with concrete types"
        ));
    }
    if sig.inputs.iter().any(|a| matches!(a, FnArg::Receiver(_))) {
        return bad(format!(
            "it takes `self`; wrap the call in a `pub fn` with the signature `{wanted}`"
        ));
    }
    let n = sig.inputs.len();
    let want = match role {
        Role::Setup => 0,
        Role::Run => 1,
        Role::RunWithSetup => 2,
    };
    if n != want {
        let s = if n == 1 { "" } else { "s" };
        if role == Role::Run && n == 2 {
            return bad(
                "it takes 2 parameters, but the workload has no `setup`: add setup = \"mycrate::make_input\" \
                 naming a `pub fn() -> S` that builds the first parameter's value once; `run` is then \
                 `pub fn(input: &S, job: usize) -> R`"
                    .to_string(),
            );
        }
        if role == Role::RunWithSetup && n == 1 {
            return bad(
                "it takes 1 parameter, but the workload has a `setup`: take the setup value first, \
                 `pub fn(input: &S, job: usize) -> R`, or remove `setup`"
                    .to_string(),
            );
        }
        return bad(format!(
            "it takes {n} parameter{s}; the signature must be `{wanted}`"
        ));
    }
    let typed: Vec<&syn::PatType> = sig
        .inputs
        .iter()
        .filter_map(|a| match a {
            FnArg::Typed(t) => Some(t),
            FnArg::Receiver(_) => None,
        })
        .collect();
    if role == Role::RunWithSetup && !matches!(*typed[0].ty, syn::Type::Reference(_)) {
        return bad(format!(
            "its first parameter is `{}`, not a reference to the setup value; write `input: &{}`",
            type_text(&typed[0].ty),
            type_text(&typed[0].ty)
        ));
    }
    if let Some(job) = typed.last().filter(|_| role != Role::Setup) {
        let is_usize =
            matches!(&*job.ty, syn::Type::Path(p) if p.qself.is_none() && p.path.is_ident("usize"));
        if !is_usize {
            return bad(format!(
                "its job parameter is `{}`, but job ids are `usize`: write `job: usize` (and convert inside, \
                 e.g. `job as u64`)",
                type_text(&job.ty)
            ));
        }
    }
    match (&sig.output, role) {
        (ReturnType::Default, Role::Setup) => {
            return bad(format!(
                "it returns nothing; setup returns the value the jobs share: `{wanted}`"
            ))
        }
        (ReturnType::Type(_, ty), Role::Setup) => {
            if let Some(what) = not_sync(ty) {
                return bad(format!(
                    "it returns `{}`, which holds {what} and is not `Sync`, but threads share the setup value: \
                     use `Arc` instead of `Rc`, `Mutex`, `RwLock` or atomics instead of `RefCell`/`Cell`",
                    type_text(ty)
                ));
            }
        }
        (ReturnType::Type(_, ty), Role::RunWithSetup | Role::Run) => {
            if let Some(what) = not_send(ty) {
                return bad(format!(
                    "it returns `{}`, which holds {what} and is not `Send`, but a job's result goes back from \
                     the thread that computed it: return owned, thread-safe data (`Arc` instead of `Rc`, an \
                     index or a copy instead of a pointer or a guard)",
                    type_text(ty)
                ));
            }
            if borrows(ty) {
                return bad(format!(
                    "it returns `{}`, a borrow (of the setup value or the job's data), but results must be \
                     owned: return e.g. `String` instead of `&str`, `Vec<T>` instead of `&[T]` (`.to_owned()`)",
                    type_text(ty)
                ));
            }
        }
        _ => {}
    }
    Ok(())
}

/// `-> impl Future<...>` (a future built by hand instead of `async fn`).
fn returns_impl_future(sig: &syn::Signature) -> bool {
    let ReturnType::Type(_, ty) = &sig.output else {
        return false;
    };
    let syn::Type::ImplTrait(t) = &**ty else {
        return false;
    };
    t.bounds.iter().any(|b| match b {
        syn::TypeParamBound::Trait(tb) => {
            tb.path.segments.last().is_some_and(|s| s.ident == "Future")
        }
        _ => false,
    })
}

/// The items plus those declared inside item-position macro calls (`cfg_if! { ... }`).
fn with_macro_items(items: Vec<Item>) -> Vec<Item> {
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        if let Item::Macro(m) = &item {
            if let Some(inner) = crate::parse::macro_items(&m.mac.tokens) {
                out.extend(with_macro_items(inner));
            }
        }
        out.push(item);
    }
    out
}

fn prefix(path: &str, segments: usize) -> String {
    path.split("::")
        .take(segments)
        .collect::<Vec<_>>()
        .join("::")
}

fn read_items(file: &Path, ctx: &str) -> Result<Vec<Item>> {
    let text = crate::discover::read_source(file).map_err(|e| {
        Error::usage(format!(
            "{ctx}: {}:{}:{}: {}",
            file.display(),
            e.line,
            e.column,
            e.message
        ))
    })?;
    crate::parse::parse_source(&text)
        .map(|f| f.items)
        .map_err(|e| {
            Error::usage(format!(
                "{ctx}: {}:{}:{}: does not parse: {}",
                file.display(),
                e.line,
                e.column,
                e.message
            ))
        })
}

/// Where the `pub use` items of a module at `at` (module path below the crate root) take `name` from, as
/// absolute paths starting with the crate name (by name, rename or glob; `crate::`, `self::`, `super::` and
/// paths relative to the module).
fn reexport_targets(items: &[Item], name: &str, krate: &str, at: &[String]) -> Vec<Vec<String>> {
    fn walk(t: &syn::UseTree, name: &str, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
        match t {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                walk(&p.tree, name, prefix, out);
                prefix.pop();
            }
            syn::UseTree::Name(n) if n.ident == name => {
                out.push([prefix.clone(), vec![name.to_string()]].concat())
            }
            syn::UseTree::Rename(r) if r.rename == name => {
                out.push([prefix.clone(), vec![r.ident.to_string()]].concat())
            }
            syn::UseTree::Glob(_) => out.push([prefix.clone(), vec![name.to_string()]].concat()),
            syn::UseTree::Group(g) => {
                for t in &g.items {
                    walk(t, name, prefix, out);
                }
            }
            _ => {}
        }
    }
    let mut raw = Vec::new();
    for i in items {
        if let Item::Use(u) = i {
            if matches!(u.vis, Visibility::Public(_)) {
                walk(&u.tree, name, &mut Vec::new(), &mut raw);
            }
        }
    }
    raw.into_iter()
        .filter_map(|segs| {
            let mut base: Vec<String> = at.to_vec();
            let mut rest = segs.as_slice();
            match rest.first().map(String::as_str) {
                Some("crate") => {
                    base.clear();
                    rest = &rest[1..];
                }
                Some(first) if first == krate => {
                    base.clear();
                    rest = &rest[1..];
                }
                Some("self") => rest = &rest[1..],
                _ => {}
            }
            while rest.first().is_some_and(|s| s == "super") {
                base.pop()?;
                rest = &rest[1..];
            }
            Some(
                std::iter::once(krate.to_string())
                    .chain(base)
                    .chain(rest.iter().cloned())
                    .collect(),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lib_with(files: &[(&str, &str)]) -> (tempdir::Dir, LibTarget) {
        let dir = tempdir::Dir::new();
        for (name, text) in files {
            let p = dir.path().join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        let lib = LibTarget {
            crate_name: "demo".into(),
            src_path: dir.path().join("lib.rs"),
        };
        (dir, lib)
    }

    /// A directory under the system temp dir, removed on drop.
    mod tempdir {
        pub struct Dir(std::path::PathBuf);
        impl Dir {
            pub fn new() -> Dir {
                use std::sync::atomic::{AtomicUsize, Ordering};
                static N: AtomicUsize = AtomicUsize::new(0);
                let p = std::env::temp_dir().join(format!(
                    "concur-sig-{}-{}",
                    std::process::id(),
                    N.fetch_add(1, Ordering::SeqCst)
                ));
                std::fs::create_dir_all(&p).unwrap();
                Dir(p)
            }
            pub fn path(&self) -> &std::path::Path {
                &self.0
            }
        }
        impl Drop for Dir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
    }

    #[test]
    fn finds_functions_in_file_and_inline_modules() {
        let (_d, lib) = lib_with(&[
            (
                "lib.rs",
                "pub mod a; pub mod b { pub fn run(x: &Vec<u8>, j: usize) -> u8 { 0 } }\n\
                 pub fn setup() -> Vec<u8> { vec![] }\npub fn plain(j: usize) -> usize { j }",
            ),
            ("a/mod.rs", "pub mod c;"),
            ("a/c.rs", "pub fn job(j: usize) -> usize { j }"),
        ]);
        let ok = |path: &str, role: Role| {
            let c = check(&lib, path, role, "w").unwrap();
            assert_eq!((c.resolved.as_str(), c.warning), (path, None));
        };
        ok("demo::a::c::job", Role::Run);
        ok("demo::b::run", Role::RunWithSetup);
        ok("demo::setup", Role::Setup);
        ok("demo::plain", Role::Run);
    }

    #[test]
    fn rejects_wrong_arity_private_and_missing() {
        let (_d, lib) = lib_with(&[(
            "lib.rs",
            "fn private(j: usize) -> usize { j }\npub fn two(a: usize, b: usize) -> usize { a + b }\n\
             mod hidden { pub fn f(j: usize) {} }\npub async fn later(j: usize) {}",
        )]);
        let e = check(&lib, "demo::private", Role::Run, "w").unwrap_err();
        assert!(e.message.contains("not `pub`"), "{}", e.message);
        let e = check(&lib, "demo::two", Role::Run, "w").unwrap_err();
        assert!(e.message.contains("takes 2 parameters"), "{}", e.message);
        let e = check(&lib, "demo::two", Role::RunWithSetup, "w").unwrap_err();
        assert!(e.message.contains("not a reference"), "{}", e.message);
        let e = check(&lib, "demo::nope", Role::Run, "w").unwrap_err();
        assert!(e.message.contains("no function `nope`"), "{}", e.message);
        let e = check(&lib, "demo::hidden::f", Role::Run, "w").unwrap_err();
        assert!(
            e.message.contains("module `hidden` is not `pub`"),
            "{}",
            e.message
        );
        // An async run without setup fits (its jobs become tasks).
        let c = check(&lib, "demo::later", Role::Run, "w").unwrap();
        assert!(c.is_async && c.warning.is_none());
    }

    #[test]
    fn modules_and_functions_inside_cfg_if_are_found() {
        let (_d, lib) = lib_with(&[
            (
                "lib.rs",
                "cfg_if::cfg_if! { if #[cfg(unix)] { pub mod sys; } else { pub mod other; } }",
            ),
            (
                "sys.rs",
                "cfg_if::cfg_if! { if #[cfg(unix)] { pub fn job(j: usize) -> usize { j } } }",
            ),
        ]);
        let c = check(&lib, "demo::sys::job", Role::Run, "w").unwrap();
        assert_eq!(c.warning, None);
    }

    #[test]
    fn reexports_are_followed_to_the_function() {
        let (_d, lib) = lib_with(&[
            (
                "lib.rs",
                "mod inner; mod deep { pub mod more { pub fn f(j: usize) -> usize { j } } }\n\
                 pub use inner::job;\npub use crate::deep::more::f as renamed;\npub use self::deep::more::*;\n\
                 pub mod m { pub use super::inner::bad; }\npub use other_crate::far;",
            ),
            (
                "inner.rs",
                "pub fn job(j: usize) -> usize { j }\npub fn bad(j: u32) -> u32 { j }",
            ),
        ]);
        let c = check(&lib, "demo::job", Role::Run, "w").unwrap();
        assert_eq!(c.resolved, "demo::inner::job");
        assert_eq!(c.warning, None);
        let c = check(&lib, "demo::renamed", Role::Run, "w").unwrap();
        assert_eq!(c.resolved, "demo::deep::more::f");
        assert_eq!(
            check(&lib, "demo::f", Role::Run, "w").unwrap().resolved,
            "demo::deep::more::f"
        );
        // Followed far enough to see the wrong signature.
        let e = check(&lib, "demo::m::bad", Role::Run, "w").unwrap_err();
        assert!(
            e.message.contains("`u32`") && e.message.contains("job: usize"),
            "{}",
            e.message
        );
        // Out of the crate: a warning, the compiler decides.
        let c = check(&lib, "demo::far", Role::Run, "w").unwrap();
        assert!(c.warning.is_some_and(|w| w.contains("pub use")));
    }

    #[test]
    fn associated_functions_are_checked_and_methods_get_a_wrap_message() {
        let (_d, lib) = lib_with(&[(
            "lib.rs",
            "pub mod m { pub struct Index; impl Index { pub fn job(j: usize) -> usize { j } \
             pub fn get(&self, j: usize) -> usize { j } pub fn load() -> Index { Index } } }",
        )]);
        assert_eq!(
            check(&lib, "demo::m::Index::job", Role::Run, "w")
                .unwrap()
                .resolved,
            "demo::m::Index::job"
        );
        assert!(check(&lib, "demo::m::Index::load", Role::Setup, "w").is_ok());
        let e = check(&lib, "demo::m::Index::get", Role::Run, "w").unwrap_err();
        assert!(
            e.message.contains("is a method") && e.message.contains("wrap it in a `pub fn`"),
            "{}",
            e.message
        );
        let e = check(&lib, "demo::m::Index::nope", Role::Run, "w").unwrap_err();
        assert!(e.message.contains("`Index` is a type"), "{}", e.message);
    }

    /// Each wrong signature, with the words of its message that say what to write instead.
    #[test]
    fn wrong_signatures_say_what_to_write() {
        let (_d, lib) = lib_with(&[(
            "lib.rs",
            "use std::rc::Rc; use std::cell::RefCell;\n\
             pub fn small(job: u32) -> u32 { job }\n\
             pub fn rc() -> Rc<Vec<u8>> { Rc::new(vec![]) }\n\
             pub fn cell() -> Vec<RefCell<u8>> { vec![] }\n\
             pub fn raw() -> *const u8 { std::ptr::null() }\n\
             pub fn ok_setup() -> std::sync::Arc<Vec<u8>> { Default::default() }\n\
             pub fn borrow(input: &Vec<String>, job: usize) -> &str { &input[job] }\n\
             pub fn borrow_life<'a>(input: &'a Vec<String>, job: usize) -> Option<&'a String> { input.get(job) }\n\
             pub fn owned(input: &Vec<String>, job: usize) -> &'static str { \"x\" }\n\
             pub fn two(a: &Vec<u8>, job: usize) -> u8 { a[job] }\n\
             pub fn by_value(a: Vec<u8>, job: usize) -> u8 { a[job] }\n\
             pub fn rc_result(job: usize) -> Rc<String> { Rc::new(job.to_string()) }\n\
             pub fn ptr_result(job: usize) -> *const u8 { std::ptr::null() }\n\
             static M: std::sync::Mutex<u8> = std::sync::Mutex::new(0);\n\
             pub fn guard_result(job: usize) -> std::sync::MutexGuard<'static, u8> { M.lock().unwrap_or_else(|e| e.into_inner()) }\n\
             pub fn cell_result(job: usize) -> RefCell<usize> { RefCell::new(job) }",
        )]);
        let check_err = |path: &str, role: Role, words: &[&str]| {
            let e = check(&lib, path, role, "w").unwrap_err();
            for w in words {
                assert!(e.message.contains(w), "{path}: {w:?} not in {}", e.message);
            }
        };
        check_err("demo::small", Role::Run, &["`u32`", "job: usize"]);
        check_err(
            "demo::rc_result",
            Role::Run,
            &[
                "`Rc<String>`",
                "holds Rc",
                "not `Send`",
                "`Arc` instead of `Rc`",
            ],
        );
        check_err(
            "demo::ptr_result",
            Role::Run,
            &["raw pointer", "not `Send`"],
        );
        check_err(
            "demo::guard_result",
            Role::Run,
            &["a lock guard", "not `Send`"],
        );
        // A `RefCell` result is `Send`: it moves to the caller's thread.
        assert!(check(&lib, "demo::cell_result", Role::Run, "w").is_ok());
        check_err(
            "demo::rc",
            Role::Setup,
            &["holds Rc", "not `Sync`", "use `Arc`"],
        );
        check_err("demo::cell", Role::Setup, &["holds RefCell", "Mutex"]);
        check_err("demo::raw", Role::Setup, &["raw pointer"]);
        assert!(check(&lib, "demo::ok_setup", Role::Setup, "w").is_ok());
        check_err(
            "demo::borrow",
            Role::RunWithSetup,
            &["`&str`", "borrow", "`String`"],
        );
        check_err("demo::borrow_life", Role::RunWithSetup, &["borrow"]);
        assert!(check(&lib, "demo::owned", Role::RunWithSetup, "w").is_ok());
        check_err("demo::two", Role::Run, &["no `setup`", "add setup = "]);
        check_err(
            "demo::by_value",
            Role::RunWithSetup,
            &["not a reference", "input: &Vec<u8>"],
        );
    }

    /// (source of lib.rs, path, role, expected: Ok(is_async) or Err(part of the message)).
    fn check_async(src: &str, path: &str, role: Role, expect: std::result::Result<bool, &str>) {
        let (_d, lib) = lib_with(&[("lib.rs", src)]);
        match (check(&lib, path, role, "w"), expect) {
            (Ok(c), Ok(is_async)) => assert_eq!(c.is_async, is_async, "{src}"),
            (Err(e), Err(part)) => assert!(e.message.contains(part), "{src}: {}", e.message),
            (got, want) => panic!("{src}: got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn async_runs_fit_with_and_without_setup_and_misfits_say_why() {
        use Role::*;
        let cases: &[(&str, &str, Role, std::result::Result<bool, &str>)] = &[
            ("pub async fn job(j: usize) -> usize { j }", "demo::job", Run, Ok(true)),
            ("pub fn job(j: usize) -> usize { j }", "demo::job", Run, Ok(false)),
            (
                "pub async fn job(s: &Vec<u8>, j: usize) -> u8 { s[j] }",
                "demo::job",
                RunWithSetup,
                Ok(true),
            ),
            (
                "pub async fn load() -> Vec<u8> { vec![] }",
                "demo::load",
                Setup,
                Err("setup runs once, before any runtime exists"),
            ),
            (
                "pub async fn job(a: usize, b: usize) -> usize { a }",
                "demo::job",
                Run,
                Err("takes 2 parameters, but the workload has no `setup`"),
            ),
            (
                "pub async fn job(s: Vec<u8>, j: usize) -> u8 { 0 }",
                "demo::job",
                RunWithSetup,
                Err("not a reference to the setup value"),
            ),
            (
                "pub async fn job<T: Default>(j: usize) -> usize { j }",
                "demo::job",
                Run,
                Err("it is generic"),
            ),
            (
                "pub fn job(j: usize) -> impl std::future::Future<Output = usize> { async move { j } }",
                "demo::job",
                Run,
                Err("declare it `pub async fn`"),
            ),
        ];
        for (src, path, role, expect) in cases {
            check_async(src, path, *role, *expect);
        }
    }
}
