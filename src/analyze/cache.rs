//! The facts cache: per-file `FileFacts` stored under the target directory, content-addressed, so that a warm
//! re-analysis parses only the files that changed. Never trusted: an entry whose header, key or body does not
//! check out is ignored and rebuilt. Never shared mutably: entries are written whole to a temporary name and
//! renamed into place, so concurrent runs on one cache only ever see complete entries. Never unbounded: old
//! entries are pruned after the run.
//!
//! The key of a file hashes everything its facts depend on: the tool build (version, cache format, and the
//! executable's size and modification time, so a rebuilt tool never trusts an older build's facts), the file's
//! bytes, where it sits (package, crate, module path, relative path, edition), the key of the parent file
//! whose module scopes it inherits (for `use super::*`), and a salt for settings that change what facts are
//! extracted (selected cfg/features, configuration). What is derived from facts afterwards (the call graph,
//! findings through calls, the document) is always recomputed, so warm output equals cold output.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use crate::facts::{FileContext, FileFacts};
use crate::parse::cfg::Excluded;
use crate::vocab::{Finding, FindingData};

/// Bumped whenever `FileFacts` or what fills it changes shape; part of every key and header.
const FORMAT: &str = "concur-facts-3";

/// Entries not used for this long are pruned.
const MAX_AGE: Duration = Duration::from_secs(14 * 24 * 3600);

/// At most this many entries are kept (the least recently used go first).
const MAX_ENTRIES: usize = 50_000;

/// Pruning runs at most this often (see [`FactsCache::prune_if_due`]).
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// The file whose modification time says when the cache was last pruned.
const PRUNE_MARKER: &str = "last-pruned";

/// A cache key: 128 bits of xxh3 over everything the facts depend on.
pub type Key = u128;

/// The facts cache of one run.
#[derive(Debug)]
pub struct FactsCache {
    dir: PathBuf,
    salt: String,
    hits: AtomicU64,
    misses: AtomicU64,
    /// Files known by their stamps, not read.
    unread: AtomicU64,
    /// The stamps of the workspace's files ([`FactsCache::with_stamps`]).
    stamps: Option<StampTable>,
}

/// What a file was when its text was last read: where it is (device, inode), its size, its modification and
/// change times (nanoseconds), when it was read, the digest of its text, and whether the text holds
/// suppression comments. As git's index does, a stamp stands for the text only while the file's metadata
/// is the same and the file had been left alone for [`SETTLED`] before it was read: a file written in the
/// same clock tick as it was read (and then again, same size) is read again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Stamp {
    dev: u64,
    ino: u64,
    size: u64,
    mtime: i128,
    ctime: i128,
    seen: i128,
    digest: Key,
    marked: bool,
}

/// How long a file must have been left alone before it was read for its stamp to be trusted (file systems
/// keep times in ticks of up to 2 s).
const SETTLED: i128 = 3_000_000_000;

/// How the cache served a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheUse {
    pub hits: u64,
    pub misses: u64,
    /// Of the hits, files known unchanged by their stamps, whose text was not read.
    pub unread: u64,
}

/// A file's text as its stamp tells it, without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Known {
    pub digest: Key,
    pub size: u64,
    /// The text holds suppression comments (such a file is read and parsed).
    pub marked: bool,
}

fn nanos(secs: i64, nsec: i64) -> i128 {
    i128::from(secs) * 1_000_000_000 + i128::from(nsec)
}

impl Stamp {
    fn of(meta: &std::fs::Metadata, digest: Key, marked: bool, seen: i128) -> Stamp {
        use std::os::unix::fs::MetadataExt;
        Stamp {
            dev: meta.dev(),
            ino: meta.ino(),
            size: meta.len(),
            mtime: nanos(meta.mtime(), meta.mtime_nsec()),
            ctime: nanos(meta.ctime(), meta.ctime_nsec()),
            seen,
            digest,
            marked,
        }
    }

    /// The text read then is the text now: same metadata, and it had been left alone long enough.
    fn stands_for(&self, meta: &std::fs::Metadata) -> bool {
        let now = Stamp::of(meta, self.digest, self.marked, self.seen);
        now == *self && self.mtime.max(self.ctime) + SETTLED <= self.seen
    }
}

