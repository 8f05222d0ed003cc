//! Rule `process-global`: mutations of state that belongs to the whole process.

use super::Rule;
use crate::vocab::{FindingKind, Level};

pub const RULE: Rule = Rule {
    kind: FindingKind::ProcessGlobal,
    level: Level::Warning,
    summary: "a mutation of process-wide state (env, cwd, umask, signals, exit, hooks, logger, allocator)",
    help: "do this once at startup in `main`, never inside a workload; pass values explicitly instead",
    docs: "Environment variables, the current directory, the umask, signal handlers, panic hooks, the global logger \
           and allocator belong to the process: threads race on them, worker processes each have their own, and \
           `process::exit` ends every thread at once.",
};

pub fn call(path: &str) -> String {
    format!("`{path}` changes state of the whole process")
}

pub fn allocator(name: &str) -> String {
    format!("`{name}` is installed as the process's `#[global_allocator]`")
}
