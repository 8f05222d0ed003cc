//! What the whole file knows, shared by the item walk (`items`) and the body visitor (`body`): the resolver,
//! the types of fields and statics, source sites, and the findings of type occurrences and of
//! declaration macros (`thread_local!`, `lazy_static!`). Sits below both, so neither imports the other.

use std::collections::HashMap;

use proc_macro2::TokenStream;

use super::resolve::Resolver;
use super::types::{classify, TypeInfo};
use super::{pos, FileContext};
use crate::rules::apis::Apis;
use crate::rules::{self, Site};
use crate::vocab::{Finding, FindingData, GlobalHolder};

/// What the body visitor needs to know about the whole file.
pub(super) struct FileInfo<'a> {
    pub ctx: &'a FileContext,
    pub resolver: Resolver,
    /// `(type name, field name)` → what the field's type holds.
    pub fields: HashMap<(String, String), TypeInfo>,
    /// Full path of a static → what its type holds.
    pub statics: HashMap<String, TypeInfo>,
    /// Full path of an integer `const` → an upper bound on its value (`const N: usize = 4;` → 4).
    pub consts: HashMap<String, u64>,
    /// `(type name, field name)` → a field that may be a reader or writer known only by its I/O trait.
    pub io_fields: HashMap<(String, String), IoField>,
}

/// A field that may hold a reader or writer known only by its I/O trait (`apis::IO_TRAITS`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum IoField {
    /// `Box<dyn Read>`, `&'a mut dyn Write`: always one.
    Handle,
    /// A type named by one identifier (`inner: R`): one in an impl that bounds that parameter by an I/O trait.
    Param(String),
}

impl IoField {
    /// What a field of type `ty` may be.
    pub fn of(ty: &syn::Type) -> Option<IoField> {
        if super::types::is_bounded_type(ty, super::types::is_io_trait, &[]) {
            return Some(IoField::Handle);
        }
        match ty {
            syn::Type::Path(tp) if tp.qself.is_none() => {
                if let Some(id) = tp.path.get_ident() {
                    return Some(IoField::Param(id.to_string()));
                }
                // `inputs: Vec<R>`: its elements are.
                let last = tp.path.segments.last()?;
                let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
                    return None;
                };
                match args.args.first() {
                    Some(syn::GenericArgument::Type(t))
                        if last.ident == "Vec" && args.args.len() == 1 =>
                    {
                        IoField::of(t)
                    }
                    _ => None,
                }
            }
            syn::Type::Array(a) => IoField::of(&a.elem),
            _ => None,
        }
    }
}

impl FileInfo<'_> {
    /// Full path of a type named by `segs` in `module` (the path itself when nothing resolves it).
    pub fn resolve_type(
        &self,
        module: &[String],
        self_type: Option<&str>,
        segs: &[String],
        leading_colon: bool,
    ) -> String {
        self.resolver
            .resolve(module, &[], self_type, segs, leading_colon)
            .into_iter()
            .next()
            .unwrap_or_else(|| segs.join("::"))
    }

    /// The bound of the constant `path` names in `module`, when it is one of the file's (see `consts`).
    pub fn const_bound(&self, module: &[String], path: &syn::Path) -> Option<u64> {
        let segs = super::resolve::segments(path);
        let full = self
            .resolver
            .resolve(module, &[], None, &segs, path.leading_colon.is_some());
        full.iter().find_map(|f| self.consts.get(f).copied())
    }

    /// The API index of the analysis.
    pub fn apis(&self) -> &Apis {
        &self.resolver.apis
    }

    pub fn classify(&self, ty: &syn::Type, module: &[String], self_type: Option<&str>) -> TypeInfo {
        classify(ty, self.apis(), &|segs, lc| {
            self.resolve_type(module, self_type, segs, lc)
        })
    }

    pub fn site(&self, span: proc_macro2::Span, function: Option<&str>) -> Site {
        let (line, column) = pos(span);
        Site {
            file: self.ctx.rel_path.clone(),
            line,
            column,
            function: function.map(str::to_string),
        }
    }
}

/// A `static` declared by `thread_local!` or `lazy_static!`.
pub(super) struct MacroStatic {
    pub name: syn::Ident,
    pub ty: syn::Type,
}

/// Parses the body of `thread_local!` / `lazy_static!`: `[attrs] [vis] static [ref] NAME: Type = init;`...
pub(super) fn parse_macro_statics(tokens: &TokenStream) -> Option<Vec<MacroStatic>> {
    use syn::parse::Parser;
    let parser = |input: syn::parse::ParseStream| -> syn::Result<Vec<MacroStatic>> {
        let mut out = Vec::new();
        while !input.is_empty() {
            input.call(syn::Attribute::parse_outer)?;
            let _: syn::Visibility = input.parse()?;
            let _: syn::Token![static] = input.parse()?;
            if input.peek(syn::Token![ref]) {
                let _: syn::Token![ref] = input.parse()?;
            }
            let name: syn::Ident = input.parse()?;
            let _: syn::Token![:] = input.parse()?;
            let ty: syn::Type = input.parse()?;
            let _: syn::Token![=] = input.parse()?;
            let _: syn::Expr = input.parse()?;
            if input.peek(syn::Token![;]) {
                let _: syn::Token![;] = input.parse()?;
            }
            out.push(MacroStatic { name, ty });
        }
        Ok(out)
    };
    parser.parse2(tokens.clone()).ok()
}

pub(super) fn macro_name(mac: &syn::Macro) -> String {
    mac.path
        .segments
        .last()
        .map(|s| s.ident.to_string())
        .unwrap_or_default()
}

/// Findings for a type occurrence: shared-lock (`Arc<Lock>`), atomic (in a field, or `Arc<Atomic>`),
/// single-thread-state (`Rc`/`RefCell`/`Cell`).
pub(super) fn push_type_findings(
    out: &mut Vec<Finding>,
    ti: &TypeInfo,
    site: &Site,
    is_field: bool,
) {
    if let Some(lock) = &ti.arc_lock {
        let data = FindingData::SharedLock {
            lock_type: lock.clone(),
        };
        out.push(rules::finding(site.clone(), data));
    }
    let atomic = if is_field { &ti.atomic } else { &ti.arc_atomic };
    if let Some(a) = atomic {
        out.push(rules::finding(
            site.clone(),
            FindingData::Atomic { ty: a.clone() },
        ));
    }
    if let Some(st) = &ti.single_thread {
        let data = FindingData::SingleThreadState { ty: st.clone() };
        out.push(rules::finding(site.clone(), data));
    }
}

/// global-state findings for the statics of a `thread_local!` / `lazy_static!` call, with each static's name.
pub(super) fn macro_static_findings(
    info: &FileInfo,
    mac: &syn::Macro,
    module: &[String],
    function: Option<&str>,
) -> Vec<(String, Finding)> {
    let holder = if macro_name(mac) == "thread_local" {
        GlobalHolder::ThreadLocal
    } else {
        GlobalHolder::LazyStatic
    };
    let mut out = Vec::new();
    for st in parse_macro_statics(&mac.tokens).unwrap_or_default() {
        let ti = info.classify(&st.ty, module, None);
        if let Some(what) = ti.interior() {
            let name = st.name.to_string();
            let data = FindingData::GlobalState {
                name: name.clone(),
                holder,
                holds: what.to_string(),
            };
            let fd = rules::finding(info.site(st.name.span(), function), data);
            out.push((name, fd));
        }
    }
    out
}
