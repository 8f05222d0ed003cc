//! The `analyze` pipeline: discover packages and targets, parse every file in parallel while extracting
//! facts, link the call graph per package, and assemble the sorted `AnalysisDoc`. It never prints (progress is
//! a typed [`Event`]) and never builds or runs the analyzed code.
//!
//! Files are processed as the module trees are walked, in parallel with rayon (a finished file spawns its
//! children): a file's module path must be known before its facts are extracted, and syn's ASTs cannot leave
//! the thread that parsed them, so each file is read, parsed and reduced to plain facts in one task. With the
//! facts cache ([`cache`]), an unchanged file's facts are read back instead.

pub mod cache;
pub mod doc;
pub mod identity;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use rayon::prelude::*;

use crate::analyze::doc::{
    AnalysisDoc, ExcludedDoc, FilesDoc, PackageDoc, ParseErrorDoc, Skipped, TargetDoc, ToolDoc,
};
use crate::config::ProjectConfig;
use crate::discover::PackageSelection;
use crate::discover::{self, ModuleFile, TargetKind, Workspace};
use crate::error::Result;
use crate::facts::resolve::ScopeChain;
use crate::facts::{FileContext, FileFacts};
use crate::parse::cfg::{CfgSet, Excluded};
use crate::rules::apis::Apis;
use crate::vocab::{FindingKind, SCHEMA_VERSION};
use cache::FactsCache;

/// What `analyze` reports while it runs; the front prints it (`render::status::analysis`).
#[derive(Debug)]
pub enum Event<'a> {
    /// The analysis of these packages starts.
    Started { packages: Vec<&'a str> },
    /// `rustc --print cfg` could not be run (why): `#[cfg]` is decided with the values cargo-concur was built for.
    BuiltInCfg { why: &'a str },
    /// `cargo metadata` and `rustc --print cfg` answered (or the discovery cache did, `cached`), and the
    /// configuration was read, after `elapsed`.
    Discovered {
        elapsed: std::time::Duration,
        cached: bool,
    },
    /// Done: what was read (parse errors included) and how long it took, in all and by phase.
    Finished {
        files: &'a FilesDoc,
        elapsed: std::time::Duration,
        phases: Phases,
        /// How the facts cache served the run (`None` with `--no-cache`).
        cache: Option<cache::CacheUse>,
    },
}

/// How long the phases of one analysis took.
#[derive(Debug, Clone, Copy, Default)]
pub struct Phases {
    /// Reading, parsing and reducing files to facts (or reading them back from the cache).
    pub files: std::time::Duration,
    /// Linking the call graph, deciding the findings and assembling the document.
    pub link: std::time::Duration,
}

/// What `analyze` may do besides analyzing.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Read and write the facts cache and the discovery cache (`<target-dir>/concur/facts-cache`); off with
    /// `--no-cache`.
    pub use_cache: bool,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings { use_cache: true }
    }
}

