//! Rule `single-thread-state`: `Rc`, `RefCell`, `Cell` values that keep code on one thread. A `Cell` or
//! `RefCell` directly inside a lock (`Mutex<RefCell<T>>`) is shared, guarded by it: not reported.

use super::Rule;
use crate::vocab::{FindingKind, Level};

pub const RULE: Rule = Rule {
    kind: FindingKind::SingleThreadState,
    level: Level::Note,
    summary: "Rc/RefCell/Cell values that keep a function or type on one thread",
    help: "use `Arc`, `Mutex`/`RwLock` or atomics if this must cross threads, or keep it per worker",
    docs: "`Rc`, `RefCell` and `Cell` are not `Sync` (and `Rc` not `Send`): values holding them cannot be shared \
           with, or moved to, other threads (a `Cell`/`RefCell` directly inside a lock is guarded by it, and \
           shared). Processes are unaffected.",
};

pub fn message(ty: &str) -> String {
    format!("`{ty}` is single-threaded state (not Send/Sync)")
}