/// The stamps of one workspace's files: those of the last run, and this run's.
#[derive(Debug)]
struct StampTable {
    file: PathBuf,
    old: std::collections::HashMap<String, Stamp>,
    now: std::sync::Mutex<std::collections::HashMap<String, Stamp>>,
}

impl FactsCache {
    /// The cache in `dir` (created on first write). `CARGO_CONCUR_CACHE_DIR` overrides the place.
    pub fn new(dir: PathBuf) -> FactsCache {
        let dir = std::env::var_os("CARGO_CONCUR_CACHE_DIR")
            .map(PathBuf::from)
            .unwrap_or(dir);
        FactsCache {
            dir,
            salt: build_identity(),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            unread: AtomicU64::new(0),
            stamps: None,
        }
    }

    /// Also keeps the stamps of the files of the workspace at `root` ([`Stamp`]), so that a file unchanged
    /// since the last run is not even read ([`FactsCache::known`]); [`FactsCache::save_stamps`] writes them.
    pub fn with_stamps(mut self, root: &Path) -> FactsCache {
        let name = xxhash_rust::xxh3::xxh3_128(root.as_os_str().as_encoded_bytes());
        let file = self.dir.join(format!("{name:032x}.stamps"));
        let old = std::fs::read(&file)
            .ok()
            .and_then(|bytes| {
                let body = bytes.strip_prefix(header(name).as_bytes())?;
                postcard::from_bytes::<Vec<(String, Stamp)>>(body).ok()
            })
            .unwrap_or_default()
            .into_iter()
            .collect();
        self.stamps = Some(StampTable {
            file,
            old,
            now: Default::default(),
        });
        self
    }

    /// What the stamp of the file at `path` says of its text, when it still stands for it (one `stat`).
    pub fn known(&self, path: &Path) -> Option<Known> {
        let table = self.stamps.as_ref()?;
        let name = path.to_str()?;
        let stamp = table.old.get(name)?;
        let meta = std::fs::metadata(path).ok()?;
        if !stamp.stands_for(&meta) {
            return None;
        }
        table
            .now
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(name.to_string(), *stamp);
        Some(Known {
            digest: stamp.digest,
            size: stamp.size,
            marked: stamp.marked,
        })
    }

