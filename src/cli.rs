//! Command-line arguments: the one place that knows clap. It only converts: flags become each layer's own
//! settings (`discover::PackageSelection`, `MeasureSettings`, render's formats) and never decide anything else.

use std::path::PathBuf;

use clap::builder::TypedValueParser;
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config::LevelSetting;
use crate::discover::PackageSelection;
use crate::profile::MeasureSettings;
use crate::render::{AnalyzeFormat, Choice, ColorWhen, MessageFormat, ProfileFormat, ReportFormat};
use crate::vocab::{FindingKind, Level};

/// Tells you, per workload, whether to run it on threads, processes, async tasks or sequentially — and proves it.
#[derive(Debug, Parser)]
#[command(name = "cargo-concur", bin_name = "cargo concur", version, about, styles = clap_cargo_styles())]
pub struct Cli {
    #[command(subcommand)]
    pub verb: Verb,
    /// Coloring: auto (only on a terminal, never with NO_COLOR), always, never [default: CARGO_TERM_COLOR, else auto]
    #[arg(long, global = true, value_parser = choice::<ColorWhen>(), value_name = "WHEN")]
    pub color: Option<ColorWhen>,
    /// Print no status or progress lines on stderr (errors still)
    #[arg(long, short = 'q', global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print more status: commands run, settings used
    #[arg(long, short = 'v', global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

impl Cli {
    /// The colour choice: `--color`, else `CARGO_TERM_COLOR` (as cargo reads it), else auto.
    pub fn color_when(&self) -> ColorWhen {
        self.color
            .unwrap_or_else(|| match std::env::var("CARGO_TERM_COLOR").ok().as_deref() {
                Some("always") => ColorWhen::Always,
                Some("never") => ColorWhen::Never,
                _ => ColorWhen::Auto,
            })
    }

