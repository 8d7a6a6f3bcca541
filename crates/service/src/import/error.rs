//! Import errors: where (file, line, element) and why.

use sesame_domain::text::terminal_safe;
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
        let mut s = self.source.clone();
        if let Some(l) = self.line {
            s.push_str(&format!(", ligne {l}"));
        }
        if let Some(e) = &self.element {
            s.push_str(&format!(", {e}"));
        }
        s.push_str(" : ");
        s.push_str(&self.reason);
        // Security: names and values from the file reach the terminal with
        // their control characters escaped.
        f.write_str(&terminal_safe(&s))
    }
}

/// Why a value holding the control character `c` is refused, in French.
pub fn control_reason(c: char) -> String {
    let what = match u32::from(c) {
        0x7f => "DEL",
        0x80..=0x9f => "de contrôle C1",
        _ => "de contrôle",
    };
    format!(
        "caractère {what} (U+{:04X}) interdit dans une valeur : corrigez la fiche dans SIECLE ou le fichier, puis recommencez l'import",
        u32::from(c)
    )
}

impl std::error::Error for ImportError {}
