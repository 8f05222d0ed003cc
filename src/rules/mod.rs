//! The rule registry: one descriptor per finding kind (id, default level, summary, help, docs), one file per
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

use crate::analyze::model::{Finding, FindingKind, Level};

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

/// The registry, in `FindingKind::ALL` order.
pub static RULES: [Rule; 15] = [
    static_mut::RULE,
    global_state::RULE,
    shared_lock::RULE,
    atomic::RULE,
    single_thread_state::RULE,
    process_global::RULE,
    io::RULE,
    compute_hotspot::RULE,
    ffi::RULE,
    spawn::RULE,
    channel::RULE,
    lock_across_blocking::RULE,
    double_lock::RULE,
    lock_order::RULE,
    blocking_in_async::RULE,
];

/// The descriptor of `kind`.
pub fn rule(kind: FindingKind) -> &'static Rule {
    let at = FindingKind::ALL
        .iter()
        .position(|k| *k == kind)
        .unwrap_or_default();
    &RULES[at]
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
/// A hazard finding on a lock taken for one from its method name alone (`x.read()` on a receiver of unknown
/// type): reported as a note, and the message says why it may be wrong.
pub fn guessed_lock(mut fd: Finding, method: Option<&str>) -> Finding {
    if let Some(method) = method {
        fd.level = Level::Note;
        fd.message.push_str(&format!(
            " (if it is a lock: the receiver's type is unknown, `.{method}()` may be something else)"
        ));
    }
    fd
}

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
    fn registry_is_in_kind_order_with_contract_levels() {
        for (i, kind) in FindingKind::ALL.iter().enumerate() {
            assert_eq!(RULES[i].kind, *kind);
            assert_eq!(rule(*kind).kind, *kind);
            assert!(!rule(*kind).help.is_empty() && !rule(*kind).docs.is_empty());
        }
        assert_eq!(rule(FindingKind::DoubleLock).level, Level::Error);
        assert_eq!(rule(FindingKind::LockOrder).level, Level::Error);
        assert_eq!(rule(FindingKind::StaticMut).level, Level::Warning);
        assert_eq!(rule(FindingKind::BlockingInAsync).level, Level::Warning);
        assert_eq!(rule(FindingKind::Io).level, Level::Note);
    }

    #[test]
    fn api_tables_resolve() {
        use apis::{Api, Apis};
        let apis = Apis::builtin();
        assert!(apis.call_apis("std::fs::read").contains(&Api::Io));
        assert!(apis.call_apis("std::fs::File::open").contains(&Api::Io));
        assert!(apis
            .call_apis("std::thread::spawn")
            .contains(&Api::Detaches));
        assert!(apis.call_apis("libc::umask").contains(&Api::Ffi));
        assert!(apis.call_apis("libc::umask").contains(&Api::ProcessGlobal));
        assert!(apis.call_apis("demo::read").is_empty());
        assert!(!apis
            .call_apis("std::fs::OpenOptions::new")
            .contains(&Api::Io));
        assert_eq!(
            apis.return_type("std::fs::File::open").as_deref(),
            Some("std::fs::File")
        );
        assert_eq!(
            apis.return_type("std::io::stdout").as_deref(),
            Some("std::io::Stdout")
        );
        assert_eq!(apis.return_type("std::fs::read"), None);
    }
}
