//! The runtime profiler: builds a harness per package, runs each workload sequentially, on N threads and
//! on N worker processes, measures it (perf counters or rusage) and checks results. Only profile/ spawns
//! workload processes.

pub mod model;

use crate::cli::{MeasureSettings, PackageSelection};
use crate::error::{Error, Result};
use model::ProfileDoc;

pub fn run(selection: &PackageSelection, measure: &MeasureSettings) -> Result<ProfileDoc> {
    let _ = (selection, measure);
    Err(Error::internal("profile: not built yet"))
}
