//! The letters as files: written as a stream (every PDF complete and valid,
//! page counts right, over a school of many classes) and the QR code to
//! the first-visit page.

use crate::support::TestEnv;
use std::path::Path;

#[allow(dead_code)]
#[path = "../benches/common/siecle.rs"]
mod siecle;

/// The school of the generator.
const UAI: &str = "0999002X";

/// `pdfinfo`'s page count; fails when poppler reports any error (a bad
/// cross-reference table, a truncated file).
fn pdfinfo_pages(pdf: &Path) -> usize {
    let out = std::process::Command::new("pdfinfo")
        .arg(pdf)
        .output()
        .expect("pdfinfo (poppler-utils) must be installed: .ci/run installs it");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.trim().is_empty(),
        "{}: {stderr}",
        pdf.display()
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("Pages: line")
}

/// The text of each page, read by `pdftotext` (no error allowed).
fn pdftotext_pages(pdf: &Path) -> Vec<String> {
    let out = std::process::Command::new("pdftotext")
        .args([pdf.to_str().expect("utf8"), "-"])
        .output()
        .expect("pdftotext (poppler-utils) must be installed: .ci/run installs it");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.trim().is_empty(),
        "{}: {stderr}",
        pdf.display()
    );
    let text = String::from_utf8(out.stdout).expect("utf8");
    let mut pages: Vec<String> = text.split('\u{c}').map(str::to_owned).collect();
    // pdftotext ends every page with a form feed.
    assert_eq!(pages.pop().as_deref(), Some(""), "{}", pdf.display());
    pages
}

/// The number after `before` in the output of `letters`.
fn figure(out: &str, before: &str) -> usize {
    out.split(before)
        .next()
        .and_then(|s| s.split_whitespace().last())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no figure before {before:?} in:\n{out}"))
}

/// A school of 240 pupils in 12 classes and 200 guardians, imported.
fn big_school(env: &TestEnv) {
    let dir = env.path().join("in");
    std::fs::create_dir_all(&dir).expect("mkdir");
    siecle::generate(&dir, 240, 100).expect("generate");
    env.sesame(&[
        "import",
        "in/ElevesSansAdresses.xml",
        "in/ResponsablesAvecAdresses.xml",
    ])
    .ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_letters_of_a_school_of_many_classes_are_complete_valid_pdfs() {
    let env = TestEnv::new();
    big_school(&env);
    let out = env.sesame(&["letters", "--uai", UAI, "--out", "l"]).ok();
    let guardians = figure(&out, " responsable(s),");
    let pupils = figure(&out, " Code(s) Activation Élève");
    assert_eq!(pupils, 240, "{out}");
    assert!(guardians > 150, "{out}");
    let dir = env.path().join("l");
    // A guardian's letter goes with the first of its children's classes:
    // some classes have none.
    for (stem, letters, heading, class_files) in [
        (
            "lettres-responsables",
            guardians,
            "Pour créer votre compte",
            2..=12,
        ),
        ("lettres-eleves", pupils, "Pour créer ton compte", 12..=12),
    ] {
        let whole = dir.join(format!("{stem}-{UAI}.pdf"));
        assert_eq!(pdfinfo_pages(&whole), letters, "{stem}");
        let whole_pages = pdftotext_pages(&whole);
        assert_eq!(whole_pages.len(), letters, "{stem}");
        // Every class file is valid; together they hold every letter once,
        // in the order of the whole-school file.
        let mut classes: Vec<_> = std::fs::read_dir(&dir)
            .expect("dir")
            .map(|e| e.expect("entry").path())
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(&format!("{stem}-{UAI}-classe-")))
            })
            .collect();
        classes.sort();
        assert!(class_files.contains(&classes.len()), "{stem}: {classes:?}");
        let mut concatenated = Vec::new();
        for class in &classes {
            let pages = pdftotext_pages(class);
            assert_eq!(pdfinfo_pages(class), pages.len(), "{}", class.display());
            assert!(!pages.is_empty(), "{}", class.display());
            concatenated.extend(pages);
        }
        assert_eq!(
            concatenated, whole_pages,
            "{stem}: class files = whole file"
        );
        for page in &whole_pages {
            assert!(page.contains(heading), "{page}");
            assert!(page.contains("Première visite"), "{page}");
        }
        // No half-written file is left behind.
        assert!(
            !std::fs::read_dir(&dir).expect("dir").any(|e| e
                .expect("entry")
                .path()
                .to_string_lossy()
                .ends_with(".part")),
            "a .part file remains"
        );
    }
}

