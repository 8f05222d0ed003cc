//! Rule `shared-lock`: a lock shared between owners (`Arc<Mutex<_>>`, `Arc<RwLock<_>>`).

use super::Rule;
use crate::vocab::{FindingKind, Level};

pub const RULE: Rule = Rule {
    kind: FindingKind::SharedLock,
    level: Level::Note,
    summary: "a lock shared between owners: Arc<Mutex<_>> / Arc<RwLock<_>>",
    help: "keep critical sections short; consider sharding the state or giving each worker its own copy",
    docs: "An `Arc` around a std, parking_lot, tokio or spin lock is state that threads share and contend on. \
           Reported where it appears in a type (field, signature, annotation) or where it is constructed.",
};

pub fn message(lock: &str) -> String {
    format!("`Arc<{lock}>`: a lock shared between threads")
}
