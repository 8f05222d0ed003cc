//! Rule `lock-across-blocking`: a blocking call made while a lock guard is alive.

use super::Rule;
use crate::vocab::{FindingKind, Level};

pub const RULE: Rule = Rule {
    kind: FindingKind::LockAcrossBlocking,
    level: Level::Warning,
    summary: "a blocking call (I/O, sleep, channel receive, join, .await) while a lock guard is alive",
    help: "move the blocking call out of the guard's scope, or clone what you need and drop the guard first",
    docs: "While the guard lives every other thread that wants the lock waits for the I/O too: the lock \
           serialises the workers. Console output is not counted. `.await` under a tokio/async lock is fine.",
};

pub fn direct(lock: &str, lock_type: &str, what: &str) -> String {
    format!("`{lock}` ({lock_type}) is locked while `{what}` blocks")
}

pub fn through_call(lock: &str, lock_type: &str, callee: &str, what: &str) -> String {
    format!("`{lock}` ({lock_type}) is locked while `{callee}` is called, which blocks on `{what}`")
}
