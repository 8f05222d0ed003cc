//! Rule `spawn`: existing concurrency (threads, rayon, tokio/async-std tasks, child processes).

use super::Rule;
use crate::vocab::{FindingKind, Level};

pub const RULE: Rule = Rule {
    kind: FindingKind::Spawn,
    level: Level::Note,
    summary: "existing concurrency: thread/rayon/task spawns, Command::spawn",
    help: "this code already runs work concurrently: profile it before adding another layer of parallelism",
    docs: "`thread::spawn`/`scope`/`Builder::spawn`, rayon `join`/`scope`/`spawn`/parallel iterators, \
           `tokio::spawn`/`spawn_blocking`, `async_std::task::spawn`, `Command::spawn`.",
};

pub fn message(what: &str) -> String {
    format!("`{what}` starts concurrent work")
}