/// `cargo concur analyze`: discovery, configuration, then [`run_in`].
pub fn run(
    selection: &PackageSelection,
    scope: &discover::Scope,
    overrides: &crate::config::Overrides,
    settings: &Settings,
    on: &mut dyn FnMut(Event<'_>),
) -> Result<(AnalysisDoc, ProjectConfig)> {
    let start = Instant::now();
    crate::rules::apis::Catalogue::prepare();
    // The pool's threads start while the workspace is discovered.
    pool();
    let ws = discover::load_with(selection, scope, settings.use_cache)?;
    let config = crate::config::load(&ws, overrides)?;
    on(Event::Discovered {
        elapsed: start.elapsed(),
        cached: ws.from_cache,
    });
    Ok((run_in(&ws, &config, settings, on), config))
}

/// [`analyze_with`] (with the facts cache unless `settings` turn it off), telling `on` when it starts and
/// finishes.
pub fn run_in(
    ws: &Workspace,
    config: &ProjectConfig,
    settings: &Settings,
    on: &mut dyn FnMut(Event<'_>),
) -> AnalysisDoc {
    on(Event::Started {
        packages: ws.packages.iter().map(|p| p.name.as_str()).collect(),
    });
    if let Some(discover::scope::CfgSource::BuiltIn(why)) = &ws.cfg_source {
        on(Event::BuiltInCfg { why });
    }
    let start = Instant::now();
    // The configuration can extend the API catalogue, which changes facts: it is part of every cache key.
    let cache = settings.use_cache.then(|| {
        FactsCache::in_target_dir(&ws.target_dir)
            .with_salt(&format!("{:?}", config.packages))
            .with_stamps(&ws.root)
    });
    // The API index is made when it is first needed: a warm run starts on the cache while the built-in
    // catalogue is still being parsed.
    let make = || Arc::new(config.apis());
    let apis = LazyApis::new(&make);
    let (doc, phases) = analyze_timed(ws, config, &apis, cache.as_ref());
    if let Some(cache) = &cache {
        cache.save_stamps();
        cache.prune_if_due();
    }
    on(Event::Finished {
        files: &doc.files,
        elapsed: start.elapsed(),
        phases,
        cache: cache.as_ref().map(FactsCache::usage),
    });
    doc
}

/// One file to read, parse and reduce to facts.
struct FileJob {
    /// Which reaching of the file this is (see [`Claim`]).
    claim: Claim,
    canonical: PathBuf,
    package: usize,
    module: ModuleFile,
    ctx: FileContext,
    reached: bool,
    /// Module scopes of the ancestor files (for `use super::*;` of a module declared there).
    inherited: Option<Arc<ScopeChain>>,
    /// The kind of target whose tree holds the file.
    target: TargetKind,
    /// The cfg values the file is compiled with; `None`: nothing is pruned (`--all-cfgs`).
    cfg: Option<Arc<FileCfg>>,
    /// With a cache: the digest of `inherited` (what the file's facts depend on besides its own text).
    chain_key: Option<cache::Key>,
    /// The files that declared this one, root first (canonical path, path shown): a `mod` that loads
    /// one of them is a `#[path]` cycle.
    ancestors: Vec<(PathBuf, String)>,
}

/// The cfg values files are compiled with, made once per package and test mode, with their text for the
/// cache keys.
struct FileCfg {
    set: CfgSet,
    key: String,
}

impl FileCfg {
    fn new(set: CfgSet) -> Arc<FileCfg> {
        Arc::new(FileCfg {
            key: format!("{set:?}"),
            set,
        })
    }
}

/// What one file gave.
struct FileDone {
    package: usize,
    rel_path: String,
    /// The file's text, when it was read (a file whose stamp says it is unchanged is not: its text is read
    /// later only if a finding needs a snippet of it).
    text: Option<String>,
    /// The file's size.
    bytes: u64,
    facts: Option<FileFacts>,
    children: Vec<ModuleFile>,
    errors: Vec<ParseErrorDoc>,
    ctx: FileContext,
    reached: bool,
    inherited: Option<Arc<ScopeChain>>,
    target: TargetKind,
    cfg: Option<Arc<FileCfg>>,
    excluded: Excluded,
    /// `// concur:allow(...)` comments of the file.
    directives: Vec<crate::suppress::Directive>,
    /// The file's facts-cache key (with a cache).
    key: Option<cache::Key>,
}

fn process(job: FileJob, apis: &LazyApis<'_>, cache: Option<&FactsCache>) -> FileDone {
    let FileJob {
        claim: _,
        canonical: _,
        package,
        module,
        ctx,
        reached,
        inherited,
        target,
        cfg,
        chain_key,
        ancestors: _,
    } = job;
    let rel_path = ctx.rel_path.clone();
    let mut done = FileDone {
        package,
        rel_path: rel_path.clone(),
        text: None,
        bytes: 0,
        facts: None,
        children: Vec::new(),
        errors: Vec::new(),
        ctx,
        reached,
        inherited: inherited.clone(),
        target,
        cfg: cfg.clone(),
        excluded: Excluded::default(),
        directives: Vec::new(),
        key: None,
    };
    let cfg_key = cfg.as_ref().map(|c| c.key.as_str());
    // A file whose stamp says it has not changed since it was read is not even read: its facts come from
    // the cache under the digest its stamp holds.
    if let Some((cache, known)) = cache.and_then(|c| Some((c, c.known(&module.path)?))) {
        if !known.marked {
            let key = cache.key_of(known.digest, &done.ctx, cfg_key, chain_key);
            if let Some((facts, excluded)) = cache.load(key) {
                cache.count_unread();
                done.key = Some(key);
                done.bytes = known.size;
                done.children = discover::modtree::children(&module, &facts.mod_decls);
                done.facts = Some(facts);
                done.excluded = excluded;
                return done;
            }
        }
    }
    let (text, meta) = match crate::discover::read_source_with_meta(&module.path) {
        Ok(t) => t,
        Err(e) => {
            done.errors.push(ParseErrorDoc {
                file: rel_path,
                line: e.line,
                column: e.column,
                message: e.message,
                skipped: Skipped::File,
            });
            return done;
        }
    };
    done.bytes = text.len() as u64;
    // Suppression comments are read with the file's items (an item's comment covers its body): a file that
    // has any is always parsed, never taken from the cache.
    let marked = text.contains(crate::suppress::MARKER);
    let digest = cache.map(|c| c.read(&module.path, &meta, &text, marked));
    if let (Some(cache), Some(digest), false) = (cache, digest, marked) {
        let key = cache.key_of(digest, &done.ctx, cfg_key, chain_key);
        done.key = Some(key);
        if let Some((facts, excluded)) = cache.load(key) {
            done.children = discover::modtree::children(&module, &facts.mod_decls);
            done.facts = Some(facts);
            done.excluded = excluded;
            done.text = Some(text);
            return done;
        }
    }
    let cache = cache.filter(|_| !marked);
    // What does not parse is reported item by item; the rest of the file is analyzed.
    // Doc comments are stripped before parsing (they are a large share of what parsing costs, and no fact
    // comes from them), except in a file with suppression comments: a comment before an item's docs
    // covers the item, whose span must then start at its docs.
    let docs = if marked {
        crate::parse::Docs::Keep
    } else {
        crate::parse::Docs::Strip
    };
    let (mut ast, errors) = crate::parse::parse_items(&text, docs);
    // What the target's cfg values configure out is not analyzed (and its `mod` items are not followed).
    if let Some(cfg) = &cfg {
        done.excluded = crate::parse::cfg::prune(&mut ast, &cfg.set);
    }
    done.errors
        .extend(errors.into_iter().map(|e| ParseErrorDoc {
            file: rel_path.clone(),
            line: e.line,
            column: e.column,
            message: e.message,
            skipped: if e.whole_file {
                Skipped::File
            } else {
                Skipped::Item
            },
        }));
    done.directives = crate::suppress::scan(&text, Some(&ast));
    let ctx = &done.ctx;
    let extracted = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        crate::facts::extract_in(ctx, &ast, inherited, apis.get())
    }));
    let declared = match &extracted {
        // The facts walk collects the `mod` declarations: no second walk of the file.
        Ok(facts) => discover::modtree::children(&module, &facts.mod_decls),
        Err(_) => discover::modtree::children(&module, &discover::modtree::mod_decls(&ast)),
    };
    drop(ast);
    // proc-macro2 keeps a copy of every text this thread tokenized, for span locations; the facts hold
    // lines and columns, and the file's spans went with its syntax tree (nothing else on a pool thread
    // holds one while a file is processed).
    proc_macro2::extra::invalidate_current_thread_spans();
    done.children = declared;
    match extracted {
        Ok(facts) => {
            // Only files that parse whole are cached (their facts are all there is to keep).
            if let (Some(cache), Some(key), true) = (cache, done.key, done.errors.is_empty()) {
                cache.store(key, &facts, &done.excluded);
            }
            done.facts = Some(facts);
        }
        Err(_) => done.errors.push(ParseErrorDoc {
            file: rel_path,
            line: 1,
            column: 1,
            message: "internal error: the analyzer panicked on this file (please report it)".into(),
            skipped: Skipped::File,
        }),
    }
    done.text = Some(text);
    done
}

