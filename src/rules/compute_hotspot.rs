//! Rule `compute-hotspot`: a function whose own body is dominated by loops and arithmetic.
//!
//! The score of a function body estimates the work that repeats (estimated in `facts::work`, fed by
//! `facts::body`); `d` is the number of enclosing loops whose trip count is unknown (data-sized):
//! - each such loop (`for`, `while`, `loop`) adds `2 x d`, `d` counting itself; a loop with a small constant
//!   trip count (`for i in 0..4`, `for x in [a, b]`, `while i < 8`, at most 16) is no loop for the estimate,
//!   nor is a `while` over an integer that each turn is divided by a constant (`while n > 999 { .. n /= 10_000 }`:
//!   at most 128 bits over the bits removed a turn, when that is at most 16), nor a loop whose bound the
//!   syntax caps at 16 (`for i in 0..(flags & 3) + 1`, `0..n.min(8)`, through an immutable local or a
//!   constant of the file: `const LANES: usize = 8`), nor a loop over a fixed-size array of at most 16
//!   elements, whose type or initialiser tells its length (`for b in blocks.iter_mut()` with
//!   `blocks: &mut [Block; PAR_BLOCKS]`, `while i < words.len()` with `let mut words = [0u32; 16]`), nor a
//!   loop counted to a small bound (`let mut rcon = 0; loop { ..; rcon += 1; if rcon >= 8 { break; } }`: a
//!   counter from a known start, grown by a literal every turn, written nowhere else, no `continue`);
//! - inside loops, each arithmetic or bitwise operator, compound assignment, cast, indexing, arithmetic
//!   method (`wrapping_mul`, `pow`, `sqrt`...; see `apis::ARITH_METHODS`) and SIMD intrinsic (a function of
//!   `std::arch`: `_mm_or_si128`, a vector operation) adds `d` (other calls add nothing:
//!   a state-machine `loop` full of calls is not compute), except in assertion, formatting and logging
//!   macros (`assert!`, `format!`, `debug!`...);
//! - each iterator adaptor call (`map`, `fold`, `filter`...; `apis::LOOP_METHODS`) on an iterator chain (an
//!   iterator source such as `iter()`, `chars()`, `keys()`, a range, a `std::iter` function, or a local or
//!   parameter that is an iterator) adds 1, and the closures passed to it count as one loop level deeper;
//!   the same names on an `Option`, a `Result`, a future or a parser combinator call their closure once;
//! - the closure of a lazy initialiser (`get_or_insert_with`, `get_or_init`) on a value declared outside the
//!   loops around it runs once: those loops do not weigh it;
//! - each call of a known CPU-heavy API (sorting, hashing, compression, regex, serde) adds `6 x (d + 1)`;
//! - a branch (`if`/`else`, `match`) adds its heaviest arm only: one arm runs (a loop dispatching over
//!   variants does one arm's work per element);
//! - a branch that leaves loops (a `return`, a `break`, a panic among its own statements, and no `continue` of
//!   one of those loops before it) runs once for them: its work weighs as code outside them (crossbeam's
//!   `len`: `loop { load both ends; if consistent { rotate the indices ..; return n } }` does its arithmetic
//!   once);
//! - a direct recursive call adds 10, once;
//! - a loop that waits (blocking I/O, console output, sleep, channel sends and receives, compare-exchange
//!   retries, spinning, yielding or parking (`apis::RETRY_METHODS`, `apis::THREAD_WAIT_CALLS`), joins, `.await`,
//!   calls into foreign code or OS API crates: `apis::OS_API_CRATES`, or through a function pointer in a
//!   field in unsafe code, `(self.vk_fn)(..)`) keeps
//!   none of its score (the wait dominates it), nor does a loop without any operation;
//! - so does a loop that reads or writes a reader or writer known only by its I/O trait (`R: Read`,
//!   `impl BufRead`, `&mut dyn Write`, `Box<dyn Read>`, a field `inner: R` in `impl<R: Read>`, the iterator of
//!   its `bytes()` or `lines()`: `apis::IO_TRAITS`, `apis::IO_TRAIT_METHODS`): as far as the syntax tells it is
//!   a file or a socket. A function that reads one in a loop waits for its callers' loops too; one read per
//!   call (a helper, a buffer flush) does not: an encoder flushing its buffer to a `W: Write` is still
//!   compute. A type built over a reader (`BitReader<R>`, `BufReader<R>`) is not such a reader.
//!
//! So a body with no loop, recursion or CPU-heavy call scores 0, and so does a `const fn` without parameters:
//! it computes a constant (a lookup table, in practice at compile time); so does a body whose loops all have a
//! constant count (`0..256`, `(0..25).for_each(..)`), at most `work::FIXED_WORK_TRIPS` (1024) turns in all:
//! fixed work per call, where a constant count around a data-sized loop still multiplies its work.
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
    docs: "Scored from the work that repeats: arithmetic and indexing inside loops of data-sized trip count \
           (weighted by nesting), recursion and calls to CPU-heavy APIs; loops with small constant trip counts, \
           assertions and formatting, and loops that wait on I/O or channels do not count. Reported at a score \
           of 20 or more.",
};

pub fn message(name: &str, score: u32) -> String {
    format!("`{name}` is compute-heavy (score {score}: loops, arithmetic, indexing)")
}
