//! The API tables: which resolved paths and methods count as I/O, console, sleep, process-global, spawn,
//! channel, lock, atomic, single-thread state, CPU-heavy or FFI. Plain data; visitors only look things up.
//!
//! A pattern ending in `*` matches every path that starts with what precedes the `*`
//! (`std::fs::*` matches `std::fs::read` and `std::fs::File::open`); any other pattern matches exactly.
//! Paths are resolved (`use` items applied), `core::`/`alloc::` are written as `std::`.

use std::collections::HashMap;
use std::sync::OnceLock;

/// What calling an API does, as far as the rules care.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Api {
    /// Blocking I/O: files, sockets, child processes, blocking network/database clients.
    Io,
    /// Console I/O (stdin, stdout, stderr, `println!`): an `io` site, but not counted as blocking.
    Console,
    /// `thread::sleep`: an `io` site and a blocking call.
    Sleep,
    /// Mutates state of the whole process.
    ProcessGlobal,
    /// Starts concurrent work.
    Spawn,
    /// Closures passed to it run on another thread or task: guards of the caller are not held there.
    Detaches,
    /// Closures passed to it are not async context (blocking is fine there).
    SyncContext,
    /// Creates a channel.
    Channel,
    /// A blocking receive on a channel, or a wait on a condition variable or barrier.
    Recv,
    /// Waits for a thread or drives a future to completion (`block_on`).
    Join,
    /// CPU-heavy library work (sorting, hashing, compression, regex, serialization).
    Cpu,
    /// A call into foreign code.
    Ffi,
    /// `drop(x)`.
    Drop,
}

