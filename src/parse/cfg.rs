//! Conditional compilation as rustc applies it, on the syntax tree: evaluating `#[cfg(...)]` predicates against a
//! [`CfgSet`] and removing what is configured out (items, impl/trait items, statements, match arms, fields,
//! variants, `#[test]`/`#[bench]` functions outside tests), choosing the live branch of `cfg_if!`; and counting what
//! was left out, by reason.

use std::collections::BTreeSet;

use proc_macro2::{Delimiter, TokenStream, TokenTree};
use syn::punctuated::Punctuated;
use syn::visit_mut::{self, VisitMut};

/// The cfg options that hold for one compilation: `name` or `name = "value"` pairs (`unix`,
/// `target_os = "linux"`, `feature = "rt"`, `test`...). Anything not in it is false, as with rustc.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CfgSet {
    options: BTreeSet<(String, Option<String>)>,
}

impl CfgSet {
    /// Parses `rustc --print cfg` output: one `name` or `name="value"` a line.
    pub fn from_rustc_print(text: &str) -> CfgSet {
        let mut set = CfgSet::default();
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            match line.split_once('=') {
                Some((k, v)) => set.insert(k.trim(), Some(v.trim().trim_matches('"'))),
                None => set.insert(line, None),
            }
        }
        set
    }

    pub fn insert(&mut self, name: &str, value: Option<&str>) {
        self.options
            .insert((name.to_string(), value.map(str::to_string)));
    }

    pub fn contains(&self, name: &str, value: Option<&str>) -> bool {
        self.options
            .contains(&(name.to_string(), value.map(str::to_string)))
    }

    /// Whether `cfg(test)` holds.
    pub fn test(&self) -> bool {
        self.contains("test", None)
    }
}

/// Why code was left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// `cfg(test)`, `#[test]`, `#[bench]` while test targets are not selected.
    Test,
    /// A predicate on a `feature` that is not enabled.
    Feature,
    /// Any other predicate that is false for the target (`windows`, `target_os = "macos"`, `loom`...).
    Cfg,
}

/// What [`prune`] left out: the number of syntax nodes (items, statements, arms, fields...) per reason.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Excluded {
    pub test: usize,
    pub feature: usize,
    pub cfg: usize,
}

impl Excluded {
    fn add(&mut self, r: Reason) {
        match r {
            Reason::Test => self.test += 1,
            Reason::Feature => self.feature += 1,
            Reason::Cfg => self.cfg += 1,
        }
    }

    pub fn merge(&mut self, other: Excluded) {
        self.test += other.test;
        self.feature += other.feature;
        self.cfg += other.cfg;
    }
}

/// A parsed cfg predicate.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Pred {
    Option(String, Option<String>),
    All(Vec<Pred>),
    Any(Vec<Pred>),
    Not(Box<Pred>),
    Bool(bool),
}

impl Pred {
    fn eval(&self, set: &CfgSet) -> bool {
        match self {
            Pred::Option(n, v) => set.contains(n, v.as_deref()),
            Pred::All(ps) => ps.iter().all(|p| p.eval(set)),
            Pred::Any(ps) => ps.iter().any(|p| p.eval(set)),
            Pred::Not(p) => !p.eval(set),
            Pred::Bool(b) => *b,
        }
    }

    fn mentions(&self, name: &str) -> bool {
        match self {
            Pred::Option(n, _) => n == name,
            Pred::All(ps) | Pred::Any(ps) => ps.iter().any(|p| p.mentions(name)),
            Pred::Not(p) => p.mentions(name),
            Pred::Bool(_) => false,
        }
    }

    fn reason(&self) -> Reason {
        if self.mentions("test") {
            Reason::Test
        } else if self.mentions("feature") {
            Reason::Feature
        } else {
            Reason::Cfg
        }
    }
}

fn parse_pred(tokens: TokenStream) -> Option<Pred> {
    let meta: syn::Meta = syn::parse2(tokens.clone()).ok().or_else(|| {
        // `cfg(true)` / `cfg(false)`: keywords, not paths.
        let text = tokens.to_string();
        match text.trim() {
            "true" => Some(syn::parse_quote!(__cfg_true)),
            "false" => Some(syn::parse_quote!(__cfg_false)),
            _ => None,
        }
    })?;
    meta_pred(&meta)
}

