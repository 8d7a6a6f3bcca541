//! Notification letters: one PDF page per guardian (or pupil) with each
//! child's first name and activation code, the portal address and the
//! first-visit steps of the seed guide (§1.2), and a CSV for mail merge.
//!
//! The PDF uses the standard Helvetica font in WinAnsi encoding, which
//! covers French (é, è, à, ç, œ, «, »...): no font file to embed.

use crate::app::App;
use crate::codes::{ChildCode, GeneratedCodes};
use crate::config::Config;
use pdf_writer::{Chunk, Content, Name, Rect, Ref, Str};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use time::Date;

mod page;
mod pdf;
pub use page::Wording;
use page::*;
use pdf::*;

/// Who the letters are for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Legal guardians: Codes Activation Responsable.
    Guardians,
    /// Pupils: Codes Activation Élève.
    Pupils,
}

/// The letters of one audience, sorted by class (the letters without a
/// class last), then family name and first name.
fn letters_of(codes: &GeneratedCodes, audience: Audience) -> Vec<Letter<'_>> {
    let mut letters: Vec<Letter<'_>> = match audience {
        Audience::Guardians => codes
            .guardians
            .iter()
            .map(|g| {
                let mut recipient = vec![
                    [
                        g.civility.as_deref().unwrap_or(""),
                        &g.first_name,
                        &g.last_name,
                    ]
                    .iter()
                    .filter(|s| !s.is_empty())
                    .copied()
                    .collect::<Vec<_>>()
                    .join(" "),
                ];
                recipient.extend(
                    g.address
                        .as_deref()
                        .unwrap_or("")
                        .lines()
                        .map(str::to_owned),
                );
                let class = g.children.iter().filter_map(|c| c.class.as_deref()).min();
                Letter {
                    recipient,
                    salutation: salutation(g.civility.as_deref()),
                    children: g.children.iter().collect(),
                    class,
                    family: (&g.last_name, &g.first_name),
                }
            })
            .collect(),
        Audience::Pupils => codes
            .pupils
            .iter()
            .map(|p| Letter {
                recipient: vec![
                    format!("{} {}", p.child.first_name, p.child.last_name),
                    format!("Classe {}", p.child.class.as_deref().unwrap_or("")),
                ],
                salutation: "Bonjour,",
                children: vec![&p.child],
                class: p.child.class.as_deref(),
                family: (&p.child.last_name, &p.child.first_name),
            })
            .collect(),
    };
    letters.sort_by(|a, b| {
        (a.class.is_none(), a.class, a.family).cmp(&(b.class.is_none(), b.class, b.family))
    });
    letters
}

/// Renders the mail-merge CSV of one audience: one row per child, `;`
/// separated, UTF-8 with a byte-order mark for spreadsheet software,
/// The address the letter's QR code opens: the first-visit page of the
/// audience (`/premiere-visite/parent` or `/premiere-visite/eleve`) under
/// `server.public_url`. Never the code: a photographed letter must not
/// hand it to a web log or a phone's history.
pub fn first_visit_url(config: &Config, audience: Audience) -> String {
    let path = match audience {
        Audience::Guardians => "/premiere-visite/parent",
        Audience::Pupils => "/premiere-visite/eleve",
    };
    crate::mail::link(config, path, None)
}
/// written to `out` row by row.
pub fn csv(
    codes: &GeneratedCodes,
    audience: Audience,
    mut out: impl std::io::Write,
) -> Result<(), String> {
    out.write_all(b"\xEF\xBB\xBF").map_err(|e| e.to_string())?;
    {
        let mut w = ::csv::WriterBuilder::new()
            .delimiter(b';')
            .from_writer(&mut out);
        let valid = fr_date(codes.valid_until);
        let err = |e: ::csv::Error| e.to_string();
        match audience {
            Audience::Guardians => {
                w.write_record([
                    "civilite",
                    "nom",
                    "prenom",
                    "email",
                    "adresse",
                    "enfant_prenom",
                    "enfant_nom",
                    "enfant_date_naissance",
                    "classe",
                    "code_activation",
                    "valable_jusqu_au",
                ])
                .map_err(err)?;
                for g in &codes.guardians {
                    for c in &g.children {
                        let addr = g.address.as_deref().unwrap_or("").replace('\n', " / ");
                        w.write_record([
                            g.civility.as_deref().unwrap_or(""),
                            &g.last_name,
                            &g.first_name,
                            g.email.as_deref().unwrap_or(""),
                            &addr,
                            &c.first_name,
                            &c.last_name,
                            &fr_date(c.birth_date),
                            c.class.as_deref().unwrap_or(""),
                            &c.code,
                            &valid,
                        ])
                        .map_err(err)?;
                    }
                }
            }
            Audience::Pupils => {
                w.write_record([
                    "eleve_id",
                    "nom",
                    "prenom",
                    "date_naissance",
                    "classe",
                    "code_activation",
                    "valable_jusqu_au",
                ])
                .map_err(err)?;
                for p in &codes.pupils {
                    let c = &p.child;
                    w.write_record([
                        &p.external_id,
                        &c.last_name,
                        &c.first_name,
                        &fr_date(c.birth_date),
                        c.class.as_deref().unwrap_or(""),
                        &c.code,
                        &valid,
                    ])
                    .map_err(err)?;
                }
            }
        }
        w.flush().map_err(|e| e.to_string())?;
    }
    out.flush().map_err(|e| e.to_string())
}

