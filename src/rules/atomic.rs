//! Rule `atomic`: atomics shared through `Arc` or struct fields (statics are `global-state`).

use super::Rule;
use crate::vocab::{FindingKind, Level};

pub const RULE: Rule = Rule {
    kind: FindingKind::Atomic,
    level: Level::Note,
    summary: "atomics shared through Arc or fields",
    help: "atomics are cheap but contended cache lines are not: count per worker and combine at the end",
    docs: "An atomic in a field or behind an `Arc` is shared state; threads updating it contend on one cache line.",
};

pub fn message(ty: &str) -> String {
    format!("`{ty}` shared between threads")
}
