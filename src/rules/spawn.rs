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

/// True when `api` (a resolved path) belongs to an async runtime or an async-only crate (`tokio`,
/// `async_std`, `async_channel`, ...): such a spawn or channel on a workload's path means it already runs on
/// async tasks.
pub fn is_async_runtime_api(api: &str) -> bool {
    let root = api.split("::").next().unwrap_or(api);
    root == "tokio" || root.starts_with("tokio_") || root.starts_with("async_")
}

#[cfg(test)]
mod tests {
    #[test]
    fn async_runtime_apis_are_known_by_their_crate() {
        for (api, expect) in [
            ("tokio::spawn", true),
            ("tokio::sync::mpsc::channel", true),
            ("async_std::task::spawn", true),
            ("async_channel::unbounded", true),
            ("std::thread::spawn", false),
            ("rayon::spawn", false),
            ("crossbeam_channel::unbounded", false),
        ] {
            assert_eq!(super::is_async_runtime_api(api), expect, "{api}");
        }
    }
}
