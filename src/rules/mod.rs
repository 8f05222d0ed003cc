//! The rule registry: one descriptor per finding kind, found by an exhaustive `match` (id, default level, summary, help, docs), one file per
//! rule holding its descriptor and message builders, and the API tables (`apis`) as plain data.

pub mod apis;
pub mod atomic;
pub mod blocking_in_async;
pub mod channel;
pub mod compute_hotspot;
pub mod double_lock;
pub mod ffi;
pub mod global_state;
pub mod io;
pub mod lock_across_blocking;
pub mod lock_order;
pub mod process_global;
pub mod shared_lock;
pub mod single_thread_state;
pub mod spawn;
pub mod static_mut;

use crate::vocab::{Finding, FindingKind, Level};

/// Describes one rule.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub kind: FindingKind,
    /// Default level.
    pub level: Level,
    /// One line: what the rule marks.
    pub summary: &'static str,
    /// What to do about a finding.
    pub help: &'static str,
    /// A paragraph: why it matters for threads, processes and async.
    pub docs: &'static str,
}

/// The descriptor of `kind`: one arm per kind, so a new kind does not compile without its rule.
pub fn rule(kind: FindingKind) -> &'static Rule {
    match kind {
        FindingKind::StaticMut => &static_mut::RULE,
        FindingKind::GlobalState => &global_state::RULE,
        FindingKind::SharedLock => &shared_lock::RULE,
        FindingKind::Atomic => &atomic::RULE,
        FindingKind::SingleThreadState => &single_thread_state::RULE,
        FindingKind::ProcessGlobal => &process_global::RULE,
        FindingKind::Io => &io::RULE,
        FindingKind::ComputeHotspot => &compute_hotspot::RULE,
        FindingKind::Ffi => &ffi::RULE,
        FindingKind::Spawn => &spawn::RULE,
        FindingKind::Channel => &channel::RULE,
        FindingKind::LockAcrossBlocking => &lock_across_blocking::RULE,
        FindingKind::DoubleLock => &double_lock::RULE,
        FindingKind::LockOrder => &lock_order::RULE,
        FindingKind::BlockingInAsync => &blocking_in_async::RULE,
    }
}

/// Every rule, in `FindingKind::ALL` order.
pub fn all() -> impl Iterator<Item = &'static Rule> {
    FindingKind::ALL.into_iter().map(rule)
}

/// Where a finding is: file, 1-based line and column, enclosing function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub function: Option<String>,
}

/// A finding of `kind` at `site`, with the rule's default level and help.
pub fn finding(kind: FindingKind, site: Site, message: String) -> Finding {
    let r = rule(kind);
    Finding {
        kind,
        level: r.level,
        file: site.file,
        line: site.line,
        column: site.column,
        function: site.function,
        message,
        help: r.help.to_string(),
        chain: Vec::new(),
        package: String::new(),
        snippet: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_describes_each_kind_with_contract_levels() {
        for kind in FindingKind::ALL {
            assert_eq!(rule(kind).kind, kind);
            assert_eq!(FindingKind::from_id(kind.id()), Some(kind));
            let wire = serde_json::to_string(&kind).unwrap_or_default();
            assert_eq!(wire, format!("\"{}\"", kind.id()));
            assert!(!rule(kind).help.is_empty() && !rule(kind).docs.is_empty());
        }
        assert_eq!(rule(FindingKind::DoubleLock).level, Level::Error);
        assert_eq!(rule(FindingKind::LockOrder).level, Level::Error);
        assert_eq!(rule(FindingKind::StaticMut).level, Level::Warning);
        assert_eq!(rule(FindingKind::BlockingInAsync).level, Level::Warning);
        assert_eq!(rule(FindingKind::Io).level, Level::Note);
    }

    #[test]
    fn api_tables_resolve() {
        use apis::{call_apis, return_type, Api};
        assert!(call_apis("std::fs::read").contains(&Api::Io));
        assert!(call_apis("std::fs::File::open").contains(&Api::Io));
        assert!(call_apis("std::thread::spawn").contains(&Api::Detaches));
        assert!(call_apis("libc::umask").contains(&Api::Ffi));
        assert!(call_apis("libc::umask").contains(&Api::ProcessGlobal));
        assert!(call_apis("demo::read").is_empty());
        assert_eq!(
            return_type("std::fs::File::open").as_deref(),
            Some("std::fs::File")
        );
        assert_eq!(
            return_type("std::io::stdout").as_deref(),
            Some("std::io::Stdout")
        );
        assert_eq!(return_type("std::fs::read"), None);
    }
}
