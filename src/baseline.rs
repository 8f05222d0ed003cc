//! `analyze --baseline OLD.json`: keeps only the findings whose fingerprint the earlier run did not have, and
//! counts new, fixed and unchanged ones. Pure data: the caller reads and writes the files.

use std::collections::BTreeSet;

use crate::analyze::doc::{AnalysisDoc, BaselineCounts};

/// Why a baseline cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BaselineProblem {
    /// The old document's findings carry no fingerprints (written by an older cargo-concur).
    NoFingerprints,
}

/// Filters `doc.findings` down to the new ones and records the counts in `doc.baseline`.
pub fn apply(doc: &mut AnalysisDoc, old: &AnalysisDoc) -> Result<BaselineCounts, BaselineProblem> {
    if old.findings.iter().any(|f| f.fingerprint.is_empty()) {
        return Err(BaselineProblem::NoFingerprints);
    }
    let before: BTreeSet<&str> = old
        .findings
        .iter()
        .map(|f| f.fingerprint.as_str())
        .collect();
    let now: BTreeSet<String> = doc.findings.iter().map(|f| f.fingerprint.clone()).collect();
    let unchanged = doc
        .findings
        .iter()
        .filter(|f| before.contains(f.fingerprint.as_str()))
        .count();
    let fixed = before.iter().filter(|p| !now.contains(**p)).count();
    // Indices of kept findings, for `FunctionDoc::reachable_findings`.
    let mut remap = Vec::with_capacity(doc.findings.len());
    let mut kept = Vec::new();
    for f in std::mem::take(&mut doc.findings) {
        if before.contains(f.fingerprint.as_str()) {
            remap.push(None);
        } else {
            remap.push(Some(kept.len()));
            kept.push(f);
        }
    }
    doc.findings = kept;
    for func in &mut doc.functions {
        func.reachable_findings = func
            .reachable_findings
            .iter()
            .filter_map(|&i| remap.get(i).copied().flatten())
            .collect();
    }
    let counts = BaselineCounts {
        new: doc.findings.len(),
        fixed,
        unchanged,
    };
    doc.baseline = Some(counts);
    Ok(counts)
}
