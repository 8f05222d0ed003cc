//! The rule registry: one descriptor per finding kind (id, default level, docs), and the API tables
//! (what counts as I/O, process-global, spawn, channel, lock) as plain data.

use crate::analyze::model::{FindingKind, Level};

/// Describes one rule.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub kind: FindingKind,
    pub level: Level,
    /// One line: what the rule marks.
    pub summary: &'static str,
}

/// The registry, in `FindingKind::ALL` order.
pub fn rule(kind: FindingKind) -> Rule {
    let level = match kind {
        FindingKind::StaticMut
        | FindingKind::ProcessGlobal
        | FindingKind::LockAcrossBlocking
        | FindingKind::BlockingInAsync => Level::Warning,
        FindingKind::DoubleLock | FindingKind::LockOrder => Level::Error,
        _ => Level::Note,
    };
    Rule {
        kind,
        level,
        summary: kind.id(),
    }
}
