//! Runs one verb from settled settings: wires the engine's stages together (their events to
//! `render::status`) and picks the exit code. It never parses flags, measures or formats anything itself.

use crate::analyze::doc::AnalysisDoc;
use crate::cli::{self, Cli, Verb};
use crate::error::{Error, Result};
use crate::exit;
use crate::render;

/// Runs `work` on a thread with the parsing stack ([`crate::parse::depth::BIG_STACK`]): files are parsed and
/// walked on it too (workload signatures), and the nesting bound follows the stack of the thread that parses.
/// Without such a thread, on this one (the bound then applies only in the analysis pool).
pub fn on_parse_stack(work: fn() -> i32) -> i32 {
    let stack = crate::parse::depth::BIG_STACK;
    let spawned = std::thread::Builder::new()
        .name("concur-main".into())
        .stack_size(stack)
        .spawn(move || {
            crate::parse::depth::set_thread_stack(stack);
            work()
        });
    match spawned {
        Ok(handle) => handle.join().unwrap_or(exit::INTERNAL),
        Err(_) => work(),
    }
}

pub fn run(cli: Cli) -> Result<i32> {
    match cli.verb {
        Verb::Analyze(a) => {
            let selection = cli::selection(&a.manifest, &a.packages);
            let scope = cli::scope(&a.targets, &a.features, &a.cfg);
            let settings = crate::analyze::Settings {
                use_cache: !a.no_cache,
            };
            let doc =
                crate::analyze::run(&selection, &scope, &settings, &mut render::status::analysis)?;
            let mut out = render::Sink::open(a.output.as_deref())?;
            let notes = if a.all_notes {
                render::NoteDetail::All
            } else {
                render::NoteDetail::Summary
            };
            render::write_analysis(&doc, a.format, notes, &mut out)?;
            out.finish()?;
            Ok(analysis_exit_code(&doc, a.fail_on.threshold()))
        }
        Verb::Profile(a) => {
            let selection = cli::selection(&a.manifest, &a.packages);
            let measure = cli::measure(&a.measure)?;
            let doc = crate::profile::run(&selection, &a.features.selection(), &measure)?;
            let mut out = render::Sink::open(a.output.as_deref())?;
            render::write_profile(&doc, a.format, &mut out)?;
            out.finish()?;
            Ok(profile_exit_code(&doc))
        }
        Verb::Report(a) => {
            let selection = cli::selection(&a.manifest, &a.packages);
            let measure = cli::measure(&a.measure)?;
            // One `cargo metadata` for both halves. The analysis covers what the workloads run: the selected
            // targets, and every test target when test binaries are profiled as `test:` workloads.
            let mut scope = cli::scope(&a.targets, &a.features, &a.cfg);
            if measure.tests {
                scope.targets = scope.targets.with_tests();
            }
            let ws = crate::discover::load(&selection, &scope)?;
            let analysis = crate::analyze::run_in(
                &ws,
                &crate::analyze::Settings::default(),
                &mut render::status::analysis,
            );
            let profile = match &a.from {
                Some(path) => load_profile(path, &measure.workloads)?,
                None => {
                    crate::profile::run_in(&crate::workload::Project::from_workspace(ws), &measure)?
                }
            };
            let doc = crate::report::recommend(&analysis, &profile);
            let mut out = render::Sink::open(a.output.as_deref())?;
            render::write_report(&doc, &analysis, &profile, a.format, &mut out)?;
            out.finish()?;
            Ok(profile_exit_code(&profile))
        }
        Verb::Workloads(a) => {
            let selection = cli::selection(&a.manifest, &a.packages);
            let list = crate::workload::list(&selection, &mut render::status::workload)?;
            let mut out = render::Sink::open(None)?;
            render::write_workloads(&list, a.format, &mut out)?;
            out.finish()?;
            Ok(exit::SUCCESS)
        }
    }
}

/// 3 when a workload failed (the document is still written), else 0.
fn profile_exit_code(doc: &crate::profile::doc::ProfileDoc) -> i32 {
    if doc.workloads.iter().any(|w| !w.errors.is_empty()) {
        exit::WORKLOAD_FAILED
    } else {
        exit::SUCCESS
    }
}

/// 1 when a finding (or a parse error, counted as a warning) is at or above the threshold.
pub fn analysis_exit_code(doc: &AnalysisDoc, threshold: Option<crate::vocab::Level>) -> i32 {
    let Some(t) = threshold else {
        return exit::SUCCESS;
    };
    let worst_finding = doc.findings.iter().map(|f| f.level).max();
    let parse_level = (!doc.files.parse_errors.is_empty()).then_some(crate::vocab::Level::Warning);
    match worst_finding.max(parse_level) {
        Some(l) if l >= t => exit::FINDINGS,
        _ => exit::SUCCESS,
    }
}

fn load_profile(
    path: &std::path::Path,
    only: &[String],
) -> Result<crate::profile::doc::ProfileDoc> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::usage(format!("--from {}: cannot read: {e}", path.display())))?;
    let mut doc: crate::profile::doc::ProfileDoc = serde_json::from_str(&text).map_err(|e| {
        Error::usage(format!(
            "--from {}: not a cargo-concur profile: {e}",
            path.display()
        ))
    })?;
    if !only.is_empty() {
        for name in only {
            if !doc.workloads.iter().any(|w| &w.name == name) {
                return Err(Error::usage(format!(
                    "--workload {name}: not in {}",
                    path.display()
                )));
            }
        }
        doc.workloads.retain(|w| only.contains(&w.name));
    }
    Ok(doc)
}
