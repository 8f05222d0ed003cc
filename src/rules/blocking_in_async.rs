//! Rule `blocking-in-async`: a blocking call inside an `async` body, outside `spawn_blocking`/`block_in_place`.

use super::Rule;
use crate::vocab::{FindingKind, Level};

pub const RULE: Rule = Rule {
    kind: FindingKind::BlockingInAsync,
    level: Level::Warning,
    summary: "a blocking call inside an async body",
    help: "use the async equivalent (tokio::fs, tokio::time::sleep, ...) or move it into `spawn_blocking`",
    docs: "A blocking call stalls the executor thread and every task scheduled on it. `std::sync::Mutex::lock` \
           for short critical sections is not reported; console output is not reported.",
};

pub fn direct(what: &str) -> String {
    format!("`{what}` blocks inside an async body")
}

pub fn through_call(callee: &str, what: &str) -> String {
    format!("`{callee}` is called inside an async body and blocks on `{what}`")
}
