//! Rule `lock-order`: two locks acquired in opposite orders on two paths (a possible deadlock).

use super::Rule;
use crate::vocab::{FindingKind, Level};

pub const RULE: Rule = Rule {
    kind: FindingKind::LockOrder,
    level: Level::Error,
    summary: "two locks acquired in opposite orders on two paths (possible deadlock)",
    help: "pick one global order for these locks and acquire them in that order everywhere",
    docs: "If one thread holds A and waits for B while another holds B and waits for A, both wait forever. \
           Reported on the inner acquisition of each of the two paths.",
};

pub fn message(first: &str, second: &str, other_fn: &str, other_line: u32) -> String {
    format!(
        "`{second}` is locked while `{first}` is held, but `{other_fn}` (line {other_line}) locks them in the \
         opposite order"
    )
}
