//! Rule `double-lock`: a lock acquired again while a guard of the same lock is alive.

use super::Rule;
use crate::vocab::{FindingKind, Level};

pub const RULE: Rule = Rule {
    kind: FindingKind::DoubleLock,
    level: Level::Error,
    summary: "a lock acquired again while its guard is alive (self-deadlock)",
    help: "drop the first guard before locking again, or pass the guarded data down instead of re-locking",
    docs: "std, parking_lot and tokio mutexes are not reentrant: the second acquisition waits forever (or panics).",
};

pub fn direct(lock: &str, lock_type: &str) -> String {
    format!("`{lock}` ({lock_type}) is locked again while its guard is alive")
}

pub fn through_call(lock: &str, lock_type: &str, callee: &str) -> String {
    format!("`{lock}` ({lock_type}) is locked while calling `{callee}`, which locks it again")
}