    /// -q: 0, default: 1, -v: 2, -vv: 3.
    pub fn verbosity(&self) -> u8 {
        if self.quiet {
            0
        } else {
            1 + self.verbose
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Verb {
    /// Static advisor: find shared state, process-global mutations, I/O, hotspots and lock hazards
    Analyze(AnalyzeArgs),
    /// Run each workload sequentially, on threads and on processes, and measure it
    Profile(ProfileArgs),
    /// One verdict per workload: threads, processes, async or sequential, with evidence
    Report(ReportArgs),
    /// List declared and discovered workloads
    Workloads(WorkloadsArgs),
    /// List every finding kind with its default level and summary
    Rules(RulesArgs),
    /// Explain a finding kind at length, with an example (like `rustc --explain`)
    Explain(ExplainArgs),
}

#[derive(Debug, Clone, Args)]
pub struct RulesArgs {
    /// Output format
    #[arg(long, value_parser = choice::<ProfileFormat>(), default_value = "human")]
    pub format: ProfileFormat,
}

#[derive(Debug, Clone, Args)]
pub struct ExplainArgs {
    /// The finding kind, e.g. `lock-order`
    #[arg(value_name = "KIND")]
    pub kind: String,
}

/// Cargo flags passed through to the cargo commands `profile` and `report` run (`cargo metadata`, the
/// harness build).
#[derive(Debug, Clone, Default, Args)]
pub struct CargoArgs {
    /// Require Cargo.lock to be up to date (passed to cargo; the harness keeps your lock file exact)
    #[arg(long, help_heading = "Manifest Options")]
    pub locked: bool,
    /// Run without accessing the network (passed to cargo)
    #[arg(long, help_heading = "Manifest Options")]
    pub offline: bool,
    /// Equivalent to specifying both --locked and --offline (passed to cargo)
    #[arg(long, help_heading = "Manifest Options")]
    pub frozen: bool,
    /// Directory for all generated artifacts (passed to cargo; default: the workspace's target directory)
    #[arg(long, value_name = "DIRECTORY", help_heading = "Compilation Options")]
    pub target_dir: Option<PathBuf>,
}

impl CargoArgs {
    /// Applies the flags to the project the workloads are built in.
    pub fn apply(&self, project: &mut crate::workload::Project) {
        project.cargo = crate::workload::project::CargoFlags {
            locked: self.locked,
            offline: self.offline,
            frozen: self.frozen,
        };
        if let Some(d) = &self.target_dir {
            project.target_dir = if d.is_absolute() {
                d.clone()
            } else {
                std::env::current_dir()
                    .map(|c| c.join(d))
                    .unwrap_or_else(|_| d.clone())
            };
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct ManifestArgs {
    /// Path to Cargo.toml
    #[arg(long, value_name = "PATH", help_heading = "Manifest Options")]
    pub manifest_path: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct PackageArgs {
    /// Package to process (see `cargo help pkgid`)
    #[arg(
        short = 'p',
        long = "package",
        value_name = "SPEC",
        help_heading = "Package Selection"
    )]
    pub packages: Vec<String>,
    /// Process all packages in the workspace
    #[arg(long, help_heading = "Package Selection")]
    pub workspace: bool,
    /// Exclude packages from the build (with --workspace; names, name@version or globs)
    #[arg(long, value_name = "SPEC", help_heading = "Package Selection")]
    pub exclude: Vec<String>,
}

/// cargo's target selection flags (default: the library and the binaries, as `cargo check`).
#[derive(Debug, Clone, Args)]
pub struct TargetArgs {
    /// Analyze only this package's library
    #[arg(long, help_heading = "Target Selection")]
    pub lib: bool,
    /// Analyze all binaries
    #[arg(long, help_heading = "Target Selection")]
    pub bins: bool,
    /// Analyze only the specified binary
    #[arg(long = "bin", value_name = "NAME", help_heading = "Target Selection")]
    pub bin: Vec<String>,
    /// Analyze all test targets, and the library and binaries' `#[cfg(test)]` code and `#[test]` functions
    #[arg(long, help_heading = "Target Selection")]
    pub tests: bool,
    /// Analyze only the specified test target
    #[arg(long = "test", value_name = "NAME", help_heading = "Target Selection")]
    pub test: Vec<String>,
    /// Analyze all benches
    #[arg(long, help_heading = "Target Selection")]
    pub benches: bool,
    /// Analyze only the specified bench target
    #[arg(long = "bench", value_name = "NAME", help_heading = "Target Selection")]
    pub bench: Vec<String>,
    /// Analyze all examples
    #[arg(long, help_heading = "Target Selection")]
    pub examples: bool,
    /// Analyze only the specified example
    #[arg(
        long = "example",
        value_name = "NAME",
        help_heading = "Target Selection"
    )]
    pub example: Vec<String>,
    /// Analyze all targets (with test code and build scripts)
    #[arg(long, help_heading = "Target Selection")]
    pub all_targets: bool,
}

impl TargetArgs {
    pub fn selection(&self) -> crate::discover::scope::TargetSelection {
        use crate::discover::scope::{Names, TargetSelection};
        TargetSelection {
            lib: self.lib,
            bins: Names::from_flags(self.bins, &self.bin),
            tests: Names::from_flags(self.tests, &self.test),
            benches: Names::from_flags(self.benches, &self.bench),
            examples: Names::from_flags(self.examples, &self.example),
            all_targets: self.all_targets,
        }
    }
}

/// cargo's feature flags, and how cfg predicates are decided.
#[derive(Debug, Clone, Args)]
pub struct FeatureArgs {
    /// Space or comma separated list of features to activate (`feat` or `package/feat`)
    #[arg(
        short = 'F',
        long,
        value_name = "FEATURES",
        help_heading = "Feature Selection"
    )]
    pub features: Vec<String>,
    /// Activate all available features
    #[arg(long, help_heading = "Feature Selection")]
    pub all_features: bool,
    /// Do not activate the `default` feature
    #[arg(long, help_heading = "Feature Selection")]
    pub no_default_features: bool,
}

impl FeatureArgs {
    pub fn selection(&self) -> crate::discover::scope::FeatureSelection {
        crate::discover::scope::FeatureSelection {
            features: self.features.clone(),
            all_features: self.all_features,
            no_default_features: self.no_default_features,
        }
    }
}

/// Which cfg values decide `#[cfg(...)]`.
#[derive(Debug, Clone, Args)]
pub struct CfgArgs {
    /// Decide `#[cfg(...)]` for this target triple (default: the host, from `rustc --print cfg`)
    #[arg(long, value_name = "TRIPLE", help_heading = "Compilation Options")]
    pub target: Option<String>,
    /// Analyze every `#[cfg]` branch, test code and feature-gated code included, whatever the target and features
    #[arg(long, help_heading = "Compilation Options", conflicts_with = "target")]
    pub all_cfgs: bool,
}

impl CfgArgs {
    pub fn selection(&self) -> crate::discover::scope::CfgSelection {
        crate::discover::scope::CfgSelection {
            target: self.target.clone(),
            all_cfgs: self.all_cfgs,
        }
    }
}

/// What makes `report --baseline` fail the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFailOn {
    Never,
    /// A workload's verdict differs from the baseline's
    VerdictChange,
    /// A model's best speedup fell below the baseline's confidence interval
    Regression,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Never,
    Note,
    Warning,
    Error,
}

impl FailOn {
    /// The lowest level that fails the run, `None` for `never`.
    pub fn threshold(self) -> Option<Level> {
        match self {
            FailOn::Never => None,
            FailOn::Note => Some(Level::Note),
            FailOn::Warning => Some(Level::Warning),
            FailOn::Error => Some(Level::Error),
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct AnalyzeArgs {
    #[command(flatten)]
    pub packages: PackageArgs,
    #[command(flatten)]
    pub targets: TargetArgs,
    #[command(flatten)]
    pub features: FeatureArgs,
    #[command(flatten)]
    pub cfg: CfgArgs,
    #[command(flatten)]
    pub manifest: ManifestArgs,
    /// Output format
    #[arg(long, value_parser = choice::<AnalyzeFormat>(), default_value = "human")]
    pub format: AnalyzeFormat,
    /// Diagnostics as cargo/clippy JSON lines (`json`) for tools that read cargo's messages
    #[arg(long, value_parser = choice::<MessageFormat>(), default_value = "human", value_name = "FMT")]
    pub message_format: MessageFormat,
    /// Exit with code 1 when a finding (or parse error, counted as a warning) is at or above this level
    /// [default: `fail-on` of the configuration, else never]
    #[arg(long, value_enum, value_name = "LEVEL")]
    pub fail_on: Option<FailOn>,
    /// Write the output to this file instead of stdout
    #[arg(long, short = 'o', value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// Drop findings of this kind (repeatable; later flags win, over the configuration)
    #[arg(
        short = 'A',
        long = "allow",
        value_name = "KIND",
        help_heading = "Levels"
    )]
    pub allow: Vec<String>,
    /// Report this kind as a warning
    #[arg(
        short = 'W',
        long = "warn",
        value_name = "KIND",
        help_heading = "Levels"
    )]
    pub warn: Vec<String>,
    /// Report this kind as an error
    #[arg(
        short = 'D',
        long = "deny",
        value_name = "KIND",
        help_heading = "Levels"
    )]
    pub deny: Vec<String>,
    /// `-A/-W/-D` in command-line order (filled by `Cli::parse_args`).
    #[arg(skip)]
    pub lint_order: Vec<(LevelSetting, String)>,
    /// Also list findings silenced by `// concur:allow(kind) reason` comments
    #[arg(long)]
    pub show_suppressed: bool,
    /// Report only findings that are not in this earlier `analyze --format json` output
    #[arg(long, value_name = "OLD.json", help_heading = "Baseline")]
    pub baseline: Option<PathBuf>,
    /// Also write this run's findings as JSON to PATH, to serve as a later --baseline
    #[arg(long, value_name = "PATH", help_heading = "Baseline")]
    pub write_baseline: Option<PathBuf>,
    /// SARIF `runAutomationDetails.id` (GitHub code scanning's category), e.g. `concur/linux`
    #[arg(long, value_name = "NAME")]
    pub sarif_category: Option<String>,
    /// Link findings in Markdown to `URL/<path>#L<line>` (e.g. https://github.com/o/r/blob/<sha>)
    /// [default: from GITHUB_SERVER_URL, GITHUB_REPOSITORY and GITHUB_SHA when set]
    #[arg(long, value_name = "URL")]
    pub repo_url: Option<String>,
    /// Neither read nor write the per-file facts cache (under the target directory)
    #[arg(long)]
    pub no_cache: bool,
    /// Human format: show every inventory note in full (by default only hazards are, and notes are counted
    /// per kind with the files holding most of them); machine formats always carry every finding
    #[arg(long)]
    pub all_notes: bool,
}

