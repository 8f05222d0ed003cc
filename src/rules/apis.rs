//! The API catalogue and its index: which resolved paths, methods and types count as I/O, console, sleep,
//! process-global, spawn, channel, lock, atomic, single-thread state, CPU-heavy or FFI. The catalogue is the
//! data file `apis.toml` (compiled in; one entry per API with the reason it is listed), parsed into a
//! [`Catalogue`], merged with a user's extra entries ([`merge`]) and indexed once into an [`Apis`] that the
//! analysis passes explicitly to whatever looks things up. Plain data: no global, no I/O.
//!
//! A pattern ending in `*` matches every path that starts with what precedes the `*`
//! (`std::fs::*` matches `std::fs::read` and `std::fs::File::open`); any other pattern matches exactly.
//! Paths are resolved (`use` items applied), `core::`/`alloc::` are written as `std::`.
//!
//! The constants at the end are not APIs but the shapes of Rust code the visitors recognise (guard methods,
//! iterator adaptors, arithmetic methods, macro names).

use std::collections::HashMap;

use serde::Deserialize;

/// What calling an API does, as far as the rules care (wire names as in `apis.toml`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Api {
    /// Blocking I/O: files, sockets, child processes, blocking network/database clients.
    Io,
    /// An I/O system call that does not wait on anything slow (starting a child process): an `io` site, but
    /// not counted as blocking.
    IoQuick,
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

/// What a type is, as far as the rules care (wire names as in `apis.toml`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TypeKind {
    /// A blocking lock: its guard must not be held across blocking calls.
    Lock,
    /// An async lock (`lock().await`): its guard may be held across `.await`.
    AsyncLock,
    /// An atomic.
    Atomic,
    /// Single-thread interior mutability or reference counting (`Rc`, `Cell`, `RefCell`).
    SingleThread,
    /// Shared ownership across threads (`Arc`).
    SharedOwner,
    /// A type whose `lock()` is not a lock of shared state (`stdout().lock()`).
    NotALock,
}

/// A function or associated function (`[[call]]`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallEntry {
    /// Full path, or a pattern ending in `*`.
    pub path: String,
    #[serde(default)]
    pub is: Vec<Api>,
    /// Categories it does not have although a broader pattern gives them.
    #[serde(default)]
    pub not: Vec<Api>,
    /// The type it returns, when that is not the path minus its last segment.
    #[serde(default)]
    pub returns: Option<String>,
    /// Why it is listed.
    pub why: String,
}

/// A method (`[[method]]`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MethodEntry {
    pub name: String,
    /// The receiver's type; `None`: any receiver.
    #[serde(default)]
    pub on: Option<String>,
    /// Number of arguments; `None`: any.
    #[serde(default)]
    pub args: Option<usize>,
    #[serde(default)]
    pub is: Vec<Api>,
    /// The type it returns (a builder's `open` returns a `File`); `None`: the receiver's type.
    #[serde(default)]
    pub returns: Option<String>,
    pub why: String,
}

/// A type (`[[type]]`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TypeEntry {
    /// Full path, or a pattern ending in `*`.
    pub path: String,
    pub is: TypeKind,
    /// A lock the holding thread may take again (never a double lock).
    #[serde(default)]
    pub reentrant: bool,
    pub why: String,
}

/// The entries of a catalogue, as written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalogue {
    #[serde(default)]
    pub call: Vec<CallEntry>,
    #[serde(default)]
    pub method: Vec<MethodEntry>,
    #[serde(default, rename = "type")]
    pub types: Vec<TypeEntry>,
}

/// The built-in catalogue's text.
pub const BUILTIN: &str = include_str!("apis.toml");

/// The built-in catalogue as JSON, made from `apis.toml` by the build script (it parses ten times faster).
const BUILTIN_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/apis.json"));

impl Catalogue {
    /// The built-in catalogue (`apis.toml`; that it parses and every entry has a reason is a unit test).
    pub fn builtin() -> Catalogue {
        Catalogue::builtin_ref().clone()
    }