/// The pool that reads, parses and walks files: rayon threads with [`crate::parse::depth::BIG_STACK`]
/// stacks (each records its stack, so the nesting limit follows it); when the system refuses stacks that
/// big, rayon's defaults, with a limit to match.
fn pool() -> &'static rayon::ThreadPool {
    static POOL: std::sync::OnceLock<rayon::ThreadPool> = std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        let with_stack = |stack: usize| {
            rayon::ThreadPoolBuilder::new()
                .stack_size(stack)
                .thread_name(|i| format!("concur-parse-{i}"))
                .start_handler(move |_| crate::parse::depth::set_thread_stack(stack))
                .build()
        };
        with_stack(crate::parse::depth::BIG_STACK)
            .or_else(|_| with_stack(crate::parse::depth::BIG_STACK / 16))
            .or_else(|_| with_stack(2 << 20))
            .unwrap_or_else(|e| panic!("cannot start any thread: {e}"))
    })
}

/// Analyzes every target of every selected package with the built-in API catalogue and no cache: see
/// [`analyze_with`].
pub fn analyze_workspace(ws: &Workspace) -> AnalysisDoc {
    analyze_with(
        ws,
        &ProjectConfig::default(),
        &Arc::new(Apis::builtin()),
        None,
    )
}

/// Analyzes every target of every selected package, looking APIs up in `apis`, with `config`'s levels,
/// excludes and the suppression comments applied, taking the facts of unchanged files from `cache` (and
/// storing the others). Never fails: unreadable or unparsable files are recorded in `files.parse_errors` and
/// skipped.
pub fn analyze_with(
    ws: &Workspace,
    config: &ProjectConfig,
    apis: &Arc<Apis>,
    cache: Option<&FactsCache>,
) -> AnalysisDoc {
    let ready = || apis.clone();
    analyze_timed(ws, config, &LazyApis::new(&ready), cache).0
}

