//! The `analyze` pipeline: discover packages and targets, parse every file in parallel while extracting
//! facts, link the call graph per package, and assemble the sorted `AnalysisDoc`. It never prints (progress is
//! a typed [`Event`]) and never builds or runs the analyzed code.
//!
//! Files are processed level by level of the module trees (roots first), each level in parallel with rayon:
//! a file's module path must be known before its facts are extracted, and syn's ASTs cannot leave the
//! thread that parsed them, so each file is read, parsed and reduced to plain facts in one task.

pub mod doc;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use rayon::prelude::*;

use crate::analyze::doc::{
    AnalysisDoc, ExcludedDoc, FilesDoc, PackageDoc, ParseErrorDoc, Skipped, TargetDoc, ToolDoc,
};
use crate::discover::PackageSelection;
use crate::discover::{self, ModuleFile, TargetKind, Workspace};
use crate::error::Result;
use crate::facts::resolve::ScopeChain;
use crate::facts::{FileContext, FileFacts};
use crate::parse::cfg::{CfgSet, Excluded};
use crate::rules::apis::Apis;
use crate::vocab::{FindingKind, SCHEMA_VERSION};

/// What `analyze` reports while it runs; the front prints it (`render::status::analysis`).
#[derive(Debug)]
pub enum Event<'a> {
    /// The analysis of these packages starts.
    Started { packages: Vec<&'a str> },
    /// `rustc --print cfg` could not be run (why): `#[cfg]` is decided with the values cargo-concur was built for.
    BuiltInCfg { why: &'a str },
    /// Done: what was read (parse errors included) and how long it took.
    Finished {
        files: &'a FilesDoc,
        elapsed: std::time::Duration,
    },
}

/// `cargo concur analyze`: discovery, then [`run_in`].
pub fn run(
    selection: &PackageSelection,
    scope: &discover::Scope,
    on: &mut dyn FnMut(Event<'_>),
) -> Result<AnalysisDoc> {
    Ok(run_in(&discover::load(selection, scope)?, on))
}

/// [`analyze_workspace`], telling `on` when it starts and finishes.
pub fn run_in(ws: &Workspace, on: &mut dyn FnMut(Event<'_>)) -> AnalysisDoc {
    on(Event::Started {
        packages: ws.packages.iter().map(|p| p.name.as_str()).collect(),
    });
    if let Some(discover::scope::CfgSource::BuiltIn(why)) = &ws.cfg_source {
        on(Event::BuiltInCfg { why });
    }
    let start = Instant::now();
    let doc = analyze_workspace(ws);
    on(Event::Finished {
        files: &doc.files,
        elapsed: start.elapsed(),
    });
    doc
}

/// One file to read, parse and reduce to facts.
struct FileJob {
    package: usize,
    module: ModuleFile,
    ctx: FileContext,
    reached: bool,
    /// Module scopes of the ancestor files (for `use super::*;` of a module declared there).
    inherited: Option<Arc<ScopeChain>>,
    /// The kind of target whose tree holds the file.
    target: TargetKind,
    /// The cfg values the file is compiled with; `None`: nothing is pruned (`--all-cfgs`).
    cfg: Option<Arc<CfgSet>>,
}

/// What one file gave.
struct FileDone {
    package: usize,
    rel_path: String,
    text: String,
    facts: Option<FileFacts>,
    children: Vec<ModuleFile>,
    errors: Vec<ParseErrorDoc>,
    ctx: FileContext,
    reached: bool,
    inherited: Option<Arc<ScopeChain>>,
    target: TargetKind,
    cfg: Option<Arc<CfgSet>>,
    excluded: Excluded,
}

fn process(job: FileJob, apis: &Arc<Apis>) -> FileDone {
    let FileJob {
        package,
        module,
        ctx,
        reached,
        inherited,
        target,
        cfg,
    } = job;
    let rel_path = ctx.rel_path.clone();
    let mut done = FileDone {
        package,
        rel_path: rel_path.clone(),
        text: String::new(),
        facts: None,
        children: Vec::new(),
        errors: Vec::new(),
        ctx,
        reached,
        inherited: inherited.clone(),
        target,
        cfg: cfg.clone(),
        excluded: Excluded::default(),
    };
    let text = match crate::discover::read_source(&module.path) {
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
    // What does not parse is reported item by item; the rest of the file is analyzed.
    let (mut ast, errors) = crate::parse::parse_items(&text);
    // What the target's cfg values configure out is not analyzed (and its `mod` items are not followed).
    if let Some(cfg) = &cfg {
        done.excluded = crate::parse::cfg::prune(&mut ast, cfg);
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
    let ctx = &done.ctx;
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        crate::facts::extract_in(ctx, &ast, inherited, apis)
    })) {
        Ok(facts) => {
            // The facts walk collects the `mod` declarations: no second walk of the file.
            done.children = discover::modtree::children(&module, &facts.mod_decls);
            done.facts = Some(facts);
        }
        Err(_) => {
            done.children =
                discover::modtree::children(&module, &discover::modtree::mod_decls(&ast));
            done.errors.push(ParseErrorDoc {
                file: rel_path,
                line: 1,
                column: 1,
                message: "internal error: the analyzer panicked on this file (please report it)"
                    .into(),
                skipped: Skipped::File,
            })
        }
    }
    done.text = text;
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

/// Analyzes every target of every selected package with the built-in API catalogue: see
/// [`analyze_workspace_with`].
pub fn analyze_workspace(ws: &Workspace) -> AnalysisDoc {
    analyze_workspace_with(ws, &Arc::new(Apis::builtin()))
}

/// Analyzes every target of every selected package, looking APIs up in `apis`. Never fails: unreadable or
/// unparsable files are recorded in `files.parse_errors` and skipped.
pub fn analyze_workspace_with(ws: &Workspace, apis: &Arc<Apis>) -> AnalysisDoc {
    pool().install(|| analyze_in_pool(ws, apis))
}

fn analyze_in_pool(ws: &Workspace, apis: &Arc<Apis>) -> AnalysisDoc {
    let mut seen: BTreeSet<PathBuf> = BTreeSet::new();
    let mut level: Vec<FileJob> = Vec::new();
    let mut targets_excluded = 0;
    for (pi, pkg) in ws.packages.iter().enumerate() {
        // One cfg set per package and test mode: the lib and bins are unit tests only with `--tests`.
        let normal = ws.cfg_for(pkg, ws.scope.targets.unit_tests()).map(Arc::new);
        let test = ws.cfg_for(pkg, true).map(Arc::new);
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
            if seen.insert(canonical(&module.path)) {
                let ctx = context(ws, pi, &t.crate_name, &module);
                level.push(FileJob {
                    package: pi,
                    module,
                    ctx,
                    reached: true,
                    inherited: None,
                    target: t.kind,
                    cfg,
                });
            }
        }
    }

    let mut done: Vec<FileDone> = Vec::new();
    while !level.is_empty() {
        let mut finished: Vec<FileDone> = level
            .into_par_iter()
            .map(|job| process(job, apis))
            .collect();
        level = Vec::new();
        for d in &mut finished {
            if d.children.is_empty() {
                continue;
            }
            // The children see this file's module scopes, then its ancestors'.
            let chain = match d.facts.as_mut() {
                Some(f) => Some(Arc::new(ScopeChain {
                    scopes: std::mem::take(&mut f.scopes),
                    parent: d.inherited.clone(),
                })),
                None => d.inherited.clone(),
            };
            for child in &d.children {
                if seen.insert(canonical(&child.path)) {
                    let ctx = context(ws, d.package, &d.ctx.crate_name, child);
                    level.push(FileJob {
                        package: d.package,
                        module: child.clone(),
                        ctx,
                        reached: true,
                        inherited: chain.clone(),
                        target: d.target,
                        cfg: d.cfg.clone(),
                    });
                }
            }
        }
        done.extend(finished);
    }

    // Files under a package that no selected target reaches: in the widest scope (`--all-targets
    // --all-cfgs`) analyzed too, with a module path from their place; otherwise out of scope, and counted.
    let widest = ws.scope.targets.all_targets && ws.cfg.is_none();
    let mut unreached = Vec::new();
    let mut files_excluded = 0;
    for (pi, pkg) in ws.packages.iter().enumerate() {
        for path in discover::package_rs_files(pkg) {
            if !widest {
                if !seen.contains(&canonical(&path)) {
                    files_excluded += 1;
                }
                continue;
            }
            if seen.insert(canonical(&path)) {
                let module_path = discover::module_path_from_file(&pkg.root, &path);
                let module = ModuleFile {
                    path,
                    module_path,
                    mod_rs: true,
                };
                let ctx = context(ws, pi, &pkg.default_crate_name(), &module);
                unreached.push(FileJob {
                    package: pi,
                    module,
                    ctx,
                    reached: false,
                    inherited: None,
                    target: TargetKind::Other,
                    cfg: None,
                });
            }
        }
    }
    done.extend(
        unreached
            .into_par_iter()
            .map(|job| process(job, apis))
            .collect::<Vec<_>>(),
    );

    let mut doc = assemble(ws, done);
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

fn assemble(ws: &Workspace, done: Vec<FileDone>) -> AnalysisDoc {
    let mut files = FilesDoc {
        analyzed: done.len(),
        ..FilesDoc::default()
    };
    let mut texts: BTreeMap<String, String> = BTreeMap::new();
    let mut file_target: BTreeMap<String, TargetKind> = BTreeMap::new();
    let mut excluded = Excluded::default();
    let mut per_package: Vec<Vec<FileFacts>> = vec![Vec::new(); ws.packages.len()];
    for d in done {
        files.bytes += d.text.len() as u64;
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
        texts.insert(d.rel_path, d.text);
    }
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
        let out = crate::callgraph::link_with(&pkg.name, facts, python);
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
    for f in &mut functions {
        let mut r: Vec<usize> = f.reachable_findings.iter().map(|&i| remap[i]).collect();
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
        findings: sorted,
        functions,
    }
}
