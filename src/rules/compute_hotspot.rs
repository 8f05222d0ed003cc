//! Rule `compute-hotspot`: a function whose own body is dominated by loops and arithmetic.
//!
//! The score of a function body (estimated in `facts::work`, fed by `facts::body`):
//! - each loop (`for`, `while`, `loop`) adds `2 x d`, `d` being its nesting depth (1 for an outer loop);
//! - inside loops, each arithmetic or bitwise operator, compound assignment, cast, indexing and arithmetic
//!   method (`wrapping_mul`, `pow`, `sqrt`...; see `apis::ARITH_METHODS`) adds `d` (other calls add nothing:
//!   a state-machine `loop` full of calls is not compute);
//! - each iterator adaptor call (`map`, `fold`, `filter`...; `apis::LOOP_METHODS`) adds 1, and the closures
//!   passed to it count as one loop level deeper;
//! - each call of a known CPU-heavy API (sorting, hashing, compression, regex, serde) adds `6 x (d + 1)`;
//! - a direct recursive call adds 10.
//!
//! A finding is reported on the `fn` line when the score reaches [`THRESHOLD`]. For function classes, a
//! score of [`CLASS_THRESHOLD`] over the function and everything it reaches counts as significant compute.

use super::Rule;
use crate::vocab::{FindingKind, Level};

/// Own-body score from which a function is reported as a hotspot.
pub const THRESHOLD: u32 = 20;
/// Reachable compute score from which compute is significant for the function's class.
pub const CLASS_THRESHOLD: u32 = 5;

pub const RULE: Rule = Rule {
    kind: FindingKind::ComputeHotspot,
    level: Level::Note,
    summary: "a function whose own body is dominated by loops and arithmetic",
    help: "CPU-bound: split the input across threads (rayon) or processes; threads need no copying",
    docs: "Scored from loops (weighted by nesting), arithmetic and indexing inside loops, recursion and calls to \
           CPU-heavy APIs; reported at a score of 20 or more.",
};

pub fn message(name: &str, score: u32) -> String {
    format!("`{name}` is compute-heavy (score {score}: loops, arithmetic, indexing)")
}
