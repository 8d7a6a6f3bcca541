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

mod pdf;
use pdf::*;

const PAGE_W: f32 = 595.0;
const PAGE_H: f32 = 842.0;
const MARGIN: f32 = 56.0;
const REGULAR: Name<'static> = Name(b"F1");
const BOLD: Name<'static> = Name(b"F2");

/// Who the letters are for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Legal guardians: Codes Activation Responsable.
    Guardians,
    /// Pupils: Codes Activation Élève.
    Pupils,
}

/// Encodes text in WinAnsi (Windows-1252) for the standard PDF fonts.
fn winansi(s: &str) -> Vec<u8> {
    let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(s);
    bytes.into_owned()
}

fn fr_date(d: Date) -> String {
    format!("{:02}/{:02}/{:04}", d.day(), u8::from(d.month()), d.year())
}

/// Lays out text lines on one page.
struct PageWriter {
    content: Content,
    y: f32,
}

impl PageWriter {
    fn new() -> Self {
        Self {
            content: Content::new(),
            y: PAGE_H - MARGIN,
        }
    }

    fn at(&mut self, font: Name<'_>, size: f32, x: f32, y: f32, text: &str) {
        self.content.begin_text();
        self.content.set_font(font, size);
        self.content.next_line(x, y);
        self.content.show(Str(&winansi(text)));
        self.content.end_text();
    }

    fn line(&mut self, font: Name<'_>, size: f32, text: &str) {
        self.at(font, size, MARGIN, self.y, text);
        self.y -= size * 1.45;
    }

    /// Writes a paragraph, wrapped on word boundaries.
    fn para(&mut self, font: Name<'_>, size: f32, indent: f32, text: &str) {
        let max = ((PAGE_W - 2.0 * MARGIN - indent) / (size * 0.5)) as usize;
        let mut line = String::new();
        for word in text.split_whitespace() {
            if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > max {
                self.at(font, size, MARGIN + indent, self.y, &line);
                self.y -= size * 1.35;
                line.clear();
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        if !line.is_empty() {
            self.at(font, size, MARGIN + indent, self.y, &line);
            self.y -= size * 1.35;
        }
    }

    fn gap(&mut self, h: f32) {
        self.y -= h;
    }

    fn rule(&mut self) {
        self.content.set_line_width(0.5);
        self.content.move_to(MARGIN, self.y + 12.0);
        self.content.line_to(PAGE_W - MARGIN, self.y + 12.0);
        self.content.stroke();
    }
}

fn salutation(civility: Option<&str>) -> &'static str {
    match civility.map(|c| c.trim().to_ascii_uppercase()) {
        Some(c) if c.starts_with("MME") || c.starts_with("MLLE") => "Madame,",
        Some(c) if c.starts_with('M') => "Monsieur,",
        _ => "Madame, Monsieur,",
    }
}

struct Letter<'a> {
    recipient: Vec<String>,
    salutation: &'static str,
    children: Vec<&'a ChildCode>,
    /// The class the letter is handed out in: the pupil's, or the first
    /// (in class order) of the guardian's children.
    class: Option<&'a str>,
    /// Family name, then first name: the order within a class.
    family: (&'a str, &'a str),
}

/// What a letter states from the configuration.
pub struct Wording<'a> {
    /// `[branding]`.
    pub config: &'a Config,
    /// The password rule as the forms state it (`[password]`).
    pub rule: String,
}

impl<'a> Wording<'a> {
    /// The wording of `app`'s configuration.
    pub fn of(app: &'a App) -> Self {
        Self {
            config: &app.config,
            rule: app.policy.rule(),
        }
    }
}