/// Function (and associated function) paths.
pub const CALLS: &[(&str, Api)] = &[
    // I/O
    ("std::fs::*", Api::Io),
    ("std::net::TcpStream::connect", Api::Io),
    ("std::net::TcpStream::connect_timeout", Api::Io),
    ("std::net::TcpListener::bind", Api::Io),
    ("std::net::UdpSocket::bind", Api::Io),
    ("std::net::ToSocketAddrs::to_socket_addrs", Api::Io),
    ("std::io::read_to_string", Api::Io),
    ("std::io::copy", Api::Io),
    ("std::io::stdin", Api::Console),
    ("std::io::stdout", Api::Console),
    ("std::io::stderr", Api::Console),
    ("std::thread::sleep", Api::Sleep),
    ("reqwest::blocking::*", Api::Io),
    ("ureq::get", Api::Io),
    ("ureq::post", Api::Io),
    ("ureq::put", Api::Io),
    ("ureq::delete", Api::Io),
    ("ureq::request", Api::Io),
    ("postgres::Client::connect", Api::Io),
    ("rusqlite::Connection::open", Api::Io),
    ("rusqlite::Connection::open_in_memory", Api::Io),
    ("redis::Client::open", Api::Io),
    ("mysql::Pool::new", Api::Io),
    // process-global
    ("std::env::set_var", Api::ProcessGlobal),
    ("std::env::remove_var", Api::ProcessGlobal),
    ("std::env::set_current_dir", Api::ProcessGlobal),
    ("std::process::exit", Api::ProcessGlobal),
    ("std::panic::set_hook", Api::ProcessGlobal),
    ("std::panic::take_hook", Api::ProcessGlobal),
    ("libc::umask", Api::ProcessGlobal),
    ("libc::signal", Api::ProcessGlobal),
    ("libc::sigaction", Api::ProcessGlobal),
    ("libc::setenv", Api::ProcessGlobal),
    ("libc::chdir", Api::ProcessGlobal),
    ("nix::sys::stat::umask", Api::ProcessGlobal),
    ("nix::sys::signal::signal", Api::ProcessGlobal),
    ("nix::sys::signal::sigaction", Api::ProcessGlobal),
    ("signal_hook::flag::register", Api::ProcessGlobal),
    ("signal_hook::low_level::register", Api::ProcessGlobal),
    ("signal_hook::register", Api::ProcessGlobal),
    ("ctrlc::set_handler", Api::ProcessGlobal),
    ("log::set_logger", Api::ProcessGlobal),
    ("log::set_boxed_logger", Api::ProcessGlobal),
    ("log::set_max_level", Api::ProcessGlobal),
    ("env_logger::init", Api::ProcessGlobal),
    ("env_logger::try_init", Api::ProcessGlobal),
    ("env_logger::init_from_env", Api::ProcessGlobal),
    ("simple_logger::init", Api::ProcessGlobal),
    ("simple_logger::init_with_level", Api::ProcessGlobal),
    (
        "tracing::subscriber::set_global_default",
        Api::ProcessGlobal,
    ),
    ("tracing_subscriber::fmt::init", Api::ProcessGlobal),
    // spawn
    ("std::thread::spawn", Api::Spawn),
    ("std::thread::spawn", Api::Detaches),
    ("std::thread::spawn", Api::SyncContext),
    ("std::thread::scope", Api::Spawn),
    ("std::thread::scope", Api::SyncContext),
    ("rayon::*", Api::SyncContext),
    ("rayon::join", Api::Spawn),
    ("rayon::scope", Api::Spawn),
    ("rayon::in_place_scope", Api::Spawn),
    ("rayon::spawn", Api::Spawn),
    ("rayon::spawn", Api::Detaches),
    ("rayon::spawn_fifo", Api::Spawn),
    ("rayon::spawn_fifo", Api::Detaches),
    ("tokio::spawn", Api::Spawn),
    ("tokio::spawn", Api::Detaches),
    ("tokio::task::spawn", Api::Spawn),
    ("tokio::task::spawn", Api::Detaches),
    ("tokio::task::spawn_local", Api::Spawn),
    ("tokio::task::spawn_local", Api::Detaches),
    ("tokio::task::spawn_blocking", Api::Spawn),
    ("tokio::task::spawn_blocking", Api::Detaches),
    ("tokio::task::spawn_blocking", Api::SyncContext),
    ("tokio::task::block_in_place", Api::SyncContext),
    ("async_std::task::spawn", Api::Spawn),
    ("async_std::task::spawn", Api::Detaches),
    ("async_std::task::spawn_blocking", Api::Spawn),
    ("async_std::task::spawn_blocking", Api::Detaches),
    ("async_std::task::spawn_blocking", Api::SyncContext),
    ("smol::spawn", Api::Spawn),
    ("smol::spawn", Api::Detaches),
    ("crossbeam::scope", Api::Spawn),
    ("crossbeam::thread::scope", Api::Spawn),
    ("crossbeam_utils::thread::scope", Api::Spawn),
    // channels
    ("std::sync::mpsc::channel", Api::Channel),
    ("std::sync::mpsc::sync_channel", Api::Channel),
    ("crossbeam_channel::unbounded", Api::Channel),
    ("crossbeam_channel::bounded", Api::Channel),
    ("crossbeam::channel::unbounded", Api::Channel),
    ("crossbeam::channel::bounded", Api::Channel),
    ("flume::unbounded", Api::Channel),
    ("flume::bounded", Api::Channel),
    ("tokio::sync::mpsc::channel", Api::Channel),
    ("tokio::sync::mpsc::unbounded_channel", Api::Channel),
    ("tokio::sync::oneshot::channel", Api::Channel),
    ("tokio::sync::broadcast::channel", Api::Channel),
    ("tokio::sync::watch::channel", Api::Channel),
    ("async_channel::bounded", Api::Channel),
    ("async_channel::unbounded", Api::Channel),
    ("futures::channel::mpsc::channel", Api::Channel),
    ("futures::channel::mpsc::unbounded", Api::Channel),
    ("futures::channel::oneshot::channel", Api::Channel),
    // CPU-heavy
    ("sha2::*", Api::Cpu),
    ("sha1::*", Api::Cpu),
    ("md5::compute", Api::Cpu),
    ("blake3::hash", Api::Cpu),
    ("crc32fast::hash", Api::Cpu),
    ("flate2::*", Api::Cpu),
    ("zstd::*", Api::Cpu),
    ("lz4_flex::*", Api::Cpu),
    ("brotli::*", Api::Cpu),
    ("regex::Regex::new", Api::Cpu),
    ("serde_json::from_str", Api::Cpu),
    ("serde_json::from_slice", Api::Cpu),
    ("serde_json::from_reader", Api::Cpu),
    ("serde_json::to_string", Api::Cpu),
    ("serde_json::to_string_pretty", Api::Cpu),
    ("serde_json::to_vec", Api::Cpu),
    ("bincode::serialize", Api::Cpu),
    ("bincode::deserialize", Api::Cpu),
    ("toml::from_str", Api::Cpu),
    // waiting for other work
    ("futures::executor::block_on", Api::Join),
    // FFI
    ("libc::*", Api::Ffi),
    // drop
    ("std::mem::drop", Api::Drop),
    ("drop", Api::Drop),
];

