//! Human rendering of a `ProfileDoc`: one perf-stat/hyperfine-like table per workload.

use std::io::{self, Write};

use super::Human;
use crate::profile::model::ProfileDoc;
use crate::render::Export;

impl Export<ProfileDoc> for Human {
    fn export(&self, doc: &ProfileDoc, out: &mut dyn Write) -> io::Result<()> {
        writeln!(out, "{} workloads", doc.workloads.len())
    }
}
