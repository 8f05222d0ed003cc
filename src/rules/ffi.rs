//! Rule `ffi`: a call into an `extern` function (declared in an `extern` block of the crate, or `libc::`).
//! Compiler intrinsics declared in an `extern` block (`extern "unadjusted"`, `link_name = "llvm.*"`) are not
//! foreign code.

use super::Rule;
use crate::vocab::{FindingKind, Level};

pub const RULE: Rule = Rule {
    kind: FindingKind::Ffi,
    level: Level::Note,
    summary: "a call into an extern function",
    help: "check that the foreign code is thread-safe before calling it from several threads; processes are safe",
    docs: "Foreign libraries may keep global state or be non-reentrant; the compiler cannot check them.",
};

pub fn message(path: &str) -> String {
    format!("`{path}` calls into foreign code")
}