/// Paths under an I/O pattern that do no I/O (builders and plain data).
pub const NOT_IO: &[&str] = &[
    "std::fs::OpenOptions::new",
    "std::fs::DirBuilder::new",
    "std::fs::Permissions::*",
    "std::fs::FileType::*",
    "std::fs::Metadata::*",
    "std::fs::File::from*",
    "reqwest::blocking::Client::new",
    "reqwest::blocking::Client::builder",
    "reqwest::blocking::ClientBuilder::*",
];

/// Methods on receivers of a known type (the type of a local, a field, or the root of a builder chain):
/// `(type path, method, api)`.
pub const TYPED_METHODS: &[(&str, &str, Api)] = &[
    ("std::process::Command", "output", Api::Io),
    ("std::process::Command", "status", Api::Io),
    ("std::process::Command", "spawn", Api::Spawn),
    ("std::process::Command", "spawn", Api::Io),
    ("std::process::Child", "wait", Api::Io),
    ("std::process::Child", "wait_with_output", Api::Io),
    ("std::fs::File", "read", Api::Io),
    ("std::fs::File", "read_to_string", Api::Io),
    ("std::fs::File", "read_to_end", Api::Io),
    ("std::fs::File", "read_exact", Api::Io),
    ("std::fs::File", "write", Api::Io),
    ("std::fs::File", "write_all", Api::Io),
    ("std::fs::File", "flush", Api::Io),
    ("std::fs::File", "sync_all", Api::Io),
    ("std::fs::File", "sync_data", Api::Io),
    ("std::fs::OpenOptions", "open", Api::Io),
    ("std::net::TcpStream", "read", Api::Io),
    ("std::net::TcpStream", "read_exact", Api::Io),
    ("std::net::TcpStream", "read_to_end", Api::Io),
    ("std::net::TcpStream", "write", Api::Io),
    ("std::net::TcpStream", "write_all", Api::Io),
    ("std::net::TcpListener", "accept", Api::Io),
    ("std::net::TcpListener", "incoming", Api::Io),
    ("std::net::UdpSocket", "recv_from", Api::Io),
    ("std::net::UdpSocket", "send_to", Api::Io),
    ("std::io::Stdin", "read_line", Api::Console),
    ("std::io::Stdout", "write_all", Api::Console),
    ("std::io::Stdout", "flush", Api::Console),
    ("std::io::Stderr", "write_all", Api::Console),
    ("std::thread::Builder", "spawn", Api::Spawn),
    ("std::thread::Builder", "spawn", Api::Detaches),
    ("std::thread::Builder", "spawn", Api::SyncContext),
    ("std::thread::JoinHandle", "join", Api::Join),
    ("std::sync::mpsc::Receiver", "recv", Api::Recv),
    ("std::sync::Condvar", "wait", Api::Recv),
    ("std::sync::Condvar", "wait_while", Api::Recv),
    ("std::sync::Condvar", "wait_timeout", Api::Recv),
    ("std::sync::Barrier", "wait", Api::Recv),
    ("tokio::runtime::Runtime", "block_on", Api::Join),
    ("tokio::runtime::Handle", "block_on", Api::Join),
    ("reqwest::blocking::Client", "send", Api::Io),
    ("reqwest::blocking::Client", "execute", Api::Io),
    ("ureq::Agent", "call", Api::Io),
    ("postgres::Client", "query", Api::Io),
    ("postgres::Client", "query_one", Api::Io),
    ("postgres::Client", "execute", Api::Io),
    ("postgres::Client", "batch_execute", Api::Io),
    ("rusqlite::Connection", "execute", Api::Io),
    ("rusqlite::Connection", "query_row", Api::Io),
    ("rusqlite::Connection", "execute_batch", Api::Io),
    ("env_logger::Builder", "init", Api::ProcessGlobal),
    ("env_logger::Builder", "try_init", Api::ProcessGlobal),
    (
        "tracing_subscriber::fmt::SubscriberBuilder",
        "init",
        Api::ProcessGlobal,
    ),
    (
        "tracing_subscriber::fmt::SubscriberBuilder",
        "try_init",
        Api::ProcessGlobal,
    ),
    ("tracing_subscriber::Registry", "init", Api::ProcessGlobal),
    ("regex::Regex", "is_match", Api::Cpu),
    ("regex::Regex", "captures", Api::Cpu),
    ("regex::Regex", "find_iter", Api::Cpu),
    ("regex::Regex", "replace_all", Api::Cpu),
];