impl AnalyzeArgs {
    /// The command line's overrides of the configuration.
    pub fn overrides(&self) -> crate::error::Result<crate::config::Overrides> {
        let mut levels = Vec::new();
        let order: Vec<(LevelSetting, String)> = if self.lint_order.is_empty() {
            // Built without `parse_args` (tests): -A, then -W, then -D.
            self.allow
                .iter()
                .map(|k| (LevelSetting::Allow, k.clone()))
                .chain(
                    self.warn
                        .iter()
                        .map(|k| (LevelSetting::Report(Level::Warning), k.clone())),
                )
                .chain(
                    self.deny
                        .iter()
                        .map(|k| (LevelSetting::Report(Level::Error), k.clone())),
                )
                .collect()
        } else {
            self.lint_order.clone()
        };
        for (setting, name) in order {
            let kinds: Vec<FindingKind> = if name == "all" {
                FindingKind::ALL.to_vec()
            } else {
                vec![FindingKind::from_id(&name).ok_or_else(|| {
                    crate::error::Error::usage(format!(
                        "`{name}` is not a finding kind (see `cargo concur rules`)"
                    ))
                })?]
            };
            levels.extend(kinds.into_iter().map(|k| (k, setting)));
        }
        Ok(crate::config::Overrides {
            levels,
            fail_on: self.fail_on.map(FailOn::threshold),
        })
    }
}