/// The API index, made on first use (by the first file parsed, or by linking).
pub struct LazyApis<'a> {
    made: std::sync::OnceLock<Arc<Apis>>,
    make: &'a (dyn Fn() -> Arc<Apis> + Sync),
}

impl<'a> LazyApis<'a> {
    pub fn new(make: &'a (dyn Fn() -> Arc<Apis> + Sync)) -> LazyApis<'a> {
        LazyApis {
            made: std::sync::OnceLock::new(),
            make,
        }
    }

    fn get(&self) -> &Arc<Apis> {
        self.made.get_or_init(self.make)
    }
}

/// [`analyze_with`], also saying how long its phases took.
pub fn analyze_timed(
    ws: &Workspace,
    config: &ProjectConfig,
    apis: &LazyApis<'_>,
    cache: Option<&FactsCache>,
) -> (AnalysisDoc, Phases) {
    let mut phases = Phases::default();
    let doc = pool().install(|| analyze_in_pool(ws, config, apis, cache, &mut phases));
    // proc-macro2 keeps every file it tokenized in a per-thread source map, for span locations; the
    // document holds lines and columns, not spans, so the pool's maps are emptied here. Without it a
    // process that analyzes again and again (the fuzz harness, the report's per-workload analyses) would
    // grow by every source it ever read.
    pool().broadcast(|_| proc_macro2::extra::invalidate_current_thread_spans());
    (doc, phases)
}

fn analyze_in_pool(
    ws: &Workspace,
    config: &ProjectConfig,
    apis: &LazyApis<'_>,
    cache: Option<&FactsCache>,
    phases: &mut Phases,
) -> AnalysisDoc {
    let start = Instant::now();
    let mut root_paths: BTreeSet<PathBuf> = BTreeSet::new();
    let mut roots: Vec<FileJob> = Vec::new();
    let mut targets_excluded = 0;
    for (pi, pkg) in ws.packages.iter().enumerate() {
        // One cfg set per package and test mode: the lib and bins are unit tests only with `--tests`.
        let normal = ws
            .cfg_for(pkg, ws.scope.targets.unit_tests())
            .map(FileCfg::new);
        let test = ws.cfg_for(pkg, true).map(FileCfg::new);
        for t in &pkg.targets {
            if !t.selected {
                targets_excluded += 1;
                continue;
            }
            let cfg = match t.kind {
                TargetKind::Test | TargetKind::Bench => test.clone(),
                _ => normal.clone(),
            };
            let module = ModuleFile {
                path: t.src_path.clone(),
                module_path: Vec::new(),
                mod_rs: true,
            };
            let canonical = canonical(&module.path);
            if root_paths.insert(canonical.clone()) {
                let ctx = context(ws, pi, &t.crate_name, &module);
                roots.push(FileJob {
                    claim: Claim {
                        root: roots.len(),
                        depth: 0,
                        module_path: Vec::new(),
                    },
                    canonical,
                    package: pi,
                    module,
                    ctx,
                    reached: true,
                    inherited: None,
                    target: t.kind,
                    cfg,
                    chain_key: None,
                    ancestors: Vec::new(),
                });
            }
        }
    }

    // Every `.rs` file of the selected packages is listed (and canonicalized) on a thread of its own while the
    // module trees are walked: that is file system calls, not parsing. It only counts the files no target
    // reaches (or, in the widest scope, adds them).
    let claims = Claims::default();
    let listed: Vec<Vec<(PathBuf, PathBuf)>> = std::thread::scope(|t| {
        let lister = t.spawn(|| {
            ws.packages
                .iter()
                .map(|pkg| {
                    discover::package_rs_files(pkg)
                        .into_iter()
                        .map(|path| (claims.canonical(&path), path))
                        .collect()
                })
                .collect()
        });
        // Each finished file spawns its children at once (no barrier per level of the module trees), so
        // both cores stay busy while a deep tree is walked. Roots start in target order (FIFO).
        rayon::scope_fifo(|s| {
            for job in roots {
                let claims = &claims;
                if claims.claim(&job.canonical, &job.claim) {
                    s.spawn_fifo(move |s| walk(s, ws, apis, claims, cache, job));
                }
            }
        });
        lister.join().unwrap_or_default()
    });
    let Claims { owner, done, .. } = claims;
    let mut seen = owner.into_inner().unwrap_or_else(|e| e.into_inner());
    let mut done: Vec<FileDone> = done
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_values()
        .map(|(_, d)| d)
        .collect();

    // Files under a package that no selected target reaches: in the widest scope (`--all-targets
    // --all-cfgs`) analyzed too, with a module path from their place; otherwise out of scope, and counted.
    let widest = ws.scope.targets.all_targets && ws.cfg.is_none();
    let mut unreached = Vec::new();
    let mut files_excluded = 0;
    for (pi, files) in listed.into_iter().enumerate() {
        let pkg = &ws.packages[pi];
        for (canonical, path) in files {
            if !widest {
                if !seen.contains_key(&canonical) {
                    files_excluded += 1;
                }
                continue;
            }
            if !seen.contains_key(&canonical) {
                seen.insert(canonical.clone(), Claim::default());
                let module_path = discover::module_path_from_file(&pkg.root, &path);
                let module = ModuleFile {
                    path,
                    module_path,
                    mod_rs: true,
                };
                let ctx = context(ws, pi, &pkg.default_crate_name(), &module);
                unreached.push(FileJob {
                    claim: Claim::default(),
                    canonical,
                    package: pi,
                    module,
                    ctx,
                    reached: false,
                    inherited: None,
                    target: TargetKind::Other,
                    cfg: None,
                    chain_key: None,
                    ancestors: Vec::new(),
                });
            }
        }
    }
    done.extend(
        unreached
            .into_par_iter()
            .map(|job| process(job, apis, cache))
            .collect::<Vec<_>>(),
    );

    phases.files = start.elapsed();
    let mut doc = assemble(ws, done, config, apis.get());
    phases.link = start.elapsed() - phases.files;
    let x = &mut doc.files.excluded;
    x.targets = targets_excluded;
    x.files = files_excluded;
    x.cfg_source = match &ws.cfg_source {
        None => "all-cfgs".into(),
        Some(discover::scope::CfgSource::Rustc) => "rustc".into(),
        Some(discover::scope::CfgSource::BuiltIn(_)) => "built-in".into(),
    };
    x.features = ws
        .packages
        .iter()
        .flat_map(|p| p.features.iter().map(move |f| format!("{}/{f}", p.name)))
        .collect();
    doc
}

/// Which reaching of a file counts when several targets reach it (a `#[path]`-shared test helper): the
/// first target in cargo's order, then the shallowest, then the smallest module path. Whichever thread gets
/// there first, the smallest claim wins, so the output never depends on scheduling.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
struct Claim {
    root: usize,
    depth: usize,
    module_path: Vec<String>,
}

/// The files claimed so far and the results of the winning claims.
#[derive(Default)]
struct Claims {
    owner: Mutex<HashMap<PathBuf, Claim>>,
    done: Mutex<BTreeMap<PathBuf, (Claim, FileDone)>>,
    /// Canonical directories met so far (files are claimed by canonical path).
    dirs: Mutex<HashMap<PathBuf, PathBuf>>,
}

impl Claims {
    /// The canonical path of `p`: its directory's (resolved once per directory) and its name, unless `p` is
    /// a symbolic link itself (or is not there), which is resolved whole.
    fn canonical(&self, p: &std::path::Path) -> PathBuf {
        let (Some(dir), Some(name)) = (p.parent(), p.file_name()) else {
            return canonical(p);
        };
        let plain = std::fs::symlink_metadata(p).is_ok_and(|m| !m.file_type().is_symlink());
        if dir.as_os_str().is_empty() || !plain {
            return canonical(p);
        }
        let known = self
            .dirs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(dir)
            .cloned();
        let resolved = known.unwrap_or_else(|| {
            let d = canonical(dir);
            self.dirs
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(dir.to_path_buf(), d.clone());
            d
        });
        resolved.join(name)
    }