/// Methods recognised on any receiver, by name and number of arguments (`None`: any).
pub const ANY_METHODS: &[(&str, Option<usize>, Api)] = &[
    ("recv", Some(0), Api::Recv),
    ("recv_timeout", Some(1), Api::Recv),
    ("join", Some(0), Api::Join),
    ("par_iter", Some(0), Api::Spawn),
    ("par_iter_mut", Some(0), Api::Spawn),
    ("into_par_iter", Some(0), Api::Spawn),
    ("par_chunks", Some(1), Api::Spawn),
    ("par_chunks_mut", Some(1), Api::Spawn),
    ("par_bridge", Some(0), Api::Spawn),
    ("par_sort", Some(0), Api::Spawn),
    ("par_sort_unstable", Some(0), Api::Spawn),
    ("par_extend", Some(1), Api::Spawn),
    ("sort", Some(0), Api::Cpu),
    ("sort_unstable", Some(0), Api::Cpu),
    ("sort_by", Some(1), Api::Cpu),
    ("sort_by_key", Some(1), Api::Cpu),
    ("sort_unstable_by", Some(1), Api::Cpu),
    ("sort_unstable_by_key", Some(1), Api::Cpu),
    ("sort_by_cached_key", Some(1), Api::Cpu),
];

/// Iterator adaptors: the closures passed to them run once per element (a loop).
pub const LOOP_METHODS: &[&str] = &[
    "map",
    "for_each",
    "filter",
    "filter_map",
    "flat_map",
    "fold",
    "try_fold",
    "reduce",
    "any",
    "all",
    "find",
    "position",
    "max_by_key",
    "min_by_key",
    "max_by",
    "min_by",
    "take_while",
    "skip_while",
    "scan",
    "retain",
];

/// Arithmetic methods (also every `wrapping_*`, `checked_*`, `saturating_*`, `overflowing_*` method): they count
/// like operators in the compute score.
pub const ARITH_METHODS: &[&str] = &[
    "pow",
    "powi",
    "powf",
    "sqrt",
    "abs",
    "exp",
    "ln",
    "log2",
    "log10",
    "sin",
    "cos",
    "mul_add",
    "rotate_left",
    "rotate_right",
    "count_ones",
    "leading_zeros",
    "trailing_zeros",
    "swap_bytes",
    "to_le_bytes",
    "from_le_bytes",
    "min",
    "max",
    "clamp",
];

