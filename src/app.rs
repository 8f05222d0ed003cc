//! Runs one verb from settled settings: wires the engine's stages together (their events to
//! `render::status`) and picks the exit code. It never parses flags, measures or formats anything itself.

use crate::analyze::doc::AnalysisDoc;
use crate::cli::{self, AnalyzeArgs, Cli, ReportArgs, ReportFailOn, Verb};
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
        Verb::Analyze(a) => analyze(&a),
        Verb::Rules(a) => {
            let mut out = render::Sink::open(None)?;
            render::write_rules(a.format, &mut out)?;
            out.finish()?;
            Ok(exit::SUCCESS)
        }
        Verb::Explain(a) => {
            let kind = crate::vocab::FindingKind::from_id(&a.kind).ok_or_else(|| {
                Error::usage(format!(
                    "`{}` is not a finding kind (`cargo concur rules` lists them)",
                    a.kind
                ))
            })?;
            let mut out = render::Sink::open(None)?;
            render::write_explain(kind, &mut out)?;
            out.finish()?;
            Ok(exit::SUCCESS)
        }
        Verb::Profile(a) => {
            let selection = cli::selection(&a.manifest, &a.packages);
            let measure = cli::measure(&a.measure)?;
            let mut project = crate::workload::Project::load(&selection, &a.features.selection())?;
            a.cargo.apply(&mut project);
            let mut status = render::status::Profiling::new();
            let doc = crate::profile::run_in(&project, &measure, &mut |e| status.show(e))?;
            let mut out = render::Sink::open(a.output.as_deref())?;
            render::write_profile(&doc, a.format, &mut out)?;
            out.finish()?;
            Ok(profile_exit_code(&doc))
        }
        Verb::Report(a) => report(&a),
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

fn report(a: &ReportArgs) -> Result<i32> {
    let selection = cli::selection(&a.manifest, &a.packages);
    let measure = cli::measure(&a.measure)?;
    // One `cargo metadata` for both halves. The analysis covers what the workloads run: the selected
    // targets, and every test target when test binaries are profiled as `test:` workloads.
    let mut scope = cli::scope(&a.targets, &a.features, &a.cfg);
    if measure.tests {
        scope.targets = scope.targets.with_tests();
    }
    let ws = crate::discover::load(&selection, &scope)?;
    let config = crate::config::load(&ws, &Default::default())?;
    let analysis = crate::analyze::run_in(
        &ws,
        &config,
        &crate::analyze::Settings::default(),
        &mut render::status::analysis,
    );
    let profile = match &a.from {
        Some(path) => load_profile(path, &measure.workloads)?,
        None => {
            let mut project = crate::workload::Project::from_workspace(ws);
            a.cargo.apply(&mut project);
            let mut status = render::status::Profiling::new();
            crate::profile::run_in(&project, &measure, &mut |e| status.show(e))?
        }
    };
    let mut doc = crate::report::recommend(&analysis, &profile);
    if let Some(path) = &a.baseline {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::usage(format!("--baseline {}: cannot read: {e}", path.display()))
        })?;
        let old: crate::report::doc::ReportDoc = serde_json::from_str(&text).map_err(|e| {
            Error::usage(format!(
                "--baseline {}: not a cargo-concur `report --format json` document: {e}",
                path.display()
            ))
        })?;
        doc.baseline = Some(crate::report::compare::compare(&doc, &old));
    }
    let mut out = render::Sink::open(a.output.as_deref())?;
    render::write_report(&doc, &profile, a.format, &mut out)?;
    out.finish()?;
    let code = profile_exit_code(&profile);
    if code != exit::SUCCESS {
        return Ok(code);
    }
    let changes = doc.baseline.as_deref().unwrap_or_default();
    let mut reasons = Vec::new();
    for c in changes {
        if a.fail_on.contains(&ReportFailOn::VerdictChange) {
            if let Some(v) = &c.verdict {
                reasons.push(format!(
                    "`{}` changed verdict: {} → {}",
                    c.workload,
                    v.before.as_str(),
                    v.after.as_str()
                ));
            }
        }
        if a.fail_on.contains(&ReportFailOn::Regression) {
            for r in &c.regressions {
                reasons.push(format!(
                    "`{}` regressed on {}: {:.2}x → {:.2}x, outside the 95% intervals",
                    c.workload,
                    r.model.as_str(),
                    r.before.speedup,
                    r.after.speedup
                ));
            }
        }
    }
    if reasons.is_empty() {
        return Ok(exit::SUCCESS);
    }
    render::status::error(&reasons.join("; "));
    Ok(exit::FINDINGS)
}

