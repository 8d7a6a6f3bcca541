//! `sesame codes` and `sesame letters`: generation, storage as HMACs only,
//! regeneration, tolerant input, letters (PDF and CSV).

use crate::support::fixtures::printed_codes;
use crate::support::{TestEnv, UAI};
use std::collections::HashSet;

const ALPHABET: &str = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

#[tokio::test(flavor = "multi_thread")]
async fn codes_are_generated_once_per_pair_and_pupil_and_stored_as_hmacs_only() {
    let env = TestEnv::new();
    env.import_samples();
    let out = env
        .sesame(&["codes", "generate", "--uai", UAI, "--out", "lettres"])
        .ok();
    assert!(
        out.contains(
            "10 Code(s) Activation Responsable pour 8 responsable(s), 6 Code(s) Activation Élève"
        ),
        "{out}"
    );
    let codes = printed_codes(&out);
    assert_eq!(codes.len(), 16, "{out}");
    let unique: HashSet<&String> = codes.iter().collect();
    assert_eq!(unique.len(), 16, "codes are unique");
    for c in &codes {
        let raw: String = c.chars().filter(|c| *c != '-').collect();
        assert_eq!(raw.len(), 13);
        assert!(raw.chars().all(|ch| ALPHABET.contains(ch)), "{c}");
    }
    // The pupil who left gets nothing; the contact (level 3) gets nothing.
    assert!(!out.contains("Inès"), "{out}");
    assert!(!out.contains("Monique"), "{out}");

    // Only HMAC-SHA256 values are stored, never the codes.
    assert_eq!(env.count("SELECT COUNT(*) FROM activation_codes").await, 16);
    let hmacs = env.rows("SELECT code_hmac FROM activation_codes").await;
    for h in &hmacs {
        let h = h[0].as_deref().expect("hmac");
        assert_eq!(h.len(), 64);
        assert!(h.chars().all(|c| c.is_ascii_hexdigit()));
    }
    if !env.is_postgres() {
        let mut bytes = std::fs::read(env.path().join("data/sesame.db")).expect("db file");
        bytes.extend(std::fs::read(env.path().join("data/sesame.db-wal")).unwrap_or_default());
        let hay = String::from_utf8_lossy(&bytes);
        for c in &codes {
            let raw: String = c.chars().filter(|c| *c != '-').collect();
            assert!(
                !hay.contains(&raw) && !hay.contains(c.as_str()),
                "code {c} found in the database file"
            );
        }
    }

    // Running again issues nothing: every pair already has a valid code.
    let out = env
        .sesame(&["codes", "generate", "--uai", UAI, "--out", "lettres-bis"])
        .ok();
    assert!(
        out.contains(
            "0 Code(s) Activation Responsable pour 0 responsable(s), 0 Code(s) Activation Élève"
        ),
        "{out}"
    );
    assert!(out.contains("Aucun nouveau code"), "{out}");
    assert!(printed_codes(&out).is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn typed_codes_are_read_tolerantly_and_regeneration_revokes_the_old_ones() {
    let env = TestEnv::new();
    env.import_samples();
    let out = env
        .sesame(&["codes", "generate", "--uai", UAI, "--out", "lettres"])
        .ok();
    let first = printed_codes(&out);
    let code = &first[0];

    let ok = env.sesame(&["codes", "verify", code]).ok();
    assert!(ok.contains("état : valide") && ok.contains(UAI), "{ok}");
    // Case, spaces, missing dashes, O for 0 and I/L for 1 are forgiven.
    let sloppy: String = code
        .to_lowercase()
        .replace('-', " ")
        .replace('0', "o")
        .replace('1', "l");
    let ok = env
        .sesame(&["codes", "verify", &format!("  {sloppy} ")])
        .ok();
    assert!(ok.contains("état : valide"), "{sloppy}: {ok}");
    let err = env
        .sesame(&["codes", "verify", "ABCD-EFGH-JKMN"])
        .fails_with(4);
    assert!(err.contains("13 caractères"), "{err}");
    let err = env
        .sesame(&["codes", "verify", "ABCD-EFGH-JKMNU"])
        .fails_with(4);
    assert!(err.contains("chiffres et des lettres"), "{err}");
    let err = env
        .sesame(&["codes", "verify", "0000-0000-00000"])
        .fails_with(4);
    assert!(err.contains("code inconnu"), "{err}");

    let out = env
        .sesame(&[
            "codes",
            "generate",
            "--uai",
            UAI,
            "--regenerate",
            "--out",
            "lettres2",
        ])
        .ok();
    assert!(out.contains("16 ancien(s) code(s) révoqué(s)"), "{out}");
    let second = printed_codes(&out);
    assert_eq!(second.len(), 16);
    assert!(second.iter().all(|c| !first.contains(c)));
    for old in &first {
        let err = env.sesame(&["codes", "verify", old]).fails_with(4);
        assert!(err.contains("révoqué"), "{err}");
    }
    let ok = env.sesame(&["codes", "verify", &second[3]]).ok();
    assert!(ok.contains("état : valide"), "{ok}");
}

#[tokio::test(flavor = "multi_thread")]
async fn codes_expire_after_the_configured_validity() {
    let env = TestEnv::new();
    env.import_samples();
    let out = env
        .sesame_with(
            &["codes", "generate", "--uai", UAI, "--out", "l"],
            &[("SESAME__CODES__VALIDITY_DAYS", "1")],
        )
        .ok();
    let tomorrow = time::OffsetDateTime::now_utc().date() + time::Duration::days(1);
    let shown = format!(
        "{:02}/{:02}/{:04}",
        tomorrow.day(),
        u8::from(tomorrow.month()),
        tomorrow.year()
    );
    assert!(out.contains(&format!("valables jusqu'au {shown}")), "{out}");
}

fn pdftotext(pdf: &std::path::Path) -> String {
    let out = std::process::Command::new("pdftotext")
        .args(["-layout", pdf.to_str().expect("utf8"), "-"])
        .output()
        .expect("pdftotext (poppler-utils) must be installed: .ci/run installs it");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf8")
}

#[tokio::test(flavor = "multi_thread")]
async fn letters_have_one_page_per_guardian_with_each_childs_name_and_code() {
    let env = TestEnv::new();
    env.import_samples();
    let out = env
        .sesame(&["letters", "--uai", UAI, "--out", "courriers"])
        .ok();
    assert!(
        printed_codes(&out).is_empty(),
        "letters does not print codes on the terminal"
    );
    let dir = env.path().join("courriers");
    let pdf = dir.join("lettres-responsables-0999001W.pdf");
    assert!(out.contains("lettres-responsables-0999001W.pdf"), "{out}");
    let text = pdftotext(&pdf);
    let pages: Vec<&str> = text
        .split('\u{c}')
        .filter(|p| !p.trim().is_empty())
        .collect();
    assert_eq!(
        pages.len(),
        8,
        "one page per legal guardian with a current child"
    );

    // The mail-merge CSV holds the same codes; each page holds its guardian's children and codes.
    let csv = std::fs::read_to_string(dir.join("lettres-responsables-0999001W.csv")).expect("csv");
    let csv = csv.trim_start_matches('\u{feff}');
    let mut lines = csv.lines();
    assert!(
        lines
            .next()
            .expect("header")
            .starts_with("civilite;nom;prenom;email;adresse;enfant_prenom")
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(';').collect()).collect();
    assert_eq!(rows.len(), 10);
    for row in &rows {
        let (first, child, code) = (row[2], row[5], row[9]);
        let page = pages
            .iter()
            .find(|p| p.contains(&format!("{first} {}", row[1])))
            .unwrap_or_else(|| panic!("no page for {first} {}", row[1]));
        assert!(page.contains(child), "{child} missing on {first}'s page");
        assert!(page.contains(code), "{code} missing on {first}'s page");
    }
    let sophie = pages
        .iter()
        .find(|p| p.contains("Sophie MARTIN"))
        .expect("Sophie's letter");
    assert!(
        sophie.contains("Camille") && sophie.contains("Jean-Baptiste"),
        "{sophie}"
    );
    assert!(
        sophie.contains("Première visite") && sophie.contains("http://localhost:8080/"),
        "{sophie}"
    );
    assert!(sophie.contains("12 RUE DES EXEMPLES"), "{sophie}");
    let karim = pages
        .iter()
        .find(|p| p.contains("Karim PETIT"))
        .expect("Karim's letter");
    assert!(karim.contains("SACRÉ-CŒUR"), "{karim}");

    // Pupils' letters: one per current pupil.
    let pupils = pdftotext(&dir.join("lettres-eleves-0999001W.pdf"));
    let pages: Vec<&str> = pupils
        .split('\u{c}')
        .filter(|p| !p.trim().is_empty())
        .collect();
    assert_eq!(pages.len(), 6);
    assert!(
        pages
            .iter()
            .any(|p| p.contains("Chloé BERNARD") && p.contains("Code Activation Élève"))
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&pdf).expect("meta").permissions().mode();
        assert_eq!(
            mode & 0o077,
            0,
            "letters hold codes: owner-only permissions"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn when_letters_cannot_be_written_no_code_is_stored() {
    let env = TestEnv::new();
    env.import_samples();
    env.write("occupied", "a file where the folder should be");
    let err = env
        .sesame(&["codes", "generate", "--uai", UAI, "--out", "occupied"])
        .fails_with(4);
    assert!(err.contains("aucun code n'a été enregistré"), "{err}");
    assert_eq!(env.count("SELECT COUNT(*) FROM activation_codes").await, 0);
    let out = env
        .sesame(&["codes", "generate", "--uai", UAI, "--out", "lettres"])
        .ok();
    assert_eq!(printed_codes(&out).len(), 16);
}

#[test]
fn an_unknown_or_invalid_uai_is_refused() {
    let env = TestEnv::new();
    let err = env
        .sesame(&["codes", "generate", "--uai", "0350001L"])
        .fails_with(4);
    assert!(err.contains("aucun établissement 0350001L"), "{err}");
    let err = env
        .sesame(&["codes", "generate", "--uai", "0350001B"])
        .fails_with(4);
    assert!(err.contains("lettre de contrôle"), "{err}");
}

mod new_year;
