//! The letters' PDF files written as a stream: each page goes to the
//! file as soon as it is drawn, with only the objects' byte offsets kept
//! for the cross-reference table written at the end; the QR code is one
//! form shared by every page of a file.

use super::*;

/// Side of the QR code on the page, in points (2.5 cm).
pub(super) const QR_SIZE: f32 = 72.0;
/// Modules of white around the QR code, as the standard asks.
pub(super) const QR_QUIET: usize = 4;
pub(super) const QR: Name<'static> = Name(b"Qr");

/// The QR code of `url` as a form XObject content stream in module units
/// (quiet zone included): one `re` per horizontal run of dark modules,
/// filled at once. Answers the stream and its side in modules.
pub(super) fn qr_form(url: &str) -> Result<(Vec<u8>, usize), String> {
    let code = qrcode::QrCode::with_error_correction_level(url.as_bytes(), qrcode::EcLevel::M)
        .map_err(|e| format!("code QR de {url} : {e}"))?;
    let width = code.width();
    let colors = code.to_colors();
    let side = width + 2 * QR_QUIET;
    let mut content = Content::new();
    for (row, modules) in colors.chunks(width).enumerate() {
        let y = (side - QR_QUIET - 1 - row) as f32;
        let mut col = 0;
        while col < width {
            if modules[col] == qrcode::Color::Dark {
                let start = col;
                while col < width && modules[col] == qrcode::Color::Dark {
                    col += 1;
                }
                content.rect((QR_QUIET + start) as f32, y, (col - start) as f32, 1.0);
            } else {
                col += 1;
            }
        }
    }
    content.set_fill_gray(0.0);
    content.fill_nonzero();
    Ok((content.finish().to_vec(), side))
}

/// A PDF written to its file as it is produced: each page (page object
/// and content stream) goes out when drawn, with its byte offset noted
/// for the cross-reference table; only the offsets stay in memory. The
/// file is written as `<name>.part` and renamed when complete; a stream
/// dropped unfinished (an error on the way) removes its `.part` file.
pub(super) struct PdfStream {
    done: bool,
    out: std::io::BufWriter<std::fs::File>,
    part: PathBuf,
    path: PathBuf,
    pos: usize,
    /// Byte offset of each object, by object number (0 unused).
    offsets: Vec<usize>,
    pages: Vec<Ref>,
}

pub(super) const CATALOG: Ref = Ref::new(1);
pub(super) const TREE: Ref = Ref::new(2);
pub(super) const FONT_REGULAR: Ref = Ref::new(3);
pub(super) const FONT_BOLD: Ref = Ref::new(4);
pub(super) const QR_FORM: Ref = Ref::new(5);
pub(super) const FIRST_FREE: i32 = 6;

impl PdfStream {
    pub(super) fn create(path: &Path, qr: &(Vec<u8>, usize)) -> Result<Self, String> {
        let part = path.with_extension("pdf.part");
        let file = open_private(&part).map_err(|e| format!("{}: {e}", part.display()))?;
        let mut pdf = Self {
            done: false,
            out: std::io::BufWriter::with_capacity(1 << 16, file),
            part,
            path: path.to_path_buf(),
            pos: 0,
            offsets: vec![0; FIRST_FREE as usize],
            pages: Vec::new(),
        };
        pdf.write(b"%PDF-1.7\n%\x80\x80\x80\x80\n\n")?;
        let mut c = Chunk::new();
        c.type1_font(FONT_REGULAR)
            .base_font(Name(b"Helvetica"))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
        pdf.object(FONT_REGULAR, &c)?;
        let mut c = Chunk::new();
        c.type1_font(FONT_BOLD)
            .base_font(Name(b"Helvetica-Bold"))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
        pdf.object(FONT_BOLD, &c)?;
        // The QR code is the same on every page: drawn once, in module
        // units, scaled to QR_SIZE by its matrix; left uncompressed.
        let (content, side) = qr;
        let scale = QR_SIZE / *side as f32;
        let mut c = Chunk::new();
        c.form_xobject(QR_FORM, content)
            .bbox(Rect::new(0.0, 0.0, *side as f32, *side as f32))
            .matrix([scale, 0.0, 0.0, scale, 0.0, 0.0]);
        pdf.object(QR_FORM, &c)?;
        Ok(pdf)
    }

