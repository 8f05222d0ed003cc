//! The module tree rules: which `mod` declarations a file makes (at top level, in inline modules and in
//! item-position macro calls) and which file each one loads (`x.rs`, `x/mod.rs`, `#[path]`).

use std::path::{Path, PathBuf};

/// A file of a crate's module tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleFile {
    pub path: PathBuf,
    /// Module path inside the crate (without the crate name).
    pub module_path: Vec<String>,
    /// Whether child modules live in this file's own directory (crate roots, `mod.rs`, `#[path]` files)
    /// rather than in a directory named after the module.
    pub mod_rs: bool,
}

/// A `mod name;` declaration without a body, as found in a file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ModDecl {
    pub name: String,
    /// Inline modules enclosing the declaration, outermost first (`mod a { mod b { mod x; } }` → [a, b]).
    pub inline: Vec<String>,
    /// `#[path = "..."]` on the declaration.
    pub path_attr: Option<String>,
}

/// Every out-of-line `mod` declaration of a file, including those in inline modules and macro bodies.
pub fn mod_decls(file: &syn::File) -> Vec<ModDecl> {
    let mut out = Vec::new();
    collect(&file.items, &mut Vec::new(), &mut out);
    out
}

fn collect(items: &[syn::Item], inline: &mut Vec<String>, out: &mut Vec<ModDecl>) {
    for item in items {
        match item {
            syn::Item::Mod(m) => {
                let name = m.ident.to_string();
                match &m.content {
                    None => out.push(ModDecl {
                        name,
                        inline: inline.clone(),
                        path_attr: path_attr(&m.attrs),
                    }),
                    Some((_, inner)) => {
                        inline.push(name);
                        collect(inner, inline, out);
                        inline.pop();
                    }
                }
            }
            syn::Item::Macro(m) => {
                if let Some(inner) = crate::parse::macro_items(&m.mac.tokens) {
                    collect(&inner, inline, out);
                }
            }
            _ => {}
        }
    }
}

/// The `#[path = "..."]` value among `attrs`.
pub(crate) fn path_attr(attrs: &[syn::Attribute]) -> Option<String> {
    attrs.iter().find_map(|a| {
        if !a.path().is_ident("path") {
            return None;
        }
        match &a.meta {
            syn::Meta::NameValue(nv) => match &nv.value {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) => Some(s.value()),
                _ => None,
            },
            _ => None,
        }
    })
}

/// The files that `decls` (made in `parent`) load. Declarations whose file does not exist (often
/// `#[cfg]`-gated) are skipped; a path that exists but is no readable file (a directory, a FIFO, a
/// dangling symlink or a symlink loop) is kept, so that reading it reports why.
pub fn children(parent: &ModuleFile, decls: &[ModDecl]) -> Vec<ModuleFile> {
    let dir = parent.path.parent().unwrap_or(Path::new("."));
    // Where the children of `parent` live.
    let base = if parent.mod_rs {
        dir.to_path_buf()
    } else {
        let stem = parent
            .path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        dir.join(stem)
    };
    let mut out = Vec::new();
    for d in decls {
        let mut module_path = parent.module_path.clone();
        module_path.extend(d.inline.iter().cloned());
        module_path.push(d.name.clone());
        let mut inline_dir = base.clone();
        for m in &d.inline {
            inline_dir.push(m);
        }
        let found = match &d.path_attr {
            Some(p) => {
                // Outside inline modules `#[path]` is relative to the file's directory; inside them, to the
                // directory of the inline module.
                let p = if d.inline.is_empty() {
                    dir.join(p)
                } else {
                    inline_dir.join(p)
                };
                present(&p).then_some((p, true))
            }
            None => {
                let flat = inline_dir.join(format!("{}.rs", d.name));
                let nested = inline_dir.join(&d.name).join("mod.rs");
                if present(&flat) {
                    Some((flat, false))
                } else if present(&nested) {
                    Some((nested, true))
                } else {
                    None
                }
            }
        };
        if let Some((path, mod_rs)) = found {
            out.push(ModuleFile {
                path,
                module_path,
                mod_rs,
            });
        }
    }
    out
}

/// Whether anything (a file, a directory, a FIFO, a symlink even if dangling) is at `path`.
fn present(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decls(src: &str) -> Vec<ModDecl> {
        mod_decls(&crate::parse::parse_source(src).expect("parses"))
    }

    #[test]
    fn finds_top_level_inline_and_macro_mods() {
        let d = decls(
            "mod a; mod b { mod c; #[path = \"x/y.rs\"] mod d; }
             cfg_if::cfg_if! { if #[cfg(unix)] { mod e; } else { mod f; } }
             cfg_rt! { pub mod g; }
             mod inline_only { fn x() {} }",
        );
        let names: Vec<(String, Vec<String>, Option<String>)> = d
            .into_iter()
            .map(|d| (d.name, d.inline, d.path_attr))
            .collect();
        assert_eq!(
            names,
            vec![
                ("a".into(), vec![], None),
                ("c".into(), vec!["b".into()], None),
                ("d".into(), vec!["b".into()], Some("x/y.rs".into())),
                ("e".into(), vec![], None),
                ("f".into(), vec![], None),
                ("g".into(), vec![], None),
            ]
        );
    }

    #[test]
    fn module_path_from_file_rules() {
        let root = Path::new("/p");
        assert_eq!(
            super::super::module_path_from_file(root, Path::new("/p/src/a/b.rs")),
            vec!["a", "b"]
        );
        assert_eq!(
            super::super::module_path_from_file(root, Path::new("/p/src/a/mod.rs")),
            vec!["a"]
        );
        assert_eq!(
            super::super::module_path_from_file(root, Path::new("/p/src/lib.rs")),
            Vec::<String>::new()
        );
        assert_eq!(
            super::super::module_path_from_file(root, Path::new("/p/tests/it-x.rs")),
            vec!["tests", "it_x"]
        );
    }
}
