//! Markdown exporter, for pull-request comments: `analyze` findings and `report` verdicts.

mod analysis;
mod report;

/// The Markdown format.
pub struct Markdown;
