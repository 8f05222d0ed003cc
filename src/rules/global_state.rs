//! Rule `global-state`: a static, `thread_local!` or lazy global holding interior mutability.

use super::Rule;
use crate::vocab::{FindingKind, GlobalHolder, Level};

pub const RULE: Rule = Rule {
    kind: FindingKind::GlobalState,
    level: Level::Note,
    summary: "a static/thread_local!/lazy global holding interior mutability",
    help: "pass the state to the workers explicitly, or make sure every worker process builds its own copy",
    docs: "A global `Mutex`, `RwLock`, atomic, `Cell` or `RefCell` (also inside `OnceLock`, `LazyLock`, \
           `lazy_static!`, `once_cell`) is shared by all threads of a process (contention) and not shared between \
           processes (each process sees its own copy). `thread_local!` globals are per thread.",
};

pub fn message(name: &str, holder: GlobalHolder, what: &str) -> String {
    let scope = match holder {
        GlobalHolder::Static | GlobalHolder::LazyStatic => "state shared by the whole process",
        GlobalHolder::ThreadLocal => "state with one copy per thread, not shared between threads",
    };
    format!(
        "`{name}` is a {} holding `{what}`: {scope}",
        holder.as_str()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thread_local_is_never_called_shared_by_the_process() {
        let tl = message("CELL", GlobalHolder::ThreadLocal, "RefCell");
        assert_eq!(
            tl,
            "`CELL` is a thread_local! holding `RefCell`: state with one copy per thread, not shared \
             between threads"
        );
        for holder in [GlobalHolder::Static, GlobalHolder::LazyStatic] {
            let m = message("G", holder, "Mutex");
            assert!(m.ends_with("state shared by the whole process"), "{m}");
            assert!(m.contains(holder.as_str()), "{m}");
        }
    }
}
