//! The analysis document: what `analyze` finds, as serialized by `--format json` (contract section 3).

use serde::{Deserialize, Serialize};

/// Version of every JSON document this tool writes.
pub const SCHEMA_VERSION: u32 = 1;

/// Rust edition of a package; decides e.g. where `if let` scrutinee temporaries are dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Edition {
    #[serde(rename = "2015")]
    E2015,
    #[serde(rename = "2018")]
    E2018,
    #[serde(rename = "2021")]
    E2021,
    #[serde(rename = "2024")]
    E2024,
}

impl Edition {
    pub fn parse(s: &str) -> Edition {
        match s {
            "2015" => Edition::E2015,
            "2018" => Edition::E2018,
            "2021" => Edition::E2021,
            _ => Edition::E2024,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Edition::E2015 => "2015",
            Edition::E2018 => "2018",
            Edition::E2021 => "2021",
            Edition::E2024 => "2024",
        }
    }
}

/// Finding kinds of the contract (section 3). Order here is the order of the rule registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FindingKind {
    StaticMut,
    GlobalState,
    SharedLock,
    Atomic,
    SingleThreadState,
    ProcessGlobal,
    Io,
    ComputeHotspot,
    Ffi,
    Spawn,
    Channel,
    LockAcrossBlocking,
    DoubleLock,
    LockOrder,
    BlockingInAsync,
}

impl FindingKind {
    pub const ALL: [FindingKind; 15] = [
        FindingKind::StaticMut,
        FindingKind::GlobalState,
        FindingKind::SharedLock,
        FindingKind::Atomic,
        FindingKind::SingleThreadState,
        FindingKind::ProcessGlobal,
        FindingKind::Io,
        FindingKind::ComputeHotspot,
        FindingKind::Ffi,
        FindingKind::Spawn,
        FindingKind::Channel,
        FindingKind::LockAcrossBlocking,
        FindingKind::DoubleLock,
        FindingKind::LockOrder,
        FindingKind::BlockingInAsync,
    ];

    /// The kebab-case id used in JSON, SARIF rule ids and `// expect:` markers.
    pub fn id(self) -> &'static str {
        match self {
            FindingKind::StaticMut => "static-mut",
            FindingKind::GlobalState => "global-state",
            FindingKind::SharedLock => "shared-lock",
            FindingKind::Atomic => "atomic",
            FindingKind::SingleThreadState => "single-thread-state",
            FindingKind::ProcessGlobal => "process-global",
            FindingKind::Io => "io",
            FindingKind::ComputeHotspot => "compute-hotspot",
            FindingKind::Ffi => "ffi",
            FindingKind::Spawn => "spawn",
            FindingKind::Channel => "channel",
            FindingKind::LockAcrossBlocking => "lock-across-blocking",
            FindingKind::DoubleLock => "double-lock",
            FindingKind::LockOrder => "lock-order",
            FindingKind::BlockingInAsync => "blocking-in-async",
        }
    }

    pub fn from_id(id: &str) -> Option<FindingKind> {
        FindingKind::ALL.into_iter().find(|k| k.id() == id)
    }
}

/// Severity of a finding; ordered so that `level >= fail_on` decides exit code 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Note,
    Warning,
    Error,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Note => "note",
            Level::Warning => "warning",
            Level::Error => "error",
        }
    }
}

/// How a function spends its time, judged on it and everything it reaches in the crate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FnClass {
    IoBound,
    ComputeBound,
    Mixed,
    Trivial,
}

impl FnClass {
    pub fn as_str(self) -> &'static str {
        match self {
            FnClass::IoBound => "io-bound",
            FnClass::ComputeBound => "compute-bound",
            FnClass::Mixed => "mixed",
            FnClass::Trivial => "trivial",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub kind: FindingKind,
    pub level: Level,
    /// Relative to `workspace_root`, with `/` separators.
    pub file: String,
    /// 1-based.
    pub line: u32,
    /// 1-based.
    pub column: u32,
    /// `crate_name::module::item`, `None` outside any function.
    pub function: Option<String>,
    pub message: String,
    pub help: String,
    /// Functions from the reporting function down to the one holding the construct (may be empty).
    #[serde(default)]
    pub chain: Vec<String>,
    /// Extension: the package this finding belongs to.
    #[serde(default)]
    pub package: String,
    /// The source line of the construct, filled by the pipeline for human output; not serialized.
    #[serde(skip)]
    pub snippet: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunctionDoc {
    /// `crate_name::module::item`, methods as `crate_name::module::Type::method`.
    pub path: String,
    pub file: String,
    pub line: u32,
    pub class: FnClass,
    /// Extension: the package this function belongs to.
    #[serde(default)]
    pub package: String,
    /// Indices into `AnalysisDoc::findings` of the findings in this function and in every function it
    /// reaches through the intra-crate call graph (sorted). In memory only: `report` uses it.
    #[serde(skip)]
    pub reachable_findings: Vec<usize>,
}

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
    /// Extension: `.rs` files under a package that no target root reaches (still analyzed).
    #[serde(default)]
    pub not_reached: usize,
    /// Extension: macro calls whose tokens could not be looked into (not parseable as Rust).
    #[serde(default)]
    pub macros_not_expanded: usize,
    /// Extension: total bytes of source read.
    #[serde(default)]
    pub bytes: u64,
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
