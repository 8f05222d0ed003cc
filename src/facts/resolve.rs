//! Name resolution within one file: module scopes built from `use` items and local items, so that every
//! path is known by its full path (`fs::read` after `use std::fs;` is `std::fs::read`).

use std::collections::HashMap;
use std::sync::Arc;

use crate::parse::Edition;
use crate::rules::apis::{self, Apis};

/// One `use` leaf before resolution.
#[derive(Debug, Clone)]
pub struct UseEntry {
    pub module: Vec<String>,
    pub segs: Vec<String>,
    pub leading_colon: bool,
    /// `None` for a glob; otherwise the name it binds.
    pub alias: Option<String>,
}

/// Names visible in one module.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct ModuleScope {
    /// Local items and `use` bindings: name → full path.
    pub names: HashMap<String, String>,
    /// Full paths of glob imports.
    pub globs: Vec<String>,
}

/// The module scopes of the files above a file in its module tree (its parent file first, then that file's
/// parent...), keyed by module full path: what `use super::*;` imports when the parent module is another file.
#[derive(Debug, Default)]
pub struct ScopeChain {
    pub scopes: HashMap<String, ModuleScope>,
    pub parent: Option<Arc<ScopeChain>>,
}

impl ScopeChain {
    /// The scope of the module with full path `full`, from the nearest file that declares it.
    pub fn get(&self, full: &str) -> Option<&ModuleScope> {
        let mut at = Some(self);
        while let Some(chain) = at {
            if let Some(s) = chain.scopes.get(full) {
                return Some(s);
            }
            at = chain.parent.as_deref();
        }
        None
    }
}

/// Resolves paths for one file.
#[derive(Debug, Default)]
pub struct Resolver {
    pub crate_name: String,
    pub edition: Option<Edition>,
    pub scopes: HashMap<Vec<String>, ModuleScope>,
    pub extern_crates: Vec<String>,
    /// Full path of each module of the file → its key in `scopes` (filled by [`Resolver::add_uses`]).
    pub modules_by_path: HashMap<String, Vec<String>>,
    /// Scopes of the modules of ancestor files, for glob imports of modules declared there.
    pub inherited: Option<Arc<ScopeChain>>,
    /// The API index: a glob of a known API module (`use std::fs::*;`) resolves names it knows.
    pub apis: Arc<Apis>,
}

/// Flattens a use tree into entries.
pub fn flatten_use(
    tree: &syn::UseTree,
    prefix: &mut Vec<String>,
    module: &[String],
    leading_colon: bool,
    out: &mut Vec<UseEntry>,
) {
    match tree {
        syn::UseTree::Path(p) => {
            prefix.push(p.ident.to_string());
            flatten_use(&p.tree, prefix, module, leading_colon, out);
            prefix.pop();
        }
        syn::UseTree::Name(n) => {
            let name = n.ident.to_string();
            if name == "self" {
                if let Some(last) = prefix.last().cloned() {
                    out.push(UseEntry {
                        module: module.to_vec(),
                        segs: prefix.clone(),
                        leading_colon,
                        alias: Some(last),
                    });
                }
            } else {
                let mut segs = prefix.clone();
                segs.push(name.clone());
                out.push(UseEntry {
                    module: module.to_vec(),
                    segs,
                    leading_colon,
                    alias: Some(name),
                });
            }
        }
        syn::UseTree::Rename(r) => {
            let alias = r.rename.to_string();
            if alias == "_" {
                return;
            }
            let mut segs = prefix.clone();
            let name = r.ident.to_string();
            if name != "self" {
                segs.push(name);
            }
            out.push(UseEntry {
                module: module.to_vec(),
                segs,
                leading_colon,
                alias: Some(alias),
            });
        }
        syn::UseTree::Glob(_) => out.push(UseEntry {
            module: module.to_vec(),
            segs: prefix.clone(),
            leading_colon,
            alias: None,
        }),
        syn::UseTree::Group(g) => {
            for t in &g.items {
                flatten_use(t, prefix, module, leading_colon, out);
            }
        }
    }
}

fn std_root(seg: &str) -> Option<&'static str> {
    apis::STD_ROOTS
        .iter()
        .find(|(r, _)| *r == seg)
        .map(|&(_, to)| to)
}

fn join(head: &str, rest: &[String]) -> String {
    let mut s = head.to_string();
    for r in rest {
        if !s.is_empty() {
            s.push_str("::");
        }
        s.push_str(r);
    }
    s
}

impl Resolver {
    /// The full path of module `module` (crate name first).
    pub fn module_path(&self, module: &[String]) -> String {
        join(&self.crate_name, module)
    }

    /// Declares a local item `name` in `module`.
    pub fn declare(&mut self, module: &[String], name: &str) {
        let full = format!("{}::{}", self.module_path(module), name);
        self.scopes
            .entry(module.to_vec())
            .or_default()
            .names
            .insert(name.to_string(), full);
    }

    /// Resolves `use` entries (after every local item is declared). Uses are resolved against local items and
    /// earlier uses; a path that starts with an unknown name is taken as an external crate path.
    pub fn add_uses(&mut self, uses: &[UseEntry]) {
        for u in uses {
            let Some(full) = self.resolve_use_path(u) else {
                continue;
            };
            let scope = self.scopes.entry(u.module.clone()).or_default();
            match &u.alias {
                Some(alias) => {
                    scope.names.insert(alias.clone(), full);
                }
                None => scope.globs.push(full),
            }
        }
        self.modules_by_path = self
            .scopes
            .keys()
            .map(|k| (self.module_path(k), k.clone()))
            .collect();
    }