fn meta_pred(meta: &syn::Meta) -> Option<Pred> {
    match meta {
        syn::Meta::Path(p) => {
            let name = p.get_ident()?.to_string();
            Some(match name.as_str() {
                "__cfg_true" => Pred::Bool(true),
                "__cfg_false" => Pred::Bool(false),
                _ => Pred::Option(name, None),
            })
        }
        syn::Meta::NameValue(nv) => {
            let name = nv.path.get_ident()?.to_string();
            match &nv.value {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) => Some(Pred::Option(name, Some(s.value()))),
                _ => None,
            }
        }
        syn::Meta::List(list) => {
            let name = list.path.get_ident()?.to_string();
            let nested = list
                .parse_args_with(Punctuated::<syn::Meta, syn::Token![,]>::parse_terminated)
                .ok()?;
            let mut preds = Vec::new();
            for m in &nested {
                preds.push(meta_pred(m)?);
            }
            match name.as_str() {
                "all" => Some(Pred::All(preds)),
                "any" => Some(Pred::Any(preds)),
                "not" if preds.len() == 1 => Some(Pred::Not(Box::new(preds.remove(0)))),
                _ => None,
            }
        }
    }
}

/// `Some(reason)` when `attrs` configure their node out under `set`. A predicate that does not parse keeps the
/// node (the analysis errs towards seeing code).
fn configured_out(attrs: &[syn::Attribute], set: &CfgSet) -> Option<Reason> {
    for a in attrs {
        if a.path().is_ident("cfg") {
            let syn::Meta::List(list) = &a.meta else {
                continue;
            };
            if let Some(p) = parse_pred(list.tokens.clone()) {
                if !p.eval(set) {
                    return Some(p.reason());
                }
            }
        } else if (a.path().is_ident("test") || a.path().is_ident("bench")) && !set.test() {
            return Some(Reason::Test);
        }
    }
    None
}

/// Removes from `file` everything configured out under `set`; returns what was removed.
pub fn prune(file: &mut syn::File, set: &CfgSet) -> Excluded {
    let mut pruner = Pruner {
        set,
        excluded: Excluded::default(),
    };
    if let Some(r) = configured_out(&file.attrs, set) {
        // `#![cfg(...)]` false: the whole file is configured out.
        pruner.excluded.add(r);
        file.items.clear();
        return pruner.excluded;
    }
    pruner.items(&mut file.items);
    for item in &mut file.items {
        pruner.visit_item_mut(item);
    }
    pruner.excluded
}

struct Pruner<'a> {
    set: &'a CfgSet,
    excluded: Excluded,
}

impl Pruner<'_> {
    /// Drops configured-out items and replaces each `cfg_if!` call by the items of its live branch.
    fn items(&mut self, items: &mut Vec<syn::Item>) {
        let old = std::mem::take(items);
        for item in old {
            if let Some(r) = configured_out(item_attrs(&item), self.set) {
                self.excluded.add(r);
                continue;
            }
            if let syn::Item::Macro(m) = &item {
                if is_cfg_if(&m.mac) {
                    if let Some(mut chosen) = self.cfg_if(&m.mac.tokens) {
                        self.items(&mut chosen);
                        items.extend(chosen);
                        continue;
                    }
                }
            }
            items.push(item);
        }
    }

    /// The items of the first `cfg_if!` branch whose predicate holds (or of `else`); the other branches'
    /// items are counted as excluded. `None` when the body is not `cfg_if!` syntax.
    fn cfg_if(&mut self, tokens: &TokenStream) -> Option<Vec<syn::Item>> {
        let tts: Vec<TokenTree> = tokens.clone().into_iter().collect();
        let mut i = 0;
        let mut chosen: Option<Vec<syn::Item>> = None;
        loop {
            // `if #[cfg(pred)] { items }` or, after `else`, `{ items }`.
            let pred = match tts.get(i) {
                Some(TokenTree::Ident(id)) if id == "if" => {
                    let (Some(TokenTree::Punct(hash)), Some(TokenTree::Group(attr))) =
                        (tts.get(i + 1), tts.get(i + 2))
                    else {
                        return None;
                    };
                    if hash.as_char() != '#' || attr.delimiter() != Delimiter::Bracket {
                        return None;
                    }
                    let meta: syn::Meta = syn::parse2(attr.stream()).ok()?;
                    let syn::Meta::List(list) = meta else {
                        return None;
                    };
                    if !list.path.is_ident("cfg") {
                        return None;
                    }
                    i += 3;
                    Some(parse_pred(list.tokens)?)
                }
                Some(TokenTree::Group(_)) => None,
                _ => return None,
            };
            let Some(TokenTree::Group(body)) = tts.get(i) else {
                return None;
            };
            if body.delimiter() != Delimiter::Brace {
                return None;
            }
            i += 1;
            let branch: Vec<syn::Item> = syn::parse2::<syn::File>(body.stream()).ok()?.items;
            let live = chosen.is_none() && pred.as_ref().is_none_or(|p| p.eval(self.set));
            if live {
                chosen = Some(branch);
            } else {
                let reason = pred.as_ref().map(Pred::reason).unwrap_or(Reason::Cfg);
                for _ in &branch {
                    self.excluded.add(reason);
                }
            }
            match tts.get(i) {
                None => break,
                Some(TokenTree::Ident(id)) if id == "else" => i += 1,
                _ => return None,
            }
            // Tokens after a bare `else { }` branch: not `cfg_if!` syntax.
            pred.as_ref()?;
        }
        Some(chosen.unwrap_or_default())
    }

    fn retain<T>(&mut self, list: &mut Vec<T>, attrs: impl Fn(&T) -> &[syn::Attribute]) {
        list.retain(|x| match configured_out(attrs(x), self.set) {
            Some(r) => {
                self.excluded.add(r);
                false
            }
            None => true,
        });
    }

    fn retain_punct<T, P>(
        &mut self,
        list: &mut Punctuated<T, P>,
        attrs: impl Fn(&T) -> &[syn::Attribute],
    ) where
        P: Default,
    {
        let old = std::mem::take(list);
        for x in old {
            match configured_out(attrs(&x), self.set) {
                Some(r) => self.excluded.add(r),
                None => list.push(x),
            }
        }
    }
}