/// True for an arithmetic method name (see [`ARITH_METHODS`]).
pub fn is_arith_method(name: &str) -> bool {
    ["wrapping_", "checked_", "saturating_", "overflowing_"]
        .iter()
        .any(|p| name.starts_with(p))
        || ARITH_METHODS.contains(&name)
}

/// Methods that turn a builder into another type: `(receiver type, method, returned type)`
/// (`OpenOptions::new().append(true).open(p)?` is a `File`). Other methods keep the receiver's type.
pub const METHOD_RETURN_TYPES: &[(&str, &str, &str)] = &[
    ("std::fs::OpenOptions", "open", "std::fs::File"),
    ("std::fs::File", "try_clone", "std::fs::File"),
];

/// The type a method call on `ty` returns, when [`METHOD_RETURN_TYPES`] knows it.
pub fn method_return_type(ty: &str, method: &str) -> Option<&'static str> {
    METHOD_RETURN_TYPES
        .iter()
        .find(|(t, m, _)| *t == ty && *m == method)
        .map(|&(_, _, r)| r)
}

/// What a constructor or free function returns, where that is not the path minus its last segment.
pub const RETURN_TYPES: &[(&str, &str)] = &[
    ("std::io::stdin", "std::io::Stdin"),
    ("std::io::stdout", "std::io::Stdout"),
    ("std::io::stderr", "std::io::Stderr"),
    ("std::thread::spawn", "std::thread::JoinHandle"),
    ("std::fs::OpenOptions::new", "std::fs::OpenOptions"),
    (
        "reqwest::blocking::Client::new",
        "reqwest::blocking::Client",
    ),
    (
        "reqwest::blocking::Client::builder",
        "reqwest::blocking::Client",
    ),
    ("ureq::agent", "ureq::Agent"),
    ("env_logger::builder", "env_logger::Builder"),
    (
        "tracing_subscriber::fmt",
        "tracing_subscriber::fmt::SubscriberBuilder",
    ),
    (
        "tracing_subscriber::registry",
        "tracing_subscriber::Registry",
    ),
];

/// Lock types; `true` when the lock is async (its guard may be held across `.await`).
pub const LOCK_TYPES: &[(&str, bool)] = &[
    ("std::sync::Mutex", false),
    ("std::sync::RwLock", false),
    ("parking_lot::Mutex", false),
    ("parking_lot::RwLock", false),
    ("parking_lot::ReentrantMutex", false),
    ("parking_lot::FairMutex", false),
    ("spin::Mutex", false),
    ("spin::RwLock", false),
    ("tokio::sync::Mutex", true),
    ("tokio::sync::RwLock", true),
    ("async_std::sync::Mutex", true),
    ("async_std::sync::RwLock", true),
    ("futures::lock::Mutex", true),
];

/// Locks the same thread may acquire again (no double-lock).
pub const REENTRANT_LOCKS: &[&str] = &["parking_lot::ReentrantMutex"];

/// Methods that acquire a lock when called with no arguments.
pub const GUARD_METHODS: &[&str] = &[
    "lock",
    "read",
    "write",
    "try_lock",
    "try_read",
    "try_write",
    "blocking_lock",
    "blocking_read",
    "blocking_write",
    "upgradable_read",
    "lock_owned",
    "read_owned",
    "write_owned",
];

/// Unqualified names that drop their argument (the prelude's `drop`).
pub const DROP_NAMES: &[&str] = &["drop"];

/// Methods that only try (never wait): no double-lock, no ordering.
pub const TRY_GUARD_METHODS: &[&str] = &["try_lock", "try_read", "try_write"];

