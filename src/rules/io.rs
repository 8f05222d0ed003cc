//! Rule `io`: a blocking I/O site (files, sockets, console, child processes, sleep, blocking clients).

use super::Rule;
use crate::vocab::{FindingKind, Level};

pub const RULE: Rule = Rule {
    kind: FindingKind::Io,
    level: Level::Note,
    summary: "a blocking I/O site",
    help: "I/O-bound work overlaps well on threads or async tasks; keep it out of locks and async executors",
    docs: "`std::fs`, `std::net`, stdin/stdout/stderr (including `println!`), `std::process::Command` output and \
           status, `thread::sleep`, and blocking clients (reqwest::blocking, ureq, postgres, rusqlite...).",
};

pub fn message(what: &str) -> String {
    format!("`{what}` blocks on I/O")
}
