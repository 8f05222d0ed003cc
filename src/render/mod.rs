//! Every output format lives here and only here: one exporter per format behind one trait, plus the
//! output sink (stdout or `--output` file, colours only on a terminal and never with `NO_COLOR`) and
//! status lines on stderr (the engines' events as text). Nothing else in the crate makes output; render
//! never decides a verdict or a finding, it only shows documents.

pub mod cargo_json;
pub mod github;
pub mod html;
pub mod human;
pub mod json;
pub mod markdown;
pub mod report_baseline;
pub mod rules;
pub mod sarif;
pub mod status;

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::analyze::doc::AnalysisDoc;
use crate::error::{Error, Result};
use crate::profile::doc::ProfileDoc;
use crate::report::doc::ReportDoc;
use crate::workload::WorkloadSpec;

/// A closed set of named choices (an output format, `--color`): the front offers the names, render gets the value.
pub trait Choice: Copy + Send + Sync + 'static {
    /// Every value, the default first.
    const ALL: &'static [Self];
    fn name(self) -> &'static str;
}

macro_rules! choices {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $id:literal),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name {
            $($variant),*
        }

        impl Choice for $name {
            const ALL: &'static [Self] = &[$($name::$variant),*];
            fn name(self) -> &'static str {
                match self {
                    $($name::$variant => $id),*
                }
            }
        }
    };
}

choices!(
    /// Output formats of `analyze` (`github`: GitHub Actions workflow-command annotations).
    AnalyzeFormat { Human = "human", Json = "json", Sarif = "sarif", Markdown = "markdown", Github = "github" }
);
choices!(
    /// `--message-format`: `json` writes cargo's `compiler-message` lines instead of `--format`.
    MessageFormat { Human = "human", Json = "json" }
);
choices!(
    /// Output formats of `profile` and `workloads`.
    ProfileFormat { Human = "human", Json = "json" }
);
choices!(
    /// Output formats of `report`.
    ReportFormat { Human = "human", Json = "json", Markdown = "markdown", Html = "html" }
);
choices!(
    /// Colouring: `auto` only on a terminal and never with `NO_COLOR`.
    ColorWhen { Auto = "auto", Always = "always", Never = "never" }
);

/// One output format for one kind of document.
pub trait Export<D: ?Sized> {
    fn export(&self, doc: &D, out: &mut dyn Write) -> io::Result<()>;
}

/// Where the analyzed workspace sits in its repository, for URIs and links.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RepoLocation {
    /// Absolute path of the repository root (the git root when there is one, else the workspace root).
    pub root: String,
    /// The workspace root relative to `root`, `""` or ending in `/`.
    pub prefix: String,
    /// Base URL of file links, e.g. `https://github.com/o/r/blob/<sha>` (no trailing `/`).
    pub link_base: Option<String>,
}

impl RepoLocation {
    /// `file` (relative to the workspace root) relative to the repository root.
    pub fn path(&self, file: &str) -> String {
        format!("{}{file}", self.prefix)
    }

    /// A link to `file` at `line`, when a link base is known.
    pub fn link(&self, file: &str, line: u32) -> Option<String> {
        self.link_base.as_ref().map(|b| {
            format!(
                "{b}/{}#L{line}",
                crate::render::sarif::encode_path(&self.path(file))
            )
        })
    }
}

/// Settings of the analysis renderers.
#[derive(Debug, Clone, Default)]
pub struct AnalysisOptions {
    /// List suppressed findings too (human, Markdown); JSON and SARIF always carry them.
    pub show_suppressed: bool,
    /// SARIF `automationDetails.id`.
    pub sarif_category: Option<String>,
    pub repo: RepoLocation,
    /// Markdown size limit in characters (GitHub's comment limit by default).
    pub markdown_limit: usize,
    /// How many notes the human format shows.
    pub notes: NoteDetail,
}

/// `against the baseline: 2 new, 1 fixed, 5 unchanged`, for summaries.
pub(crate) fn baseline_summary(b: &crate::analyze::doc::BaselineCounts) -> String {
    format!(
        "against the baseline: {} new, {} fixed, {} unchanged",
        b.new, b.fixed, b.unchanged
    )
}