/// Methods that acquire a lock in shared (read) mode.
pub const SHARED_GUARD_METHODS: &[&str] = &[
    "read",
    "try_read",
    "blocking_read",
    "read_owned",
    "upgradable_read",
];

/// Wrappers a guard passes through unchanged: `m.lock().unwrap()`, `.expect("..")`, `?`, `.await`.
pub const GUARD_UNWRAP_METHODS: &[&str] = &["unwrap", "expect", "unwrap_or_else", "ok"];

/// Methods that return the same lock (or a reference/handle to it): `Arc::clone`d locals alias the original.
pub const ALIAS_METHODS: &[&str] = &["clone", "as_ref", "deref", "borrow"];

/// Last path segments of constructors (`Type::new`): they build a value of the type before them.
pub const CTOR_NAMES: &[&str] = &["new", "default", "from", "new_cyclic", "const_new"];

/// Receiver types whose `lock()` is not a lock of shared state (`stdout().lock()`), as patterns.
pub const NOT_LOCK_RECEIVERS: &[&str] = &["std::io::*"];

/// Methods whose closure arguments run on another thread or task (`s.spawn(|| ..)` in a scope, a JoinSet).
pub const DETACHING_METHODS: &[&str] = &["spawn", "spawn_blocking", "spawn_local"];

/// Macros printing to the console (an `io` site each).
pub const CONSOLE_MACROS: &[&str] = &["println", "print", "eprintln", "eprint"];

/// Macros writing to their first argument (`writeln!(out, ..)`): I/O when that is a file, socket or console.
pub const WRITE_MACROS: &[&str] = &["write", "writeln"];

/// Macros declaring statics (parsed as declarations: global-state sources).
pub const DECLARATION_MACROS: &[&str] = &["thread_local", "lazy_static"];

/// Macros that take the address of a place (a `static mut` use without `unsafe`).
pub const ADDR_OF_MACROS: &[&str] = &["addr_of", "addr_of_mut"];

/// The attribute that installs a process-wide allocator.
pub const GLOBAL_ALLOCATOR_ATTR: &str = "global_allocator";

/// Atomic types (matched as patterns).
pub const ATOMIC_TYPES: &[&str] = &[
    "std::sync::atomic::Atomic*",
    "crossbeam::atomic::AtomicCell",
    "crossbeam_utils::atomic::AtomicCell",
    "portable_atomic::*",
];

/// Single-thread interior mutability and reference counting.
pub const SINGLE_THREAD_TYPES: &[&str] = &[
    "std::cell::Cell",
    "std::cell::RefCell",
    "std::cell::UnsafeCell",
    "std::rc::Rc",
    "std::rc::Weak",
];

/// Shared ownership across threads.
pub const ARC_TYPES: &[&str] = &["std::sync::Arc", "triomphe::Arc"];

/// Paths whose first segment is one of these are absolute even without a `use`.
pub const STD_ROOTS: &[(&str, &str)] = &[("std", "std"), ("core", "std"), ("alloc", "std")];

/// True when `pattern` (see module docs) matches `path`.
pub fn matches(pattern: &str, path: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => path.starts_with(prefix),
        None => pattern == path,
    }
}

/// True when any pattern of `table` matches `path`.
pub fn any_matches(table: &[&str], path: &str) -> bool {
    table.iter().any(|p| matches(p, path))
}

struct CallIndex {
    exact: HashMap<&'static str, Vec<Api>>,
    prefixes: Vec<(&'static str, Api)>,
    typed: HashMap<&'static str, Vec<(&'static str, Api)>>,
    typed_names: HashMap<&'static str, ()>,
    any: HashMap<&'static str, Vec<(Option<usize>, Api)>>,
}