    /// True when `claim` is the best so far for `path` (the file must be processed for it).
    fn claim(&self, path: &PathBuf, claim: &Claim) -> bool {
        let mut owner = self.owner.lock().unwrap_or_else(|e| e.into_inner());
        match owner.get(path) {
            Some(best) if best <= claim => false,
            _ => {
                owner.insert(path.clone(), claim.clone());
                true
            }
        }
    }

    /// Keeps `done` unless a smaller claim's result is already there.
    fn finish(&self, path: PathBuf, claim: Claim, done: FileDone) {
        let mut all = self.done.lock().unwrap_or_else(|e| e.into_inner());
        match all.get(&path) {
            Some((best, _)) if *best <= claim => {}
            _ => {
                all.insert(path, (claim, done));
            }
        }
    }
}

/// Processes one file of a module tree, then spawns its child modules' files on the same scope.
fn walk<'s>(
    s: &rayon::ScopeFifo<'s>,
    ws: &'s Workspace,
    apis: &'s LazyApis<'s>,
    claims: &'s Claims,
    cache: Option<&'s FactsCache>,
    job: FileJob,
) {
    let claim = job.claim.clone();
    let path = job.canonical.clone();
    let chain_key = job.chain_key;
    let mut ancestors = job.ancestors.clone();
    ancestors.push((path.clone(), job.ctx.rel_path.clone()));
    let mut d = process(job, apis, cache);
    if !d.children.is_empty() {
        // The children see this file's module scopes, then its ancestors'.
        let (chain, chain_key) = match d.facts.as_mut() {
            Some(f) => {
                let key = cache.map(|_| cache::chain_key(chain_key, &f.scopes));
                let chain = Arc::new(ScopeChain {
                    scopes: std::mem::take(&mut f.scopes),
                    parent: d.inherited.clone(),
                });
                (Some(chain), key)
            }
            None => (d.inherited.clone(), chain_key),
        };
        for child in &d.children {
            let child_claim = Claim {
                root: claim.root,
                depth: claim.depth + 1,
                module_path: child.module_path.clone(),
            };
            let canonical = claims.canonical(&child.path);
            if let Some(at) = ancestors.iter().position(|(p, _)| *p == canonical) {
                if d.text.is_none() {
                    d.text = crate::discover::read_source(&path).ok();
                }
                d.errors.push(path_cycle(&d, child, &ancestors[at..]));
                continue;
            }
            if claims.claim(&canonical, &child_claim) {
                let job = FileJob {
                    claim: child_claim,
                    canonical,
                    package: d.package,
                    module: child.clone(),
                    ctx: context(ws, d.package, &d.ctx.crate_name, child),
                    reached: true,
                    inherited: chain.clone(),
                    target: d.target,
                    cfg: d.cfg.clone(),
                    chain_key,
                    ancestors: ancestors.clone(),
                };
                s.spawn_fifo(move |s| walk(s, ws, apis, claims, cache, job));
            }
        }
    }
    claims.finish(path, claim, d);
}