/// GitHub's limit on a pull-request comment body, in characters.
pub const GITHUB_COMMENT_LIMIT: usize = 65_536;

/// What analysis renderers get: the document and how to show it.
pub struct AnalysisView<'a> {
    pub doc: &'a AnalysisDoc,
    pub opts: &'a AnalysisOptions,
    pub repo: &'a RepoLocation,
}

impl AnalysisView<'_> {
    pub fn new<'a>(doc: &'a AnalysisDoc, opts: &'a AnalysisOptions) -> AnalysisView<'a> {
        AnalysisView {
            doc,
            opts,
            repo: &opts.repo,
        }
    }
    pub fn repo_path(&self, file: &str) -> String {
        self.repo.path(file)
    }
}

/// What `report` renderers get: the verdicts and the documents behind them.
pub struct ReportInput<'a> {
    pub report: &'a ReportDoc,
    pub profile: &'a ProfileDoc,
}

impl ReportInput<'_> {
    /// The measurements behind one verdict.
    pub fn profile_of(
        &self,
        w: &crate::report::doc::WorkloadReport,
    ) -> Option<&crate::profile::doc::WorkloadProfile> {
        self.profile
            .workloads
            .iter()
            .find(|p| p.name == w.name && p.package == w.package)
    }
}

/// Sets the process-wide colour choice from `--color` (auto still honours NO_COLOR and non-terminals).
pub fn init_color(when: ColorWhen) {
    let choice = match when {
        ColorWhen::Auto => anstream::ColorChoice::Auto,
        ColorWhen::Always => anstream::ColorChoice::Always,
        ColorWhen::Never => anstream::ColorChoice::Never,
    };
    choice.write_global();
}

/// Bytes gathered before one write to stdout.
const STDOUT_BUFFER: usize = 256 * 1024;

/// Where data goes: stdout (colour decided by anstream) or a file (never coloured, written atomically).
pub enum Sink {
    /// Buffered: a 2 MB JSON document goes out in large writes, not one per line.
    Stdout(io::BufWriter<anstream::AutoStream<io::Stdout>>),
    File {
        tmp: PathBuf,
        dest: PathBuf,
        out: io::BufWriter<anstream::AutoStream<std::fs::File>>,
    },
}

impl Sink {
    /// A sink for text that may be coloured: on a terminal as `--color` says, elsewhere stripped.
    pub fn open(path: Option<&Path>) -> Result<Sink> {
        Sink::open_with(path, None)
    }

    /// A sink for a data format (JSON, SARIF, ...), which holds no colour: written as it is, not scanned for
    /// escape sequences to strip.
    pub fn open_data(path: Option<&Path>) -> Result<Sink> {
        Sink::open_with(path, Some(anstream::ColorChoice::AlwaysAnsi))
    }

    fn open_with(path: Option<&Path>, choice: Option<anstream::ColorChoice>) -> Result<Sink> {
        match path {
            None => Ok(Sink::Stdout(io::BufWriter::with_capacity(
                STDOUT_BUFFER,
                match choice {
                    Some(c) => anstream::AutoStream::new(io::stdout(), c),
                    None => anstream::AutoStream::auto(io::stdout()),
                },
            ))),
            Some(dest) => {
                let file_name = dest
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let tmp = dest.with_file_name(format!(".{file_name}.concur-tmp"));
                let f = std::fs::File::create(&tmp).map_err(|e| {
                    Error::internal(format!("--output {}: cannot create: {e}", dest.display()))
                })?;
                Ok(Sink::File {
                    tmp,
                    dest: dest.to_path_buf(),
                    out: io::BufWriter::new(anstream::AutoStream::new(
                        f,
                        choice.unwrap_or(anstream::ColorChoice::Never),
                    )),
                })
            }
        }
    }