fn analyze(a: &AnalyzeArgs) -> Result<i32> {
    let selection = cli::selection(&a.manifest, &a.packages);
    let overrides = a.overrides()?;
    let scope = cli::scope(&a.targets, &a.features, &a.cfg);
    let settings = crate::analyze::Settings {
        use_cache: !a.no_cache,
    };
    let (mut doc, config) = crate::analyze::run(
        &selection,
        &scope,
        &overrides,
        &settings,
        &mut render::status::analysis,
    )?;
    for (name, pc) in &config.packages {
        render::status::config(name, pc, config.fail_on(name));
    }
    if let Some(path) = &a.write_baseline {
        let mut out = render::Sink::open(Some(path))?;
        render::write_analysis(
            &render::AnalysisView::new(&doc, &Default::default()),
            render::AnalyzeFormat::Json,
            render::MessageFormat::Human,
            &mut out,
        )?;
        out.finish()?;
    }
    if let Some(path) = &a.baseline {
        let old = load_analysis(path)?;
        crate::baseline::apply(&mut doc, &old).map_err(|p| match p {
            crate::baseline::BaselineProblem::NoFingerprints => Error::usage(format!(
                "--baseline {}: its findings have no `fingerprint`; write it again with this version \
                 (`analyze --format json` or --write-baseline)",
                path.display()
            )),
        })?;
    }
    let opts = render::AnalysisOptions {
        show_suppressed: a.show_suppressed,
        sarif_category: a.sarif_category.clone(),
        repo: repo_location(&doc.workspace_root, a.repo_url.as_deref()),
        markdown_limit: render::GITHUB_COMMENT_LIMIT,
        notes: if a.all_notes {
            render::NoteDetail::All
        } else {
            render::NoteDetail::Summary
        },
    };
    let mut out = if a.format == render::AnalyzeFormat::Human {
        render::Sink::open(a.output.as_deref())?
    } else {
        render::Sink::open_data(a.output.as_deref())?
    };
    render::write_analysis(
        &render::AnalysisView::new(&doc, &opts),
        a.format,
        a.message_format,
        &mut out,
    )?;
    out.finish()?;
    let failing = failing_findings(&doc, &config);
    let baseline = doc.baseline.is_some();
    // The process ends right after: the document is not taken apart one allocation at a time.
    std::mem::forget(doc);
    if failing.count == 0 {
        return Ok(exit::SUCCESS);
    }
    render::status::error(&failing.reason(a.fail_on.is_some(), baseline));
    Ok(exit::FINDINGS)
}

/// Where the workspace sits in its repository, and the link base: `--repo-url`, else GitHub Actions'
/// `GITHUB_SERVER_URL/GITHUB_REPOSITORY/blob/GITHUB_SHA`.
fn repo_location(workspace_root: &str, repo_url: Option<&str>) -> render::RepoLocation {
    let ws = std::path::Path::new(workspace_root);
    let root = crate::discover::repo_root(ws).unwrap_or_else(|| ws.to_path_buf());
    let rel = crate::discover::rel_path(&root, ws);
    let prefix = if rel.is_empty() || rel == "." || ws == root {
        String::new()
    } else {
        format!("{}/", rel.trim_end_matches('/'))
    };
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let link_base = match repo_url {
        Some(u) => Some(u.trim_end_matches('/').to_string()),
        None => match (
            env("GITHUB_SERVER_URL"),
            env("GITHUB_REPOSITORY"),
            env("GITHUB_SHA"),
        ) {
            (Some(server), Some(repo), Some(sha)) => Some(format!(
                "{}/{repo}/blob/{sha}",
                server.trim_end_matches('/')
            )),
            _ => None,
        },
    };
    render::RepoLocation {
        root: root.display().to_string(),
        prefix,
        link_base,
    }
}

/// The findings that fail the run, and the threshold they met.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failing {
    pub count: usize,
    /// Of `count`, unparsable files (counted as warnings).
    pub parse_errors: usize,
    /// The lowest threshold that applied.
    pub threshold: Option<crate::vocab::Level>,
}

impl Failing {
    /// `3 findings at or above --fail-on warning`.
    pub fn reason(&self, from_cli: bool, baseline: bool) -> String {
        let level = self.threshold.map(|l| l.as_str()).unwrap_or("never");
        let what = if baseline { "new finding" } else { "finding" };
        let source = if from_cli {
            format!("--fail-on {level}")
        } else {
            format!("fail-on = \"{level}\" (Cargo.toml [*.metadata.concur])")
        };
        let mut s = format!(
            "{} {what}{} at or above {source}",
            self.count,
            if self.count == 1 { "" } else { "s" }
        );
        if self.parse_errors > 0 {
            s.push_str(&format!(
                " ({} of them unparsable file{}, counted as warnings)",
                self.parse_errors,
                if self.parse_errors == 1 { "" } else { "s" }
            ));
        }
        s
    }
}

/// Findings at or above their package's `fail-on` (command line over configuration), plus parse errors as
/// warnings against the strictest threshold.
pub fn failing_findings(doc: &AnalysisDoc, config: &crate::config::ProjectConfig) -> Failing {
    let mut count = 0;
    let mut threshold = None;
    for f in &doc.findings {
        if let Some(t) = config.fail_on(&f.package) {
            if f.level >= t {
                count += 1;
                threshold = Some(threshold.map_or(t, |x: crate::vocab::Level| x.min(t)));
            }
        }
    }
    let mut parse_errors = 0;
    if let Some(t) = config.any_fail_on() {
        if crate::vocab::Level::Warning >= t {
            parse_errors = doc.files.parse_errors.len();
            if parse_errors > 0 {
                threshold = Some(threshold.map_or(t, |x: crate::vocab::Level| x.min(t)));
            }
        }
    }
    Failing {
        count: count + parse_errors,
        parse_errors,
        threshold,
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
    let config = crate::config::ProjectConfig {
        fail_on_cli: Some(threshold),
        ..Default::default()
    };
    if failing_findings(doc, &config).count > 0 {
        exit::FINDINGS
    } else {
        exit::SUCCESS
    }
}

fn load_analysis(path: &std::path::Path) -> Result<AnalysisDoc> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::usage(format!("--baseline {}: cannot read: {e}", path.display())))?;
    serde_json::from_str(&text).map_err(|e| {
        Error::usage(format!(
            "--baseline {}: not a cargo-concur `analyze --format json` document: {e}",
            path.display()
        ))
    })
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
