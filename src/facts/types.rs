//! What a type holds, as far as the rules care: locks (and whether behind an `Arc`), atomics, single-thread
//! cells and reference counts. Paths are resolved by the caller's resolver closure.

use crate::rules::apis::{Apis, TypeKind};

/// Summary of one type expression.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TypeInfo {
    /// Full path of the outermost named type, references stripped (`&File` → `std::fs::File`).
    pub outer: Option<String>,
    /// First lock type inside, with whether it is async.
    pub lock: Option<(String, bool)>,
    /// A lock directly inside an `Arc`.
    pub arc_lock: Option<String>,
    /// First atomic type inside.
    pub atomic: Option<String>,
    /// An atomic directly inside an `Arc`.
    pub arc_atomic: Option<String>,
    /// First `Rc`/`RefCell`/`Cell` inside.
    pub single_thread: Option<String>,
}

impl TypeInfo {
    /// Interior mutability held by a global: the lock, atomic or cell type.
    pub fn interior(&self) -> Option<&str> {
        self.lock
            .as_ref()
            .map(|(p, _)| p.as_str())
            .or(self.atomic.as_deref())
            .or(self.single_thread.as_deref())
    }
}

/// Classifies `ty`; `resolve` maps a path's segments (plus leading `::`) to its full path.
pub fn classify(
    ty: &syn::Type,
    apis: &Apis,
    resolve: &dyn Fn(&[String], bool) -> String,
) -> TypeInfo {
    let mut info = TypeInfo::default();
    walk(ty, None, &Walk { apis, resolve }, &mut info, true);
    info
}

struct Walk<'w> {
    apis: &'w Apis,
    resolve: &'w dyn Fn(&[String], bool) -> String,
}

fn walk(ty: &syn::Type, parent: Option<&str>, cx: &Walk, info: &mut TypeInfo, outermost: bool) {
    match ty {
        syn::Type::Path(tp) => {
            if tp.qself.is_some() {
                return;
            }
            let segs = super::resolve::segments(&tp.path);
            let full = (cx.resolve)(&segs, tp.path.leading_colon.is_some());
            if outermost {
                info.outer = Some(full.clone());
            }
            let parent_is_arc = parent.is_some_and(|p| cx.apis.is_shared_owner(p));
            if let Some(lock) = cx.apis.lock_type(&full) {
                if info.lock.is_none() {
                    info.lock = Some((full.clone(), lock.is_async));
                }
                if parent_is_arc && info.arc_lock.is_none() {
                    info.arc_lock = Some(full.clone());
                }
            } else if cx.apis.is_type(TypeKind::Atomic, &full) {
                if info.atomic.is_none() {
                    info.atomic = Some(full.clone());
                }
                if parent_is_arc && info.arc_atomic.is_none() {
                    info.arc_atomic = Some(full.clone());
                }
            } else if cx.apis.is_type(TypeKind::SingleThread, &full)
                && info.single_thread.is_none()
                && !guarded_cell(&full, parent, cx.apis)
            {
                info.single_thread = Some(full.clone());
            }
            if let Some(last) = tp.path.segments.last() {
                if let syn::PathArguments::AngleBracketed(args) = &last.arguments {
                    for arg in &args.args {
                        if let syn::GenericArgument::Type(inner) = arg {
                            walk(inner, Some(&full), cx, info, false);
                        }
                    }
                }
            }
        }
        syn::Type::Reference(r) => walk(&r.elem, parent, cx, info, outermost),
        syn::Type::Paren(p) => walk(&p.elem, parent, cx, info, outermost),
        syn::Type::Group(g) => walk(&g.elem, parent, cx, info, outermost),
        syn::Type::Ptr(p) => {
            if outermost {
                // A raw pointer: `p.read()` is `ptr::read`, no lock.
                info.outer = Some("*ptr".into());
            }
            walk(&p.elem, parent, cx, info, false)
        }
        syn::Type::Array(a) => walk(&a.elem, None, cx, info, false),
        syn::Type::Slice(s) => walk(&s.elem, None, cx, info, false),
        syn::Type::Tuple(t) => {
            for e in &t.elems {
                walk(e, None, cx, info, false);
            }
        }
        _ => {}
    }
}

