//! Every output format lives here and only here: one exporter per format behind one trait, plus the
//! output sink (stdout or `--output` file, colours only on a terminal and never with `NO_COLOR`) and
//! status lines on stderr (the engines' events as text). Nothing else in the crate makes output; render
//! never decides a verdict or a finding, it only shows documents.

pub mod html;
pub mod human;
pub mod json;
pub mod markdown;
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
    /// Output formats of `analyze`.
    AnalyzeFormat { Human = "human", Json = "json", Sarif = "sarif", Markdown = "markdown" }
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

/// What `report` renderers get: the verdicts and the documents behind them.
pub struct ReportInput<'a> {
    pub report: &'a ReportDoc,
    pub analysis: &'a AnalysisDoc,
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
        out: io::BufWriter<anstream::StripStream<std::fs::File>>,
    },
}

impl Sink {
    pub fn open(path: Option<&Path>) -> Result<Sink> {
        match path {
            None => Ok(Sink::Stdout(io::BufWriter::with_capacity(
                STDOUT_BUFFER,
                anstream::AutoStream::auto(io::stdout()),
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
                    out: io::BufWriter::new(anstream::StripStream::new(f)),
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
    doc: &AnalysisDoc,
    format: AnalyzeFormat,
    notes: NoteDetail,
    out: &mut dyn Write,
) -> Result<()> {
    finish_write(match format {
        AnalyzeFormat::Human => human::HumanAnalysis { notes }.export(doc, out),
        AnalyzeFormat::Json => json::Json.export(doc, out),
        AnalyzeFormat::Sarif => sarif::Sarif.export(doc, out),
        AnalyzeFormat::Markdown => markdown::Markdown.export(doc, out),
    })
}

pub fn write_profile(doc: &ProfileDoc, format: ProfileFormat, out: &mut dyn Write) -> Result<()> {
    finish_write(match format {
        ProfileFormat::Human => human::Human.export(doc, out),
        ProfileFormat::Json => json::Json.export(doc, out),
    })
}

pub fn write_report(
    report: &ReportDoc,
    analysis: &AnalysisDoc,
    profile: &ProfileDoc,
    format: ReportFormat,
    out: &mut dyn Write,
) -> Result<()> {
    let input = ReportInput {
        report,
        analysis,
        profile,
    };
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
        ProfileFormat::Json => json::Json.export(list, out),
    })
}