fn render_page(
    wording: &Wording<'_>,
    codes: &GeneratedCodes,
    audience: Audience,
    letter: &Letter<'_>,
) -> Vec<u8> {
    let b = &wording.config.branding;
    let rule = &wording.rule;
    let tu = audience == Audience::Pupils;
    let mut w = PageWriter::new();
    w.line(BOLD, 14.0, &b.academie);
    w.line(
        REGULAR,
        10.0,
        &format!("{} (UAI {})", codes.school.name, codes.school.uai),
    );
    // Recipient block, right-hand side, window-envelope position.
    let mut y = PAGE_H - 150.0;
    for l in &letter.recipient {
        w.at(REGULAR, 10.5, 320.0, y, l);
        y -= 14.0;
    }
    w.y = PAGE_H - 260.0;
    w.line(
        REGULAR,
        10.0,
        &format!("Le {}", fr_date(codes.generated_on)),
    );
    w.gap(6.0);
    let (code_name, profile, box_title) = match audience {
        Audience::Guardians => (
            "Code Activation Responsable",
            "Parent",
            "Vous êtes un Parent",
        ),
        Audience::Pupils => ("Code Activation Élève", "Élève", "Vous êtes un Élève"),
    };
    w.line(
        BOLD,
        11.0,
        if tu {
            "Objet : création de ton compte pour les télé-services"
        } else {
            "Objet : création de votre compte pour les télé-services"
        },
    );
    w.gap(6.0);
    w.line(REGULAR, 10.5, letter.salutation);
    w.gap(2.0);
    let intro = match audience {
        Audience::Guardians => format!(
            "Les télé-services de l'établissement vous permettent de suivre en ligne la scolarité de vos enfants. Pour y accéder, créez votre compte avec le {code_name} indiqué ci-dessous (un code par enfant)."
        ),
        Audience::Pupils => format!(
            "Les télé-services de l'établissement te permettent de suivre ta scolarité en ligne. Pour y accéder, crée ton compte avec le {code_name} indiqué ci-dessous."
        ),
    };
    w.para(REGULAR, 10.5, 0.0, &intro);
    w.gap(8.0);
    let cols = [MARGIN, MARGIN + 130.0, MARGIN + 215.0, MARGIN + 285.0];
    let y = w.y;
    for (x, h) in cols.iter().zip(["Prénom", "Né(e) le", "Classe", code_name]) {
        w.at(BOLD, 10.0, *x, y, h);
    }
    w.gap(15.0);
    w.rule();
    for c in &letter.children {
        let y = w.y;
        w.at(REGULAR, 10.5, cols[0], y, &c.first_name);
        w.at(REGULAR, 10.5, cols[1], y, &fr_date(c.birth_date));
        w.at(REGULAR, 10.5, cols[2], y, c.class.as_deref().unwrap_or(""));
        w.at(BOLD, 12.0, cols[3], y, &c.code);
        w.gap(17.0);
    }
    w.rule();
    w.gap(10.0);
    w.line(
        BOLD,
        10.5,
        if tu {
            "Pour créer ton compte :"
        } else {
            "Pour créer votre compte :"
        },
    );
    let label = &b.portal_link_label;
    let url = &b.portal_url;
    let steps: [String; 6] = if tu {
        [
            format!("1. Rends-toi à l'adresse {url} et clique sur « {label} »."),
            format!("2. Choisis le profil « {profile} »."),
            format!("3. Dans l'encadré « Première visite », rubrique « {box_title} », clique sur « créez votre compte »."),
            "4. Saisis ton prénom, ta date de naissance et le code d'activation ci-dessus.".to_owned(),
            format!("5. Choisis ton identifiant et ton mot de passe ({rule}), puis indique ton adresse électronique."),
            "6. Ton compte est actif tout de suite : tu peux te connecter aussitôt avec ton identifiant et ton mot de passe.".to_owned(),
        ]
    } else {
        [
            format!("1. Rendez-vous à l'adresse {url} et cliquez sur « {label} »."),
            format!("2. Choisissez le profil « {profile} »."),
            format!("3. Dans l'encadré « Première visite », rubrique « {box_title} », cliquez sur « créez votre compte »."),
            "4. Pour chaque enfant, saisissez son prénom, sa date de naissance et le code d'activation ci-dessus. Pour un compte joint avec l'autre responsable légal, saisissez aussi les codes qu'il a reçus.".to_owned(),
            format!("5. Choisissez votre identifiant et votre mot de passe ({rule}), puis indiquez votre adresse électronique."),
            "6. Un courriel de confirmation vous est envoyé : activez le compte avec le lien qu'il contient dans un délai d'une semaine. Au-delà, le compte est supprimé et vous pourrez le recréer avec les mêmes codes.".to_owned(),
        ]
    };
    for s in &steps {
        w.para(REGULAR, 10.0, 10.0, s);
        w.gap(2.0);
    }
    w.gap(8.0);
    let valid = fr_date(codes.valid_until);
    let help = &b.help;
    let closing = if tu {
        format!(
            "Ce code est personnel et valable jusqu'au {valid}. Ne le communique à personne : il ne sert qu'à créer ton compte, ensuite seuls ton identifiant et ton mot de passe sont demandés. Pour toute question : {help}."
        )
    } else {
        format!(
            "Ces codes sont personnels et valables jusqu'au {valid}. Ne les communiquez à personne : ils ne servent qu'à créer le compte, ensuite seuls votre identifiant et votre mot de passe sont demandés. Pour toute question : {help}."
        )
    };
    w.para(REGULAR, 10.0, 0.0, &closing);
    // The QR code (a form XObject shared by every page) and its caption.
    w.gap(10.0);
    let top = w.y + 10.0;
    w.content.save_state();
    w.content
        .transform([1.0, 0.0, 0.0, 1.0, MARGIN, (top - QR_SIZE).max(20.0)]);
    w.content.x_object(QR);
    w.content.restore_state();
    w.y = top - 10.0;
    let indent = QR_SIZE + 14.0;
    w.para(BOLD, 10.0, indent, "Première visite");
    let first_visit = first_visit_url(wording.config, audience);
    w.para(
        REGULAR,
        10.0,
        indent,
        &if tu {
            format!("Scanne ce code avec un téléphone pour ouvrir la page de création de ton compte : {first_visit}")
        } else {
            format!("Scannez ce code avec un téléphone pour ouvrir la page de création de votre compte : {first_visit}")
        },
    );
    w.content.finish().to_vec()
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
