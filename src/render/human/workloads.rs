//! Human rendering of the workload list (`cargo concur workloads`).

use std::io::{self, Write};

use super::Human;
use crate::render::Export;
use crate::workload::WorkloadSpec;

impl Export<[WorkloadSpec]> for Human {
    fn export(&self, list: &[WorkloadSpec], out: &mut dyn Write) -> io::Result<()> {
        for w in list {
            writeln!(
                out,
                "{}\t{}\t{}\t{}\t{}",
                w.package, w.name, w.kind, w.jobs, w.declared_in
            )?;
        }
        Ok(())
    }
}
