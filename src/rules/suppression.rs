//! Rule `suppression`: a `// concur:allow(kind) reason` comment that gives no reason, names no known kind, or
//! silences nothing.

use super::Rule;
use crate::vocab::SuppressionProblem as Problem;
use crate::vocab::{FindingKind, Level};

pub const RULE: Rule = Rule {
    kind: FindingKind::Suppression,
    level: Level::Note,
    summary: "a `concur:allow` comment without a reason, with an unknown kind, or that suppresses nothing",
    help: "write `// concur:allow(kind) why this is fine` right above the finding, or remove the comment",
    docs: "A suppression is a decision a reviewer should be able to read: it needs a reason, and one that no \
           longer matches a finding (the code moved or was fixed) should go.",
};

pub fn message(problem: Problem, kinds: &[FindingKind], detail: &str) -> String {
    let names: Vec<&str> = kinds.iter().map(|k| k.id()).collect();
    let names = names.join(", ");
    match problem {
        Problem::Malformed => {
            "`concur:allow` needs the kinds it allows in parentheses: `concur:allow(io) reason`"
                .into()
        }
        Problem::UnknownKind => {
            format!("`concur:allow({detail})`: `{detail}` is not a finding kind (see `cargo concur rules`)")
        }
        Problem::NoReason => format!("`concur:allow({names})` gives no reason"),
        Problem::Unused => format!("`concur:allow({names})` suppresses nothing here"),
    }
}
