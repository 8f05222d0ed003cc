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
