//! The recommender: joins static evidence and measurements into one verdict per workload, with
//! confidence, reasons, refactoring advice and a scaling prediction. Pure: report/ does no I/O.

pub mod model;

use crate::analyze::model::AnalysisDoc;
use crate::profile::model::ProfileDoc;
use model::{AnalysisSummary, ReportDoc};

pub fn recommend(analysis: &AnalysisDoc, profile: &ProfileDoc) -> ReportDoc {
    ReportDoc {
        schema_version: crate::analyze::model::SCHEMA_VERSION,
        workloads: Vec::new(),
        analysis: AnalysisSummary {
            findings: analysis.findings.len(),
            by_kind: Default::default(),
        },
        environment: Some(profile.environment.clone()),
    }
}
