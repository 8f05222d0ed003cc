//! The shared vocabulary of every layer: finding kinds, levels, function classes, the finding itself, the
//! function entry, the execution models and the schema version of every document. It imports nothing from
//! the crate.

use serde::{Deserialize, Serialize};

/// Version of every JSON document this tool writes.
pub const SCHEMA_VERSION: u32 = 1;

/// An execution model that `profile` can run.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Model {
    #[default]
    Sequential,
    Threads,
    Processes,
    /// An async workload's jobs as tasks on one tokio runtime, `in_flight` of them at a time.
    Async,
}

impl Model {
    pub fn as_str(self) -> &'static str {
        match self {
            Model::Sequential => "sequential",
            Model::Threads => "threads",
            Model::Processes => "processes",
            Model::Async => "async",
        }
    }
}

/// Declares `FindingKind` from one row per kind (variant = kebab-case id), with `ALL` and `id()` derived from
/// the same rows, so adding a kind is one row here plus one rule file (the registry's `match` then fails to
/// compile until the rule is there).
macro_rules! finding_kinds {
    ($($(#[$doc:meta])* $variant:ident = $id:literal,)*) => {
        /// Finding kinds of the contract (section 3). Order here is the order of `ALL` and of `rules --list`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub enum FindingKind {
            $($(#[$doc])* #[serde(rename = $id)] $variant,)*
        }

        impl FindingKind {
            pub const ALL: [FindingKind; [$($id,)*].len()] = [$(FindingKind::$variant,)*];

            /// The kebab-case id used in JSON, SARIF rule ids and `// expect:` markers.
            pub fn id(self) -> &'static str {
                match self {
                    $(FindingKind::$variant => $id,)*
                }
            }
        }
    };
}

finding_kinds! {
    StaticMut = "static-mut",
    GlobalState = "global-state",
    SharedLock = "shared-lock",
    Atomic = "atomic",
    SingleThreadState = "single-thread-state",
    ProcessGlobal = "process-global",
    Io = "io",
    ComputeHotspot = "compute-hotspot",
    Ffi = "ffi",
    Spawn = "spawn",
    Channel = "channel",
    LockAcrossBlocking = "lock-across-blocking",
    DoubleLock = "double-lock",
    LockOrder = "lock-order",
    BlockingInAsync = "blocking-in-async",
    /// A `concur:allow` comment without a reason, naming no kind, or suppressing nothing.
    Suppression = "suppression",
    GilHeld = "gil-held",
}

impl FindingKind {
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
    /// Extension: the kind of target whose module tree holds the file (`lib`, `bin`, `test`, `bench`,
    /// `example`, `custom-build`; `other` for a file no selected target reaches).
    #[serde(default)]
    pub target: String,
    /// The source line of the construct, filled by the pipeline for human output; not serialized.
    #[serde(skip)]
    pub snippet: Option<String>,
    /// Extension: 1-based line where the marked construct ends (the token at `line`/`column`).
    #[serde(default)]
    pub end_line: u32,
    /// Extension: 1-based column just past the marked token (exclusive), in characters.
    #[serde(default)]
    pub end_column: u32,
    /// Extension: stable identity without line numbers (kind, file, function, normalised line text,
    /// occurrence index), unique within a run; what `--baseline` compares.
    #[serde(default)]
    pub fingerprint: String,
    /// Extension: other places that belong to this finding (for `lock-order`, the opposite acquisition).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<Related>,
    /// Extension: set when a `// concur:allow(kind) reason` comment covers this finding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppression: Option<Suppression>,
    /// What the finding is about, typed (`None` only in a document read back from JSON): `message` is made
    /// from it, and later stages ask it, never the message, which API, lock or blocker is involved.
    #[serde(skip)]
    pub data: Option<FindingData>,
}

/// Another source location tied to a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Related {
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub function: Option<String>,
    pub role: RelatedRole,
}

/// What a related location is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RelatedRole {
    /// The acquisition on the other path of a lock-order pair.
    OppositeOrder,
}

/// The in-source comment that suppresses a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suppression {
    /// Line of the `concur:allow` comment.
    pub line: u32,
    /// The text after the comment's `)` (empty when none was given).
    pub reason: String,
}

/// One function of the analysis, as the document lists it; made by `callgraph`, read by `report`.
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

/// A lock as findings name it: its short name (`Type.field`, a static's name, a local's expression) and its
/// type (`std::sync::Mutex`; [`LockRef::UNKNOWN_TYPE`] until the type is known).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LockRef {
    pub name: String,
    pub ty: String,
    /// Taken for a lock from the method name alone (`x.read()` on a receiver of unknown type): the method.
    /// A hazard on it is a note whose message says so.
    pub guessed: Option<String>,
}

impl LockRef {
    /// The type of a lock whose declaration the file could not see.
    pub const UNKNOWN_TYPE: &'static str = "lock";
}

/// What declares a global: a plain `static`, a `thread_local!` (one copy per thread) or `lazy_static!`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum GlobalHolder {
    Static,
    ThreadLocal,
    LazyStatic,
}

impl GlobalHolder {
    /// As the source spells it: `static`, `thread_local!`, `lazy_static!`.
    pub fn as_str(self) -> &'static str {
        match self {
            GlobalHolder::Static => "static",
            GlobalHolder::ThreadLocal => "thread_local!",
            GlobalHolder::LazyStatic => "lazy_static!",
        }
    }
}

