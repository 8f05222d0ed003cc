//! What identifies a finding across runs and where it ends: the stable `fingerprint` (kind, file, enclosing
//! function, whitespace-normalised text of its line, occurrence index among equals — no line numbers, so
//! inserting lines above keeps it) and `end_line`/`end_column` of the marked token.

use std::collections::BTreeMap;

use crate::vocab::Finding;

/// Fills `end_line`, `end_column` and `fingerprint` of every finding. `all` must hold every finding of the
/// run (kept and suppressed), sorted by position, so occurrence indices and uniqueness cover the whole run.
pub fn assign(all: &mut [&mut Finding]) {
    let mut seen: BTreeMap<u64, u32> = BTreeMap::new();
    for f in all.iter_mut() {
        let text = f.snippet.as_deref().unwrap_or("");
        let col = f.column.max(1) - 1;
        f.end_line = f.line;
        f.end_column = f.column.max(1) + token_width(text, col as usize) as u32;
        let norm = normalise(text);
        let base = fnv(&[
            f.kind.id(),
            &f.file,
            f.function.as_deref().unwrap_or(""),
            &norm,
        ]);
        // Equal (kind, file, function, text): numbered in source order.
        let n = seen.entry(base).or_insert(0);
        let index = *n;
        *n += 1;
        f.fingerprint = format!(
            "{:016x}",
            fnv(&[&format!("{base:016x}"), &index.to_string()])
        );
    }
}

/// The line's code with runs of whitespace collapsed and ends trimmed.
pub fn normalise(line: &str) -> String {
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Width in characters of the token starting at 0-based character `col` (identifier or path characters), at
/// least 1.
pub fn token_width(src: &str, col: usize) -> usize {
    src.chars()
        .skip(col)
        .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':' || *c == '!')
        .count()
        .max(1)
}

/// FNV-1a 64 over the parts, each followed by a 0 byte (stable across platforms and releases).
fn fnv(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.bytes().chain(std::iter::once(0)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{finding, Site};
    use crate::vocab::{FindingData, FindingKind};

    fn at(kind: FindingKind, line: u32, column: u32, function: &str, text: &str) -> Finding {
        let api = "std::fs::read".to_string();
        let data = match kind {
            FindingKind::Spawn => FindingData::Spawn { api },
            _ => FindingData::Io { api },
        };
        let mut f = finding(
            Site {
                file: "src/lib.rs".into(),
                line,
                column,
                function: Some(function.into()),
            },
            data,
        );
        f.message = format!("message mentioning line {line}");
        f.snippet = Some(text.into());
        f
    }

    fn prints(mut v: Vec<Finding>) -> Vec<String> {
        let mut refs: Vec<&mut Finding> = v.iter_mut().collect();
        assign(&mut refs);
        v.into_iter().map(|f| f.fingerprint).collect()
    }

    #[test]
    fn stable_under_inserted_lines_and_reindentation() {
        let a = prints(vec![at(
            FindingKind::Io,
            10,
            5,
            "d::f",
            "    std::fs::read(p)",
        )]);
        let b = prints(vec![at(
            FindingKind::Io,
            42,
            9,
            "d::f",
            "\tstd::fs::read(p)  ",
        )]);
        assert_eq!(a, b);
    }

    #[test]
    fn equal_lines_get_occurrence_indices_and_differ() {
        let v = prints(vec![
            at(FindingKind::Io, 3, 5, "d::f", "read(p);"),
            at(FindingKind::Io, 4, 5, "d::f", "read(p);"),
            at(FindingKind::Io, 4, 5, "d::g", "read(p);"),
            at(FindingKind::Spawn, 4, 5, "d::f", "read(p);"),
        ]);
        let unique: std::collections::BTreeSet<_> = v.iter().collect();
        assert_eq!(unique.len(), 4, "{v:?}");
        assert!(v.iter().all(|p| p.len() == 16));
    }

    #[test]
    fn end_column_covers_the_token() {
        let mut f = at(FindingKind::Io, 1, 5, "d::f", "    std::fs::read(p)");
        assign(&mut [&mut f]);
        assert_eq!(
            (f.end_line, f.end_column),
            (1, 5 + "std::fs::read".len() as u32)
        );
    }
}
