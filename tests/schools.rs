//! Many schools at once and letters as a secretary hands them out:
//! `import --schools`, `letters --all`, one PDF per class, the wording the
//! configuration gives (portal link, password rule), the pupil letter.

use crate::support::samples::{GUARDIANS, PUPILS, edit};
use crate::support::{TestEnv, UAI};
use std::path::Path;

/// The second school: the samples under another UAI.
const UAI_B: &str = "0999002X";

fn pdftotext(pdf: &Path) -> String {
    let out = std::process::Command::new("pdftotext")
        .args(["-layout", pdf.to_str().expect("utf8"), "-"])
        .output()
        .expect("pdftotext (poppler-utils) must be installed: .ci/run installs it");
    assert!(
        out.status.success(),
        "{}: {}",
        pdf.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf8")
}

fn pages_of(pdf: &Path) -> Vec<String> {
    pdftotext(pdf)
        .split('\u{c}')
        .filter(|p| !p.trim().is_empty())
        .map(str::to_owned)
        .collect()
}

/// The addressee's name on a page: the first line of the window-envelope
/// block (right-hand side).
fn addressee(page: &str) -> String {
    page.lines()
        .find(|l| l.starts_with(&" ".repeat(40)) && !l.trim().is_empty())
        .expect("recipient block")
        .trim()
        .to_owned()
}

/// A page's text with line breaks and runs of spaces made one space.
fn flat(page: &str) -> String {
    page.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Both schools' exports in `in/`, the second one under [`UAI_B`].
fn two_schools(env: &TestEnv) -> Vec<String> {
    let b_pupils = edit(PUPILS, &[("<UAJ>0999001W</UAJ>", "<UAJ>0999002X</UAJ>")]);
    let b_guardians = edit(GUARDIANS, &[("<UAJ>0999001W</UAJ>", "<UAJ>0999002X</UAJ>")]);
    [
        env.write("in/a/ElevesSansAdresses.xml", PUPILS),
        env.write("in/a/ResponsablesAvecAdresses.xml", GUARDIANS),
        env.write("in/b/ElevesSansAdresses.xml", b_pupils),
        env.write("in/b/ResponsablesAvecAdresses.xml", b_guardians),
    ]
    .iter()
    .map(|p| p.to_str().expect("utf8").to_owned())
    .collect()
}

fn import_args<'a>(files: &'a [String], extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["import"];
    args.extend(files.iter().map(String::as_str));
    args.extend(extra);
    args
}

#[tokio::test(flavor = "multi_thread")]
async fn each_class_gets_its_own_pdf_sorted_by_family_name_beside_the_whole_school_file() {
    let env = TestEnv::new();
    env.import_samples();
    let out = env
        .sesame(&["letters", "--uai", UAI, "--out", "courriers"])
        .ok();
    let dir = env.path().join("courriers");
    for class in ["4B", "5A", "6A"] {
        for stem in ["lettres-eleves", "lettres-responsables"] {
            let name = format!("{stem}-{UAI}-classe-{class}.pdf");
            assert!(out.contains(&name), "{name} not listed:\n{out}");
        }
    }

    // Pupils: each class file holds exactly that class's pupils, by family
    // name; the whole-school file is the class files one after the other.
    let mut concatenated = Vec::new();
    let expected = [
        ("4B", vec!["Jean-Baptiste MARTIN", "Lucas PETIT"]),
        ("5A", vec!["Chloé BERNARD", "Noé GARNIER"]),
        ("6A", vec!["Camille MARTIN", "Léa ROBERT DIALLO"]),
    ];
    for (class, names) in &expected {
        let pages = pages_of(&dir.join(format!("lettres-eleves-{UAI}-classe-{class}.pdf")));
        let got: Vec<String> = pages.iter().map(|p| addressee(p)).collect();
        assert_eq!(&got, names, "class {class}");
        for p in &pages {
            assert!(p.contains(&format!("Classe {class}")), "{p}");
        }
        concatenated.extend(got);
    }
    let whole: Vec<String> = pages_of(&dir.join(format!("lettres-eleves-{UAI}.pdf")))
        .iter()
        .map(|p| addressee(p))
        .collect();
    assert_eq!(
        whole, concatenated,
        "whole-school file sorted by class, then name"
    );

    // Guardians: each letter in exactly one class file, the first class of
    // its children (Olivier MARTIN: Jean-Baptiste in 4B before Camille in 6A).
    let whole = pages_of(&dir.join(format!("lettres-responsables-{UAI}.pdf")));
    let mut in_classes = Vec::new();
    for (class, guardians) in [
        (
            "4B",
            vec![
                "M. Olivier MARTIN",
                "MME Sophie MARTIN",
                "M. Karim PETIT",
                "MME Élodie ROUX",
            ],
        ),
        (
            "5A",
            vec![
                "MME Nathalie BERNARD",
                "MME Hélène GARNIER",
                "M. Marc GARNIER",
            ],
        ),
        ("6A", vec!["M. Thomas ROBERT"]),
    ] {
        let pages = pages_of(&dir.join(format!("lettres-responsables-{UAI}-classe-{class}.pdf")));
        let got: Vec<String> = pages.iter().map(|p| addressee(p)).collect();
        assert_eq!(got, guardians, "class {class}");
        in_classes.extend(pages);
    }
    assert_eq!(whole.len(), 8);
    assert_eq!(in_classes, whole, "same pages, same order, no letter twice");
    let olivier = &in_classes[0];
    assert!(
        olivier.contains("Camille") && olivier.contains("Jean-Baptiste"),
        "{olivier}"
    );

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let class_file = dir.join(format!("lettres-eleves-{UAI}-classe-4B.pdf"));
        let mode = std::fs::metadata(&class_file)
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "class files hold codes: owner-only");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_schools_file_names_every_school_and_letters_all_writes_one_folder_each() {
    let env = TestEnv::new();
    let files = two_schools(&env);
    let schools = env.write(
        "etablissements.csv",
        "uai;nom\r\n0999001W;Collège Les Pins\r\n0999002x;\"Lycée \"\"Les Chênes\"\"\"\r\n",
    );
    let schools = schools.to_str().expect("utf8");
    let out = env
        .sesame(&import_args(&files, &["--schools", schools]))
        .ok();
    assert!(out.contains(UAI) && out.contains(UAI_B), "{out}");

    let out = env.sesame(&["letters", "--all", "--out", "rentree"]).ok();
    assert!(out.contains("2 établissement(s) traité(s)"), "{out}");
    for (uai, name) in [(UAI, "Collège Les Pins"), (UAI_B, "Lycée \"Les Chênes\"")] {
        let dir = env.path().join("rentree").join(uai);
        for stem in ["lettres-responsables", "lettres-eleves"] {
            let pdf = dir.join(format!("{stem}-{uai}.pdf"));
            let pages = pages_of(&pdf);
            assert!(!pages.is_empty(), "{}", pdf.display());
            for p in &pages {
                assert!(p.contains(&format!("{name} (UAI {uai})")), "{p}");
            }
            assert!(dir.join(format!("{stem}-{uai}.csv")).exists());
            assert!(dir.join(format!("{stem}-{uai}-classe-6A.pdf")).exists());
        }
    }
    let folders = std::fs::read_dir(env.path().join("rentree"))
        .expect("out")
        .map(|e| e.expect("entry").file_name().into_string().expect("utf8"))
        .collect::<std::collections::BTreeSet<_>>();
    assert_eq!(folders, [UAI.to_owned(), UAI_B.to_owned()].into());
    // 16 codes per school, each school's letters in their own folder.
    assert_eq!(env.count("SELECT COUNT(*) FROM activation_codes").await, 32);

    // A second run skips what is done, school by school.
    let out = env.sesame(&["letters", "--all", "--out", "encore"]).ok();
    assert_eq!(out.matches("Aucun nouveau code").count(), 2, "{out}");

    // --uai and --all: one or the other.
    let err = env
        .sesame(&["letters", "--all", "--uai", UAI, "--out", "x"])
        .fails_with(2);
    assert!(err.contains("--all") || err.contains("--uai"), "{err}");
    let err = env.sesame(&["letters", "--out", "x"]).fails_with(2);
    assert!(err.contains("--uai") || err.contains("--all"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn one_school_name_for_several_schools_is_refused_and_nothing_is_written() {
    let env = TestEnv::new();
    let files = two_schools(&env);
    let err = env
        .sesame(&import_args(&files, &["--school-name", "Collège Unique"]))
        .fails_with(4);
    assert!(err.contains("rien n'a été écrit"), "{err}");
    assert!(err.contains("--schools") && err.contains(UAI_B), "{err}");
    assert_eq!(env.count("SELECT COUNT(*) FROM schools").await, 0);
    assert_eq!(env.count("SELECT COUNT(*) FROM pupils").await, 0);

    // One school: --school-name still names it.
    let out = env
        .sesame(&[
            "import",
            &files[0],
            &files[1],
            "--school-name",
            "Collège Unique",
        ])
        .ok();
    assert!(out.contains("Import terminé"), "{out}");
    let rows = env.rows("SELECT name FROM schools").await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0][0].as_deref(), Some("Collège Unique"));

    // A school missing from the schools file is imported, with a warning.
    let schools = env.write("s.csv", "0999001W;Collège Les Pins\n");
    let out = env
        .sesame(&import_args(
            &files,
            &["--schools", schools.to_str().expect("utf8")],
        ))
        .ok();
    assert!(
        out.contains("0999002X absent du fichier des établissements"),
        "{out}"
    );
    assert_eq!(env.count("SELECT COUNT(*) FROM schools").await, 2);
    let rows = env
        .rows("SELECT name FROM schools WHERE uai = '0999001W'")
        .await;
    assert_eq!(rows[0][0].as_deref(), Some("Collège Les Pins"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_schools_file_is_refused_naming_the_line() {
    let env = TestEnv::new();
    let files = two_schools(&env);
    let cases: [(&str, &[u8], &str); 5] = [
        (
            "check letter",
            b"uai;nom\n0999001W;A\n0999002Y;B\n",
            "ligne 3, colonne « uai » : « 0999002Y » n'est pas un UAI valide",
        ),
        (
            "shape",
            b"0999001W;A\n\n12345;B\n",
            "ligne 3, colonne « uai » : « 12345 » n'est pas un UAI",
        ),
        (
            "no separator",
            b"uai;nom\n0999001W Coll\xc3\xa8ge\n",
            "ligne 2, format : il faut « uai;nom »",
        ),
        (
            "duplicate",
            b"0999001W;A\n0999002X;B\n0999001w;C\n",
            "ligne 3, colonne « uai » : 0999001W figure déjà ligne 1",
        ),
        (
            "not UTF-8",
            b"0999001W;A\n0999002X;Lyc\xe9e\n",
            "ligne 2, encodage",
        ),
    ];
    for (what, text, message) in cases {
        let schools = env.write("bad.csv", text);
        let err = env
            .sesame(&import_args(
                &files,
                &["--schools", schools.to_str().expect("utf8")],
            ))
            .fails_with(4);
        assert!(err.contains("bad.csv"), "{what}: {err}");
        assert!(err.contains(message), "{what}: {err}");
        assert!(err.contains("rien n'a été écrit"), "{what}: {err}");
    }
    assert_eq!(env.count("SELECT COUNT(*) FROM schools").await, 0);
    let err = env
        .sesame(&import_args(&files, &["--schools", "absent.csv"]))
        .fails_with(4);
    assert!(err.contains("absent.csv"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_letters_name_the_configured_link_and_password_rule_and_pupils_read_tu() {
    let env = TestEnv::new();
    env.import_samples();
    env.sesame(&["letters", "--uai", UAI, "--out", "defaut"])
        .ok();
    let guardian = flat(&pdftotext(
        &env.path()
            .join(format!("defaut/lettres-responsables-{UAI}.pdf")),
    ));
    assert!(
        guardian.contains("cliquez sur « Je me connecte »"),
        "{guardian}"
    );
    assert!(
        guardian.contains("(8 caractères minimum, chiffres ET lettres obligatoires)"),
        "{guardian}"
    );

    env.sesame_with(
        &["letters", "--uai", UAI, "--regenerate", "--out", "config"],
        &[
            ("SESAME__BRANDING__PORTAL_LINK_LABEL", "Accéder à mon ENT"),
            ("SESAME__PASSWORD__MIN_LENGTH", "12"),
            ("SESAME__PASSWORD__POLICY", "cnil"),
        ],
    )
    .ok();
    let dir = env.path().join("config");
    let guardians = pages_of(&dir.join(format!("lettres-responsables-{UAI}.pdf")));
    let pupils = pages_of(&dir.join(format!("lettres-eleves-{UAI}.pdf")));
    assert_eq!((guardians.len(), pupils.len()), (8, 6));
    for p in &guardians {
        let p = flat(p);
        assert!(p.contains("cliquez sur « Accéder à mon ENT »"), "{p}");
        assert!(!p.contains("Je me connecte"), "{p}");
        assert!(
            p.contains("(12 caractères minimum, avec au moins 3 types de caractères"),
            "{p}"
        );
        assert!(!p.contains("8 caractères"), "{p}");
        assert!(
            p.contains("Un courriel de confirmation vous est envoyé"),
            "{p}"
        );
    }
    for p in &pupils {
        let p = flat(p);
        assert!(p.contains("clique sur « Accéder à mon ENT »"), "{p}");
        assert!(
            p.contains("(12 caractères minimum, avec au moins 3 types"),
            "{p}"
        );
        assert!(p.contains("Ton compte est actif tout de suite"), "{p}");
        assert!(
            !p.contains("confirmation"),
            "no confirmation mail promised: {p}"
        );
        // « tu » throughout: outside the screen's own labels quoted « … »
        // and the help text of the configuration, no « vous ».
        let mut own = String::new();
        let mut rest = p.split("Pour toute question").next().expect("text");
        while let Some(start) = rest.find('«') {
            own.push_str(&rest[..start]);
            rest = rest[start..].split_once('»').map_or("", |(_, r)| r);
        }
        own.push_str(rest);
        for word in own.split(|c: char| !c.is_alphabetic()) {
            let w = word.to_lowercase();
            assert!(
                !matches!(w.as_str(), "vous" | "votre" | "vos"),
                "« {word} » in a pupil letter: {own}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_empty_portal_link_label_is_refused_naming_the_key() {
    let env = TestEnv::new();
    let err = env
        .sesame_with(
            &["check-config"],
            &[("SESAME__BRANDING__PORTAL_LINK_LABEL", " ")],
        )
        .fails_with(3);
    assert!(err.contains("branding.portal_link_label"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn letters_all_stops_at_a_school_that_fails_and_says_how_far_it_went() {
    let env = TestEnv::new();
    let files = two_schools(&env);
    env.sesame(&import_args(&files, &[])).ok();
    // The second school's folder cannot be made: a file is in the way.
    env.write(
        &format!("rentree/{UAI_B}"),
        "a file where the folder should be",
    );
    let err = env
        .sesame(&["letters", "--all", "--out", "rentree"])
        .fails_with(4);
    assert!(err.contains(UAI_B), "{err}");
    assert!(err.contains("aucun code n'a été enregistré"), "{err}");
    assert!(
        err.contains("1 établissement(s) sur 2 traité(s) avant l'erreur"),
        "{err}"
    );
    // The first school's letters and codes stay; the second one has none.
    assert!(
        env.path()
            .join(format!("rentree/{UAI}/lettres-eleves-{UAI}.pdf"))
            .exists()
    );
    assert_eq!(env.count("SELECT COUNT(*) FROM activation_codes").await, 16);
    // Once the way is clear, running again finishes the job.
    std::fs::remove_file(env.path().join(format!("rentree/{UAI_B}"))).expect("rm");
    let out = env.sesame(&["letters", "--all", "--out", "rentree"]).ok();
    assert!(out.contains("2 établissement(s) traité(s)"), "{out}");
    assert_eq!(env.count("SELECT COUNT(*) FROM activation_codes").await, 32);
    assert!(
        env.path()
            .join(format!(
                "rentree/{UAI_B}/lettres-eleves-{UAI_B}-classe-5A.pdf"
            ))
            .exists()
    );
}
