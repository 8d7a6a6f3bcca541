//! « Ce n'est pas mon enfant » (issue 16 §8): where a parent's report of a
//! child that is not theirs stands. Stored as short names; parsed once
//! when read.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Where a report stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReportState {
    /// Waiting for the school: the link is suspended.
    Open,
    /// The school found the link right: it was put back.
    Restored,
    /// The school confirmed the error: the link stays removed, and the
    /// account cannot take that child back with a code.
    Removed,
}

impl ReportState {
    /// The short name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            ReportState::Open => "open",
            ReportState::Restored => "restored",
            ReportState::Removed => "removed",
        }
    }

    /// Reads the short name stored in the database.
    pub fn from_db(s: &str) -> Option<Self> {
        match s {
            "open" => Some(ReportState::Open),
            "restored" => Some(ReportState::Restored),
            "removed" => Some(ReportState::Removed),
            _ => None,
        }
    }
}

impl fmt::Display for ReportState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_read_back_what_is_stored() {
        for s in [
            ReportState::Open,
            ReportState::Restored,
            ReportState::Removed,
        ] {
            assert_eq!(ReportState::from_db(s.as_str()), Some(s));
        }
        assert_eq!(ReportState::from_db("closed"), None);
    }
}
