//! The one error type of the tool: a one-line message plus the exit code it maps to.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub code: i32,
    pub message: String,
}

impl Error {
    /// Usage or manifest problem (exit 2).
    pub fn usage(message: impl Into<String>) -> Error {
        Error {
            code: crate::exit::USAGE,
            message: message.into(),
        }
    }
    /// The tool could not finish (exit 4).
    pub fn internal(message: impl Into<String>) -> Error {
        Error {
            code: crate::exit::INTERNAL,
            message: message.into(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;
