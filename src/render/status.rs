//! Status and progress lines on stderr, cargo-style (`error:`, `warning:`, right-aligned verbs): the
//! engines' typed events become text here and only here. Nothing here writes to stdout.

use std::io::Write;

use anstyle::{AnsiColor, Effects, Style};

const ERROR: Style = Style::new()
    .fg_color(Some(anstyle::Color::Ansi(AnsiColor::Red)))
    .effects(Effects::BOLD);
const WARNING: Style = Style::new()
    .fg_color(Some(anstyle::Color::Ansi(AnsiColor::Yellow)))
    .effects(Effects::BOLD);
const NOTE: Style = Style::new()
    .fg_color(Some(anstyle::Color::Ansi(AnsiColor::Cyan)))
    .effects(Effects::BOLD);
const VERB: Style = Style::new()
    .fg_color(Some(anstyle::Color::Ansi(AnsiColor::Green)))
    .effects(Effects::BOLD);

/// `error: message` on stderr.
pub fn error(message: &str) {
    let mut e = anstream::stderr().lock();
    let _ = writeln!(e, "{ERROR}error{ERROR:#}: {message}");
}

/// `warning: message` on stderr.
pub fn warning(message: &str) {
    let mut e = anstream::stderr().lock();
    let _ = writeln!(e, "{WARNING}warning{WARNING:#}: {message}");
}

/// `note: message` on stderr.
pub fn note(message: &str) {
    let mut e = anstream::stderr().lock();
    let _ = writeln!(e, "{NOTE}note{NOTE:#}: {message}");
}

/// `   Analyzing demo (3 targets)` on stderr, as cargo prints its progress.
pub fn progress(verb: &str, message: &str) {
    let mut e = anstream::stderr().lock();
    let _ = writeln!(e, "{VERB}{verb:>12}{VERB:#} {message}");
}

/// An `analyze` event as cargo-style lines; each parse error becomes a warning.
pub fn analysis(e: crate::analyze::Event<'_>) {
    use crate::analyze::doc::Skipped;
    match e {
        crate::analyze::Event::Started { packages } => progress("Analyzing", &packages.join(", ")),
        crate::analyze::Event::BuiltInCfg { why } => warning(&format!(
            "cannot run `rustc --print cfg` ({why}): deciding #[cfg] with the values cargo-concur was built for"
        )),
        crate::analyze::Event::Finished { files: f, elapsed } => {
            progress(
                "Finished",
                &format!(
                    "{} files ({} with parse errors, {} out of scope) in {:.2}s",
                    f.analyzed,
                    f.unparsable,
                    f.excluded.files + f.not_reached,
                    elapsed.as_secs_f64()
                ),
            );
            for e in &f.parse_errors {
                warning(&format!(
                    "{}:{}:{}: {} skipped: {}",
                    e.file,
                    e.line,
                    e.column,
                    match e.skipped {
                        Skipped::File => "file",
                        Skipped::Item => "item",
                    },
                    e.message
                ));
            }
        }
    }
}

/// A `workload` event as a cargo-style line.
pub fn workload(e: crate::workload::Event<'_>) {
    match e {
        crate::workload::Event::Warning(w) => warning(w),
        crate::workload::Event::BuildingTests { package } => {
            progress("Building", &format!("test targets of {package}"))
        }
    }
}