/// The dark modules the PDF's QR form XObject draws (`x y w h re` runs in
/// module units, quiet zone of 4), as a square matrix row by row from the
/// top, with the side the form declares.
fn drawn_qr(pdf: &[u8]) -> Vec<Vec<bool>> {
    let text = String::from_utf8_lossy(pdf);
    let form = text.find("/Subtype /Form").expect("a form XObject");
    let bbox = &text[form..];
    let side: usize = bbox
        .split("/BBox [0 0 ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .expect("BBox");
    let stream = bbox.split("stream\n").nth(1).expect("stream");
    let stream = stream.split("\nendstream").next().expect("endstream");
    let mut grid = vec![vec![false; side]; side];
    let mut nums: Vec<f32> = Vec::new();
    for token in stream.split_whitespace() {
        if token == "re" {
            let [x, y, w, h] = nums[nums.len() - 4..] else {
                panic!("re")
            };
            assert_eq!(h, 1.0, "one module high");
            for dx in 0..w as usize {
                grid[side - 1 - y as usize][x as usize + dx] = true;
            }
            nums.clear();
        } else if let Ok(n) = token.parse() {
            nums.push(n);
        }
    }
    // Without the quiet zone, which must be white.
    let width = side - 8;
    for (r, row) in grid.iter().enumerate() {
        for (c, dark) in row.iter().enumerate() {
            let inside = (4..4 + width).contains(&r) && (4..4 + width).contains(&c);
            assert!(
                inside || !dark,
                "module ({r}, {c}) of the quiet zone is dark"
            );
        }
    }
    grid[4..4 + width]
        .iter()
        .map(|row| row[4..4 + width].to_vec())
        .collect()
}

fn qr_matrix(url: &str) -> Vec<Vec<bool>> {
    let code = qrcode::QrCode::with_error_correction_level(url, qrcode::EcLevel::M).expect("qr");
    code.to_colors()
        .chunks(code.width())
        .map(|row| row.iter().map(|c| *c == qrcode::Color::Dark).collect())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn each_letter_carries_a_qr_code_of_the_first_visit_page_never_of_its_code() {
    let env = TestEnv::new();
    env.import_samples();
    let public = [("SESAME__SERVER__PUBLIC_URL", "https://sesame.example.org/")];
    env.sesame_with(
        &["letters", "--uai", crate::support::UAI, "--out", "q"],
        &public,
    )
    .ok();
    let dir = env.path().join("q");
    for (stem, url) in [
        (
            "lettres-responsables",
            "https://sesame.example.org/premiere-visite/parent",
        ),
        (
            "lettres-eleves",
            "https://sesame.example.org/premiere-visite/eleve",
        ),
    ] {
        let whole = dir.join(format!("{stem}-{}.pdf", crate::support::UAI));
        let bytes = std::fs::read(&whole).expect("pdf");
        let drawn = drawn_qr(&bytes);
        assert_eq!(drawn, qr_matrix(url), "{stem}: the QR code encodes {url}");
        // Every page draws it.
        let pages = pdfinfo_pages(&whole);
        let uses = String::from_utf8_lossy(&bytes).matches("/Qr 5 0 R").count();
        assert_eq!(uses, pages, "{stem}: one QR code per page");
        // The codes of the letters: none is what the QR code holds, and
        // the code of another URL is a different drawing.
        let csv = std::fs::read_to_string(whole.with_extension("csv")).expect("csv");
        let codes: Vec<&str> = csv
            .lines()
            .skip(1)
            .filter_map(|l| l.split(';').rev().nth(1))
            .collect();
        assert!(!codes.is_empty());
        for code in codes {
            assert!(!url.contains(code) && !url.contains(&code.replace('-', "")));
            assert_ne!(
                drawn,
                qr_matrix(&format!("{url}?code={code}")),
                "{stem}: the QR code holds the code"
            );
        }
        for page in pdftotext_pages(&whole) {
            assert!(page.contains(url), "{stem}: the address beside the QR code");
        }
    }
}