fn is_cfg_if(mac: &syn::Macro) -> bool {
    mac.path
        .segments
        .last()
        .is_some_and(|s| s.ident == "cfg_if")
}

fn item_attrs(item: &syn::Item) -> &[syn::Attribute] {
    use syn::Item::*;
    match item {
        Const(i) => &i.attrs,
        Enum(i) => &i.attrs,
        ExternCrate(i) => &i.attrs,
        Fn(i) => &i.attrs,
        ForeignMod(i) => &i.attrs,
        Impl(i) => &i.attrs,
        Macro(i) => &i.attrs,
        Mod(i) => &i.attrs,
        Static(i) => &i.attrs,
        Struct(i) => &i.attrs,
        Trait(i) => &i.attrs,
        TraitAlias(i) => &i.attrs,
        Type(i) => &i.attrs,
        Union(i) => &i.attrs,
        Use(i) => &i.attrs,
        _ => &[],
    }
}

fn stmt_attrs(stmt: &syn::Stmt) -> &[syn::Attribute] {
    match stmt {
        syn::Stmt::Local(l) => &l.attrs,
        syn::Stmt::Item(i) => item_attrs(i),
        syn::Stmt::Expr(e, _) => expr_attrs(e),
        syn::Stmt::Macro(m) => &m.attrs,
    }
}

fn expr_attrs(e: &syn::Expr) -> &[syn::Attribute] {
    use syn::Expr::*;
    match e {
        Array(x) => &x.attrs,
        Assign(x) => &x.attrs,
        Async(x) => &x.attrs,
        Await(x) => &x.attrs,
        Binary(x) => &x.attrs,
        Block(x) => &x.attrs,
        Break(x) => &x.attrs,
        Call(x) => &x.attrs,
        Closure(x) => &x.attrs,
        ForLoop(x) => &x.attrs,
        If(x) => &x.attrs,
        Loop(x) => &x.attrs,
        Macro(x) => &x.attrs,
        Match(x) => &x.attrs,
        MethodCall(x) => &x.attrs,
        Path(x) => &x.attrs,
        Return(x) => &x.attrs,
        Struct(x) => &x.attrs,
        Unsafe(x) => &x.attrs,
        While(x) => &x.attrs,
        _ => &[],
    }
}

