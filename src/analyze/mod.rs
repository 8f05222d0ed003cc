//! The `analyze` pipeline: discover packages and targets, parse every file in parallel while extracting
//! facts, link the call graph per package, and assemble the sorted `AnalysisDoc`.

pub mod model;

use crate::cli::PackageSelection;
use crate::error::Result;
use model::AnalysisDoc;

pub fn run(selection: &PackageSelection) -> Result<AnalysisDoc> {
    let _ = selection;
    Err(crate::error::Error::internal("analyze: not built yet"))
}
