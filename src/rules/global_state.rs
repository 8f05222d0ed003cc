//! Rule `global-state`: a static, `thread_local!` or lazy global holding interior mutability.

use super::Rule;
use crate::vocab::{FindingKind, Level};

pub const RULE: Rule = Rule {
    kind: FindingKind::GlobalState,
    level: Level::Note,
    summary: "a static/thread_local!/lazy global holding interior mutability",
    help: "pass the state to the workers explicitly, or make sure every worker process builds its own copy",
    docs: "A global `Mutex`, `RwLock`, atomic, `Cell` or `RefCell` (also inside `OnceLock`, `LazyLock`, \
           `lazy_static!`, `once_cell`) is shared by all threads of a process (contention) and not shared between \
           processes (each process sees its own copy). `thread_local!` globals are per thread.",
};

pub fn message(name: &str, holder: &str, what: &str) -> String {
    format!("`{name}` is a {holder} holding `{what}`: state shared by the whole process")
}
