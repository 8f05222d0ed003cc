//! Local type inference for one function body: what each local and parameter is (its type, the lock it is or
//! aliases), name resolution with the body's own `use` items, the type of a receiver expression, and which lock
//! an expression denotes. It only answers questions; the body visitor records what it learns here.
//!
//! Also the syntactic shapes the other parts share (`m.lock().unwrap()`, `&*x.clone()`, single names).

use std::collections::HashMap;

use quote::ToTokens;

use super::file::{FileInfo, IoField};
use super::resolve::segments;
use super::HeldLock;
use crate::rules::apis::{self, Apis, TypeKind};

/// What is known of one local or parameter.
#[derive(Debug, Clone, Default)]
pub(super) struct Local {
    /// Full path of the local's type, when known.
    pub ty: Option<String>,
    /// The lock this local is or aliases.
    pub lock: Option<HeldLock>,
    /// The local is an iterator (bound from an iterator chain, or typed as one).
    pub iter: bool,
    /// How many loops (and adaptor closures) were around its declaration: a value declared outside a loop
    /// outlives its iterations.
    pub loops: usize,
    /// A `static` item of the body, not a `let`: one value for the whole process.
    pub is_static: bool,
    /// An upper bound on its integer value, for an immutable `let` whose initialiser tells one
    /// (`let n = (flags & 0x03) + 1;`: see `work::upper_bound`), or the length of a fixed-size array
    /// (`blocks: &mut [Block; 4]`, `let mut lanes = [0u32; LANES];`).
    pub bound: Option<u64>,
    /// The value of a mutable integer since its `let` (`let mut rcon = 0;`), until the body writes it.
    pub start: Option<u64>,
    /// A reader or writer known only by its I/O trait (`r: &mut R` with `R: Read`, `w: &mut dyn Write`), or an
    /// iterator reading one (`r.bytes()`): see [`Env::is_opaque_io`].
    pub io: bool,
}

/// The names of one function body and what they are.
pub(super) struct Env<'i, 'a> {
    pub info: &'i FileInfo<'a>,
    pub module: &'i [String],
    /// Last segment of the impl's self type.
    pub self_type: Option<String>,
    /// Full path of the impl's self type.
    pub self_type_path: Option<String>,
    /// Full path of the function.
    pub fn_path: String,
    pub locals: HashMap<String, Local>,
    /// `use` items of the body's blocks: (alias or `*`, full path).
    pub overlay: Vec<(String, String)>,
    /// Generic parameters of the function and its impl bounded by an I/O trait (`R: Read`, `W: Write`).
    pub io_generics: Vec<String>,
}

impl Env<'_, '_> {
    /// The API index of the analysis.
    pub fn apis(&self) -> &Apis {
        self.info.apis()
    }

    /// A lock of type `desc` (`lock` when unknown) identified by `id`, held exclusively.
    pub fn held_lock(&self, id: String, desc: String, is_async: bool) -> HeldLock {
        let last = desc.rsplit("::").next().unwrap_or(&desc);
        HeldLock {
            reentrant: self.apis().is_reentrant(&desc) || last.starts_with("Reentrant"),
            id,
            desc,
            is_async,
            shared: false,
            guessed: None,
        }
    }

    /// Candidate full paths of `path` here, best first.
    pub fn resolve(&self, path: &syn::Path) -> Vec<String> {
        let segs = segments(path);
        self.info.resolver.resolve(
            self.module,
            &self.overlay,
            self.self_type_path.as_deref(),
            &segs,
            path.leading_colon.is_some(),
        )
    }

    /// The best full path of `path` (its own segments when nothing resolves it).
    pub fn resolve_type(&self, path: &syn::Path) -> String {
        self.resolve(path)
            .into_iter()
            .next()
            .unwrap_or_else(|| segments(path).join("::"))
    }

