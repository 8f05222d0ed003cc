//! The analysis document: what `analyze` finds, as serialized by `--format json` (contract section 3).

use serde::{Deserialize, Serialize};

use crate::vocab::{Finding, FunctionDoc};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParseErrorDoc {
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub message: String,
    /// Extension: what the error cost: the whole file, or one item (the rest of the file was analyzed).
    #[serde(default)]
    pub skipped: Skipped,
}

/// What a parse error left out of the analysis.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Skipped {
    /// The file could not be read or tokenized: nothing of it is analyzed.
    #[default]
    File,
    /// One top-level item (or an item of an inline module) did not parse; the rest of the file is analyzed.
    Item,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilesDoc {
    /// Files read and parsed (successfully or not).
    pub analyzed: usize,
    pub parse_errors: Vec<ParseErrorDoc>,
    /// Extension: files with at least one parse error (`parse_errors` has one entry per item lost).
    #[serde(default)]
    pub unparsable: usize,
    /// Extension: `.rs` files under a package that no selected target reaches, analyzed in the widest scope
    /// (`--all-targets --all-cfgs`); otherwise they are counted in `excluded.files` instead.
    #[serde(default)]
    pub not_reached: usize,
    /// Extension: macro calls whose tokens could not be looked into (not parseable as Rust).
    #[serde(default)]
    pub macros_not_expanded: usize,
    /// Extension: total bytes of source read.
    #[serde(default)]
    pub bytes: u64,
    /// Extension: what the scope (targets, features, cfg) left out of the analysis.
    #[serde(default)]
    pub excluded: ExcludedDoc,
    /// The files read, relative to the workspace root, sorted: listed on stderr with `-vv`, never
    /// serialised (the document's size does not grow with the crate's file count).
    #[serde(skip)]
    pub read: Vec<String>,
}

/// What the scope left out: targets not selected, files not analyzed, and syntax nodes (items, statements,
/// arms, fields...) configured out, per reason.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExcludedDoc {
    /// Targets of the selected packages that the target selection did not pick.
    pub targets: usize,
    /// `.rs` files under a package that no selected target reaches (in the widest scope,
    /// `--all-targets --all-cfgs`, they are analyzed instead and counted in `not_reached`).
    pub files: usize,
    /// `#[cfg(test)]` code and `#[test]`/`#[bench]` functions, test targets not being selected.
    pub test_items: usize,
    /// Code under a `feature` that is not enabled.
    pub feature_items: usize,
    /// Code under another cfg that is false for the target (`windows`, `target_os = "macos"`, `loom`...).
    pub cfg_items: usize,
    /// Where the cfg values came from: `rustc` (`rustc --print cfg`), `built-in` (rustc could not be run), or
    /// `all-cfgs` (nothing pruned).
    pub cfg_source: String,
    /// The features enabled, per package (`package/feature`).
    pub features: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetDoc {
    pub name: String,
    /// `lib`, `bin`, `example`, `test`, `bench`, `custom-build`, ...
    pub kind: String,
    pub src_path: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageDoc {
    pub name: String,
    pub edition: String,
    pub manifest_path: String,
    #[serde(default)]
    pub targets: Vec<TargetDoc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolDoc {
    pub name: String,
    pub version: String,
}

impl ToolDoc {
    pub fn this() -> ToolDoc {
        ToolDoc {
            name: "cargo-concur".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnalysisDoc {
    pub schema_version: u32,
    pub tool: ToolDoc,
    pub workspace_root: String,
    pub packages: Vec<PackageDoc>,
    pub files: FilesDoc,
    /// Sorted by (file, line, column, kind).
    pub findings: Vec<Finding>,
    /// Sorted by (file, line, path).
    pub functions: Vec<FunctionDoc>,
    /// Extension: findings silenced by a `// concur:allow(kind) reason` comment (same order as `findings`).
    #[serde(default)]
    pub suppressed: Vec<Finding>,
    /// Extension: present when `--baseline` filtered `findings` down to the new ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineCounts>,
}

/// How a run compares with a `--baseline` document.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaselineCounts {
    /// In this run, not in the baseline (these are the `findings` left).
    pub new: usize,
    /// In the baseline, not in this run.
    pub fixed: usize,
    /// In both.
    pub unchanged: usize,
}

impl AnalysisDoc {
    /// Findings in `fn_path` and everything it reaches (empty if the function is unknown).
    pub fn findings_reachable_from(&self, fn_path: &str) -> Vec<&Finding> {
        self.functions
            .iter()
            .find(|f| f.path == fn_path)
            .map(|f| {
                f.reachable_findings
                    .iter()
                    .filter_map(|&i| self.findings.get(i))
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn function(&self, fn_path: &str) -> Option<&FunctionDoc> {
        self.functions.iter().find(|f| f.path == fn_path)
    }
}
