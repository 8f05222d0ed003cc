//! Status and progress lines on stderr, cargo-style (`error:`, `warning:`, right-aligned verbs).

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
