//! Opening import files: plain XML or CSV, or a ZIP archive of them.

use super::error::ImportError;
use super::limits::{FileLimit, read_error};
use std::io::{BufRead, BufReader};
use std::path::Path;

/// The kind of a file, from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// XML (a SIECLE export).
    Xml,
    /// Anything else is read as CSV.
    Csv,
}

fn sniff(head: &[u8]) -> Kind {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let first = head.iter().find(|b| !b.is_ascii_whitespace());
    if first == Some(&b'<') {
        Kind::Xml
    } else {
        Kind::Csv
    }
}

/// What is done with each input: its label, kind and reader.
pub type Visit<'a> = &'a mut dyn FnMut(&str, Kind, &mut dyn BufRead) -> Result<(), ImportError>;

/// Calls `each` for every file to import in `path`: the file itself, or every
/// `.xml` and `.csv` entry of a ZIP archive, in archive order.
pub fn for_each_input(path: &Path, each: Visit<'_>) -> Result<(), ImportError> {
    let shown = path.display().to_string();
    let file = std::fs::File::open(path)
        .map_err(|e| ImportError::file(&shown, format!("impossible d'ouvrir le fichier : {e}")))?;
    let mut reader = BufReader::with_capacity(256 * 1024, FileLimit::new(file));
    let head = reader.fill_buf().map_err(|e| read_error(&shown, &e))?;
    if head.starts_with(b"PK\x03\x04") {
        let file = reader.into_inner().into_inner();
        let mut archive = zip::ZipArchive::new(file)
            .map_err(|e| ImportError::file(&shown, format!("archive ZIP illisible : {e}")))?;
        let mut found = 0;
        for i in 0..archive.len() {
            let entry = archive
                .by_index(i)
                .map_err(|e| ImportError::file(&shown, format!("archive ZIP illisible : {e}")))?;
            let name = entry.name().to_owned();
            let lower = name.to_ascii_lowercase();
            if entry.is_dir() || !(lower.ends_with(".xml") || lower.ends_with(".csv")) {
                continue;
            }
            found += 1;
            let label = format!("{shown}!{name}");
            // Security: the decompressed bytes are counted as they come; the
            // sizes the archive declares are not trusted.
            let mut r = BufReader::with_capacity(256 * 1024, FileLimit::new(entry));
            let head = r
                .fill_buf()
                .map_err(|e| match super::limits::Exceeded::of(&e) {
                    Some(_) => read_error(&label, &e),
                    None => ImportError::file(&label, format!("décompression impossible : {e}")),
                })?;
            let kind = sniff(head);
            each(&label, kind, &mut r)?;
        }
        if found == 0 {
            return Err(ImportError::file(
                &shown,
                "l'archive ne contient aucun fichier .xml ou .csv",
            ));
        }
        return Ok(());
    }
    let kind = sniff(head);
    each(&shown, kind, &mut reader)
}
