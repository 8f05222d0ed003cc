//! Markdown rendering of an `AnalysisDoc`.

use std::io::{self, Write};

use super::Markdown;
use crate::analyze::model::AnalysisDoc;
use crate::render::Export;

impl Export<AnalysisDoc> for Markdown {
    fn export(&self, doc: &AnalysisDoc, out: &mut dyn Write) -> io::Result<()> {
        writeln!(out, "{} findings", doc.findings.len())
    }
}
