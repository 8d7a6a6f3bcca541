//! Import errors: where (file, line, element) and why.

use std::fmt;

/// A refused import file. Nothing of the run is written when one occurs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError {
    /// The file (and archive entry) at fault.
    pub source: String,
    /// The line, when known.
    pub line: Option<u64>,
    /// The element or column at fault, when known.
    pub element: Option<String>,
    /// Why, in French, for the school secretary.
    pub reason: String,
}

impl ImportError {
    /// An error about a whole file.
    pub fn file(source: &str, reason: impl Into<String>) -> Self {
        Self {
            source: source.to_owned(),
            line: None,
            element: None,
            reason: reason.into(),
        }
    }

    /// An error at a line and element.
    pub fn at(
        source: &str,
        line: u64,
        element: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        Self {
            source: source.to_owned(),
            line: Some(line),
            element: Some(element.into()),
            reason: reason.into(),
        }
    }
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.source)?;
        if let Some(l) = self.line {
            write!(f, ", ligne {l}")?;
        }
        if let Some(e) = &self.element {
            write!(f, ", {e}")?;
        }
        write!(f, " : {}", self.reason)
    }
}

impl std::error::Error for ImportError {}

/// Parses a SIECLE date, `jj/mm/aaaa`, strictly.
pub fn parse_date(s: &str) -> Result<time::Date, String> {
    let bad = || format!("« {s} » n'est pas une date valide (attendu jj/mm/aaaa)");
    let mut parts = s.trim().split('/');
    let (Some(d), Some(m), Some(y), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    if d.len() != 2 || m.len() != 2 || y.len() != 4 {
        return Err(bad());
    }
    let d: u8 = d.parse().map_err(|_| bad())?;
    let m: u8 = m.parse().map_err(|_| bad())?;
    let y: i32 = y.parse().map_err(|_| bad())?;
    let month = time::Month::try_from(m).map_err(|_| bad())?;
    time::Date::from_calendar_date(y, month, d).map_err(|_| bad())
}
