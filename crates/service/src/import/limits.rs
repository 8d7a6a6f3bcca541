//! The size limits of an import (documented in `docs/import.md`) and the
//! readers that enforce them while streaming: nothing larger than a limit
//! is ever held in memory, whatever the sizes an archive declares.

use super::error::ImportError;
use std::io::{BufRead, Read};

/// Largest file, or archive entry once decompressed, in bytes (256 MiB).
pub const MAX_FILE_BYTES: u64 = 256 << 20;
/// Largest XML text node (text, CDATA and references together) or markup
/// item (a tag with its attributes, a comment), in bytes of UTF-8 (64 KiB).
pub const MAX_XML_ITEM_BYTES: u64 = 64 << 10;
/// Deepest nesting of XML elements (SIECLE exports nest 6 deep).
pub const MAX_XML_DEPTH: usize = 32;
/// Largest CSV field, in bytes (64 KiB).
pub const MAX_CSV_FIELD_BYTES: usize = 64 << 10;
/// Largest CSV line (record), in bytes (1 MiB).
pub const MAX_CSV_LINE_BYTES: u64 = 1 << 20;

/// Which limit a reader hit; carried inside the `io::Error` it returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exceeded {
    /// [`MAX_FILE_BYTES`].
    File,
    /// [`MAX_XML_ITEM_BYTES`].
    XmlItem,
    /// [`MAX_CSV_LINE_BYTES`].
    CsvLine,
}

impl std::fmt::Display for Exceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::File => "fichier de plus de 256 Mio une fois décompressé, la taille maximale",
            Self::XmlItem => {
                "texte ou balise de plus de 64 Kio, la taille maximale (un export SIECLE n'en contient pas d'aussi long)"
            }
            Self::CsvLine => {
                "ligne de plus de 1 Mio, la taille maximale (un guillemet non fermé ?)"
            }
        })
    }
}

impl std::error::Error for Exceeded {}

impl Exceeded {
    fn io(self) -> std::io::Error {
        std::io::Error::other(self)
    }

    /// The limit carried by `e`, if a limiting reader made it.
    pub fn of(e: &std::io::Error) -> Option<Self> {
        e.get_ref()?.downcast_ref::<Self>().copied()
    }
}

/// The message for a read error of `source`: the limit it hit, or the
/// error itself.
pub fn read_error(source: &str, e: &std::io::Error) -> ImportError {
    match Exceeded::of(e) {
        Some(limit) => ImportError::file(source, limit.to_string()),
        None => ImportError::file(source, format!("lecture impossible : {e}")),
    }
}

/// A reader that fails with [`Exceeded::File`] once more than
/// [`MAX_FILE_BYTES`] came through it. Unlike `take`, it never passes a
/// truncated file on as if it were complete.
pub struct FileLimit<R> {
    inner: R,
    read: u64,
}

impl<R> FileLimit<R> {
    /// Limits `inner`.
    pub fn new(inner: R) -> Self {
        Self { inner, read: 0 }
    }

    /// The reader below.
    pub fn into_inner(self) -> R {
        self.inner
    }
}

impl<R: Read> Read for FileLimit<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.read > MAX_FILE_BYTES {
            return Err(Exceeded::File.io());
        }
        // Security: one byte more than the limit tells a file at the limit
        // from a larger one; the archive's declared sizes are not trusted.
        let room = usize::try_from(MAX_FILE_BYTES + 1 - self.read).unwrap_or(usize::MAX);
        let n = buf.len().min(room);
        let got = self.inner.read(&mut buf[..n])?;
        self.read += got as u64;
        if self.read > MAX_FILE_BYTES {
            return Err(Exceeded::File.io());
        }
        Ok(got)
    }
}

/// A `BufRead` that counts the lines consumed (for error messages) and the
/// bytes consumed since [`ItemBudget::reset`], failing with `limit` once
/// they pass `max`: the parser above it cannot gather an item (an XML event,
/// a CSV record) larger than the budget plus one buffer.
pub struct ItemBudget<R> {
    inner: R,
    /// Lines consumed so far.
    pub lines: u64,
    used: u64,
    max: u64,
    limit: Exceeded,
}

impl<R: BufRead> ItemBudget<R> {
    /// Counts what the parser takes from `inner`.
    pub fn new(inner: R, max: u64, limit: Exceeded) -> Self {
        Self {
            inner,
            lines: 0,
            used: 0,
            max,
            limit,
        }
    }

    /// Starts a new item.
    pub fn reset(&mut self) {
        self.used = 0;
    }

    /// The reader below.
    pub fn inner_mut(&mut self) -> &mut R {
        &mut self.inner
    }

    fn count(&mut self, bytes: &[u8]) {
        self.lines += bytes.iter().filter(|b| **b == b'\n').count() as u64;
        self.used += bytes.len() as u64;
    }
}

impl<R: BufRead> Read for ItemBudget<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.used > self.max {
            return Err(self.limit.io());
        }
        let n = self.inner.read(buf)?;
        self.count(&buf[..n]);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for ItemBudget<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        // Security: the parser asks for more only while its item goes on.
        if self.used > self.max {
            return Err(self.limit.io());
        }
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        if let Ok(buf) = self.inner.fill_buf() {
            let n = amt.min(buf.len());
            let lines = buf[..n].iter().filter(|b| **b == b'\n').count() as u64;
            self.lines += lines;
            self.used += n as u64;
        }
        self.inner.consume(amt);
    }
}