    /// The built-in catalogue, parsed once per process (the first call parses; [`Catalogue::prepare`] makes
    /// that call early, on another thread).
    pub fn builtin_ref() -> &'static Catalogue {
        static PARSED: std::sync::OnceLock<Catalogue> = std::sync::OnceLock::new();
        PARSED.get_or_init(|| {
            match serde_json::from_str::<Catalogue>(BUILTIN_JSON)
                .map_err(|e| e.to_string())
                .and_then(|c| c.check().map(|()| c))
            {
                Ok(c) => c,
                Err(e) => unreachable!("the built-in API catalogue is checked by a unit test: {e}"),
            }
        })
    }

    /// Parses the built-in catalogue on a thread of its own, so that it is ready when the analysis needs
    /// it (while `cargo metadata` runs, say).
    pub fn prepare() {
        std::thread::spawn(|| {
            Catalogue::builtin_ref();
        });
    }

    /// Parses catalogue entries written in the `apis.toml` format (a user's extra entries); the error is one
    /// line naming the entry at fault.
    pub fn parse(text: &str) -> Result<Catalogue, String> {
        let c: Catalogue = toml::from_str(text).map_err(|e| e.message().to_string())?;
        c.check()?;
        Ok(c)
    }

    /// Every entry names something and says why it is listed.
    pub fn check(&self) -> Result<(), String> {
        let paths = self.call.iter().map(|c| (&c.path, &c.why, "call"));
        let names = self.method.iter().map(|m| (&m.name, &m.why, "method"));
        let types = self.types.iter().map(|t| (&t.path, &t.why, "type"));
        for (what, why, table) in paths.chain(names).chain(types) {
            if what.trim().is_empty() {
                return Err(format!("a [[{table}]] entry names nothing"));
            }
            if why.trim().is_empty() {
                return Err(format!(
                    "[[{table}]] `{what}` says not why it is listed (`why`)"
                ));
            }
        }
        Ok(())
    }

    /// Appends `other`'s entries (they add to what this catalogue says of the same API).
    pub fn extend(&mut self, other: Catalogue) {
        self.call.extend(other.call);
        self.method.extend(other.method);
        self.types.extend(other.types);
    }
}

/// The catalogue an analysis uses: `extra` entries on top of `defaults` when `keep_defaults` (clippy's `".."`
/// in a configured list), or `extra` alone.
pub fn merge(defaults: Catalogue, extra: Catalogue, keep_defaults: bool) -> Catalogue {
    let mut out = if keep_defaults {
        defaults
    } else {
        Catalogue::default()
    };
    out.extend(extra);
    out
}

/// A lock type as the index knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockKind {
    pub is_async: bool,
    pub reentrant: bool,
}

/// The catalogue, indexed for lookups. Built once per analysis ([`Apis::new`]) and passed explicitly.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Apis {
    exact: HashMap<String, Vec<Api>>,
    prefixes: Vec<(String, Api)>,
    not_exact: HashMap<String, Vec<Api>>,
    not_prefixes: Vec<(String, Api)>,
    returns: HashMap<String, String>,
    /// Receiver type → (method, api).
    typed: HashMap<String, Vec<(String, Api)>>,
    typed_names: HashMap<String, ()>,
    /// (receiver type, method) → returned type.
    method_returns: HashMap<(String, String), String>,
    /// Any receiver: method → (arity, api).
    any: HashMap<String, Vec<(Option<usize>, Api)>>,
    locks: HashMap<String, LockKind>,
    /// Type patterns of the other kinds.
    type_patterns: Vec<(String, TypeKind)>,
}