/// A `Send` cell directly inside a lock (`Mutex<RefCell<T>>`): the lock makes it shared, guarded.
pub(super) fn guarded_cell(cell: &str, parent: Option<&str>, apis: &Apis) -> bool {
    crate::rules::apis::SEND_CELLS.contains(&cell)
        && parent.is_some_and(|p| apis.lock_type(p).is_some())
}

/// A test of a trait's last path segment (`Iterator`, `Read`), for generic bounds.
pub(super) type TraitTest = fn(&syn::Ident) -> bool;

/// An iterator trait: `Iterator`, `DoubleEndedIterator`, `ExactSizeIterator`...
pub(super) fn is_iterator_trait(id: &syn::Ident) -> bool {
    id.to_string().ends_with("Iterator")
}

/// A blocking I/O trait: `Read`, `BufRead`, `Write` (`std::io`'s, or a crate's own of the same name).
pub(super) fn is_io_trait(id: &syn::Ident) -> bool {
    crate::rules::apis::IO_TRAITS.iter().any(|t| id == t)
}

/// The generic parameters of `generics` with a bound `is` accepts (`I: Iterator`, `where R: Read`).
pub(super) fn bounded_generics(generics: &syn::Generics, is: TraitTest) -> Vec<String> {
    let mut out: Vec<String> = generics
        .type_params()
        .filter(|tp| has_bound(tp.bounds.iter(), is))
        .map(|tp| tp.ident.to_string())
        .collect();
    let predicates = generics.where_clause.iter().flat_map(|w| &w.predicates);
    for p in predicates {
        if let syn::WherePredicate::Type(pt) = p {
            if let syn::Type::Path(tp) = &pt.bounded_ty {
                if let Some(id) = tp.path.get_ident() {
                    if has_bound(pt.bounds.iter(), is) {
                        out.push(id.to_string());
                    }
                }
            }
        }
    }
    out
}

/// True when one of `bounds` is a trait `is` accepts.
fn has_bound<'b>(mut bounds: impl Iterator<Item = &'b syn::TypeParamBound>, is: TraitTest) -> bool {
    bounds.any(|b| match b {
        syn::TypeParamBound::Trait(t) => t.path.segments.last().is_some_and(|s| is(&s.ident)),
        _ => false,
    })
}

/// True when a value of type `ty` is only known by a trait `is` accepts: `impl Iterator<..>`, `&mut dyn Read`,
/// `Box<dyn Write>`, or one of `generics` (parameters bounded by such a trait: see [`bounded_generics`]).
pub(super) fn is_bounded_type(ty: &syn::Type, is: TraitTest, generics: &[String]) -> bool {
    match ty {
        syn::Type::Reference(r) => is_bounded_type(&r.elem, is, generics),
        syn::Type::Paren(p) => is_bounded_type(&p.elem, is, generics),
        syn::Type::Group(g) => is_bounded_type(&g.elem, is, generics),
        syn::Type::ImplTrait(t) => has_bound(t.bounds.iter(), is),
        syn::Type::TraitObject(t) => has_bound(t.bounds.iter(), is),
        syn::Type::Path(tp) => {
            if let Some(id) = tp.path.get_ident() {
                return generics.iter().any(|g| id == g);
            }
            let Some(last) = tp.path.segments.last() else {
                return false;
            };
            let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
                return false;
            };
            last.ident == "Box"
                && args.args.iter().any(|a| {
                    matches!(a, syn::GenericArgument::Type(t) if is_bounded_type(t, is, generics))
                })
        }
        _ => false,
    }
}