    /// The digest of `text`, just read from `path` whose metadata (taken when it was opened) is `meta`;
    /// stamps the file.
    pub fn read(&self, path: &Path, meta: &std::fs::Metadata, text: &str, marked: bool) -> Key {
        let digest = xxhash_rust::xxh3::xxh3_128(text.as_bytes());
        if let (Some(table), Some(name)) = (&self.stamps, path.to_str()) {
            let seen = SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as i128);
            table
                .now
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(name.to_string(), Stamp::of(meta, digest, marked, seen));
        }
        digest
    }

    /// Writes this run's stamps (when they changed). Best effort.
    pub fn save_stamps(&self) {
        let Some(table) = &self.stamps else {
            return;
        };
        let now = table.now.lock().unwrap_or_else(|e| e.into_inner());
        if *now == table.old {
            return;
        }
        let mut all: Vec<(&String, &Stamp)> = now.iter().collect();
        all.sort_by(|a, b| a.0.cmp(b.0));
        let Ok(body) = postcard::to_stdvec(&all) else {
            return;
        };
        let name = table
            .file
            .file_stem()
            .and_then(|s| s.to_str())
            .and_then(|s| u128::from_str_radix(s, 16).ok())
            .unwrap_or_default();
        let mut bytes = header(name).into_bytes();
        bytes.extend_from_slice(&body);
        write_whole(&self.dir, &table.file, &bytes);
    }

    /// The default place: `<target-dir>/concur/facts-cache` ([`crate::discover::cache::cache_dir`]).
    pub fn in_target_dir(target_dir: &Path) -> FactsCache {
        FactsCache::new(crate::discover::cache::cache_dir(target_dir))
    }

    /// Adds settings that change what facts are extracted (cfg, features, configured API entries) to every
    /// key: entries made under other settings are then never used.
    pub fn with_salt(mut self, salt: &str) -> FactsCache {
        self.salt.push_str(salt);
        self.salt.push('\u{0}');
        self
    }

    /// (hits, misses) so far.
    pub fn stats(&self) -> (u64, u64) {
        (
            self.hits.load(Ordering::Relaxed),
            self.misses.load(Ordering::Relaxed),
        )
    }

    /// Counts a hit on a file known by its stamp, not read.
    pub fn count_unread(&self) {
        self.unread.fetch_add(1, Ordering::Relaxed);
    }

    /// How the cache served this run: hits, misses, and how many files were not even read.
    pub fn usage(&self) -> CacheUse {
        let (hits, misses) = self.stats();
        CacheUse {
            hits,
            misses,
            unread: self.unread.load(Ordering::Relaxed),
        }
    }

    /// The key of a file with contents `text`, at `ctx`, compiled with the cfg values `cfg` (`None`: every
    /// branch, `--all-cfgs`), below ancestors whose scopes digest to `chain` ([`chain_key`]).
    pub fn key(&self, text: &str, ctx: &FileContext, cfg: Option<&str>, chain: Option<Key>) -> Key {
        let digest = xxhash_rust::xxh3::xxh3_128(text.as_bytes());
        self.key_of(digest, ctx, cfg, chain)
    }

    /// [`FactsCache::key`] of a text whose digest (xxh3, 128 bits) is `digest`.
    pub fn key_of(
        &self,
        digest: Key,
        ctx: &FileContext,
        cfg: Option<&str>,
        chain: Option<Key>,
    ) -> Key {
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        let mut field = |bytes: &[u8]| {
            h.update(&(bytes.len() as u64).to_le_bytes());
            h.update(bytes);
        };
        field(FORMAT.as_bytes());
        field(env!("CARGO_PKG_VERSION").as_bytes());
        field(self.salt.as_bytes());
        field(ctx.package.as_bytes());
        field(ctx.crate_name.as_bytes());
        field(ctx.module_path.join("::").as_bytes());
        field(ctx.rel_path.as_bytes());
        field(ctx.edition.as_str().as_bytes());
        field(cfg.unwrap_or("\u{0}all-cfgs").as_bytes());
        field(&chain.unwrap_or(0).to_le_bytes());
        field(&[u8::from(chain.is_some())]);
        field(&digest.to_le_bytes());
        h.digest128()
    }

    fn path_of(&self, key: Key) -> PathBuf {
        self.dir.join(format!("{key:032x}.facts"))
    }

    /// The stored facts of `key`, if an intact entry for exactly that key exists.
    /// A hit more than a day old is marked as used now (entries are pruned by last use).
    pub fn load(&self, key: Key) -> Option<(FileFacts, Excluded)> {
        let got = std::fs::File::open(self.path_of(key))
            .ok()
            .and_then(|mut f| {
                let mut bytes = Vec::new();
                f.read_to_end(&mut bytes).ok()?;
                let facts = decode(&bytes, key)?;
                let modified = f.metadata().ok()?.modified().ok()?;
                let now = SystemTime::now();
                if now.duration_since(modified).unwrap_or_default() > Duration::from_secs(24 * 3600)
                {
                    let _ = f.set_modified(now);
                }
                Some(facts)
            });
        match got {
            Some(_) => self.hits.fetch_add(1, Ordering::Relaxed),
            None => self.misses.fetch_add(1, Ordering::Relaxed),
        };
        got
    }

    /// Stores `facts` under `key`. Best effort: a cache that cannot be written is only slower.
    pub fn store(&self, key: Key, facts: &FileFacts, excluded: &Excluded) {
        let entry = EntryRef {
            facts,
            item_findings: facts.item_findings.iter().map(record).collect(),
            fn_findings: facts
                .functions
                .iter()
                .map(|f| f.findings.iter().map(record).collect())
                .collect(),
            excluded,
        };
        let Ok(body) = postcard::to_stdvec(&entry) else {
            return;
        };
        let mut bytes = header(key).into_bytes();
        bytes.extend_from_slice(&body);
        write_whole(&self.dir, &self.path_of(key), &bytes);
    }

    /// Removes entries unused for [`MAX_AGE`], then the least recently used beyond [`MAX_ENTRIES`], and
    /// temporary files left by a run that was killed. Best effort.
    /// [`prune`](Self::prune), at most once per [`PRUNE_EVERY`] per cache directory (a marker file's
    /// modification time says when it last ran): listing a big cache is not free, and a run adds at most
    /// one entry per file it parsed.
    pub fn prune_if_due(&self) {
        let marker = self.dir.join(PRUNE_MARKER);
        let recent = std::fs::metadata(&marker)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| SystemTime::now().duration_since(t).ok())
            .is_some_and(|age| age < PRUNE_EVERY);
        if recent {
            return;
        }
        self.prune();
        let _ = std::fs::write(&marker, b"");
    }

    pub fn prune(&self) {
        let Ok(dir) = std::fs::read_dir(&self.dir) else {
            return;
        };
        let now = SystemTime::now();
        let mut entries: Vec<(SystemTime, PathBuf)> = Vec::new();
        for e in dir.flatten() {
            let path = e.path();
            let Some(modified) = e.metadata().ok().and_then(|m| m.modified().ok()) else {
                continue;
            };
            let age = now.duration_since(modified).unwrap_or_default();
            let is_tmp = path.extension().is_some_and(|x| x == "tmp");
            if (is_tmp && age > Duration::from_secs(3600)) || (!is_tmp && age > MAX_AGE) {
                let _ = std::fs::remove_file(&path);
            } else if !is_tmp {
                entries.push((modified, path));
            }
        }
        if entries.len() > MAX_ENTRIES {
            entries.sort();
            for (_, path) in &entries[..entries.len() - MAX_ENTRIES] {
                let _ = std::fs::remove_file(path);
            }
        }
    }
}

