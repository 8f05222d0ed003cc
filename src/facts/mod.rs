//! Per-file facts: name resolution and everything one file says about each of its functions
//! (calls, locks and guards, blocking sites, shared state, compute score). Pure: facts/ does no I/O.
//!
//! Entry point: [`extract`], called once per parsed file, on a rayon worker, while the AST is alive
//! (syn's ASTs are not `Send`, so everything returned here is plain data).

use crate::analyze::model::{Edition, Finding};

/// Where a file sits: which package and crate, at which module path, in which edition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileContext {
    pub package: String,
    /// Crate name of the target that reaches this file, with `_` (e.g. `demo`, or a bin's name).
    pub crate_name: String,
    /// Module path of the file inside the crate, without the crate name (`[]` for the root).
    pub module_path: Vec<String>,
    /// Relative to the workspace root, `/`-separated: what findings carry in `file`.
    pub rel_path: String,
    pub edition: Edition,
}

/// Everything extracted from one file.
#[derive(Debug, Clone, Default)]
pub struct FileFacts {
    pub rel_path: String,
    /// Findings outside any function (e.g. a `static` item).
    pub item_findings: Vec<Finding>,
    /// Macro calls whose tokens could not be parsed as Rust.
    pub macros_not_expanded: usize,
}

/// Extracts the facts of one file.
pub fn extract(ctx: &FileContext, ast: &syn::File) -> FileFacts {
    let _ = ast;
    FileFacts {
        rel_path: ctx.rel_path.clone(),
        ..FileFacts::default()
    }
}