impl Apis {
    /// Indexes `catalogue`.
    pub fn new(catalogue: &Catalogue) -> Apis {
        let mut idx = Apis::default();
        for c in &catalogue.call {
            let (exact, prefixes) = match c.path.strip_suffix('*') {
                Some(p) => (None, Some(p)),
                None => (Some(&c.path), None),
            };
            for &api in &c.is {
                match (exact, prefixes) {
                    (Some(p), _) => push_unique(idx.exact.entry(p.clone()).or_default(), api),
                    (_, Some(p)) => idx.prefixes.push((p.to_string(), api)),
                    _ => {}
                }
            }
            for &api in &c.not {
                match (exact, prefixes) {
                    (Some(p), _) => push_unique(idx.not_exact.entry(p.clone()).or_default(), api),
                    (_, Some(p)) => idx.not_prefixes.push((p.to_string(), api)),
                    _ => {}
                }
            }
            if let Some(r) = &c.returns {
                idx.returns.insert(c.path.clone(), r.clone());
            }
        }
        for m in &catalogue.method {
            match &m.on {
                Some(ty) => {
                    for &api in &m.is {
                        let v = idx.typed.entry(ty.clone()).or_default();
                        if !v.iter().any(|(n, a)| *n == m.name && *a == api) {
                            v.push((m.name.clone(), api));
                        }
                        idx.typed_names.insert(m.name.clone(), ());
                    }
                    if let Some(r) = &m.returns {
                        idx.method_returns
                            .insert((ty.clone(), m.name.clone()), r.clone());
                    }
                }
                None => {
                    for &api in &m.is {
                        let v = idx.any.entry(m.name.clone()).or_default();
                        if !v.contains(&(m.args, api)) {
                            v.push((m.args, api));
                        }
                    }
                }
            }
        }
        for t in &catalogue.types {
            match t.is {
                TypeKind::Lock | TypeKind::AsyncLock => {
                    let kind = LockKind {
                        is_async: t.is == TypeKind::AsyncLock,
                        reentrant: t.reentrant,
                    };
                    idx.locks.insert(t.path.clone(), kind);
                }
                other => idx.type_patterns.push((t.path.clone(), other)),
            }
        }
        idx
    }

    /// The index of the built-in catalogue.
    pub fn builtin() -> Apis {
        Apis::new(Catalogue::builtin_ref())
    }

    /// Every category the call of `path` belongs to (empty for unknown paths).
    pub fn call_apis(&self, path: &str) -> Vec<Api> {
        self.call_apis_in(path, None)
    }