/// The typed data of a finding, one shape per message; [`FindingData::kind`] says which kind it is.
/// `api` is the resolved path of the call (`std::fs::read`, `tokio::spawn`); `via` the callee through which
/// a construct is reached (`None`: in the function itself); `blocker` what blocks (`std::fs::read`, `.await`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FindingData {
    /// A `static mut` declared (`accessed: false`) or used.
    StaticMut {
        name: String,
        accessed: bool,
    },
    /// A static or thread-local (`holder`) holding interior-mutable state of type `holds`.
    GlobalState {
        name: String,
        holder: GlobalHolder,
        holds: String,
    },
    /// `Arc<lock_type>`.
    SharedLock {
        lock_type: String,
    },
    Atomic {
        ty: String,
    },
    SingleThreadState {
        ty: String,
    },
    /// A call that changes process-wide state.
    ProcessGlobal {
        api: String,
    },
    /// A `#[global_allocator]` static.
    GlobalAllocator {
        name: String,
    },
    Io {
        api: String,
    },
    ComputeHotspot {
        name: String,
        score: u32,
    },
    Ffi {
        api: String,
    },
    Spawn {
        api: String,
    },
    Channel {
        api: String,
    },
    LockAcrossBlocking {
        lock: LockRef,
        blocker: String,
        via: Option<String>,
    },
    DoubleLock {
        lock: LockRef,
        via: Option<String>,
    },
    /// `second` taken while `first` is held; `other_fn` (at `other_line`) takes them the other way round.
    LockOrder {
        first: String,
        second: String,
        other_fn: String,
        other_line: u32,
        /// One of the two locks is only guessed from a method name: see [`LockRef::guessed`].
        guessed: Option<String>,
    },
    BlockingInAsync {
        blocker: String,
        via: Option<String>,
    },
    /// A `concur:allow(kinds)` comment with a problem; `detail` is the unknown kind name, if that is it.
    Suppression {
        problem: SuppressionProblem,
        kinds: Vec<FindingKind>,
        detail: String,
    },
    /// Python entry point `entry` reaches `heavy` in `function` with the GIL held (`reacquired`: inside
    /// `with_gil`/`attach`).
    GilHeld {
        entry: String,
        function: String,
        heavy: GilHeavy,
        reacquired: bool,
    },
}

/// What is wrong with a `concur:allow` comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SuppressionProblem {
    /// No `(kind, ...)` list.
    Malformed,
    /// A name in the list that is not a finding kind.
    UnknownKind,
    /// No reason after the list.
    NoReason,
    /// It silenced no finding.
    Unused,
}

/// What is heavy at a `gil-held` site.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum GilHeavy {
    /// A call of a compute-hotspot function of the crate.
    Compute { callee: String },
    /// A CPU-heavy library call (hashing, sorting, compression...).
    CpuApi { api: String },
    /// A loop of the entry point's own compute-heavy body.
    Loop,
    /// A blocking I/O call.
    Io { api: String },
}

impl FindingData {
    pub fn kind(&self) -> FindingKind {
        match self {
            FindingData::StaticMut { .. } => FindingKind::StaticMut,
            FindingData::GlobalState { .. } => FindingKind::GlobalState,
            FindingData::SharedLock { .. } => FindingKind::SharedLock,
            FindingData::Atomic { .. } => FindingKind::Atomic,
            FindingData::SingleThreadState { .. } => FindingKind::SingleThreadState,
            FindingData::ProcessGlobal { .. } | FindingData::GlobalAllocator { .. } => {
                FindingKind::ProcessGlobal
            }
            FindingData::Io { .. } => FindingKind::Io,
            FindingData::ComputeHotspot { .. } => FindingKind::ComputeHotspot,
            FindingData::Ffi { .. } => FindingKind::Ffi,
            FindingData::Spawn { .. } => FindingKind::Spawn,
            FindingData::Channel { .. } => FindingKind::Channel,
            FindingData::LockAcrossBlocking { .. } => FindingKind::LockAcrossBlocking,
            FindingData::DoubleLock { .. } => FindingKind::DoubleLock,
            FindingData::LockOrder { .. } => FindingKind::LockOrder,
            FindingData::BlockingInAsync { .. } => FindingKind::BlockingInAsync,
            FindingData::Suppression { .. } => FindingKind::Suppression,
            FindingData::GilHeld { .. } => FindingKind::GilHeld,
        }
    }

    /// The API called at the site, for findings about a call.
    pub fn api(&self) -> Option<&str> {
        match self {
            FindingData::ProcessGlobal { api }
            | FindingData::Io { api }
            | FindingData::Ffi { api }
            | FindingData::Spawn { api }
            | FindingData::Channel { api } => Some(api),
            _ => None,
        }
    }

    /// The method a hazard's lock is only guessed from (see [`LockRef::guessed`]).
    pub fn guessed_lock(&self) -> Option<&str> {
        match self {
            FindingData::LockAcrossBlocking { lock, .. } | FindingData::DoubleLock { lock, .. } => {
                lock.guessed.as_deref()
            }
            FindingData::LockOrder { guessed, .. } => guessed.as_deref(),
            _ => None,
        }
    }

    /// The lock held, for lock-across-blocking and double-lock.
    pub fn lock_mut(&mut self) -> Option<&mut LockRef> {
        match self {
            FindingData::LockAcrossBlocking { lock, .. } | FindingData::DoubleLock { lock, .. } => {
                Some(lock)
            }
            _ => None,
        }
    }
}
