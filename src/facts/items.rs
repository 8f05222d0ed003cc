//! The module-level walk of one file: expands item macros, declares names and `use` items (prepass), then
//! reports item findings (statics, `thread_local!`/`lazy_static!`, fields, type aliases) and hands every
//! function body to `body`.

use std::collections::HashMap;

use syn::spanned::Spanned;

use super::body::{self, Owner};
use super::file::{macro_name, macro_static_findings, push_type_findings, FileInfo, IoField};
use super::resolve::{flatten_use, Resolver, UseEntry};
use super::{FileContext, FileFacts};
use crate::discover::modtree::{path_attr, ModDecl};
use crate::rules::{self, apis};
use crate::vocab::FindingData;

/// Item macros whose bodies are declarations we parse ourselves (or definitions to skip).
fn is_declaration_macro(name: &str) -> bool {
    name == "macro_rules" || apis::DECLARATION_MACROS.contains(&name)
}

/// What the expansion pass yields besides the expanded items.
struct Expansion {
    /// Module path of the file itself: the inline chain of a `mod` declaration is what follows it.
    file_module_len: usize,
    arena: Vec<(Vec<String>, Vec<syn::Item>)>,
    not_expanded: usize,
    /// Out-of-line `mod` declarations in source order (as `discover::modtree::mod_decls` finds them).
    mod_decls: Vec<ModDecl>,
}

impl Expansion {
    /// Expands item-position macros (recursively, inline modules included) into `arena`, and collects the
    /// out-of-line `mod` declarations on the way (so that the file's items are walked, and its macros parsed,
    /// once).
    fn expand(&mut self, items: &[syn::Item], module: &[String]) {
        for item in items {
            match item {
                syn::Item::Macro(m) => {
                    let name = macro_name(&m.mac);
                    if m.ident.is_some() || is_declaration_macro(&name) {
                        continue;
                    }
                    match crate::parse::macro_items(&m.mac.tokens) {
                        Some(new) => {
                            self.expand(&new, module);
                            self.arena.push((module.to_vec(), new));
                        }
                        None => self.not_expanded += 1,
                    }
                }
                syn::Item::Mod(m) => match &m.content {
                    Some((_, content)) => {
                        let mut sub = module.to_vec();
                        sub.push(m.ident.to_string());
                        self.expand(content, &sub);
                    }
                    None => self.mod_decls.push(ModDecl {
                        name: m.ident.to_string(),
                        inline: module[self.file_module_len.min(module.len())..].to_vec(),
                        path_attr: path_attr(&m.attrs),
                    }),
                },
                _ => {}
            }
        }
    }
}

