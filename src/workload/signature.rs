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

/// What the check found out about a declared function that fits.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Checked {
    /// Set when the path goes through a `pub use` the checker cannot follow (the compiler checks it).
    pub warning: Option<String>,
    /// The function is an `async fn` (a `run` only: its jobs are futures, run as tasks too).
    pub is_async: bool,
}

impl Checked {
    fn warn(w: String) -> Checked {
        Checked {
            warning: Some(w),
            is_async: false,
        }
    }
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

/// Checks `path` (already starting with the crate name). A warning when the path goes through a `pub use`
/// the checker cannot follow (the compiler will check it when the harness is built); whether it is async.
pub fn check(lib: &LibTarget, path: &str, role: Role, ctx: &str) -> Result<Checked> {
    let key = role.key();
    let segments: Vec<&str> = path.split("::").skip(1).collect();
    let Some((fn_name, modules)) = segments.split_last() else {
        return Err(Error::usage(format!(
            "{ctx}: {key} = \"{path}\" names no function"
        )));
    };
    // The file being walked, and the inline modules entered in it since (the module tree rules are
    // `discover::modtree`'s).
    let mut current = ModuleFile {
        path: lib.src_path.clone(),
        module_path: Vec::new(),
        mod_rs: true,
    };
    let mut inline: Vec<String> = Vec::new();
    let mut items = with_macro_items(read_items(&current.path, ctx)?);
    for (depth, module) in modules.iter().enumerate() {
        let found = items.iter().find_map(|i| match i {
            Item::Mod(m) if m.ident == module => Some(m.clone()),
            _ => None,
        });
        let Some(m) = found else {
            if reexports(&items, module) {
                return Ok(Checked::warn(format!(
                    "{ctx}: {key} = \"{path}\" goes through a `pub use` of `{module}` that cargo-concur does not \
                     follow; the compiler will check it (and it is run as a plain, not an async, function)"
                )));
            }
            return Err(Error::usage(format!(
                "{ctx}: {key} = \"{path}\": no module `{module}` in `{}`; fix the path",
                prefix(path, depth + 1)
            )));
        };
        if !matches!(m.vis, Visibility::Public(_)) {
            return Err(Error::usage(format!(
                "{ctx}: {key} = \"{path}\": module `{module}` is not `pub`; make it `pub mod {module}` or \
                 re-export the function"
            )));
        }
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
                    return Err(Error::usage(format!(
                        "{ctx}: {key} = \"{path}\": cannot find the file of module `{module}`"
                    )));
                };
                items = with_macro_items(read_items(&next.path, ctx)?);
                current = next;
            }
        }
    }
    let function = items.iter().find_map(|i| match i {
        Item::Fn(f) if f.sig.ident == fn_name => Some(f.clone()),
        _ => None,
    });
    let Some(f) = function else {
        if reexports(&items, fn_name) {
            return Ok(Checked::warn(format!(
                "{ctx}: {key} = \"{path}\" names a `pub use` re-export that cargo-concur does not follow; the \
                 compiler will check it (and it is run as a plain, not an async, function)"
            )));
        }
        return Err(Error::usage(format!(
            "{ctx}: {key} = \"{path}\": no function `{fn_name}` in `{}`; declare `{}` there or fix the path",
            prefix(path, modules.len() + 1),
            role.wanted()
        )));
    };
    if !matches!(f.vis, Visibility::Public(_)) {
        return Err(Error::usage(format!(
            "{ctx}: {key} = \"{path}\": `{fn_name}` is not `pub`; declare it `pub fn {fn_name}`"
        )));
    }
    let sig = &f.sig;
    let is_async = sig.asyncness.is_some();
    let problem = if is_async && role == Role::Setup {
        Some(
            "it is `async`: setup runs once, before any runtime exists; make it a plain fn (block on \
             what it awaits inside it)"
                .to_string(),
        )
    } else if !is_async && returns_impl_future(sig) {
        Some(
            "it returns `impl Future` from a plain fn; declare it `pub async fn` so that cargo-concur runs \
             its jobs as tasks"
                .to_string(),
        )
    } else if !sig
        .generics
        .params
        .iter()
        .all(|p| matches!(p, syn::GenericParam::Lifetime(_)))
    {
        Some("it is generic".to_string())
    } else if sig.inputs.iter().any(|a| matches!(a, FnArg::Receiver(_))) {
        Some("it takes `self`".to_string())
    } else {
        let n = sig.inputs.len();
        let want = match role {
            Role::Setup => 0,
            Role::Run => 1,
            Role::RunWithSetup => 2,
        };
        if n != want {
            Some(format!(
                "it takes {n} parameter{}",
                if n == 1 { "" } else { "s" }
            ))
        } else if role == Role::RunWithSetup && !first_is_reference(sig) {
            Some("its first parameter is not a reference to the setup value".to_string())
        } else if role == Role::Setup && matches!(sig.output, ReturnType::Default) {
            Some("it returns nothing".to_string())
        } else {
            None
        }
    };
    match problem {
        Some(p) => Err(Error::usage(format!(
            "{ctx}: {key} = \"{path}\": {p}; the signature must be `{}`",
            role.wanted()
        ))),
        None => Ok(Checked {
            warning: None,
            is_async,
        }),
    }
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

fn first_is_reference(sig: &syn::Signature) -> bool {
    match sig.inputs.first() {
        Some(FnArg::Typed(t)) => matches!(*t.ty, syn::Type::Reference(_)),
        _ => false,
    }
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

/// True when a `pub use` in `items` may bring `name` into scope (by name, rename or glob).
fn reexports(items: &[Item], name: &str) -> bool {
    fn tree_has(t: &syn::UseTree, name: &str) -> bool {
        match t {
            syn::UseTree::Path(p) => tree_has(&p.tree, name),
            syn::UseTree::Name(n) => n.ident == name,
            syn::UseTree::Rename(r) => r.rename == name,
            syn::UseTree::Glob(_) => true,
            syn::UseTree::Group(g) => g.items.iter().any(|t| tree_has(t, name)),
        }
    }
    items.iter().any(|i| match i {
        Item::Use(u) => matches!(u.vis, Visibility::Public(_)) && tree_has(&u.tree, name),
        _ => false,
    })
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
        let fits = Checked::default();
        assert_eq!(
            check(&lib, "demo::a::c::job", Role::Run, "w").unwrap(),
            fits
        );
        assert_eq!(
            check(&lib, "demo::b::run", Role::RunWithSetup, "w").unwrap(),
            fits
        );
        assert_eq!(check(&lib, "demo::setup", Role::Setup, "w").unwrap(), fits);
        assert_eq!(check(&lib, "demo::plain", Role::Run, "w").unwrap(), fits);
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
                Err("takes 2 parameters; the signature must be `pub fn(job: usize) -> R or pub async fn"),
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
        assert_eq!(
            check(&lib, "demo::sys::job", Role::Run, "w").unwrap(),
            Checked::default()
        );
    }

    #[test]
    fn reexports_are_accepted_with_a_warning() {
        let (_d, lib) = lib_with(&[("lib.rs", "mod inner; pub use inner::job;")]);
        let w = check(&lib, "demo::job", Role::Run, "w").unwrap();
        assert!(w.warning.is_some_and(|w| w.contains("pub use")));
    }
}