    pub(super) fn write(&mut self, bytes: &[u8]) -> Result<(), String> {
        use std::io::Write;
        self.out
            .write_all(bytes)
            .map_err(|e| format!("{}: {e}", self.part.display()))?;
        self.pos += bytes.len();
        Ok(())
    }

    /// Writes `chunk`, which holds the one object `id`.
    pub(super) fn object(&mut self, id: Ref, chunk: &Chunk) -> Result<(), String> {
        let n = id.get() as usize;
        if self.offsets.len() <= n {
            self.offsets.resize(n + 1, 0);
        }
        self.offsets[n] = self.pos;
        self.write(chunk.as_bytes())
    }

    /// Appends a page whose content stream is `deflated` (zlib).
    pub(super) fn page(&mut self, deflated: &[u8]) -> Result<(), String> {
        let next = self.offsets.len() as i32;
        let (page_id, content_id) = (Ref::new(next), Ref::new(next + 1));
        let mut c = Chunk::new();
        let mut page = c.page(page_id);
        page.media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H));
        page.parent(TREE);
        page.contents(content_id);
        let mut res = page.resources();
        let mut fonts = res.fonts();
        fonts.pair(REGULAR, FONT_REGULAR);
        fonts.pair(BOLD, FONT_BOLD);
        drop(fonts);
        res.x_objects().pair(QR, QR_FORM);
        drop(res);
        drop(page);
        self.object(page_id, &c)?;
        let mut c = Chunk::new();
        c.stream(content_id, deflated)
            .filter(pdf_writer::Filter::FlateDecode);
        self.object(content_id, &c)?;
        self.pages.push(page_id);
        Ok(())
    }

    /// Writes the page tree, the catalog, the cross-reference table and
    /// the trailer, then renames the file to its name.
    pub(super) fn finish(mut self) -> Result<PathBuf, String> {
        use std::io::Write;
        let mut c = Chunk::new();
        c.pages(TREE)
            .kids(self.pages.iter().copied())
            .count(self.pages.len() as i32);
        self.object(TREE, &c)?;
        let mut c = Chunk::new();
        c.indirect(CATALOG)
            .start::<pdf_writer::writers::Catalog>()
            .pages(TREE);
        self.object(CATALOG, &c)?;
        let xref = self.pos;
        let mut table = format!("xref\n0 {}\n0000000000 65535 f\r\n", self.offsets.len());
        for offset in &self.offsets[1..] {
            table.push_str(&format!("{offset:010} 00000 n\r\n"));
        }
        table.push_str(&format!(
            "trailer\n<<\n  /Size {}\n  /Root {} 0 R\n>>\nstartxref\n{xref}\n%%EOF",
            self.offsets.len(),
            CATALOG.get()
        ));
        self.write(table.as_bytes())?;
        self.out
            .flush()
            .and_then(|()| self.out.get_ref().sync_all())
            .map_err(|e| format!("{}: {e}", self.part.display()))?;
        std::fs::rename(&self.part, &self.path)
            .map_err(|e| format!("{}: {e}", self.path.display()))?;
        self.done = true;
        Ok(self.path.clone())
    }
}

impl Drop for PdfStream {
    fn drop(&mut self) {
        if !self.done {
            let _ = std::fs::remove_file(&self.part);
        }
    }
}

/// One page's content stream, DEFLATE-compressed.
pub(super) fn page_stream(
    wording: &Wording<'_>,
    codes: &GeneratedCodes,
    audience: Audience,
    letter: &Letter<'_>,
) -> Vec<u8> {
    let content = render_page(wording, codes, audience, letter);
    miniz_oxide::deflate::compress_to_vec_zlib(&content, 6)
}
