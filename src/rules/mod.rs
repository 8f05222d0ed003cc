//! The rule registry: one descriptor per finding kind, found by an exhaustive `match` (id, default level,
//! summary, help, docs), one file per rule holding its descriptor and message builders, and the API tables
//! (`apis`) as plain data. It never looks at syntax or decides where a finding is: facts and callgraph hand
//! it typed `FindingData`.

pub mod apis;
pub mod atomic;
pub mod blocking_in_async;
pub mod catalog;
pub mod channel;
pub mod compute_hotspot;
pub mod double_lock;
pub mod ffi;
pub mod gil_held;
pub mod global_state;
pub mod io;
pub mod lock_across_blocking;
pub mod lock_order;
pub mod process_global;
pub mod shared_lock;
pub mod single_thread_state;
pub mod spawn;
pub mod static_mut;
pub mod suppression;

use crate::vocab::{Finding, FindingData, FindingKind, Level};

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
        FindingKind::Suppression => &suppression::RULE,
        FindingKind::GilHeld => &gil_held::RULE,
    }
}

/// Where a finding is: file, 1-based line and column, enclosing function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub function: Option<String>,
}

/// A finding about `data` at `site`, with its rule's default level and help. The message is made by
/// [`message`] when the package's findings are final (`callgraph::link`), from the data as it is then.
pub fn finding(site: Site, data: FindingData) -> Finding {
    let kind = data.kind();
    let r = rule(kind);
    // A hazard on a lock guessed from a method name alone is a note (its message says why).
    let level = match data.guessed_lock() {
        Some(_) => Level::Note,
        None => r.level,
    };
    Finding {
        kind,
        level,
        file: site.file,
        line: site.line,
        column: site.column,
        function: site.function,
        message: String::new(),
        help: r.help.to_string(),
        chain: Vec::new(),
        package: String::new(),
        target: String::new(),
        snippet: None,
        end_line: 0,
        end_column: 0,
        fingerprint: String::new(),
        related: Vec::new(),
        suppression: None,
        data: Some(data),
    }
}

/// The message of a finding about `data`, made by its kind's rule; a hazard on a lock guessed from a
/// method name says so.
pub fn message(data: &FindingData) -> String {
    let base = kind_message(data);
    match data.guessed_lock() {
        Some(method) => format!(
            "{base} (if it is a lock: the receiver's type is unknown, `.{method}()` may be something else)"
        ),
        None => base,
    }
}

fn kind_message(data: &FindingData) -> String {
    use FindingData as D;
    match data {
        D::StaticMut {
            name,
            accessed: false,
        } => static_mut::declared(name),
        D::StaticMut {
            name,
            accessed: true,
        } => static_mut::accessed(name),
        D::GlobalState {
            name,
            holder,
            holds,
        } => global_state::message(name, *holder, holds),
        D::SharedLock { lock_type } => shared_lock::message(lock_type),
        D::Atomic { ty } => atomic::message(ty),
        D::SingleThreadState { ty } => single_thread_state::message(ty),
        D::ProcessGlobal { api } => process_global::call(api),
        D::GlobalAllocator { name } => process_global::allocator(name),
        D::Io { api } => io::message(api),
        D::ComputeHotspot { name, score } => compute_hotspot::message(name, *score),
        D::Ffi { api } => ffi::message(api),
        D::Spawn { api } => spawn::message(api),
        D::Channel { api } => channel::message(api),
        D::LockAcrossBlocking {
            lock,
            blocker,
            via: None,
        } => lock_across_blocking::direct(&lock.name, &lock.ty, blocker),
        D::LockAcrossBlocking {
            lock,
            blocker,
            via: Some(callee),
        } => lock_across_blocking::through_call(&lock.name, &lock.ty, callee, blocker),
        D::DoubleLock { lock, via: None } => double_lock::direct(&lock.name, &lock.ty),
        D::DoubleLock {
            lock,
            via: Some(callee),
        } => double_lock::through_call(&lock.name, &lock.ty, callee),
        D::LockOrder {
            first,
            second,
            other_fn,
            other_line,
            ..
        } => lock_order::message(first, second, other_fn, *other_line),
        D::BlockingInAsync { blocker, via: None } => blocking_in_async::direct(blocker),
        D::BlockingInAsync {
            blocker,
            via: Some(callee),
        } => blocking_in_async::through_call(callee, blocker),
        D::Suppression {
            problem,
            kinds,
            detail,
        } => suppression::message(*problem, kinds, detail),
        D::GilHeld {
            entry,
            function,
            heavy,
            reacquired,
        } => gil_held::message(entry, function, heavy, *reacquired),
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
        assert_eq!(rule(FindingKind::GilHeld).level, Level::Warning);
    }

    /// The rule of each data's kind makes its message; the kind comes from the data.
    #[test]
    fn messages_are_made_from_typed_data() {
        fn check(data: FindingData, kind: FindingKind, expect: &str) {
            assert_eq!(data.kind(), kind, "{data:?}");
            assert_eq!(message(&data), expect);
            let site = Site {
                file: "src/lib.rs".into(),
                line: 3,
                column: 1,
                function: None,
            };
            let f = finding(site, data.clone());
            assert_eq!((f.kind, f.level), (kind, rule(kind).level));
            assert_eq!(f.data, Some(data));
        }
        let lock = |ty: &str| crate::vocab::LockRef {
            name: "Bank.a".into(),
            ty: ty.into(),
            guessed: None,
        };
        check(
            FindingData::Io {
                api: "std::fs::read".into(),
            },
            FindingKind::Io,
            "`std::fs::read` blocks on I/O",
        );
        check(
            FindingData::GlobalAllocator { name: "A".into() },
            FindingKind::ProcessGlobal,
            "`A` is installed as the process's `#[global_allocator]`",
        );
        check(
            FindingData::StaticMut {
                name: "N".into(),
                accessed: true,
            },
            FindingKind::StaticMut,
            "`N` (a `static mut`) is accessed here",
        );
        check(
            FindingData::LockAcrossBlocking {
                lock: lock("std::sync::Mutex"),
                blocker: "std::fs::read".into(),
                via: Some("demo::load".into()),
            },
            FindingKind::LockAcrossBlocking,
            "`Bank.a` (std::sync::Mutex) is locked while `demo::load` is called, which blocks on `std::fs::read`",
        );
        check(
            FindingData::DoubleLock {
                lock: lock("lock"),
                via: None,
            },
            FindingKind::DoubleLock,
            "`Bank.a` (lock) is locked again while its guard is alive",
        );
        check(
            FindingData::BlockingInAsync {
                blocker: "std::thread::sleep".into(),
                via: None,
            },
            FindingKind::BlockingInAsync,
            "`std::thread::sleep` blocks inside an async body",
        );
        assert_eq!(
            FindingData::Spawn {
                api: "tokio::spawn".into()
            }
            .api(),
            Some("tokio::spawn")
        );
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
