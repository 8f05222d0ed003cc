//! What the rule registry says about each kind beyond its descriptor: the long documentation with an example
//! (`docs/rules/<kind>.md`, shown by `cargo concur explain` and in SARIF `help`), tags and precision.

use super::rule;
use crate::vocab::FindingKind;

/// The example section of a kind's documentation (Markdown).
pub fn example(kind: FindingKind) -> &'static str {
    match kind {
        FindingKind::StaticMut => include_str!("../../docs/rules/static-mut.md"),
        FindingKind::GlobalState => include_str!("../../docs/rules/global-state.md"),
        FindingKind::SharedLock => include_str!("../../docs/rules/shared-lock.md"),
        FindingKind::Atomic => include_str!("../../docs/rules/atomic.md"),
        FindingKind::SingleThreadState => include_str!("../../docs/rules/single-thread-state.md"),
        FindingKind::ProcessGlobal => include_str!("../../docs/rules/process-global.md"),
        FindingKind::Io => include_str!("../../docs/rules/io.md"),
        FindingKind::ComputeHotspot => include_str!("../../docs/rules/compute-hotspot.md"),
        FindingKind::Ffi => include_str!("../../docs/rules/ffi.md"),
        FindingKind::Spawn => include_str!("../../docs/rules/spawn.md"),
        FindingKind::Channel => include_str!("../../docs/rules/channel.md"),
        FindingKind::LockAcrossBlocking => include_str!("../../docs/rules/lock-across-blocking.md"),
        FindingKind::DoubleLock => include_str!("../../docs/rules/double-lock.md"),
        FindingKind::LockOrder => include_str!("../../docs/rules/lock-order.md"),
        FindingKind::BlockingInAsync => include_str!("../../docs/rules/blocking-in-async.md"),
        FindingKind::Suppression => include_str!("../../docs/rules/suppression.md"),
        FindingKind::GilHeld => include_str!("../../docs/rules/gil-held.md"),
    }
}

/// The whole documentation of a kind as Markdown: summary, why, what to do, example.
pub fn explain_markdown(kind: FindingKind) -> String {
    let r = rule(kind);
    format!(
        "# {} ({}, default level {})\n\n{}.\n\n{}\n\n**What to do:** {}.\n\n{}",
        kind.id(),
        category(kind),
        r.level.as_str(),
        capitalise(r.summary),
        r.docs,
        r.help,
        example(kind)
    )
}

/// The same as plain text (code fences and emphasis dropped).
pub fn explain_text(kind: FindingKind) -> String {
    explain_markdown(kind)
        .lines()
        .filter(|l| !l.starts_with("```"))
        .map(|l| {
            l.trim_start_matches("# ")
                .trim_start_matches("## ")
                .replace("**", "")
                .replace('`', "")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// What sort of problem a kind marks.
pub fn category(kind: FindingKind) -> &'static str {
    use FindingKind::*;
    match kind {
        LockAcrossBlocking | DoubleLock | LockOrder | BlockingInAsync | StaticMut
        | ProcessGlobal | GilHeld => "hazard",
        GlobalState | SharedLock | Atomic | SingleThreadState | Ffi => "shared-state",
        Io | ComputeHotspot | Spawn | Channel => "workload-shape",
        Suppression => "hygiene",
    }
}

/// Whether findings of this kind are correctness or deadlock hazards (listed first in PR comments).
pub fn is_hazard(kind: FindingKind) -> bool {
    category(kind) == "hazard"
}

/// SARIF `properties.tags` (GitHub shows them as filters).
pub fn tags(kind: FindingKind) -> Vec<&'static str> {
    let mut t = vec!["concurrency", category(kind)];
    use FindingKind::*;
    match kind {
        DoubleLock | LockOrder => t.push("deadlock"),
        StaticMut | ProcessGlobal => t.push("correctness"),
        LockAcrossBlocking | BlockingInAsync | GlobalState | SharedLock | Atomic => {
            t.push("performance")
        }
        Io | ComputeHotspot | GilHeld => t.push("performance"),
        _ => {}
    }
    t
}

/// SARIF `precision`: how often a finding of this kind is what it says (`very-high`, `high`, `medium`, `low`).
pub fn precision(kind: FindingKind) -> &'static str {
    use FindingKind::*;
    match kind {
        StaticMut | Ffi | Channel | Spawn | Suppression => "very-high",
        ProcessGlobal | GlobalState | Io | DoubleLock => "high",
        SharedLock | Atomic | SingleThreadState | LockAcrossBlocking | BlockingInAsync
        | ComputeHotspot => "medium",
        LockOrder | GilHeld => "medium",
    }
}

/// SARIF `problem.severity` (GitHub: `error`, `warning` or `recommendation`).
pub fn problem_severity(kind: FindingKind) -> &'static str {
    match rule(kind).level {
        crate::vocab::Level::Error => "error",
        crate::vocab::Level::Warning => "warning",
        crate::vocab::Level::Note => "recommendation",
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_an_example_and_metadata() {
        for k in FindingKind::ALL {
            let md = explain_markdown(k);
            assert!(md.contains("```rust"), "{}: no example", k.id());
            assert!(md.starts_with(&format!("# {}", k.id())));
            assert!(!explain_text(k).contains("```"));
            assert!(["very-high", "high", "medium", "low"].contains(&precision(k)));
            assert!(tags(k).contains(&"concurrency"));
        }
    }
}