    /// The lock an expression denotes (a lock value, a reference to one, an alias), when it can be told.
    pub fn lock_of(&self, e: &syn::Expr) -> Option<HeldLock> {
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
                        Some(self.held_lock(full, desc, is_async))
                    }
                    // A static of another file (`crate::state::CACHE`): known by its path.
                    None if is_static_name(&full) => {
                        Some(self.held_lock(full, "lock".into(), false))
                    }
                    None => None,
                }
            }
            syn::Expr::Field(f) => {
                let member = member_name(&f.member);
                let base = strip_refs(&f.base);
                if single_ident(base).as_deref() == Some("self") {
                    let ty = self.self_type.clone()?;
                    let desc = self
                        .info
                        .fields
                        .get(&(ty.clone(), member.clone()))
                        .and_then(|ti| ti.lock.clone());
                    let (desc, is_async) = desc.unwrap_or_else(|| ("lock".into(), false));
                    return Some(self.held_lock(format!("{ty}.{member}"), desc, is_async));
                }
                let ty_name = single_ident(base)
                    .and_then(|n| self.locals.get(&n))
                    .and_then(|l| l.ty.clone())
                    .and_then(|t| t.rsplit("::").next().map(str::to_string));
                let (desc, is_async) = ty_name
                    .and_then(|t| self.info.fields.get(&(t, member)))
                    .and_then(|ti| ti.lock.clone())
                    .unwrap_or_else(|| ("lock".into(), false));
                let id = format!("{}::{}", self.fn_path, expr_text(e));
                Some(self.held_lock(id, desc, is_async))
            }
            syn::Expr::Call(c) => {
                let syn::Expr::Path(fp) = &*c.func else {
                    return None;
                };
                let full = self.resolve_type(&fp.path);
                let (head, last) = full.rsplit_once("::")?;
                if self.apis().is_shared_owner(head) && matches!(last, "new" | "clone" | "from") {
                    return c.args.first().and_then(|a| self.lock_of(a));
                }
                if let Some(lock) = self.apis().lock_type(head) {
                    if is_ctor_name(last) {
                        return Some(self.held_lock(
                            String::new(),
                            head.to_string(),
                            lock.is_async,
                        ));
                    }
                }
                None
            }
            _ => None,
        }
    }

    /// The type of a receiver expression, when locals, fields, constructors or builder chains tell.
    pub fn type_of(&self, e: &syn::Expr) -> Option<String> {
        match e {
            syn::Expr::Path(_) => {
                let name = single_ident(e)?;
                if name == "self" {
                    return self.self_type_path.clone();
                }
                self.locals.get(&name).and_then(|l| l.ty.clone())
            }
            syn::Expr::Call(c) => match &*c.func {
                syn::Expr::Path(fp) => self.apis().return_type(&self.resolve_type(&fp.path)),
                _ => None,
            },
            syn::Expr::MethodCall(mc) => {
                let ty = self.type_of(&mc.receiver)?;
                match self.apis().method_return_type(&ty, &mc.method.to_string()) {
                    Some(returned) => Some(returned.to_string()),
                    None => Some(ty),
                }
            }
            // `(1..=16).contains(&x)`, `"abc".starts_with(..)`: std's, never a method of the package.
            syn::Expr::Range(r) => Some(match r.limits {
                syn::RangeLimits::HalfOpen(_) => "std::ops::Range".into(),
                syn::RangeLimits::Closed(_) => "std::ops::RangeInclusive".into(),
            }),
            syn::Expr::Lit(l) => match &l.lit {
                syn::Lit::Str(_) => Some("std::primitive::str".into()),
                syn::Lit::ByteStr(_) => Some("std::primitive::array".into()),
                _ => None,
            },
            syn::Expr::Try(t) => self.type_of(&t.expr),
            syn::Expr::Paren(p) => self.type_of(&p.expr),
            syn::Expr::Reference(r) => self.type_of(&r.expr),
            syn::Expr::Field(f) => {
                let base = single_ident(&f.base)?;
                let member = member_name(&f.member);
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

    /// True when `e` (through references) is a reader or writer known only by its I/O trait
    /// ([`apis::IO_TRAITS`]), which may be a file, a socket or a pipe: a local or parameter so typed (see
    /// [`Local::io`]), or a field of `self` that is a `Box<dyn Read>` or whose type is a parameter of the impl
    /// bounded by one (`inner: R` in `impl<R: Read> Read for Filter<R>`). A type built over a reader
    /// (`BitReader<R>`, `BufReader<R>`) is not: it may read from memory most of the time.
    pub fn is_opaque_io(&self, e: &syn::Expr) -> bool {
        match strip_refs(e) {
            e @ syn::Expr::Path(_) => {
                single_ident(e).is_some_and(|n| self.locals.get(&n).is_some_and(|l| l.io))
            }
            // `self.inputs[i]` with `inputs: Vec<R>`.
            syn::Expr::Index(i) => self.is_opaque_io(&i.expr),
            syn::Expr::Field(f) if single_ident(strip_refs(&f.base)).as_deref() == Some("self") => {
                let Some(ty) = &self.self_type else {
                    return false;
                };
                match self
                    .info
                    .io_fields
                    .get(&(ty.clone(), member_name(&f.member)))
                {
                    Some(IoField::Handle) => true,
                    Some(IoField::Param(p)) => self.io_generics.contains(p),
                    None => false,
                }
            }
            _ => false,
        }
    }

    /// True when iterating `e` reads a reader known only by its trait: the reader itself, or what its
    /// `bytes()`, `lines()` or `split(..)` gives.
    pub fn reads_opaque_io(&self, e: &syn::Expr) -> bool {
        match e {
            syn::Expr::MethodCall(mc) if ident_in(&mc.method, apis::IO_ITER_METHODS) => {
                self.is_opaque_io(&mc.receiver)
            }
            syn::Expr::Paren(p) => self.reads_opaque_io(&p.expr),
            _ => self.is_opaque_io(e),
        }
    }

    /// True when `e` is plausibly an iterator, so that an adaptor called on it (`map`, `fold`...) loops: a
    /// range, an iterator source (`v.iter()`, `s.chars()`, `m.keys()`; [`apis::ITER_SOURCES`]) under any
    /// chain of adaptors, a `std::iter` function, or a local or field that is an iterator (bound from one,
    /// or typed `impl Iterator`, `I: Iterator`, `std::slice::Iter`...). An `Option`, a `Result`, a future or
    /// a parser combinator (`take(n).map(..)`) is not.
    pub fn iterates(&self, e: &syn::Expr) -> bool {
        match e {
            syn::Expr::Paren(p) => self.iterates(&p.expr),
            syn::Expr::Group(g) => self.iterates(&g.expr),
            syn::Expr::Reference(r) => self.iterates(&r.expr),
            syn::Expr::Range(_) => true,
            syn::Expr::MethodCall(mc) => {
                if ident_in(&mc.method, apis::ITER_SOURCES) {
                    return true;
                }
                (ident_in(&mc.method, apis::LOOP_METHODS)
                    || ident_in(&mc.method, apis::ITER_ADAPTORS)
                    || ident_in(&mc.method, apis::ALIAS_METHODS))
                    && self.iterates(&mc.receiver)
            }
            syn::Expr::Call(c) => match &*c.func {
                syn::Expr::Path(fp) => {
                    let full = self.resolve_type(&fp.path);
                    full.starts_with("std::iter::") || full.starts_with("core::iter::")
                }
                _ => false,
            },
            syn::Expr::Path(_) => {
                let local = single_ident(e).and_then(|n| self.locals.get(&n));
                local.is_some_and(|l| l.iter || l.ty.as_deref().is_some_and(is_iter_type))
            }
            syn::Expr::Field(_) => self.type_of(e).as_deref().is_some_and(is_iter_type),
            _ => false,
        }
    }

    /// The lock that `mc` (`recv.lock()`, `recv.read()`...) acquires, identified by its path, or by the
    /// receiver's text within this function when its path is unknown; `None` when the receiver's type is
    /// known not to be a lock.
    ///
    /// A receiver of a known type that is no lock (a std or catalogue type holding none, a primitive, a raw
    /// pointer) gives no lock. A receiver of unknown type is a lock only by the method's name: when nothing
    /// else says so (`lock()`, a lock-like name, an unwrapped `LockResult`), the lock is marked `guessed`.
    pub fn guards_from(&self, mc: &syn::ExprMethodCall) -> Option<HeldLock> {
        let ty = self.type_of(&mc.receiver);
        if let Some(ty) = &ty {
            if self.apis().is_type(TypeKind::NotALock, ty) {
                return None;
            }
        }
        let found = self.lock_of(&mc.receiver);
        let known_lock = found.as_ref().is_some_and(|l| l.desc != "lock");
        if !known_lock && ty.as_deref().is_some_and(|t| self.is_no_lock_type(t)) {
            return None;
        }
        let mut lock = found.unwrap_or_else(|| self.held_lock(String::new(), "lock".into(), false));
        let receiver = strip_refs(&mc.receiver);
        if lock.id.is_empty() {
            lock.id = format!("{}::{}", self.fn_path, expr_text(receiver));
        }
        if ty.as_deref().is_some_and(|t| {
            t.rsplit("::")
                .next()
                .is_some_and(|l| l.starts_with("Reentrant"))
        }) {
            lock.reentrant = true;
        }
        if !known_lock && !ty.as_deref().is_some_and(looks_like_lock) {
            let method = mc.method.to_string();
            let named = looks_like_lock(&expr_text(receiver));
            if !named && !apis::STRONG_GUARD_METHODS.contains(&method.as_str()) {
                lock.guessed = Some(method);
            }
        }
        Some(lock)
    }

    /// True for a type known to hold no lock: a std or catalogue type that is no lock (`Vec`, `File`, `Arc<T>`
    /// of no lock), a primitive or a raw pointer.
    fn is_no_lock_type(&self, ty: &str) -> bool {
        let last = ty.rsplit("::").next().unwrap_or(ty);
        if self.apis().is_shared_owner(ty) || DEREF_WRAPPERS.contains(&last) {
            // `Arc<T>`, `Box<T>`: what they hold decides, and the outer type does not tell.
            return false;
        }
        if ty.starts_with('*') || PRIMITIVES.contains(&last) {
            return true;
        }
        let known = ty.starts_with("std::") || self.apis().is_known(ty);
        known && self.apis().lock_type(ty).is_none()
    }
}

/// True for a type named like an iterator (`std::slice::Iter`, `IntoIter`, `Chars`, `Range`, `MyIterator`).
pub(super) fn is_iter_type(ty: &str) -> bool {
    let last = ty.rsplit("::").next().unwrap_or(ty);
    last.ends_with("Iter")
        || last.ends_with("Iterator")
        || last.ends_with("IterMut")
        || matches!(
            last,
            "Chars" | "CharIndices" | "Bytes" | "Lines" | "Range" | "RangeInclusive" | "Drain"
        )
}

/// Primitive and prelude types: never a lock.
const PRIMITIVES: &[&str] = &[
    "bool", "char", "str", "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64",
    "i128", "isize", "f32", "f64", "Vec", "String", "Option", "Result",
];

/// Smart pointers that deref to what they hold.
const DEREF_WRAPPERS: &[&str] = &["Arc", "Rc", "Box", "Pin", "Cow", "ManuallyDrop"];

/// True when a type or receiver is named like a lock (`Mutex`, `SpinLock`, `self.state_lock`, `RWLOCK`).
fn looks_like_lock(name: &str) -> bool {
    let last = name
        .rsplit([':', '.'])
        .next()
        .unwrap_or(name)
        .to_ascii_lowercase();
    ["lock", "mutex", "rw"].iter().any(|w| last.contains(w))
}

fn member_name(m: &syn::Member) -> String {
    match m {
        syn::Member::Named(i) => i.to_string(),
        syn::Member::Unnamed(i) => i.index.to_string(),
    }
}

/// `e` without the wrappers a guard passes through (`.unwrap()`, `?`, `.await`, parentheses).
pub(super) fn strip_guard_wrappers(e: &syn::Expr) -> &syn::Expr {
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
pub(super) fn guard_call(e: &syn::Expr) -> Option<&syn::ExprMethodCall> {
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
pub(super) fn ident_in(ident: &syn::Ident, names: &[&str]) -> bool {
    names.iter().any(|n| ident == n)
}

/// True when the guard wrappers of `e` include `.await` (`m.lock().await`): an async lock.
pub(super) fn has_await(e: &syn::Expr) -> bool {
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

/// `e` without references, derefs, parentheses and aliasing methods (`&*x.clone()` is `x`).
pub(super) fn strip_refs(e: &syn::Expr) -> &syn::Expr {
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

/// The tokens of `e` without whitespace (an expression's identity within a function).
pub(super) fn expr_text(e: &syn::Expr) -> String {
    e.to_token_stream()
        .to_string()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

/// The name `e` is, when it is one plain name.
pub(super) fn single_ident(e: &syn::Expr) -> Option<String> {
    match e {
        syn::Expr::Path(p) if p.qself.is_none() && p.path.segments.len() == 1 => {
            Some(p.path.segments[0].ident.to_string())
        }
        _ => None,
    }
}

/// The names a pattern binds, in order.
pub(super) fn pat_idents(p: &syn::Pat, out: &mut Vec<String>) {
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

/// Ends of a constructor path that build a value of the type before them.
pub(super) fn is_ctor_name(last: &str) -> bool {
    apis::CTOR_NAMES.contains(&last)
}

/// True when the last segment of `path` is written like a static (`CACHE`, `MAX_2`).
pub(super) fn is_static_name(path: &str) -> bool {
    let name = path.rsplit("::").next().unwrap_or(path);
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_uppercase() || c.is_ascii_digit() || c == '_')
        && name.chars().any(|c| c.is_uppercase())
}