/// Creates (or truncates) `path`, readable by its owner only.
fn open_private(path: &Path) -> std::io::Result<std::fs::File> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    opts.open(path)
}

/// Writes the PDF and CSV files of both audiences into `dir` (created when
/// missing, files readable by their owner only), and beside each
/// whole-school PDF one PDF per class
/// (`lettres-responsables-<UAI>-classe-<classe>.pdf`, sorted by family
/// name; a guardian's letter goes with the first of its children's
/// classes); returns the paths written.
///
/// One pass: the letters are sorted by class, so each page is drawn once
/// and written both to the whole-school file and to the file of its class,
/// which is complete when the next class starts.
pub fn write_all(app: &App, codes: &GeneratedCodes, dir: &Path) -> Result<Vec<PathBuf>, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let wording = Wording::of(app);
    let mut written = Vec::new();
    for (audience, stem, count) in [
        (
            Audience::Guardians,
            "lettres-responsables",
            codes.guardians.len(),
        ),
        (Audience::Pupils, "lettres-eleves", codes.pupils.len()),
    ] {
        if count == 0 {
            continue;
        }
        let uai = &codes.school.uai;
        let qr = qr_form(&first_visit_url(wording.config, audience))?;
        let whole_path = dir.join(format!("{stem}-{uai}.pdf"));
        let mut whole = PdfStream::create(&whole_path, &qr)?;
        let mut class_files = Vec::new();
        // The file name of each class met so far: two classes whose names
        // differ only by replaced characters ("6°1" and "6_1") get
        // distinct files.
        let mut names: BTreeMap<String, Option<&str>> = BTreeMap::new();
        let mut current: Option<(Option<&str>, PdfStream)> = None;
        for letter in letters_of(codes, audience) {
            if current.as_ref().is_none_or(|(c, _)| *c != letter.class) {
                if let Some((_, pdf)) = current.take() {
                    class_files.push(pdf.finish()?);
                }
                let file = class_file_name(letter.class);
                let mut key = file.clone();
                let mut n = 2;
                while names.get(&key).is_some_and(|c| *c != letter.class) {
                    key = format!("{file}-{n}");
                    n += 1;
                }
                names.insert(key.clone(), letter.class);
                let path = dir.join(format!("{stem}-{uai}-classe-{key}.pdf"));
                current = Some((letter.class, PdfStream::create(&path, &qr)?));
            }
            let page = page_stream(&wording, codes, audience, &letter);
            whole.page(&page)?;
            if let Some((_, pdf)) = current.as_mut() {
                pdf.page(&page)?;
            }
        }
        if let Some((_, pdf)) = current.take() {
            class_files.push(pdf.finish()?);
        }
        written.push(whole.finish()?);
        written.push(write_csv(
            codes,
            audience,
            &dir.join(format!("{stem}-{uai}.csv")),
        )?);
        class_files.sort();
        written.extend(class_files);
    }
    Ok(written)
}

fn write_csv(codes: &GeneratedCodes, audience: Audience, path: &Path) -> Result<PathBuf, String> {
    let file = open_private(path).map_err(|e| format!("{}: {e}", path.display()))?;
    csv(codes, audience, std::io::BufWriter::new(file))
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(path.to_path_buf())
}

