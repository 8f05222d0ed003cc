//! cargo-concur: static advisor (`analyze`), runtime profiler (`profile`) and recommender (`report`) that tell
//! per workload whether to run it on threads, processes, async tasks or sequentially.
//!
//! See ARCHITECTURE.md for the map. The pipeline: `discover` → `parse` → `facts` → `callgraph` → `analyze`;
//! `workload` → `profile`; both → `report`; every document → `render`.

pub mod analyze;
pub mod app;
pub mod baseline;
pub(crate) mod callgraph;
pub mod cli;
pub mod config;
pub mod discover;
pub mod error;
pub mod exit;
pub mod facts;
pub(crate) mod parse;
pub mod profile;
pub mod render;
pub mod report;
pub mod rules;
pub mod suppress;
pub mod vocab;
pub mod workload;

/// What tests and benchmarks outside the crate use of `parse`: the nesting bound (to measure and check it),
/// the text lexer (held to proc-macro2 by the fuzz harness), strict whole-file parsing, editions.
pub use parse::{depth, lex, parse_source, Edition};