/// The error of a `mod` in `d` that loads a file already above it in its module chain (`cycle`: from that
/// file down to `d`'s): the module is not loaded again, the rest of the run goes on.
fn path_cycle(d: &FileDone, child: &ModuleFile, cycle: &[(PathBuf, String)]) -> ParseErrorDoc {
    let name = child.module_path.last().map_or("", String::as_str);
    // The line of the declaration: the first `mod NAME` followed by no identifier character.
    let line = d
        .text
        .as_deref()
        .unwrap_or_default()
        .lines()
        .position(|l| {
            l.match_indices(&format!("mod {name}")).any(|(i, m)| {
                !l[i + m.len()..]
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_alphanumeric() || c == '_')
            })
        })
        .map_or(1, |i| i as u32 + 1);
    let chain: Vec<&str> = cycle
        .iter()
        .map(|(_, rel)| rel.as_str())
        .chain(std::iter::once(cycle[0].1.as_str()))
        .collect();
    ParseErrorDoc {
        file: d.rel_path.clone(),
        line,
        column: 1,
        message: format!(
            "`#[path]` cycle: `mod {name}` loads {}, which already contains it ({}); not loaded again",
            cycle[0].1,
            chain.join(" → ")
        ),
        skipped: Skipped::Item,
    }
}