    /// [`call_apis`](Self::call_apis) for a call made in the crate `own_crate`: a module pattern
    /// (`libc::*`) never matches the crate's own paths (libc's own code is not a call into libc), and it
    /// matches only functions: not types, enum variants (`Ok`), constants (`FD_SETSIZE`), libc's helpers
    /// written in Rust (`CMSG_LEN`, `WIFEXITED`) nor the standard trait methods (`c_int::from`).
    pub fn call_apis_in(&self, path: &str, own_crate: Option<&str>) -> Vec<Api> {
        let mut out = self.exact.get(path).cloned().unwrap_or_default();
        let own = own_crate.is_some_and(|c| {
            path.strip_prefix(c)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with("::"))
        });
        if !own && is_function_name(path.rsplit("::").next().unwrap_or(path)) {
            for (prefix, api) in &self.prefixes {
                if path.starts_with(prefix.as_str()) && !out.contains(api) {
                    out.push(*api);
                }
            }
        }
        if out.is_empty() {
            return out;
        }
        if let Some(not) = self.not_exact.get(path) {
            out.retain(|a| !not.contains(a));
        }
        for (prefix, api) in &self.not_prefixes {
            if path.starts_with(prefix.as_str()) {
                out.retain(|a| a != api);
            }
        }
        out
    }

    /// True when some typed-method entry has this method name (worth computing the receiver's type).
    pub fn is_typed_method_name(&self, method: &str) -> bool {
        self.typed_names.contains_key(method)
    }

    /// Categories of `method` called on a receiver of type `ty`.
    pub fn typed_method_apis(&self, ty: &str, method: &str) -> Vec<Api> {
        self.typed
            .get(ty)
            .map(|v| {
                v.iter()
                    .filter(|(m, _)| m == method)
                    .map(|&(_, api)| api)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Categories of `method` on any receiver, given its number of arguments.
    pub fn any_method_apis(&self, method: &str, args: usize) -> Vec<Api> {
        self.any
            .get(method)
            .map(|v| {
                v.iter()
                    .filter(|(arity, _)| arity.is_none_or(|a| a == args))
                    .map(|&(_, api)| api)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The type a method call on `ty` returns, when the catalogue knows it.
    pub fn method_return_type(&self, ty: &str, method: &str) -> Option<&str> {
        self.method_returns
            .get(&(ty.to_string(), method.to_string()))
            .map(String::as_str)
    }

    /// The type a call of `path` returns, when the catalogue or the path's shape (`Type::ctor`) say.
    pub fn return_type(&self, path: &str) -> Option<String> {
        if let Some(ty) = self.returns.get(path) {
            return Some(ty.clone());
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

    /// True when the catalogue knows `path` (a call, lock, atomic, cell or `Arc` type, or a constructor of one).
    pub fn is_known(&self, path: &str) -> bool {
        let ty = path.rsplit_once("::").map(|(head, _)| head).unwrap_or(path);
        !self.call_apis(path).is_empty()
            || [path, ty].iter().any(|p| {
                self.lock_type(p).is_some()
                    || self.is_type(TypeKind::Atomic, p)
                    || self.is_type(TypeKind::SingleThread, p)
                    || self.is_shared_owner(p)
            })
    }

    /// The lock type named by `path`.
    pub fn lock_type(&self, path: &str) -> Option<&LockKind> {
        self.locks.get(path)
    }

    /// True for a lock the holding thread may take again.
    pub fn is_reentrant(&self, path: &str) -> bool {
        self.locks.get(path).is_some_and(|l| l.reentrant)
    }

    /// True when a `kind` pattern of the catalogue matches the type `path`.
    pub fn is_type(&self, kind: TypeKind, path: &str) -> bool {
        self.type_patterns
            .iter()
            .any(|(p, k)| *k == kind && matches(p, path))
    }

    /// True for `Arc`-like types (exactly: `std::sync::Arc`, not `std::sync::Arc::new`).
    pub fn is_shared_owner(&self, path: &str) -> bool {
        self.type_patterns
            .iter()
            .any(|(p, k)| *k == TypeKind::SharedOwner && p == path)
    }
}

/// True when `name` is written like a function that a module pattern may name: lower case or `_` first, some
/// lower-case letter (not a constant or a C macro written in Rust), and not a standard trait method.
pub fn is_function_name(name: &str) -> bool {
    name.chars()
        .next()
        .is_some_and(|c| c.is_lowercase() || c == '_')
        && name.chars().any(|c| c.is_lowercase())
        && !TRAIT_METHODS.contains(&name)
}

/// Methods of the standard traits (conversions, comparisons, formatting, cloning): a module pattern never
/// matches them (`libc::c_int::from(x)` is no foreign call).
pub const TRAIT_METHODS: &[&str] = &[
    "from",
    "into",
    "try_from",
    "try_into",
    "default",
    "clone",
    "clone_from",
    "to_owned",
    "to_string",
    "fmt",
    "eq",
    "ne",
    "cmp",
    "partial_cmp",
    "hash",
    "as_ref",
    "as_mut",
    "borrow",
    "borrow_mut",
    "deref",
    "deref_mut",
    "drop",
    "from_str",
];

fn push_unique(v: &mut Vec<Api>, api: Api) {
    if !v.contains(&api) {
        v.push(api);
    }
}

/// True when `pattern` (see module docs) matches `path`.
pub fn matches(pattern: &str, path: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => path.starts_with(prefix),
        None => pattern == path,
    }
}

/// Iterator adaptors: the closures passed to them run once per element (a loop) when the receiver is an
/// iterator (see [`ITER_SOURCES`]); the same names on an `Option`, a `Result`, a future or a parser combinator
/// (`opt.map(..)`, `take(n).map(..)`) call their closure once.
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
];

/// Collection methods that call their closure once per element, whatever the receiver chain: a loop.
pub const COLLECTION_LOOP_METHODS: &[&str] = &["retain", "retain_mut"];

/// Methods that start an iterator over their receiver: a chain of [`LOOP_METHODS`] and [`ITER_ADAPTORS`] on
/// one of them is a loop.
pub const ITER_SOURCES: &[&str] = &[
    "iter",
    "iter_mut",
    "into_iter",
    "chars",
    "char_indices",
    "bytes",
    "lines",
    "split",
    "rsplit",
    "splitn",
    "split_whitespace",
    "split_terminator",
    "split_inclusive",
    "match_indices",
    "encode_utf16",
    "windows",
    "chunks",
    "chunks_mut",
    "chunks_exact",
    "chunks_exact_mut",
    "rchunks",
    "keys",
    "values",
    "values_mut",
    "into_keys",
    "into_values",
    "drain",
    "par_iter",
    "par_iter_mut",
    "into_par_iter",
    "par_chunks",
    "par_chunks_mut",
    "par_bridge",
];

/// Iterator adaptors that take no per-element closure: an iterator in, an iterator out.
pub const ITER_ADAPTORS: &[&str] = &[
    "enumerate",
    "zip",
    "rev",
    "skip",
    "take",
    "step_by",
    "chain",
    "cloned",
    "copied",
    "peekable",
    "fuse",
    "cycle",
    "flatten",
    "by_ref",
    "inspect",
    "map_while",
];

/// Lazy initialisers: the closure passed to them runs once for the receiver, not once per loop iteration.
pub const ONCE_METHODS: &[&str] = &[
    "get_or_insert_with",
    "get_or_init",
    "get_or_try_init",
    "call_once",
    "call_once_force",
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

/// Guard methods whose name alone says "lock" (`read()`/`write()`/`try_*()` on an unknown receiver may be
/// anything): on a receiver of unknown type they still give a lock that is not guessed.
pub const STRONG_GUARD_METHODS: &[&str] = &[
    "lock",
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

/// Macros that panic: the code after one never runs (a branch with one leaves the loops around it).
pub const PANIC_MACROS: &[&str] = &["panic", "unreachable", "todo", "unimplemented"];

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

/// Macros printing to the console (an `io` site each).
pub const CONSOLE_MACROS: &[&str] = &["println", "print", "eprintln", "eprint"];

/// Macros writing to their first argument (`writeln!(out, ..)`): I/O when that is a file, socket or console.
pub const WRITE_MACROS: &[&str] = &["write", "writeln"];

/// Macros declaring statics (parsed as declarations: global-state sources).
pub const DECLARATION_MACROS: &[&str] = &["thread_local", "lazy_static"];

/// Macros whose arguments are not compute (assertions, formatting, logging, panics).
pub const QUIET_MACROS: &[&str] = &[
    "assert",
    "assert_eq",
    "assert_ne",
    "debug_assert",
    "debug_assert_eq",
    "debug_assert_ne",
    "format",
    "format_args",
    "print",
    "println",
    "eprint",
    "eprintln",
    "write",
    "writeln",
    "panic",
    "unreachable",
    "todo",
    "unimplemented",
    "trace",
    "debug",
    "info",
    "warn",
    "error",
    "log",
];

/// Handles that have no read or write timeout: when one gives a `WouldBlock` error, its descriptor is
/// non-blocking (`O_NONBLOCK`), so a read or write that handles that error does not wait. (A socket's does not
/// say so: a socket with a timeout gives `WouldBlock` after waiting for it.)
pub const NO_TIMEOUT_HANDLES: &[&str] = &[
    "std::fs::File",
    "std::io::Stdin",
    "std::io::StdinLock",
    "std::io::PipeReader",
    "std::io::PipeWriter",
    "std::process::ChildStdin",
    "std::process::ChildStdout",
    "std::process::ChildStderr",
];

/// Methods of channel traffic (sending or receiving, also non-blocking): a loop doing them is not compute.
pub const CHANNEL_METHODS: &[&str] = &[
    "send",
    "try_send",
    "send_timeout",
    "recv",
    "try_recv",
    "recv_timeout",
];

/// Single-thread cells that are `Send` (not `Sync`): inside a lock (`Mutex<RefCell<T>>`,
/// `critical_section::Mutex<RefCell<T>>`) they are shared between threads, guarded by it. (`Rc` is not `Send`:
/// a lock does not make it shareable.)
pub const SEND_CELLS: &[&str] = &[
    "std::cell::Cell",
    "std::cell::RefCell",
    "std::cell::OnceCell",
];

/// Atomic compare-exchange methods: a loop around one retries as often as other threads interfere (a lock's
/// slow path, a lock-free queue's pop), so it is synchronisation, not compute, like channel traffic.
pub const RETRY_METHODS: &[&str] = &[
    "compare_exchange",
    "compare_exchange_weak",
    "compare_and_swap",
];

/// The blocking I/O traits (`std::io`'s, or a `no_std` crate's own of the same name): a reader or writer known
/// only by one of them (`R: Read`, `&mut dyn Write`) may be a file, a socket or a pipe.
pub const IO_TRAITS: &[&str] = &["Read", "BufRead", "Write"];

/// Methods of [`IO_TRAITS`] that may wait for the reader or writer (not `consume`, which moves a cursor), and
/// `next` of the iterators that read (`reader.bytes()`, `lines()`, `split(b)`: [`IO_ITER_METHODS`]): a loop
/// that calls one on a reader known only by its trait may wait on I/O.
pub const IO_TRAIT_METHODS: &[&str] = &[
    "read",
    "read_exact",
    "read_to_end",
    "read_to_string",
    "read_vectored",
    "read_buf",
    "read_buf_exact",
    "read_line",
    "read_until",
    "skip_until",
    "fill_buf",
    "write",
    "write_all",
    "write_vectored",
    "write_fmt",
    "flush",
    "next",
];

/// Methods of [`IO_TRAITS`] that give an iterator reading the reader as it goes.
pub const IO_ITER_METHODS: &[&str] = &["bytes", "lines", "split"];

/// Functions that wait for other threads without blocking on I/O (spinning, yielding, parking): a loop that
/// calls one waits.
pub const THREAD_WAIT_CALLS: &[&str] = &[
    "std::hint::spin_loop",
    "std::sync::atomic::spin_loop_hint",
    "std::thread::yield_now",
    "std::thread::park",
    "std::thread::park_timeout",
    "parking_lot_core::park",
];

/// Crates that bind the operating system's API (foreign functions, or thin wrappers over one system call each):
/// a loop calling their functions spends its time in the system, not in compute. `windows` spells its
/// functions in Win32's PascalCase (`GetDriveTypeW`), so these are matched on any name with a lower-case letter.
pub const OS_API_CRATES: &[&str] = &[
    "libc",
    "windows",
    "windows_sys",
    "winapi",
    "nix",
    "rustix",
    "mach2",
    "core_foundation_sys",
    "io_kit_sys",
];

/// True for a called path of an OS API crate ([`OS_API_CRATES`]) that may name a function: its last segment has a
/// lower-case letter (not a constant nor a C type's tuple constructor, `HANDLE(p)`, `BOOL(1)`).
pub fn is_os_api_call(path: &str) -> bool {
    let (root, last) = match (path.split("::").next(), path.rsplit("::").next()) {
        (Some(r), Some(l)) if path.contains("::") => (r, l),
        _ => return false,
    };
    OS_API_CRATES.contains(&root) && last.chars().any(|c| c.is_lowercase())
}

/// True for a SIMD intrinsic: a function of `std::arch` (`core::arch`), such as
/// `std::arch::x86_64::_mm_or_si128`: one arithmetic operation, load or store on a vector.
pub fn is_simd_intrinsic(path: &str) -> bool {
    path.starts_with("std::arch::") || path.starts_with("core::arch::")
}

/// rayon's traits whose impls build parallel iterators for their callers to drive.
pub const PAR_ITER_TRAITS: &[&str] = &[
    "IntoParallelIterator",
    "IntoParallelRefIterator",
    "IntoParallelRefMutIterator",
    "ParallelIterator",
    "IndexedParallelIterator",
    "ParallelSlice",
    "ParallelSliceMut",
];

/// Methods that build a parallel iterator (the `spawn` entries that do no work until the iterator is driven).
pub const PAR_ITER_BUILDERS: &[&str] = &[
    "par_iter",
    "par_iter_mut",
    "into_par_iter",
    "par_chunks",
    "par_chunks_mut",
    "par_bridge",
];

/// Macros that take the address of a place (a `static mut` use without `unsafe`).
pub const ADDR_OF_MACROS: &[&str] = &["addr_of", "addr_of_mut"];

/// The attribute that installs a process-wide allocator.
pub const GLOBAL_ALLOCATOR_ATTR: &str = "global_allocator";

/// Paths whose first segment is one of these are absolute even without a `use`.
pub const STD_ROOTS: &[(&str, &str)] = &[("std", "std"), ("core", "std"), ("alloc", "std")];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_entry_parses_and_says_why() {
        let c: Catalogue = toml::from_str(BUILTIN).expect("apis.toml parses");
        // What the tool loads (the build script's JSON) is the TOML, entry for entry.
        assert_eq!(format!("{c:?}"), format!("{:?}", Catalogue::builtin_ref()));
        assert!(c.check().is_ok(), "{:?}", c.check());
        assert!(c.call.len() > 100 && c.method.len() > 50 && c.types.len() > 20);
        for e in &c.call {
            assert!(e.why.len() >= 10, "[[call]] {}: reason too short", e.path);
            assert!(
                !e.is.is_empty() || !e.not.is_empty() || e.returns.is_some(),
                "[[call]] {} says nothing",
                e.path
            );
            assert!(
                !e.path.contains('*') || e.path.ends_with('*'),
                "[[call]] {}: `*` only at the end",
                e.path
            );
        }
        for e in &c.method {
            assert!(e.why.len() >= 10, "[[method]] {}: reason too short", e.name);
            assert!(
                !e.is.is_empty() || e.returns.is_some(),
                "[[method]] {}",
                e.name
            );
        }
        for e in &c.types {
            assert!(e.why.len() >= 10, "[[type]] {}: reason too short", e.path);
            assert!(
                !e.reentrant || matches!(e.is, TypeKind::Lock | TypeKind::AsyncLock),
                "[[type]] {}: only locks are re-entrant",
                e.path
            );
        }
    }

    #[test]
    fn bad_entries_get_a_one_line_error() {
        for (text, needle) in [
            ("[[call]]\npath = \"x::f\"\nis = [\"io\"]\n", "why"),
            (
                "[[call]]\npath = \"x::f\"\nis = [\"iox\"]\nwhy = \"a reason\"\n",
                "iox",
            ),
            ("[[call]]\npath = \"x::f\"\nwhy = \" \"\n", "why"),
            (
                "[[method]]\nname = \"\"\nwhy = \"a reason\"\n",
                "names nothing",
            ),
            ("[[lock]]\npath = \"x::L\"\n", "lock"),
        ] {
            let e = Catalogue::parse(text).expect_err(text);
            assert!(e.contains(needle), "{text:?}: {e}");
            assert!(!e.trim().contains('\n'), "{text:?}: {e}");
        }
    }

    #[test]
    fn extra_entries_extend_or_replace_the_defaults() {
        let extra = Catalogue::parse(
            "[[call]]\npath = \"mydb::Conn::query\"\nis = [\"io\"]\nwhy = \"a blocking round trip\"\n\
             [[method]]\non = \"mydb::Conn\"\nname = \"fetch\"\nis = [\"io\"]\nwhy = \"waits for the server\"\n\
             [[type]]\npath = \"mylock::Lock\"\nis = \"lock\"\nreentrant = true\nwhy = \"our own lock\"\n",
        )
        .expect("parses");
        let both = Apis::new(&merge(Catalogue::builtin(), extra.clone(), true));
        assert_eq!(both.call_apis("mydb::Conn::query"), [Api::Io]);
        assert_eq!(both.typed_method_apis("mydb::Conn", "fetch"), [Api::Io]);
        assert!(both.is_typed_method_name("fetch"));
        assert!(both.is_reentrant("mylock::Lock"));
        assert!(both.call_apis("std::fs::read").contains(&Api::Io));
        let only = Apis::new(&merge(Catalogue::builtin(), extra, false));
        assert_eq!(only.call_apis("mydb::Conn::query"), [Api::Io]);
        assert!(only.call_apis("std::fs::read").is_empty());
    }

    #[test]
    fn exclusions_remove_what_broader_patterns_give() {
        let apis = Apis::builtin();
        assert!(apis.call_apis("std::fs::write").contains(&Api::Io));
        assert!(apis.call_apis("std::fs::OpenOptions::new").is_empty());
        assert!(apis.call_apis("std::fs::Permissions::readonly").is_empty());
        assert!(!apis
            .call_apis("reqwest::blocking::ClientBuilder::timeout")
            .contains(&Api::Io));
        assert!(apis.call_apis("reqwest::blocking::get").contains(&Api::Io));
        let rayon_spawn = apis.call_apis("rayon::spawn");
        for a in [Api::Spawn, Api::Detaches, Api::SyncContext] {
            assert!(rayon_spawn.contains(&a), "{a:?}");
        }
        assert_eq!(
            apis.method_return_type("std::fs::OpenOptions", "open"),
            Some("std::fs::File")
        );
        assert!(apis
            .lock_type("tokio::sync::Mutex")
            .is_some_and(|l| l.is_async));
        assert!(apis.is_type(TypeKind::NotALock, "std::io::Stdout"));
        assert!(apis.is_type(TypeKind::Atomic, "std::sync::atomic::AtomicU64"));
        assert!(apis.is_shared_owner("std::sync::Arc"));
        assert!(!apis.is_shared_owner("std::sync::Arc::new"));
    }
}