/// Writes `bytes` to `path` in `dir` whole: to a temporary name, then renamed (concurrent runs only ever see
/// complete files). Best effort: a cache that cannot be written is only slower.
fn write_whole(dir: &Path, path: &Path, bytes: &[u8]) {
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(
        ".{name}.{}.{}.tmp",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    ));
    let written = std::fs::File::create(&tmp).and_then(|mut f| f.write_all(bytes));
    if written.is_err() || std::fs::rename(&tmp, path).is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
}

/// The digest of a scope chain: the parent chain's digest and one file's module scopes, in sorted order
/// (the facts of a file below depend on its ancestors' scopes, not on the rest of their text).
pub fn chain_key(
    parent: Option<Key>,
    scopes: &std::collections::HashMap<String, crate::facts::resolve::ModuleScope>,
) -> Key {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    let mut field = |bytes: &[u8]| {
        h.update(&(bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    };
    field(&parent.unwrap_or(0).to_le_bytes());
    let mut modules: Vec<_> = scopes.iter().collect();
    modules.sort_unstable_by(|a, b| a.0.cmp(b.0));
    for (module, scope) in modules {
        field(module.as_bytes());
        let mut names: Vec<_> = scope.names.iter().collect();
        names.sort_unstable();
        for (name, full) in names {
            field(name.as_bytes());
            field(full.as_bytes());
        }
        field(b"globs");
        for g in &scope.globs {
            field(g.as_bytes());
        }
    }
    h.digest128()
}

/// What tells this build of cargo-concur from another: its executable's size and modification time. A rebuilt
/// tool (other extraction code, other built-in API tables, same version number) never reads the entries of the
/// build before it.
fn build_identity() -> String {
    std::env::current_exe()
        .and_then(std::fs::metadata)
        .map(|m| format!("{} {:?}", m.len(), m.modified().ok()))
        .unwrap_or_default()
}

fn header(key: Key) -> String {
    format!("{FORMAT} {} {key:032x}\n", env!("CARGO_PKG_VERSION"))
}

/// An entry as written (after its header line): the facts in postcard's compact binary form, and their
/// findings apart, every field and the typed data included (the document's serialisation of `Finding`
/// skips some fields, which a format without field names cannot do).
#[derive(serde::Serialize)]
struct EntryRef<'a> {
    facts: &'a FileFacts,
    item_findings: Vec<RecordRef<'a>>,
    /// Per function, in `facts.functions` order.
    fn_findings: Vec<Vec<RecordRef<'a>>>,
    /// What the cfg pruning left out of the file.
    excluded: &'a Excluded,
}

#[derive(serde::Deserialize)]
struct Entry {
    facts: FileFacts,
    item_findings: Vec<Record>,
    fn_findings: Vec<Vec<Record>>,
    excluded: Excluded,
}

/// A finding as the cache stores it: every field, in this order (two tuples: serde's stop at 16).
type Record = (
    (
        crate::vocab::FindingKind,
        crate::vocab::Level,
        String,
        u32,
        u32,
        Option<String>,
        String,
        String,
    ),
    (
        Vec<String>,
        String,
        String,
        u32,
        u32,
        String,
        Vec<crate::vocab::Related>,
        Option<crate::vocab::Suppression>,
        Option<FindingData>,
    ),
);

/// [`Record`], borrowed.
type RecordRef<'a> = (
    (
        &'a crate::vocab::FindingKind,
        &'a crate::vocab::Level,
        &'a String,
        &'a u32,
        &'a u32,
        &'a Option<String>,
        &'a String,
        &'a String,
    ),
    (
        &'a Vec<String>,
        &'a String,
        &'a String,
        &'a u32,
        &'a u32,
        &'a String,
        &'a Vec<crate::vocab::Related>,
        &'a Option<crate::vocab::Suppression>,
        &'a Option<FindingData>,
    ),
);