fn index() -> &'static CallIndex {
    static INDEX: OnceLock<CallIndex> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut exact: HashMap<&'static str, Vec<Api>> = HashMap::new();
        let mut prefixes = Vec::new();
        for &(pattern, api) in CALLS {
            match pattern.strip_suffix('*') {
                Some(prefix) => prefixes.push((prefix, api)),
                None => exact.entry(pattern).or_default().push(api),
            }
        }
        let mut typed: HashMap<&'static str, Vec<(&'static str, Api)>> = HashMap::new();
        let mut typed_names = HashMap::new();
        for &(ty, method, api) in TYPED_METHODS {
            typed.entry(ty).or_default().push((method, api));
            typed_names.insert(method, ());
        }
        let mut any: HashMap<&'static str, Vec<(Option<usize>, Api)>> = HashMap::new();
        for &(method, arity, api) in ANY_METHODS {
            any.entry(method).or_default().push((arity, api));
        }
        CallIndex {
            exact,
            prefixes,
            typed,
            typed_names,
            any,
        }
    })
}

/// Every category the call of `path` belongs to (empty for unknown paths).
pub fn call_apis(path: &str) -> Vec<Api> {
    let idx = index();
    let mut out = idx.exact.get(path).cloned().unwrap_or_default();
    for &(prefix, api) in &idx.prefixes {
        if path.starts_with(prefix) && !out.contains(&api) {
            out.push(api);
        }
    }
    if out.contains(&Api::Io) && any_matches(NOT_IO, path) {
        out.retain(|a| *a != Api::Io);
    }
    out
}

/// True when some typed-method entry has this method name (worth computing the receiver's type).
pub fn is_typed_method_name(method: &str) -> bool {
    index().typed_names.contains_key(method)
}

/// Categories of `method` called on a receiver of type `ty`.
pub fn typed_method_apis(ty: &str, method: &str) -> Vec<Api> {
    index()
        .typed
        .get(ty)
        .map(|v| {
            v.iter()
                .filter(|(m, _)| *m == method)
                .map(|&(_, api)| api)
                .collect()
        })
        .unwrap_or_default()
}

/// Categories of `method` on any receiver, given its number of arguments.
pub fn any_method_apis(method: &str, args: usize) -> Vec<Api> {
    index()
        .any
        .get(method)
        .map(|v| {
            v.iter()
                .filter(|(arity, _)| arity.is_none_or(|a| a == args))
                .map(|&(_, api)| api)
                .collect()
        })
        .unwrap_or_default()
}

/// The type a call of `path` returns, when the tables or the path's shape (`Type::ctor`) say.
pub fn return_type(path: &str) -> Option<String> {
    if let Some(&(_, ty)) = RETURN_TYPES.iter().find(|(f, _)| *f == path) {
        return Some(ty.to_string());
    }
    let (head, last) = path.rsplit_once("::")?;
    let type_seg = head.rsplit("::").next().unwrap_or(head);
    let is_type = type_seg.chars().next().is_some_and(|c| c.is_uppercase());
    let is_fn = last
        .chars()
        .next()
        .is_some_and(|c| c.is_lowercase() || c == '_');
    (is_type && is_fn).then(|| head.to_string())
}

/// True when some table knows `path` (a call, lock, atomic, cell or `Arc` type, or a constructor of one).
pub fn is_known(path: &str) -> bool {
    let ty = path.rsplit_once("::").map(|(head, _)| head).unwrap_or(path);
    !call_apis(path).is_empty()
        || [path, ty].iter().any(|p| {
            lock_type(p).is_some()
                || any_matches(ATOMIC_TYPES, p)
                || any_matches(SINGLE_THREAD_TYPES, p)
                || ARC_TYPES.contains(p)
        })
}

/// The lock type named by `path`, with whether it is async.
pub fn lock_type(path: &str) -> Option<(&'static str, bool)> {
    LOCK_TYPES.iter().find(|(p, _)| *p == path).copied()
}

/// True for an async lock type path, or any path under the async runtimes' sync modules.
pub fn is_async_lock(path: &str) -> bool {
    lock_type(path).is_some_and(|(_, a)| a)
}
