//! What a type holds, as far as the rules care: locks (and whether behind an `Arc`), atomics, single-thread
//! cells and reference counts. Paths are resolved by the caller's resolver closure.

use crate::rules::apis;

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
pub fn classify(ty: &syn::Type, resolve: &dyn Fn(&[String], bool) -> String) -> TypeInfo {
    let mut info = TypeInfo::default();
    walk(ty, None, resolve, &mut info, true);
    info
}

fn walk(
    ty: &syn::Type,
    parent: Option<&str>,
    resolve: &dyn Fn(&[String], bool) -> String,
    info: &mut TypeInfo,
    outermost: bool,
) {
    match ty {
        syn::Type::Path(tp) => {
            if tp.qself.is_some() {
                return;
            }
            let segs = super::resolve::segments(&tp.path);
            let full = resolve(&segs, tp.path.leading_colon.is_some());
            if outermost {
                info.outer = Some(full.clone());
            }
            let parent_is_arc = parent.is_some_and(|p| apis::ARC_TYPES.contains(&p));
            if let Some((lock, is_async)) = apis::lock_type(&full) {
                if info.lock.is_none() {
                    info.lock = Some((lock.to_string(), is_async));
                }
                if parent_is_arc && info.arc_lock.is_none() {
                    info.arc_lock = Some(lock.to_string());
                }
            } else if apis::any_matches(apis::ATOMIC_TYPES, &full) {
                if info.atomic.is_none() {
                    info.atomic = Some(full.clone());
                }
                if parent_is_arc && info.arc_atomic.is_none() {
                    info.arc_atomic = Some(full.clone());
                }
            } else if apis::any_matches(apis::SINGLE_THREAD_TYPES, &full)
                && info.single_thread.is_none()
            {
                info.single_thread = Some(full.clone());
            }
            if let Some(last) = tp.path.segments.last() {
                if let syn::PathArguments::AngleBracketed(args) = &last.arguments {
                    for arg in &args.args {
                        if let syn::GenericArgument::Type(inner) = arg {
                            walk(inner, Some(&full), resolve, info, false);
                        }
                    }
                }
            }
        }
        syn::Type::Reference(r) => walk(&r.elem, parent, resolve, info, outermost),
        syn::Type::Paren(p) => walk(&p.elem, parent, resolve, info, outermost),
        syn::Type::Group(g) => walk(&g.elem, parent, resolve, info, outermost),
        syn::Type::Ptr(p) => walk(&p.elem, parent, resolve, info, false),
        syn::Type::Array(a) => walk(&a.elem, None, resolve, info, false),
        syn::Type::Slice(s) => walk(&s.elem, None, resolve, info, false),
        syn::Type::Tuple(t) => {
            for e in &t.elems {
                walk(e, None, resolve, info, false);
            }
        }
        _ => {}
    }
}
