//! Rule `channel`: message passing (std, crossbeam, flume, tokio, async-channel, futures channels).

use super::Rule;
use crate::vocab::{FindingKind, Level};

pub const RULE: Rule = Rule {
    kind: FindingKind::Channel,
    level: Level::Note,
    summary: "a channel construction site",
    help: "channels fit threads and tasks; between processes they must become pipes or sockets",
    docs: "Reported where the channel is created.",
};

pub fn message(what: &str) -> String {
    format!("`{what}` creates a channel")
}