/// A class name as a file name: letters, digits and dashes kept, anything
/// else (spaces, slashes, dots) replaced by `_`; `sans-classe` for none.
fn class_file_name(class: Option<&str>) -> String {
    match class.map(str::trim).filter(|c| !c.is_empty()) {
        None => "sans-classe".to_owned(),
        Some(c) => c
            .chars()
            .map(|c| {
                if c.is_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect(),
    }
}

/// Writes the PDF and the CSV of one audience (no class files).
fn write_audience(
    wording: &Wording<'_>,
    codes: &GeneratedCodes,
    audience: Audience,
    base: &Path,
    written: &mut Vec<PathBuf>,
) -> Result<(), String> {
    let qr = qr_form(&first_visit_url(wording.config, audience))?;
    let mut pdf = PdfStream::create(&base.with_extension("pdf"), &qr)?;
    for letter in letters_of(codes, audience) {
        pdf.page(&page_stream(wording, codes, audience, &letter))?;
    }
    written.push(pdf.finish()?);
    written.push(write_csv(codes, audience, &base.with_extension("csv"))?);
    Ok(())
}

/// Writes the one letter of a reissue (`sesame codes reissue`), PDF and
/// CSV, named after the school and the person's id so that it never
/// overwrites the school's letters: `lettre-responsable-<UAI>-<id>.pdf` or
/// `lettre-eleve-<UAI>-<id>.pdf`.
pub fn write_one(
    app: &App,
    codes: &GeneratedCodes,
    dir: &Path,
    id: &str,
) -> Result<Vec<PathBuf>, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    // Security: the id comes from an import; only safe characters reach
    // the file name.
    let id: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let (audience, stem) = if codes.guardians.is_empty() {
        (Audience::Pupils, "lettre-eleve")
    } else {
        (Audience::Guardians, "lettre-responsable")
    };
    let base = dir.join(format!("{stem}-{}-{id}", codes.school.uai));
    let mut written = Vec::new();
    write_audience(&Wording::of(app), codes, audience, &base, &mut written)?;
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_qr_code_opens_the_first_visit_page_of_the_audience_without_a_code() {
        for (public, audience, expected) in [
            (
                "https://sesame.example.org/",
                Audience::Guardians,
                "https://sesame.example.org/premiere-visite/parent",
            ),
            (
                "https://sesame.example.org/",
                Audience::Pupils,
                "https://sesame.example.org/premiere-visite/eleve",
            ),
            (
                "http://localhost:8080/",
                Audience::Guardians,
                "http://localhost:8080/premiere-visite/parent",
            ),
        ] {
            let mut config = Config::default();
            config.server.public_url = public.parse().expect("url");
            let url = first_visit_url(&config, audience);
            assert_eq!(url, expected);
            assert!(!url.contains('?') && !url.contains("code"), "{url}");
        }
    }

    #[test]
    fn the_qr_form_draws_every_dark_module_of_the_code_and_nothing_else() {
        let url = "https://sesame.example.org/premiere-visite/parent";
        let (stream, side) = qr_form(url).expect("qr");
        let code =
            qrcode::QrCode::with_error_correction_level(url, qrcode::EcLevel::M).expect("qr");
        assert_eq!(side, code.width() + 2 * QR_QUIET);
        let mut drawn = vec![false; side * side];
        let text = String::from_utf8(stream).expect("ascii");
        let mut nums: Vec<usize> = Vec::new();
        for token in text.split_whitespace() {
            match token {
                "re" => {
                    let [x, y, w, h] = nums[nums.len() - 4..] else {
                        panic!("re")
                    };
                    assert_eq!(h, 1);
                    for dx in 0..w {
                        drawn[(side - 1 - y) * side + x + dx] = true;
                    }
                    nums.clear();
                }
                t => nums.extend(t.parse::<usize>().ok()),
            }
        }
        let mut expected = vec![false; side * side];
        for (i, c) in code.to_colors().iter().enumerate() {
            let (row, col) = (i / code.width(), i % code.width());
            expected[(row + QR_QUIET) * side + col + QR_QUIET] = *c == qrcode::Color::Dark;
        }
        assert_eq!(drawn, expected);
    }
}
