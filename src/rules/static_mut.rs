//! Rule `static-mut`: a `static mut` item and every access to one.

use super::Rule;
use crate::vocab::{FindingKind, Level};

pub const RULE: Rule = Rule {
    kind: FindingKind::StaticMut,
    level: Level::Warning,
    summary: "a `static mut` item, and each access to one",
    help: "replace the `static mut` with an atomic, a `Mutex`, or state passed to the workers",
    docs: "Every thread sees the same `static mut`; any access from two threads without synchronisation is a \
           data race, and the state keeps a workload from being split across threads. Processes each get their \
           own copy, so per-process results may differ from the sequential run.",
};

pub fn declared(name: &str) -> String {
    format!("`{name}` is a `static mut`: shared, unsynchronised state")
}

pub fn accessed(name: &str) -> String {
    format!("`{name}` (a `static mut`) is accessed here")
}