    /// Flushes and, for a file, moves it into place.
    pub fn finish(mut self) -> Result<()> {
        match &mut self {
            Sink::Stdout(s) => s.flush().or_else(ignore_broken_pipe).map_err(io_err),
            Sink::File { tmp, dest, out } => {
                let r = out.flush().and_then(|_| std::fs::rename(&*tmp, &*dest));
                match r {
                    // Renamed: nothing left for `Drop` to remove.
                    Ok(()) => Ok(()),
                    Err(e) => Err(Error::internal(format!("--output {}: {e}", dest.display()))),
                }
            }
        }
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        // A file sink dropped without `finish` (an error path) leaves no temp file behind.
        if let Sink::File { tmp, .. } = self {
            let _ = std::fs::remove_file(tmp);
        }
    }
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Sink::Stdout(s) => s.write(buf),
            Sink::File { out, .. } => out.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Sink::Stdout(s) => s.flush(),
            Sink::File { out, .. } => out.flush(),
        }
    }
}

fn ignore_broken_pipe(e: io::Error) -> io::Result<()> {
    if e.kind() == io::ErrorKind::BrokenPipe {
        Ok(())
    } else {
        Err(e)
    }
}

fn io_err(e: io::Error) -> Error {
    Error::internal(format!("cannot write output: {e}"))
}

fn finish_write(r: io::Result<()>) -> Result<()> {
    r.or_else(ignore_broken_pipe).map_err(io_err)
}

/// How much of an analysis the human format shows: hazards (warnings, errors) always in full; inventory notes
/// summarised (count per kind, the files with most) unless `All`. Machine formats always carry every finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NoteDetail {
    #[default]
    Summary,
    All,
}

pub fn write_analysis(
    view: &AnalysisView<'_>,
    format: AnalyzeFormat,
    message_format: MessageFormat,
    out: &mut dyn Write,
) -> Result<()> {
    if message_format == MessageFormat::Json {
        return finish_write(cargo_json::CargoJson.export(view, out));
    }
    finish_write(match format {
        AnalyzeFormat::Human => human::Human.export(view, out),
        AnalyzeFormat::Json => json::Json.export(view.doc, out),
        AnalyzeFormat::Sarif => sarif::Sarif.export(view, out),
        AnalyzeFormat::Markdown => markdown::Markdown.export(view, out),
        AnalyzeFormat::Github => github::Github.export(view, out),
    })
}

/// `cargo concur rules`.
pub fn write_rules(format: ProfileFormat, out: &mut dyn Write) -> Result<()> {
    finish_write(match format {
        ProfileFormat::Human => rules::rules_text(out),
        ProfileFormat::Json => rules::rules_json(out),
    })
}

/// `cargo concur explain KIND`.
pub fn write_explain(kind: crate::vocab::FindingKind, out: &mut dyn Write) -> Result<()> {
    finish_write(rules::explain(kind, out))
}

pub fn write_profile(doc: &ProfileDoc, format: ProfileFormat, out: &mut dyn Write) -> Result<()> {
    finish_write(match format {
        ProfileFormat::Human => human::Human.export(doc, out),
        ProfileFormat::Json => json::Json.export(doc, out),
    })
}

pub fn write_report(
    report: &ReportDoc,
    profile: &ProfileDoc,
    format: ReportFormat,
    out: &mut dyn Write,
) -> Result<()> {
    let input = ReportInput { report, profile };
    finish_write(match format {
        ReportFormat::Human => human::Human.export(&input, out),
        ReportFormat::Json => json::Json.export(report, out),
        ReportFormat::Markdown => markdown::Markdown.export(&input, out),
        ReportFormat::Html => html::Html.export(&input, out),
    })
}

pub fn write_workloads(
    list: &[WorkloadSpec],
    format: ProfileFormat,
    out: &mut dyn Write,
) -> Result<()> {
    finish_write(match format {
        ProfileFormat::Human => human::Human.export(list, out),
        ProfileFormat::Json => json::Json.export(
            &WorkloadsDoc {
                schema_version: crate::vocab::SCHEMA_VERSION,
                workloads: list,
            },
            out,
        ),
    })
}

/// `workloads --format json`: the list with the `schema_version` every JSON document carries.
#[derive(serde::Serialize)]
struct WorkloadsDoc<'a> {
    schema_version: u32,
    workloads: &'a [WorkloadSpec],
}