fn context(ws: &Workspace, package: usize, crate_name: &str, module: &ModuleFile) -> FileContext {
    let pkg = &ws.packages[package];
    FileContext {
        package: pkg.name.clone(),
        crate_name: crate_name.to_string(),
        module_path: module.module_path.clone(),
        rel_path: discover::rel_path(&ws.root, &module.path),
        edition: pkg.edition,
    }
}

fn canonical(p: &std::path::Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

fn assemble(
    ws: &Workspace,
    done: Vec<FileDone>,
    config: &ProjectConfig,
    apis: &Apis,
) -> AnalysisDoc {
    let mut files = FilesDoc {
        analyzed: done.len(),
        ..FilesDoc::default()
    };
    let mut texts: BTreeMap<String, String> = BTreeMap::new();
    let mut read: Vec<String> = Vec::new();
    let mut directives: BTreeMap<String, Vec<crate::suppress::Directive>> = BTreeMap::new();
    let mut file_target: BTreeMap<String, TargetKind> = BTreeMap::new();
    let mut excluded = Excluded::default();
    let mut per_package: Vec<Vec<FileFacts>> = vec![Vec::new(); ws.packages.len()];
    for d in done {
        files.bytes += d.bytes;
        excluded.merge(d.excluded);
        file_target.insert(d.rel_path.clone(), d.target);
        if !d.reached {
            files.not_reached += 1;
        }
        if !d.errors.is_empty() {
            files.unparsable += 1;
        }
        files.parse_errors.extend(d.errors);
        if let Some(f) = d.facts {
            files.macros_not_expanded += f.macros_not_expanded;
            per_package[d.package].push(f);
        }
        if !d.directives.is_empty() {
            directives.insert(d.rel_path.clone(), d.directives);
        }
        read.push(d.rel_path.clone());
        if let Some(text) = d.text {
            texts.insert(d.rel_path, text);
        }
    }
    read.sort();
    files.read = read;
    files
        .parse_errors
        .sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));

    let mut findings = Vec::new();
    let mut functions = Vec::new();
    for (pi, mut facts) in per_package.into_iter().enumerate() {
        let pkg = &ws.packages[pi];
        facts.sort_by(|a, b| a.rel_path.cmp(&b.rel_path));
        let python = pkg
            .pyo3
            .as_ref()
            .map(|d| crate::rules::gil_held::ReleaseName::for_version(d.locked.as_deref()));
        let out = crate::callgraph::link_with(&pkg.name, facts, python, apis);
        let offset = findings.len();
        findings.extend(out.findings);
        functions.extend(out.functions.into_iter().map(|mut f| {
            for i in &mut f.reachable_findings {
                *i += offset;
            }
            f
        }));
    }

    // Sort findings by (file, line, column, kind, function, message) and remap the functions' indices;
    // `callgraph::link` already made them unique per package.
    let mut order: Vec<usize> = (0..findings.len()).collect();
    fn key(f: &crate::vocab::Finding) -> (&str, u32, u32, FindingKind, &Option<String>, &str) {
        (&f.file, f.line, f.column, f.kind, &f.function, &f.message)
    }
    order.sort_by(|&x, &y| key(&findings[x]).cmp(&key(&findings[y])));
    let mut remap = vec![0usize; findings.len()];
    for (new, &old) in order.iter().enumerate() {
        remap[old] = new;
    }
    // The text of a file that was not read (unchanged since the last run) is read now if a finding needs a
    // snippet of it.
    let unread: BTreeSet<&String> = findings
        .iter()
        .map(|f| &f.file)
        .filter(|f| !texts.contains_key(*f))
        .collect();
    let late: Vec<(String, String)> = unread
        .into_par_iter()
        .filter_map(|f| {
            let text = crate::discover::read_source(&ws.root.join(f)).ok()?;
            Some((f.clone(), text))
        })
        .collect();
    texts.extend(late);
    let mut slots: Vec<Option<crate::vocab::Finding>> = findings.into_iter().map(Some).collect();
    let sorted: Vec<crate::vocab::Finding> = order
        .iter()
        .filter_map(|&old| slots[old].take())
        .map(|mut f| {
            f.target = file_target
                .get(&f.file)
                .unwrap_or(&TargetKind::Other)
                .as_str()
                .to_string();
            f.snippet = texts
                .get(&f.file)
                .and_then(|t| t.lines().nth(f.line.saturating_sub(1) as usize))
                .map(str::to_string);
            f
        })
        .collect();
    let (findings, suppressed, settled) = settle(sorted, &directives, &texts, config);
    for f in &mut functions {
        let mut r: Vec<usize> = f
            .reachable_findings
            .iter()
            .filter_map(|&i| settled[remap[i]])
            .collect();
        r.sort_unstable();
        f.reachable_findings = r;
    }
    functions.sort_by(|a, b| (&a.file, a.line, &a.path).cmp(&(&b.file, b.line, &b.path)));

    let packages = ws
        .packages
        .iter()
        .map(|p| PackageDoc {
            name: p.name.clone(),
            edition: p.edition.as_str().to_string(),
            manifest_path: p.manifest_path.display().to_string(),
            targets: p
                .targets
                .iter()
                .map(|t| TargetDoc {
                    name: t.name.clone(),
                    kind: t.kind.as_str().to_string(),
                    src_path: discover::rel_path(&ws.root, &t.src_path),
                })
                .collect(),
        })
        .collect();

    files.excluded = ExcludedDoc {
        test_items: excluded.test,
        feature_items: excluded.feature,
        cfg_items: excluded.cfg,
        ..ExcludedDoc::default()
    };
    AnalysisDoc {
        schema_version: SCHEMA_VERSION,
        tool: ToolDoc::this(),
        workspace_root: ws.root.display().to_string(),
        packages,
        files,
        findings,
        functions,
        suppressed,
        baseline: None,
    }
}