    fn resolve_use_path(&self, u: &UseEntry) -> Option<String> {
        let first = u.segs.first()?;
        if u.leading_colon {
            return Some(self.absolute(&u.segs));
        }
        match first.as_str() {
            "crate" | "self" | "super" => self.relative(&u.module, &u.segs),
            _ => {
                if let Some(root) = std_root(first) {
                    return Some(join(root, &u.segs[1..]));
                }
                if let Some(local) = self.scopes.get(&u.module).and_then(|s| s.names.get(first)) {
                    return Some(join(local, &u.segs[1..]));
                }
                if self.edition == Some(Edition::E2015) && !self.extern_crates.contains(first) {
                    return Some(join(&self.crate_name, &u.segs));
                }
                Some(join("", &u.segs))
            }
        }
    }

    fn absolute(&self, segs: &[String]) -> String {
        match segs.first().and_then(|s| std_root(s)) {
            Some(root) => join(root, &segs[1..]),
            None => join("", segs),
        }
    }

    /// `crate::`, `self::`, `super::` paths.
    fn relative(&self, module: &[String], segs: &[String]) -> Option<String> {
        let mut base: Vec<String> = module.to_vec();
        let mut i = 0;
        match segs.first()?.as_str() {
            "crate" => {
                base.clear();
                i = 1;
            }
            "self" => i = 1,
            _ => {}
        }
        while segs.get(i).is_some_and(|s| s == "super") {
            base.pop();
            i += 1;
        }
        let mut full = self.module_path(&base);
        for s in &segs[i..] {
            full.push_str("::");
            full.push_str(s);
        }
        Some(full)
    }

    /// The module of this file whose full path is `full` (`demo::a::b` → `[a, b]`), when the file declares it.
    fn file_module(&self, full: &str) -> Option<&Vec<String>> {
        self.modules_by_path.get(full)
    }

    /// `name` as imported by a glob of a module of this file or of an ancestor file (`use super::*;`,
    /// `use crate::m::*;`): the items that module declares and the names it imports, following its own globs.
    /// `extra_globs` are block-level glob imports, searched first.
    pub fn glob_lookup<'g>(
        &self,
        module: &[String],
        extra_globs: impl Iterator<Item = &'g String>,
        name: &str,
    ) -> Option<String> {
        // Block-level globs (innermost first), then the module's own, then theirs (breadth-first, each module
        // once: glob cycles are legal).
        let mut queue: std::collections::VecDeque<&str> = extra_globs.map(String::as_str).collect();
        queue.make_contiguous().reverse();
        if let Some(scope) = self.scopes.get(module) {
            queue.extend(scope.globs.iter().map(String::as_str));
        }
        let mut seen: Vec<&str> = Vec::new();
        while let Some(glob) = queue.pop_front() {
            if seen.contains(&glob) {
                continue;
            }
            seen.push(glob);
            let scope = match self.file_module(glob) {
                Some(key) => self.scopes.get(key),
                None => self.inherited.as_deref().and_then(|c| c.get(glob)),
            };
            let Some(scope) = scope else {
                continue;
            };
            if let Some(full) = scope.names.get(name) {
                return Some(full.clone());
            }
            queue.extend(scope.globs.iter().map(String::as_str));
        }
        None
    }

    /// Resolves a path in `module`. `overlay` holds block-level `use` items and nested fns (searched first;
    /// a name of `*` is a glob import).
    /// `self_type` is the full path of the impl's self type (for `Self::`). Returns the candidates: the first is
    /// the best guess; more when glob imports could provide a single-segment name.
    pub fn resolve(
        &self,
        module: &[String],
        overlay: &[(String, String)],
        self_type: Option<&str>,
        segs: &[String],
        leading_colon: bool,
    ) -> Vec<String> {
        let Some(first) = segs.first() else {
            return Vec::new();
        };
        if leading_colon {
            return vec![self.absolute(segs)];
        }
        match first.as_str() {
            "crate" | "self" | "super" => return self.relative(module, segs).into_iter().collect(),
            "Self" => return self_type.map(|t| join(t, &segs[1..])).into_iter().collect(),
            _ => {}
        }
        if let Some((_, full)) = overlay.iter().rev().find(|(n, _)| n == first && n != "*") {
            return vec![join(full, &segs[1..])];
        }
        let scope = self.scopes.get(module);
        if let Some(full) = scope.and_then(|s| s.names.get(first)) {
            return vec![join(full, &segs[1..])];
        }
        let overlay_globs = overlay.iter().filter(|(n, _)| n == "*").map(|(_, g)| g);
        if let Some(full) = self.glob_lookup(module, overlay_globs, first) {
            return vec![join(&full, &segs[1..])];
        }
        if let Some(root) = std_root(first) {
            return vec![join(root, &segs[1..])];
        }
        if segs.len() > 1 {
            return vec![join("", segs)];
        }
        let local = format!("{}::{}", self.module_path(module), first);
        let globs: Vec<&String> = overlay
            .iter()
            .filter(|(n, _)| n == "*")
            .map(|(_, g)| g)
            .chain(scope.map(|s| s.globs.as_slice()).unwrap_or(&[]))
            .collect();
        // A glob of a known API module (`use std::fs::*;`) wins when the name is in the tables.
        for g in &globs {
            let cand = format!("{g}::{first}");
            if self.apis.is_known(&cand) {
                return vec![cand];
            }
        }
        let mut out = vec![local];
        out.extend(globs.iter().map(|g| format!("{g}::{first}")));
        out
    }
}

/// Segments of a syn path (generic arguments dropped).
pub fn segments(path: &syn::Path) -> Vec<String> {
    path.segments.iter().map(|s| s.ident.to_string()).collect()
}