/// Prepass: names, uses, fields and statics of every module of the file.
#[derive(Default)]
struct Prepass<'a> {
    uses: Vec<UseEntry>,
    declared: Vec<(Vec<String>, String)>,
    extern_crates: Vec<String>,
    extern_fns: Vec<(Vec<String>, String)>,
    fields: Vec<(Vec<String>, String, String, &'a syn::Type)>,
    statics: Vec<(Vec<String>, String, &'a syn::Type, bool)>,
    /// `const` items: module, name, value.
    consts: Vec<(Vec<String>, String, &'a syn::Expr)>,
}

impl<'a> Prepass<'a> {
    fn items(&mut self, items: &'a [syn::Item], module: &[String]) {
        for item in items {
            let declare = |this: &mut Self, ident: &syn::Ident| {
                this.declared.push((module.to_vec(), ident.to_string()));
            };
            match item {
                syn::Item::Fn(f) => declare(self, &f.sig.ident),
                syn::Item::Struct(s) => {
                    declare(self, &s.ident);
                    self.fields_of(&s.fields, module, &s.ident);
                }
                syn::Item::Enum(e) => {
                    declare(self, &e.ident);
                    for v in &e.variants {
                        self.fields_of(&v.fields, module, &e.ident);
                    }
                }
                syn::Item::Union(u) => declare(self, &u.ident),
                syn::Item::Trait(t) => declare(self, &t.ident),
                syn::Item::Type(t) => declare(self, &t.ident),
                syn::Item::Const(c) => {
                    declare(self, &c.ident);
                    self.consts
                        .push((module.to_vec(), c.ident.to_string(), &c.expr));
                }
                syn::Item::Static(s) => {
                    declare(self, &s.ident);
                    // A `#[thread_local] static mut` has one copy per thread: nothing is shared.
                    let is_mut = matches!(s.mutability, syn::StaticMutability::Mut(_))
                        && !is_thread_local(&s.attrs);
                    self.statics
                        .push((module.to_vec(), s.ident.to_string(), &s.ty, is_mut));
                }
                syn::Item::Mod(m) => {
                    declare(self, &m.ident);
                    if let Some((_, content)) = &m.content {
                        let mut sub = module.to_vec();
                        sub.push(m.ident.to_string());
                        self.items(content, &sub);
                    }
                }
                syn::Item::Use(u) => flatten_use(
                    &u.tree,
                    &mut Vec::new(),
                    module,
                    u.leading_colon.is_some(),
                    &mut self.uses,
                ),
                syn::Item::ExternCrate(c) => {
                    let name = c.ident.to_string();
                    self.extern_crates.push(name.clone());
                    if let Some((_, rename)) = &c.rename {
                        self.uses.push(UseEntry {
                            module: module.to_vec(),
                            segs: vec![name],
                            leading_colon: true,
                            alias: Some(rename.to_string()),
                        });
                    }
                }
                syn::Item::ForeignMod(fm) => {
                    for fi in &fm.items {
                        match fi {
                            syn::ForeignItem::Fn(f) => {
                                declare(self, &f.sig.ident);
                                if !is_compiler_intrinsic(&fm.abi, &f.attrs) {
                                    self.extern_fns
                                        .push((module.to_vec(), f.sig.ident.to_string()));
                                }
                            }
                            syn::ForeignItem::Static(s) => {
                                declare(self, &s.ident);
                                let is_mut = matches!(s.mutability, syn::StaticMutability::Mut(_));
                                self.statics.push((
                                    module.to_vec(),
                                    s.ident.to_string(),
                                    &s.ty,
                                    is_mut,
                                ));
                            }
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
    }

    fn fields_of(&mut self, fields: &'a syn::Fields, module: &[String], owner: &syn::Ident) {
        for (i, f) in fields.iter().enumerate() {
            let name = field_name(i, f);
            self.fields
                .push((module.to_vec(), owner.to_string(), name, &f.ty));
        }
    }
}

/// Extracts one file: see the module docs.
pub(super) fn extract_file(
    ctx: &FileContext,
    ast: &syn::File,
    inherited: Option<std::sync::Arc<super::resolve::ScopeChain>>,
    index: &std::sync::Arc<apis::Apis>,
) -> FileFacts {
    let mut out = FileFacts {
        rel_path: ctx.rel_path.clone(),
        ..FileFacts::default()
    };
    let mut expansion = Expansion {
        file_module_len: ctx.module_path.len(),
        arena: Vec::new(),
        not_expanded: 0,
        mod_decls: Vec::new(),
    };
    expansion.expand(&ast.items, &ctx.module_path);
    let arena = expansion.arena;
    out.macros_not_expanded = expansion.not_expanded;
    out.mod_decls = expansion.mod_decls;

    let mut pre = Prepass::default();
    pre.items(&ast.items, &ctx.module_path);
    for (module, items) in &arena {
        pre.items(items, module);
    }
    let mut resolver = Resolver {
        crate_name: ctx.crate_name.clone(),
        edition: Some(ctx.edition),
        scopes: HashMap::new(),
        extern_crates: pre.extern_crates.clone(),
        modules_by_path: HashMap::new(),
        inherited,
        apis: index.clone(),
    };
    for (module, name) in &pre.declared {
        resolver.declare(module, name);
    }
    resolver.add_uses(&pre.uses);
    let mut info = FileInfo {
        ctx,
        resolver,
        fields: HashMap::new(),
        statics: HashMap::new(),
        consts: HashMap::new(),
        io_fields: HashMap::new(),
    };
    // Integer constants with a bound the syntax tells (`const PAR_BLOCKS: usize = 4;`), twice so that a
    // constant may name one declared after it.
    for _ in 0..2 {
        for (module, name, value) in &pre.consts {
            let bound = super::work::upper_bound(value, &|p| info.const_bound(module, p));
            if let Some(b) = bound {
                let full = format!("{}::{}", info.resolver.module_path(module), name);
                info.consts.insert(full, b);
            }
        }
    }
    for (module, owner, field, ty) in &pre.fields {
        let ti = info.classify(ty, module, None);
        info.fields.insert((owner.clone(), field.clone()), ti);
        if let Some(io) = IoField::of(ty) {
            info.io_fields.insert((owner.clone(), field.clone()), io);
        }
    }
    for ((owner, field), ti) in &info.fields {
        if let Some((lock, _)) = &ti.lock {
            out.field_locks
                .push((format!("{owner}.{field}"), lock.clone()));
        }
    }
    out.field_locks.sort();
    for (module, name, ty, is_mut) in &pre.statics {
        let full = format!("{}::{}", info.resolver.module_path(module), name);
        if *is_mut {
            out.static_muts.push(full.clone());
        }
        let ti = info.classify(ty, module, None);
        info.statics.insert(full, ti);
    }
    for (module, name) in &pre.extern_fns {
        out.extern_fns
            .push(format!("{}::{}", info.resolver.module_path(module), name));
    }

    let mut walker = Walker {
        info: &info,
        out: &mut out,
    };
    walker.items(&ast.items, &ctx.module_path, None);
    for (module, items) in &arena {
        walker.items(items, module, None);
    }
    let mut resolver = info.resolver;
    let scopes = std::mem::take(&mut resolver.scopes);
    out.scopes = scopes
        .into_iter()
        .map(|(k, v)| (resolver.module_path(&k), v))
        .collect();
    out
}

struct Walker<'i, 'a> {
    info: &'i FileInfo<'a>,
    out: &'i mut FileFacts,
}

impl Walker<'_, '_> {
    /// Walks module-level items; `function` is set for items nested in a function body.
    fn items(&mut self, items: &[syn::Item], module: &[String], function: Option<&str>) {
        for item in items {
            match item {
                syn::Item::Fn(f) => {
                    let entry = super::gil::fn_entry(&f.attrs);
                    self.function(module, Owner::default(), &f.sig, &f.block, entry);
                }
                syn::Item::Impl(imp) => {
                    let self_type = match &*imp.self_ty {
                        syn::Type::Path(tp) => tp.path.segments.last().map(|s| s.ident.to_string()),
                        _ => None,
                    };
                    let entry = super::gil::impl_entry(&imp.attrs);
                    let of_trait = imp
                        .trait_
                        .as_ref()
                        .and_then(|(_, p, _)| p.segments.last().map(|s| s.ident.to_string()));
                    for ii in &imp.items {
                        match ii {
                            syn::ImplItem::Fn(f) => self.function(
                                module,
                                Owner {
                                    self_type: self_type.as_deref(),
                                    of_trait: of_trait.as_deref(),
                                    generics: Some(&imp.generics),
                                },
                                &f.sig,
                                &f.block,
                                entry,
                            ),
                            // Macros generating methods are not expanded.
                            syn::ImplItem::Macro(_) => self.out.macros_not_expanded += 1,
                            _ => {}
                        }
                    }
                }
                syn::Item::Trait(t) => {
                    let name = t.ident.to_string();
                    for ti in &t.items {
                        if let syn::TraitItem::Fn(f) = ti {
                            if let Some(block) = &f.default {
                                // A default method is the trait's own: `ParallelIterator::chain`.
                                let owner = Owner {
                                    self_type: Some(&name),
                                    of_trait: Some(&name),
                                    generics: None,
                                };
                                self.function(module, owner, &f.sig, block, None);
                            }
                        }
                    }
                }
                syn::Item::Mod(m) => {
                    if let Some((_, content)) = &m.content {
                        let mut sub = module.to_vec();
                        sub.push(m.ident.to_string());
                        self.items(content, &sub, function);
                    }
                }
                syn::Item::Static(s) => self.static_item(s, module, function),
                syn::Item::ForeignMod(fm) => {
                    // `extern { static mut environ: *mut *mut c_char; }`: a foreign mutable static.
                    for fi in &fm.items {
                        if let syn::ForeignItem::Static(s) = fi {
                            if matches!(s.mutability, syn::StaticMutability::Mut(_)) {
                                let name = s.ident.to_string();
                                let site = self.info.site(s.static_token.span, function);
                                self.declare_static(module, &name, site.line);
                                let data = FindingData::StaticMut {
                                    name,
                                    accessed: false,
                                };
                                self.out.item_findings.push(rules::finding(site, data));
                            }
                        }
                    }
                }
                syn::Item::Struct(s) => self.fields(&s.fields, &s.ident),
                syn::Item::Enum(e) => {
                    for v in &e.variants {
                        self.fields(&v.fields, &e.ident);
                    }
                }
                syn::Item::Type(t) => {
                    let ti = self.info.classify(&t.ty, module, None);
                    let site = self.info.site(t.ty.span(), function);
                    push_type_findings(&mut self.out.item_findings, &ti, &site, false);
                }
                syn::Item::Macro(m) => {
                    let name = macro_name(&m.mac);
                    if apis::DECLARATION_MACROS.contains(&name.as_str()) {
                        let found = macro_static_findings(self.info, &m.mac, module, function);
                        for (name, fd) in found {
                            self.declare_static(module, &name, fd.line);
                            self.out.item_findings.push(fd);
                        }
                    }
                }
                _ => {}
            }
        }
    }

    fn function(
        &mut self,
        module: &[String],
        owner: Owner,
        sig: &syn::Signature,
        block: &syn::Block,
        entry: Option<super::gil::PyEntry>,
    ) {
        let (mut facts, nested, not_expanded) =
            body::visit_fn(self.info, module, owner, sig, block);
        facts.gil = super::gil::scan(entry, sig, block);
        self.out.macros_not_expanded += not_expanded;
        let path = facts.path.clone();
        self.out.functions.push(facts);
        if !nested.is_empty() {
            self.items(&nested, module, Some(&path));
        }
    }

    fn static_item(&mut self, s: &syn::ItemStatic, module: &[String], function: Option<&str>) {
        let name = s.ident.to_string();
        let site = self.info.site(s.static_token.span, function);
        if s.attrs
            .iter()
            .any(|a| a.path().is_ident(apis::GLOBAL_ALLOCATOR_ATTR))
        {
            let data = FindingData::GlobalAllocator { name: name.clone() };
            self.out
                .item_findings
                .push(rules::finding(site.clone(), data));
        }
        // `#[thread_local] static` (unstable): one copy per thread, like `thread_local!`; mutating it is no
        // shared, unsynchronised state.
        let thread_local = is_thread_local(&s.attrs);
        if matches!(s.mutability, syn::StaticMutability::Mut(_)) && !thread_local {
            self.declare_static(module, &name, site.line);
            let data = FindingData::StaticMut {
                name,
                accessed: false,
            };
            self.out.item_findings.push(rules::finding(site, data));
            return;
        }
        let ti = self.info.classify(&s.ty, module, None);
        if let Some(what) = ti.interior() {
            self.declare_static(module, &name, site.line);
            let data = FindingData::GlobalState {
                name,
                holder: if thread_local {
                    crate::vocab::GlobalHolder::ThreadLocal
                } else {
                    crate::vocab::GlobalHolder::Static
                },
                holds: what.to_string(),
            };
            self.out.item_findings.push(rules::finding(site, data));
        }
    }

    /// Records a static with an item finding at `line`, for link to trace its uses.
    fn declare_static(&mut self, module: &[String], name: &str, line: u32) {
        let full = format!("{}::{}", self.info.resolver.module_path(module), name);
        self.out.static_decls.push((full, line));
    }

    fn fields(&mut self, fields: &syn::Fields, owner: &syn::Ident) {
        for (i, f) in fields.iter().enumerate() {
            let name = field_name(i, f);
            let Some(ti) = self.info.fields.get(&(owner.to_string(), name)) else {
                continue;
            };
            let site = self.info.site(f.ty.span(), None);
            push_type_findings(&mut self.out.item_findings, ti, &site, true);
        }
    }
}

/// A field's name: its identifier, or its index in a tuple struct.
fn field_name(index: usize, f: &syn::Field) -> String {
    f.ident
        .as_ref()
        .map_or_else(|| index.to_string(), |i| i.to_string())
}

/// True for a function of an `extern` block that declares a compiler intrinsic, not foreign code: the block's
/// ABI is an intrinsic one (`extern "unadjusted"`, `"rust-intrinsic"`, `"platform-intrinsic"`), or the
/// function links to an LLVM intrinsic (`#[link_name = "llvm.x86.sse2.packuswb.128"]`). A call of one is
/// an instruction, not a call into a C library.
fn is_compiler_intrinsic(abi: &syn::Abi, attrs: &[syn::Attribute]) -> bool {
    let intrinsic_abi = abi.name.as_ref().is_some_and(|n| {
        matches!(
            n.value().as_str(),
            "unadjusted" | "rust-intrinsic" | "platform-intrinsic"
        )
    });
    intrinsic_abi
        || attrs.iter().any(|a| {
            let syn::Meta::NameValue(nv) = &a.meta else {
                return false;
            };
            let syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) = &nv.value
            else {
                return false;
            };
            nv.path.is_ident("link_name") && s.value().starts_with("llvm.")
        })
}

/// `#[thread_local]` on a static: one copy per thread.
fn is_thread_local(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| a.path().is_ident("thread_local"))
}
