//! How a command fails: an exit code (documented in `main.rs`) and a
//! message for stderr.

/// A failed command: the exit code and the message for stderr.
#[derive(Debug)]
pub struct Failure {
    /// The process's exit code.
    pub code: u8,
    /// What went wrong, for the operator.
    pub message: String,
}

impl Failure {
    /// A failure with `code` and `message`.
    pub(crate) fn new(code: u8, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

/// Exit code: the configuration is wrong.
pub(crate) const BAD_CONFIG: u8 = 3;
/// Exit code: an input (file, UAI, code) was refused.
pub(crate) const REFUSED: u8 = 4;
/// Exit code: the database or the store does not answer.
pub(crate) const UNAVAILABLE: u8 = 5;