/// Every field of `f` but the snippet (filled later, from the text): a field added to `Finding` does not
/// compile here until the cache keeps it.
fn record(f: &Finding) -> RecordRef<'_> {
    let Finding {
        kind,
        level,
        file,
        line,
        column,
        function,
        message,
        help,
        chain,
        package,
        target,
        snippet: _,
        end_line,
        end_column,
        fingerprint,
        related,
        suppression,
        data,
    } = f;
    (
        (kind, level, file, line, column, function, message, help),
        (
            chain,
            package,
            target,
            end_line,
            end_column,
            fingerprint,
            related,
            suppression,
            data,
        ),
    )
}

fn finding(r: Record) -> Finding {
    let (
        (kind, level, file, line, column, function, message, help),
        (chain, package, target, end_line, end_column, fingerprint, related, suppression, data),
    ) = r;
    Finding {
        kind,
        level,
        file,
        line,
        column,
        function,
        message,
        help,
        chain,
        package,
        target,
        snippet: None,
        end_line,
        end_column,
        fingerprint,
        related,
        suppression,
        data,
    }
}

/// The facts in an entry's bytes, or `None` for a foreign, truncated or corrupt entry.
fn decode(bytes: &[u8], key: Key) -> Option<(FileFacts, Excluded)> {
    let head = header(key);
    let body = bytes.strip_prefix(head.as_bytes())?;
    let (entry, rest): (Entry, &[u8]) = postcard::take_from_bytes(body).ok()?;
    let Entry {
        mut facts,
        item_findings,
        fn_findings,
        excluded,
    } = entry;
    if !rest.is_empty() || fn_findings.len() != facts.functions.len() {
        return None;
    }
    facts.item_findings = item_findings.into_iter().map(finding).collect();
    for (f, found) in facts.functions.iter_mut().zip(fn_findings) {
        f.findings = found.into_iter().map(finding).collect();
    }
    Some((facts, excluded))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::Edition;

    fn ctx() -> FileContext {
        FileContext {
            package: "demo".into(),
            crate_name: "demo".into(),
            module_path: vec!["a".into()],
            rel_path: "src/a.rs".into(),
            edition: Edition::E2021,
        }
    }

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("concur-cache-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn keys_change_with_content_place_parent_and_salt() {
        let c = FactsCache {
            dir: PathBuf::new(),
            salt: String::new(),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            unread: AtomicU64::new(0),
            stamps: None,
        };
        let k = c.key("fn f() {}", &ctx(), None, None);
        assert_eq!(k, c.key("fn f() {}", &ctx(), None, None));
        assert_ne!(k, c.key("fn f() { }", &ctx(), None, None));
        assert_ne!(k, c.key("fn f() {}", &ctx(), None, Some(0)));
        assert_ne!(k, c.key("fn f() {}", &ctx(), None, Some(1)));
        let mut other = ctx();
        other.module_path = vec!["b".into()];
        assert_ne!(k, c.key("fn f() {}", &other, None, None));
        assert_ne!(k, c.key("fn f() {}", &ctx(), Some("CfgSet { unix }"), None));
        let salted = FactsCache { ..c }.with_salt("features=x");
        assert_ne!(k, salted.key("fn f() {}", &ctx(), None, None));
    }

    #[test]
    fn stored_facts_load_back_and_broken_entries_are_ignored() {
        let dir = scratch("roundtrip");
        let c = FactsCache::new(dir.clone());
        let facts = FileFacts {
            rel_path: "src/a.rs".into(),
            static_muts: vec!["demo::a::X".into()],
            ..FileFacts::default()
        };
        let key = c.key("static mut X: u8 = 0;", &ctx(), None, None);
        assert!(c.load(key).is_none());
        c.store(key, &facts, &Excluded::default());
        let (back, _) = c.load(key).expect("stored entry loads");
        assert_eq!(back.static_muts, facts.static_muts);
        assert_eq!(c.stats(), (1, 1));

        // Truncated: ignored.
        let path = c.path_of(key);
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() - 3]).unwrap();
        assert!(c.load(key).is_none());
        // Another key's entry under this name (foreign): ignored.
        let other = key ^ 1;
        c.store(other, &facts, &Excluded::default());
        std::fs::copy(c.path_of(other), &path).unwrap();
        assert!(c.load(key).is_none());
        // Garbage: ignored; storing again repairs it.
        std::fs::write(&path, b"\xff\x00garbage").unwrap();
        assert!(c.load(key).is_none());
        c.store(key, &facts, &Excluded::default());
        assert!(c.load(key).is_some());
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Everything extracted from real files comes back from the cache as it was (all fields but the scope
    /// map, whose order is unspecified, compared by their Debug text; the scopes by their digest).
    #[test]
    fn roundtrip_keeps_every_fact_of_the_fixtures() {
        let dir = scratch("fixtures");
        let c = FactsCache::new(dir.clone());
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let mut files = Vec::new();
        let mut stack = vec![root];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                let p = e.path();
                if p.is_dir() && !p.ends_with("target") {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "rs") {
                    files.push(p);
                }
            }
        }
        assert!(files.len() > 20, "the fixtures have many files");
        let apis = std::sync::Arc::new(crate::rules::apis::Apis::builtin());
        let mut with_data = 0;
        for path in files {
            let text = std::fs::read_to_string(&path).unwrap();
            let Ok(ast) = syn::parse_file(&text) else {
                continue;
            };
            let facts = crate::facts::extract(&ctx(), &ast, &apis);
            with_data += facts
                .item_findings
                .iter()
                .chain(facts.functions.iter().flat_map(|f| f.findings.iter()))
                .filter(|f| f.data.is_some())
                .count();
            let key = c.key(&text, &ctx(), None, None);
            c.store(key, &facts, &Excluded::default());
            let (mut back, _) = c.load(key).expect("loads");
            let mut orig = facts.clone();
            assert_eq!(
                chain_key(None, &back.scopes),
                chain_key(None, &orig.scopes),
                "{}",
                path.display()
            );
            back.scopes.clear();
            orig.scopes.clear();
            assert_eq!(
                format!("{back:?}"),
                format!("{orig:?}"),
                "{}",
                path.display()
            );
        }
        assert!(with_data > 20, "findings carry typed data");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn prune_removes_stale_temporaries_and_keeps_fresh_entries() {
        let dir = scratch("prune");
        let c = FactsCache::new(dir.clone());
        let key = c.key("", &ctx(), None, None);
        c.store(key, &FileFacts::default(), &Excluded::default());
        let stale = dir.join(".dead.1.2.tmp");
        std::fs::write(&stale, b"partial").unwrap();
        let old = SystemTime::now() - Duration::from_secs(7200);
        std::fs::File::options()
            .write(true)
            .open(&stale)
            .unwrap()
            .set_modified(old)
            .unwrap();
        c.prune();
        assert!(!stale.exists());
        assert!(c.path_of(key).exists());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn prune_if_due_prunes_once_then_waits() {
        let dir = scratch("prune-due");
        let c = FactsCache::new(dir.clone());
        let key = c.key("", &ctx(), None, None);
        c.store(key, &FileFacts::default(), &Excluded::default());
        let stale = |name: &str| {
            let p = dir.join(name);
            std::fs::write(&p, b"partial").unwrap();
            std::fs::File::options()
                .write(true)
                .open(&p)
                .unwrap()
                .set_modified(SystemTime::now() - Duration::from_secs(7200))
                .unwrap();
            p
        };
        let first = stale(".a.1.1.tmp");
        c.prune_if_due();
        assert!(!first.exists(), "no marker yet: pruned");
        assert!(dir.join(PRUNE_MARKER).exists());
        let second = stale(".b.1.2.tmp");
        c.prune_if_due();
        assert!(second.exists(), "pruned less than an hour ago: not again");
        // An old marker is due again.
        std::fs::File::options()
            .write(true)
            .open(dir.join(PRUNE_MARKER))
            .unwrap()
            .set_modified(SystemTime::now() - PRUNE_EVERY - Duration::from_secs(1))
            .unwrap();
        c.prune_if_due();
        assert!(!second.exists());
        assert!(c.path_of(key).exists());
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A stamp stands for the text it was taken with: the next run knows the file without reading it, until
    /// the file changes; a file read right after it was written is read again.
    #[test]
    fn stamps_know_unchanged_files_and_nothing_else() {
        let dir = scratch("stamps");
        let root = dir.join("ws");
        std::fs::create_dir_all(&root).unwrap();
        let file = root.join("a.rs");
        std::fs::write(&file, "fn a() {}\n").unwrap();
        let meta = std::fs::metadata(&file).unwrap();
        let c = FactsCache::new(dir.join("cache")).with_stamps(&root);
        assert_eq!(c.known(&file), None, "no stamp yet");
        let digest = c.read(&file, &meta, "fn a() {}\n", false);
        c.save_stamps();
        // Just written, just read: not settled, so not trusted.
        let again = FactsCache::new(dir.join("cache")).with_stamps(&root);
        assert_eq!(again.known(&file), None, "written within the settling time");
        // The same stamp, read long after the file was last written (its `seen` moved forward): trusted.
        let settle = |c: &FactsCache| {
            let table = c.stamps.as_ref().unwrap();
            let mut now = table.now.lock().unwrap();
            for s in now.values_mut() {
                s.seen += 10 * SETTLED;
            }
        };
        let c = FactsCache::new(dir.join("cache")).with_stamps(&root);
        c.read(&file, &meta, "fn a() {}\n", false);
        settle(&c);
        c.save_stamps();
        let warm = FactsCache::new(dir.join("cache")).with_stamps(&root);
        assert_eq!(
            warm.known(&file),
            Some(Known {
                digest,
                size: meta.len(),
                marked: false
            })
        );
        // Another workspace root has stamps of its own.
        assert_eq!(
            FactsCache::new(dir.join("cache"))
                .with_stamps(&dir)
                .known(&file),
            None
        );
        // A change of the file: unknown again. (A change of the same size within the same clock tick as the
        // read is what the settling time guards against, above.)
        std::fs::write(&file, "fn bb() {}\n").unwrap();
        assert_eq!(warm.known(&file), None, "another size");
        // A broken stamp table is no table.
        let table = warm.stamps.as_ref().unwrap().file.clone();
        std::fs::write(&table, b"garbage").unwrap();
        assert_eq!(
            FactsCache::new(dir.join("cache"))
                .with_stamps(&root)
                .known(&file),
            None
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