impl VisitMut for Pruner<'_> {
    fn visit_item_mod_mut(&mut self, m: &mut syn::ItemMod) {
        if let Some((_, items)) = &mut m.content {
            self.items(items);
        }
        visit_mut::visit_item_mod_mut(self, m);
    }

    fn visit_item_impl_mut(&mut self, i: &mut syn::ItemImpl) {
        self.retain(&mut i.items, |x| match x {
            syn::ImplItem::Const(c) => &c.attrs,
            syn::ImplItem::Fn(f) => &f.attrs,
            syn::ImplItem::Type(t) => &t.attrs,
            syn::ImplItem::Macro(m) => &m.attrs,
            _ => &[],
        });
        visit_mut::visit_item_impl_mut(self, i);
    }

    fn visit_item_trait_mut(&mut self, t: &mut syn::ItemTrait) {
        self.retain(&mut t.items, |x| match x {
            syn::TraitItem::Const(c) => &c.attrs,
            syn::TraitItem::Fn(f) => &f.attrs,
            syn::TraitItem::Type(t) => &t.attrs,
            syn::TraitItem::Macro(m) => &m.attrs,
            _ => &[],
        });
        visit_mut::visit_item_trait_mut(self, t);
    }

    fn visit_item_foreign_mod_mut(&mut self, f: &mut syn::ItemForeignMod) {
        self.retain(&mut f.items, |x| match x {
            syn::ForeignItem::Fn(f) => &f.attrs,
            syn::ForeignItem::Static(s) => &s.attrs,
            syn::ForeignItem::Type(t) => &t.attrs,
            syn::ForeignItem::Macro(m) => &m.attrs,
            _ => &[],
        });
        visit_mut::visit_item_foreign_mod_mut(self, f);
    }

    fn visit_block_mut(&mut self, b: &mut syn::Block) {
        let old = std::mem::take(&mut b.stmts);
        for stmt in old {
            if let Some(r) = configured_out(stmt_attrs(&stmt), self.set) {
                self.excluded.add(r);
                continue;
            }
            let mac = match &stmt {
                syn::Stmt::Macro(m) => Some(&m.mac),
                syn::Stmt::Item(syn::Item::Macro(m)) => Some(&m.mac),
                _ => None,
            };
            if let Some(mac) = mac.filter(|m| is_cfg_if(m)) {
                if let Some(mut chosen) = self.cfg_if(&mac.tokens) {
                    self.items(&mut chosen);
                    b.stmts.extend(chosen.into_iter().map(syn::Stmt::Item));
                    continue;
                }
            }
            b.stmts.push(stmt);
        }
        visit_mut::visit_block_mut(self, b);
    }

    fn visit_expr_match_mut(&mut self, m: &mut syn::ExprMatch) {
        self.retain(&mut m.arms, |a| &a.attrs);
        visit_mut::visit_expr_match_mut(self, m);
    }

    fn visit_fields_named_mut(&mut self, f: &mut syn::FieldsNamed) {
        self.retain_punct(&mut f.named, |x| &x.attrs);
        visit_mut::visit_fields_named_mut(self, f);
    }

    fn visit_fields_unnamed_mut(&mut self, f: &mut syn::FieldsUnnamed) {
        self.retain_punct(&mut f.unnamed, |x| &x.attrs);
        visit_mut::visit_fields_unnamed_mut(self, f);
    }

    fn visit_item_enum_mut(&mut self, e: &mut syn::ItemEnum) {
        self.retain_punct(&mut e.variants, |x| &x.attrs);
        visit_mut::visit_item_enum_mut(self, e);
    }

    fn visit_expr_struct_mut(&mut self, s: &mut syn::ExprStruct) {
        self.retain_punct(&mut s.fields, |x| &x.attrs);
        visit_mut::visit_expr_struct_mut(self, s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn linux(test: bool, features: &[&str]) -> CfgSet {
        let mut set = CfgSet::from_rustc_print(
            "debug_assertions\npanic=\"unwind\"\ntarget_family=\"unix\"\ntarget_os=\"linux\"\nunix\n",
        );
        for f in features {
            set.insert("feature", Some(f));
        }
        if test {
            set.insert("test", None);
        }
        set
    }

    /// `check(src, set, kept, excluded)`: the names of the functions left (in order) and the counts removed.
    fn check(src: &str, set: &CfgSet, kept: &[&str], excluded: (usize, usize, usize)) {
        let mut file = syn::parse_file(src).unwrap();
        let got = prune(&mut file, set);
        let mut names = Vec::new();
        struct Names<'a>(&'a mut Vec<String>);
        impl<'ast> syn::visit::Visit<'ast> for Names<'_> {
            fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
                self.0.push(f.sig.ident.to_string());
                syn::visit::visit_item_fn(self, f);
            }
            fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
                self.0.push(f.sig.ident.to_string());
                syn::visit::visit_impl_item_fn(self, f);
            }
            fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
                if let syn::Expr::Path(p) = &*c.func {
                    self.0
                        .push(format!("{}()", quote::quote!(#p)).replace(' ', ""));
                }
                syn::visit::visit_expr_call(self, c);
            }
            fn visit_field(&mut self, f: &'ast syn::Field) {
                if let Some(i) = &f.ident {
                    self.0.push(format!(".{i}"));
                }
            }
        }
        syn::visit::Visit::visit_file(&mut Names(&mut names), &file);
        assert_eq!(names, kept, "kept of {src}");
        assert_eq!(
            (got.test, got.feature, got.cfg),
            excluded,
            "excluded (test, feature, cfg) of {src}"
        );
    }

    #[test]
    fn predicates_follow_rustc() {
        let host = linux(false, &["rt"]);
        check(
            "#[cfg(unix)] fn a() {} #[cfg(windows)] fn b() {} #[cfg(not(windows))] fn c() {}",
            &host,
            &["a", "c"],
            (0, 0, 1),
        );
        check(
            r#"#[cfg(all(unix, target_os = "linux"))] fn a() {} #[cfg(any(target_os = "macos", windows))] fn b() {}"#,
            &host,
            &["a"],
            (0, 0, 1),
        );
        check(
            r#"#[cfg(feature = "rt")] fn a() {} #[cfg(feature = "net")] fn b() {} #[cfg(all(unix, feature = "net"))] fn c() {}"#,
            &host,
            &["a"],
            (0, 2, 0),
        );
        // Unknown cfgs are false, as with rustc without `--cfg`; an unparsable predicate keeps the code.
        check(
            "#[cfg(loom)] fn a() {} #[cfg(not(loom))] fn b() {} #[cfg(weird(x))] fn c() {}",
            &host,
            &["b", "c"],
            (0, 0, 1),
        );
        check(
            "#[cfg(true)] fn a() {} #[cfg(false)] fn b() {}",
            &host,
            &["a"],
            (0, 0, 1),
        );
    }

    #[test]
    fn test_code_only_with_test() {
        let src = "fn lib() {} #[cfg(test)] mod tests { fn helper() {} #[test] fn t() {} } #[test] fn bare() {}";
        check(src, &linux(false, &[]), &["lib"], (2, 0, 0));
        check(
            src,
            &linux(true, &[]),
            &["lib", "helper", "t", "bare"],
            (0, 0, 0),
        );
    }

    #[test]
    fn nested_nodes_are_pruned() {
        let host = linux(false, &[]);
        check(
            "struct S { a: u8, #[cfg(windows)] b: u8 }
             impl S { #[cfg(windows)] fn w() {} fn u() {} }
             fn f(x: u8) {
                 #[cfg(windows)] win();
                 #[cfg(unix)] { nix(); }
                 match x { #[cfg(windows)] 1 => w2(), _ => any() }
                 #[cfg(feature = \"x\")] let y = feat();
             }",
            &host,
            &[".a", "u", "f", "nix()", "any()"],
            (0, 1, 4),
        );
    }

    #[test]
    fn cfg_if_keeps_the_live_branch() {
        let host = linux(false, &["fast"]);
        check(
            "cfg_if::cfg_if! {
                 if #[cfg(windows)] { fn w() {} fn w2() {} }
                 else if #[cfg(unix)] { fn u() {} }
                 else { fn other() {} }
             }
             fn body() { cfg_if! { if #[cfg(feature = \"slow\")] { fn s() {} } else { fn f() {} } } }",
            &host,
            &["u", "body", "f"],
            (0, 1, 3),
        );
        // A `cfg_if!` without a live branch keeps nothing.
        check(
            "cfg_if! { if #[cfg(windows)] { fn w() {} } }",
            &host,
            &[],
            (0, 0, 1),
        );
    }

    #[test]
    fn inner_cfg_configures_the_whole_file_out() {
        check(
            "#![cfg(windows)]\nfn a() {}\nfn b() {}",
            &linux(false, &[]),
            &[],
            (0, 0, 1),
        );
    }

    #[test]
    fn rustc_print_cfg_is_parsed() {
        let set = CfgSet::from_rustc_print("unix\ntarget_os=\"linux\"\ntarget_feature=\"sse2\"\n");
        assert!(set.contains("unix", None));
        assert!(set.contains("target_os", Some("linux")));
        assert!(set.contains("target_feature", Some("sse2")));
        assert!(!set.contains("windows", None));
        assert!(!set.test());
    }
}