/// Applies the configuration (levels, excludes) and the suppression comments to the sorted, deduplicated
/// findings, adds the `suppression` notes, and assigns end positions and fingerprints. Returns (findings,
/// suppressed, remap): `remap[i]` is the new index of the input's `i`-th finding in `findings`, if it is there.
fn settle(
    sorted: Vec<crate::vocab::Finding>,
    directives: &BTreeMap<String, Vec<crate::suppress::Directive>>,
    texts: &BTreeMap<String, String>,
    config: &ProjectConfig,
) -> (
    Vec<crate::vocab::Finding>,
    Vec<crate::vocab::Finding>,
    Vec<Option<usize>>,
) {
    let n = sorted.len();
    // Remember each finding's input index through the passes (as a fingerprint placeholder).
    let mut configured = Vec::with_capacity(n);
    for (i, mut f) in sorted.into_iter().enumerate() {
        let pc = config.package(&f.package);
        let Some(level) = pc.decide(f.kind, &f.file, f.level) else {
            continue;
        };
        f.level = level;
        f.fingerprint = i.to_string();
        configured.push(f);
    }
    let (mut kept, mut suppressed, problems) = crate::suppress::apply(configured, directives);
    let package_of = |file: &str| {
        kept.iter()
            .chain(suppressed.iter())
            .find(|f| f.file == file)
            .map(|f| f.package.clone())
            .unwrap_or_default()
    };
    let mut notes = Vec::new();
    for (file, d, problem, detail) in problems {
        let data = crate::vocab::FindingData::Suppression {
            problem,
            kinds: d.kinds.clone(),
            detail,
        };
        let message = crate::rules::message(&data);
        let mut f = crate::rules::finding(
            crate::rules::Site {
                file: file.clone(),
                line: d.line,
                column: d.column,
                function: None,
            },
            data,
        );
        f.message = message;
        f.package = package_of(&file);
        let pc = config.package(&f.package);
        let Some(level) = pc.decide(f.kind, &f.file, f.level) else {
            continue;
        };
        f.level = level;
        f.snippet = texts
            .get(&file)
            .and_then(|t| t.lines().nth(d.line.saturating_sub(1) as usize))
            .map(str::to_string);
        f.fingerprint = String::new();
        notes.push(f);
    }
    kept.extend(notes);
    let key = |f: &crate::vocab::Finding| (f.file.clone(), f.line, f.column, f.kind);
    kept.sort_by_key(key);
    let mut remap = vec![None; n];
    for (at, f) in kept.iter().enumerate() {
        if let Ok(i) = f.fingerprint.parse::<usize>() {
            remap[i] = Some(at);
        }
    }
    let mut all: Vec<&mut crate::vocab::Finding> =
        kept.iter_mut().chain(suppressed.iter_mut()).collect();
    all.sort_by_key(|f| key(f));
    identity::assign(&mut all);
    (kept, suppressed, remap)
}
