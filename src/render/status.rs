//! Status and progress lines on stderr, cargo-style (`error:`, `warning:`, right-aligned verbs): the
//! engines' typed events become text here and only here. Nothing here writes to stdout.

use std::io::Write;
use std::sync::atomic::{AtomicU8, Ordering};

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

/// 0: quiet (`-q`), 1: normal, 2 and more: verbose (`-v`, `-vv`).
static VERBOSITY: AtomicU8 = AtomicU8::new(1);

/// Sets how much status goes to stderr (from `-q`/`-v`).
pub fn set_verbosity(v: u8) {
    VERBOSITY.store(v, Ordering::Relaxed);
}

pub fn verbosity() -> u8 {
    VERBOSITY.load(Ordering::Relaxed)
}

/// A `-v` line: `     Running cargo build ...` on stderr, only when verbose.
pub fn verbose(verb: &str, message: &str) {
    if verbosity() >= 2 {
        let mut e = anstream::stderr().lock();
        let _ = writeln!(e, "{VERB}{verb:>12}{VERB:#} {message}");
    }
}

/// A `-vv` line: `        Read src/lib.rs` on stderr, only when very verbose.
pub fn very_verbose(verb: &str, message: &str) {
    if verbosity() >= 3 {
        let mut e = anstream::stderr().lock();
        let _ = writeln!(e, "{VERB}{verb:>12}{VERB:#} {message}");
    }
}

/// `error: message` on stderr.
pub fn error(message: &str) {
    let mut e = anstream::stderr().lock();
    let _ = writeln!(e, "{ERROR}error{ERROR:#}: {message}");
}

/// `warning: message` on stderr (not with `-q`).
pub fn warning(message: &str) {
    if verbosity() == 0 {
        return;
    }
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
    if verbosity() == 0 {
        return;
    }
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
            for path in &f.read {
                very_verbose("Read", path);
            }
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

/// With `-v`: the settings a package's findings are judged with (`   Settings demo: fail-on warning; ...`).
pub fn config(
    package: &str,
    c: &crate::config::PackageConfig,
    fail_on: Option<crate::vocab::Level>,
) {
    if verbosity() < 2 {
        return;
    }
    let levels: Vec<String> = c
        .levels
        .iter()
        .map(|(k, l)| {
            let l = match l {
                crate::config::LevelSetting::Allow => "allow",
                crate::config::LevelSetting::Report(l) => l.as_str(),
            };
            format!("{}={l}", k.id())
        })
        .collect();
    verbose(
        "Settings",
        &format!(
            "{package}: fail-on {}; levels {}; {} extra API entr{}",
            fail_on.map(|l| l.as_str()).unwrap_or("never"),
            if levels.is_empty() {
                "default".to_string()
            } else {
                levels.join(", ")
            },
            c.apis.entries.len(),
            if c.apis.entries.len() == 1 {
                "y"
            } else {
                "ies"
            }
        ),
    );
}