/// Options shared by `profile` and by `report` when it profiles.
#[derive(Debug, Clone, Args)]
pub struct MeasureArgs {
    /// Workload to run (repeatable; default: all)
    #[arg(long = "workload", value_name = "NAME")]
    pub workloads: Vec<String>,
    /// Worker counts to measure, e.g. 1,2,8 (default: 1..=cores, plus 2x cores)
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    pub workers: Vec<usize>,
    /// Exactly N counted rounds (each runs every model and worker count once), after one warm-up
    /// (default: 3 to 5 rounds, stopping when medians are stable or the budget is spent)
    #[arg(long, value_name = "N")]
    pub runs: Option<usize>,
    /// At least N counted rounds, even past the time budget
    #[arg(long, value_name = "N")]
    pub min_rounds: Option<usize>,
    /// Time budget per workload in seconds (default: 30x its sequential time, 20 s to 180 s)
    #[arg(long, value_name = "SECS")]
    pub budget: Option<f64>,
    /// Time budget for all workloads together in seconds (default: 900)
    #[arg(long, value_name = "SECS")]
    pub total_budget: Option<f64>,
    /// Kill a run (and its whole process tree) after this many seconds
    #[arg(long, default_value_t = 120.0, value_name = "SECS")]
    pub timeout: f64,
    /// Do not open perf counters; measure with rusage only
    #[arg(long)]
    pub no_perf: bool,
    /// Skip test-binary workloads (libtest targets)
    #[arg(long)]
    pub no_tests: bool,
    /// Python interpreter for Python workloads (default: python3 on PATH)
    #[arg(long, value_name = "PATH")]
    pub python: Option<PathBuf>,
    /// Limit the address space of every process of a run (setrlimit), e.g. 512M, 2G; a job past it is
    /// recorded as out-of-memory
    #[arg(long, value_name = "SIZE")]
    pub memory_limit: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct ProfileArgs {
    #[command(flatten)]
    pub packages: PackageArgs,
    #[command(flatten)]
    pub features: FeatureArgs,
    #[command(flatten)]
    pub manifest: ManifestArgs,
    #[command(flatten)]
    pub measure: MeasureArgs,
    #[command(flatten)]
    pub cargo: CargoArgs,
    /// Output format
    #[arg(long, value_parser = choice::<ProfileFormat>(), default_value = "human")]
    pub format: ProfileFormat,
    /// Write the output to this file instead of stdout
    #[arg(long, short = 'o', value_name = "PATH")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub packages: PackageArgs,
    #[command(flatten)]
    pub targets: TargetArgs,
    #[command(flatten)]
    pub features: FeatureArgs,
    #[command(flatten)]
    pub cfg: CfgArgs,
    #[command(flatten)]
    pub manifest: ManifestArgs,
    #[command(flatten)]
    pub measure: MeasureArgs,
    #[command(flatten)]
    pub cargo: CargoArgs,
    /// Use a saved `profile --format json` instead of profiling now
    #[arg(long, value_name = "PROFILE.json")]
    pub from: Option<PathBuf>,
    /// Compare with an earlier `report --format json`: verdict changes, speedup regressions, new findings
    #[arg(long, value_name = "OLD-report.json")]
    pub baseline: Option<PathBuf>,
    /// With --baseline: exit with code 1 on a verdict change or a speedup regression (repeatable)
    #[arg(long, value_enum, value_name = "WHAT", requires = "baseline")]
    pub fail_on: Vec<ReportFailOn>,
    /// Output format
    #[arg(long, value_parser = choice::<ReportFormat>(), default_value = "human")]
    pub format: ReportFormat,
    /// Write the output to this file instead of stdout
    #[arg(long, short = 'o', value_name = "PATH")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct WorkloadsArgs {
    #[command(flatten)]
    pub packages: PackageArgs,
    #[command(flatten)]
    pub manifest: ManifestArgs,
    /// Output format
    #[arg(long, value_parser = choice::<ProfileFormat>(), default_value = "human")]
    pub format: ProfileFormat,
}

/// Cargo's own help colours.
fn clap_cargo_styles() -> clap::builder::Styles {
    use anstyle::{AnsiColor, Effects, Style};
    let header = Style::new()
        .fg_color(Some(AnsiColor::Green.into()))
        .effects(Effects::BOLD);
    let literal = Style::new()
        .fg_color(Some(AnsiColor::Cyan.into()))
        .effects(Effects::BOLD);
    clap::builder::Styles::styled()
        .header(header)
        .usage(header)
        .literal(literal)
        .placeholder(Style::new().fg_color(Some(AnsiColor::Cyan.into())))
        .error(
            Style::new()
                .fg_color(Some(AnsiColor::Red.into()))
                .effects(Effects::BOLD),
        )
        .valid(literal)
        .invalid(
            Style::new()
                .fg_color(Some(AnsiColor::Yellow.into()))
                .effects(Effects::BOLD),
        )
}

/// Drops the `concur` that cargo inserts when it runs `cargo-concur concur <verb>`.
pub fn normalize_args(mut args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    if args.get(1).is_some_and(|a| a == "concur") {
        args.remove(1);
    }
    args
}

/// The package selection `discover` applies, from `--manifest-path`, `-p`, `--workspace` and `--exclude`.
pub fn selection(m: &ManifestArgs, p: &PackageArgs) -> PackageSelection {
    PackageSelection {
        manifest_path: m.manifest_path.clone(),
        packages: p.packages.clone(),
        workspace: p.workspace,
        exclude: p.exclude.clone(),
    }
}

/// The scope `discover` applies: target selection, features, cfg.
pub fn scope(t: &TargetArgs, f: &FeatureArgs, c: &CfgArgs) -> crate::discover::Scope {
    crate::discover::Scope {
        targets: t.selection(),
        features: f.selection(),
        cfg: c.selection(),
    }
}

/// A clap parser for one of render's named choices.
fn choice<T: Choice>() -> impl clap::builder::TypedValueParser<Value = T> {
    clap::builder::PossibleValuesParser::new(T::ALL.iter().map(|c| c.name())).map(|s| {
        T::ALL
            .iter()
            .copied()
            .find(|c| c.name() == s)
            .unwrap_or(T::ALL[0])
    })
}

/// What the front does with the command line: run the verb, or exit with clap's text (help, version, a
/// usage error) already printed.
pub enum Parsed {
    Run(Box<Cli>),
    Exit(i32),
}

/// Parses the command line (dropping the `concur` that cargo inserts); help, version and usage errors are
/// printed here, with exit code 0 or [`crate::exit::USAGE`].
pub fn parse(args: Vec<std::ffi::OsString>) -> Parsed {
    match parse_args(normalize_args(args)) {
        Ok(cli) => Parsed::Run(Box::new(cli)),
        Err(e) => {
            let code = if e.use_stderr() {
                crate::exit::USAGE
            } else {
                crate::exit::SUCCESS
            };
            let _ = e.print();
            Parsed::Exit(code)
        }
    }
}

/// Parses an argument list (`concur` already dropped); `-A/-W/-D` keep the order they were given in.
pub fn parse_args(args: Vec<std::ffi::OsString>) -> Result<Cli, clap::Error> {
    use clap::{CommandFactory, FromArgMatches};
    let m = Cli::command().try_get_matches_from(args)?;
    let mut cli = Cli::from_arg_matches(&m)?;
    if let (Verb::Analyze(a), Some(sm)) = (&mut cli.verb, m.subcommand_matches("analyze")) {
        let mut order: Vec<(usize, LevelSetting, String)> = Vec::new();
        for (id, setting) in [
            ("allow", LevelSetting::Allow),
            ("warn", LevelSetting::Report(Level::Warning)),
            ("deny", LevelSetting::Report(Level::Error)),
        ] {
            if let (Some(vals), Some(idx)) = (sm.get_many::<String>(id), sm.indices_of(id)) {
                for (v, i) in vals.zip(idx) {
                    order.push((i, setting, v.clone()));
                }
            }
        }
        order.sort_by_key(|(i, _, _)| *i);
        a.lint_order = order.into_iter().map(|(_, s, k)| (s, k)).collect();
    }
    Ok(cli)
}

/// The measurement settings `profile` runs with, from `MeasureArgs` (flag values checked here, once).
pub fn measure(a: &MeasureArgs) -> crate::error::Result<MeasureSettings> {
    use crate::profile::settings::{count, memory_size, seconds, CounterChoice, Sampling, Workers};
    Ok(MeasureSettings {
        workloads: a.workloads.clone(),
        sampling: Sampling {
            workers: Workers::from_counts(&a.workers)?,
            runs: count("--runs", "run", a.runs)?,
            min_rounds: count("--min-rounds", "round", a.min_rounds)?,
            budget: a.budget.map(|s| seconds("--budget", s)).transpose()?,
        },
        total_budget: a
            .total_budget
            .map(|s| seconds("--total-budget", s))
            .transpose()?,
        timeout: seconds("--timeout", a.timeout)?,
        counters: if a.no_perf {
            CounterChoice::Rusage
        } else {
            CounterChoice::Perf
        },
        tests: !a.no_tests,
        python: a.python.clone(),
        memory_limit: a.memory_limit.as_deref().map(memory_size).transpose()?,
    })
}
