//! `sesame import`: SIECLE samples, idempotence, updates, refusals, encodings,
//! ZIP, legacy form, CSV.

use crate::support::samples::{self, GUARDIANS, PUPILS, edit, latin9, text};
use crate::support::{TestEnv, UAI};
use std::io::Write;

fn path(p: &std::path::Path) -> &str {
    p.to_str().expect("utf8 path")
}

/// Removes the text from `start` to the first `end` after it, inclusive.
fn cut(t: &str, start: &str, end: &str) -> String {
    let a = t.find(start).expect("start marker");
    let b = a + t[a..].find(end).expect("end marker") + end.len();
    format!("{}{}", &t[..a], &t[b..])
}

#[tokio::test(flavor = "multi_thread")]
async fn the_samples_import_with_counts_links_levels_and_accents() {
    let env = TestEnv::new();
    let out = env.import_samples().stdout();
    assert!(
        out.contains("élèves : 7 créé(s), 0 mis à jour, 0 inchangé(s), 0 parti(s)"),
        "{out}"
    );
    assert!(out.contains("responsables : 9 créé(s)"), "{out}");
    assert!(out.contains("1 ignoré(s) (sans lien"), "{out}");
    assert!(
        out.contains("liens responsable-élève : 13 créé(s)"),
        "{out}"
    );

    assert_eq!(env.count("SELECT COUNT(*) FROM schools").await, 1);
    assert_eq!(env.count("SELECT COUNT(*) FROM pupils").await, 7);
    assert_eq!(env.count("SELECT COUNT(*) FROM guardians").await, 9);
    assert_eq!(env.count("SELECT COUNT(*) FROM guardian_pupils").await, 13);
    assert_eq!(
        env.count("SELECT COUNT(*) FROM guardian_pupils WHERE level = 1")
            .await,
        12
    );
    // The grandmother is a contact (level 3), with her relationship code.
    let rows = env
        .rows("SELECT g.first_name, CAST(gp.level AS TEXT), CAST(gp.relationship AS TEXT) FROM guardian_pupils gp JOIN guardians g ON g.id = gp.guardian_id WHERE gp.level <> 1")
        .await;
    assert_eq!(
        rows,
        vec![vec![
            Some("Monique".into()),
            Some("3".into()),
            Some("38".into())
        ]]
    );
    // The person without any link is not stored.
    assert_eq!(
        env.count("SELECT COUNT(*) FROM guardians WHERE external_id = '800210'")
            .await,
        0
    );
    // Accents decoded from ISO-8859-15, including the Latin-9-only Œ and an entity.
    let names = env
        .rows("SELECT first_name FROM pupils ORDER BY first_name")
        .await;
    let names: Vec<String> = names.into_iter().filter_map(|r| r[0].clone()).collect();
    assert_eq!(
        names,
        [
            "Camille",
            "Chloé",
            "Inès",
            "Jean-Baptiste",
            "Lucas",
            "Léa",
            "Noé"
        ]
    );
    let rows = env
        .rows("SELECT address FROM guardians WHERE external_id = '800204'")
        .await;
    let address = rows[0][0].clone().expect("address");
    assert!(address.contains("SACRÉ-CŒUR"), "{address}");
    assert!(address.contains('&'), "{address}");
    let rows = env.rows("SELECT first_name, last_name FROM guardians WHERE first_name IN ('Élodie', 'Hélène', 'Sophie')").await;
    assert_eq!(rows.len(), 3, "{rows:?}");
    // Usage names win; the class is the division, not the group.
    assert!(
        rows.contains(&vec![Some("Sophie".into()), Some("MARTIN".into())]),
        "{rows:?}"
    );
    let rows = env.rows("SELECT last_name, class_code FROM pupils WHERE external_id IN ('9990105', '9990102') ORDER BY external_id").await;
    assert_eq!(rows[0], vec![Some("MARTIN".into()), Some("4B".into())]);
    assert_eq!(rows[1][0].as_deref(), Some("ROBERT DIALLO"));
    // The pupil who left is marked with her leaving date.
    let rows = env
        .rows("SELECT first_name, CAST(left_on AS TEXT) FROM pupils WHERE left_on IS NOT NULL")
        .await;
    assert_eq!(
        rows,
        vec![vec![Some("Inès".into()), Some("2024-12-20".into())]]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn importing_the_same_files_again_changes_nothing() {
    let env = TestEnv::new();
    env.import_samples();
    let before = env.rows("SELECT CAST(updated_at AS TEXT) FROM pupils UNION ALL SELECT CAST(updated_at AS TEXT) FROM guardians").await;
    let out = env.import_samples().stdout();
    assert!(
        out.contains("élèves : 0 créé(s), 0 mis à jour, 7 inchangé(s), 0 parti(s)"),
        "{out}"
    );
    assert!(
        out.contains("responsables : 0 créé(s), 0 mis à jour, 9 inchangé(s), 0 parti(s)"),
        "{out}"
    );
    assert!(
        out.contains(
            "liens responsable-élève : 0 créé(s), 0 mis à jour, 13 inchangé(s), 0 parti(s)"
        ),
        "{out}"
    );
    let after = env.rows("SELECT CAST(updated_at AS TEXT) FROM pupils UNION ALL SELECT CAST(updated_at AS TEXT) FROM guardians").await;
    assert_eq!(before, after);
    assert_eq!(env.count("SELECT COUNT(*) FROM guardian_pupils").await, 13);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_newer_export_updates_names_and_links_and_marks_leavers() {
    let env = TestEnv::new();
    env.import_samples();
    env.sesame(&["codes", "generate", "--uai", UAI, "--out", "lettres"])
        .ok();
    let lucas_codes = env.count("SELECT COUNT(*) FROM activation_codes c JOIN pupils p ON p.id = c.pupil_id WHERE p.external_id = '9990104' AND c.revoked_at IS NULL").await;
    assert_eq!(lucas_codes, 3, "two guardians' codes and his own");

    // Lucas leaves; Sophie changes her first name; Karim's link disappears
    // (its pupil id is unknown); the grandmother becomes a legal guardian.
    let pupils = cut(&text(PUPILS), "<ELEVE ELEVE_ID=\"9990104\"", "</ELEVE>");
    let pupils = pupils.replace("06/01/2025 10:42:17", "06/02/2025 08:00:00");
    let guardians = edit(
        GUARDIANS,
        &[
            ("06/01/2025 10:43:02", "06/02/2025 08:00:00"),
            ("<PRENOM>Sophie</PRENOM>", "<PRENOM>Sophie-Anne</PRENOM>"),
            (
                "<ELEVE_ID>9990104</ELEVE_ID>\n        <PERSONNE_ID>800204</PERSONNE_ID>",
                "<ELEVE_ID>9990199</ELEVE_ID>\n        <PERSONNE_ID>800204</PERSONNE_ID>",
            ),
            (
                "<PERSONNE_ID>800207</PERSONNE_ID>\n        <NIVEAU_RESPONSABILITE>3",
                "<PERSONNE_ID>800207</PERSONNE_ID>\n        <NIVEAU_RESPONSABILITE>1",
            ),
        ],
    );
    let p = env.write("v2/ElevesSansAdresses.xml", latin9(&pupils));
    let g = env.write("v2/ResponsablesAvecAdresses.xml", guardians);
    let out = env.sesame(&["import", path(&p), path(&g)]).ok();
    assert!(
        out.contains("élèves : 0 créé(s), 0 mis à jour, 6 inchangé(s), 1 parti(s)"),
        "{out}"
    );
    assert!(
        out.contains("responsables : 0 créé(s), 1 mis à jour, 8 inchangé(s), 0 parti(s)"),
        "{out}"
    );
    assert!(out.contains("liens responsable-élève : 0 créé(s), 1 mis à jour, 11 inchangé(s), 1 parti(s), 1 ignoré(s)"), "{out}");

    assert_eq!(
        env.count("SELECT COUNT(*) FROM guardians WHERE first_name = 'Sophie-Anne'")
            .await,
        1
    );
    assert_eq!(
        env.count("SELECT COUNT(*) FROM guardian_pupils WHERE level = 1")
            .await,
        12
    );
    let left = env
        .rows("SELECT first_name FROM pupils WHERE left_on IS NOT NULL ORDER BY first_name")
        .await;
    assert_eq!(
        left,
        vec![vec![Some("Inès".into())], vec![Some("Lucas".into())]]
    );
    // The leaver's codes no longer work.
    let lucas_codes = env.count("SELECT COUNT(*) FROM activation_codes c JOIN pupils p ON p.id = c.pupil_id WHERE p.external_id = '9990104' AND c.revoked_at IS NULL").await;
    assert_eq!(lucas_codes, 0);
    // The new legal guardian gets a code at the next generation, and only she.
    let out = env
        .sesame(&["codes", "generate", "--uai", UAI, "--out", "lettres2"])
        .ok();
    assert!(
        out.contains(
            "1 Code(s) Activation Responsable pour 1 responsable(s), 0 Code(s) Activation Élève"
        ),
        "{out}"
    );
    assert!(out.contains("Monique"), "{out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_older_export_is_refused() {
    let env = TestEnv::new();
    env.import_samples();
    let old = edit(
        PUPILS,
        &[
            ("06/01/2025 10:42:17", "05/12/2024 09:00:00"),
            ("<PRENOM>Camille</PRENOM>", "<PRENOM>Camilla</PRENOM>"),
        ],
    );
    let p = env.write("old/ElevesSansAdresses.xml", old);
    let err = env.sesame(&["import", path(&p)]).fails_with(4);
    assert!(
        err.contains("ElevesSansAdresses.xml") && err.contains("plus ancien"),
        "{err}"
    );
    assert_eq!(
        env.count("SELECT COUNT(*) FROM pupils WHERE first_name = 'Camilla'")
            .await,
        0
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_malformed_file_is_refused_and_nothing_of_the_run_is_written() {
    let env = TestEnv::new();
    let p = env.write("in/ElevesSansAdresses.xml", PUPILS);
    let bad_level = edit(
        GUARDIANS,
        &[(
            "<PERSONNE_ID>800207</PERSONNE_ID>\n        <NIVEAU_RESPONSABILITE>3",
            "<PERSONNE_ID>800207</PERSONNE_ID>\n        <NIVEAU_RESPONSABILITE>7",
        )],
    );
    let g = env.write("in/ResponsablesAvecAdresses.xml", bad_level);
    let err = env.sesame(&["import", path(&p), path(&g)]).fails_with(4);
    assert!(err.contains("rien n'a été écrit"), "{err}");
    assert!(
        err.contains("ResponsablesAvecAdresses.xml, ligne 239,"),
        "{err}"
    );
    assert!(
        err.contains("RESPONSABLE_ELEVE (ELEVE_ID=9990105, PERSONNE_ID=800207)"),
        "{err}"
    );
    assert!(err.contains("NIVEAU_RESPONSABILITE « 7 » inconnu"), "{err}");
    // The pupils file was valid, but it was part of the refused run.
    assert_eq!(env.count("SELECT COUNT(*) FROM pupils").await, 0);
    assert_eq!(env.count("SELECT COUNT(*) FROM schools").await, 0);

    for (edits, expected) in [
        (
            vec![(
                "<DATE_NAISS>22/11/2012</DATE_NAISS>",
                "<DATE_NAISS>31/02/2012</DATE_NAISS>",
            )],
            "ELEVE (ELEVE_ID=9990103) : DATE_NAISS « 31/02/2012 » n'est pas une date valide",
        ),
        (
            vec![("<UAJ>0999001W</UAJ>", "<UAJ>0999001X</UAJ>")],
            "PARAMETRES/UAJ",
        ),
        (
            vec![("<ELEVE ELEVE_ID=\"9990103\"", "<ELEVE ELEVE_ID=\"9990101\"")],
            "ELEVE_ID en double",
        ),
        (
            vec![("<PRENOM>Chloé</PRENOM>", "<PRENOM> </PRENOM>")],
            "PRENOM manquant",
        ),
        (
            vec![
                ("<BEE_ELEVES VERSION=\"3.0\">", "<CATALOGUE>"),
                ("</BEE_ELEVES>", "</CATALOGUE>"),
            ],
            "élément racine « CATALOGUE » inattendu",
        ),
        (vec![("</PRENOM2>", "</PRENOM3>")], "XML mal formé"),
    ] {
        let p = env.write("in/bad.xml", edit(PUPILS, &edits));
        let err = env.sesame(&["import", path(&p)]).fails_with(4);
        assert!(
            err.contains("bad.xml") && err.contains(expected),
            "{expected}: {err}"
        );
    }
    // A truncated file.
    let t = text(PUPILS);
    let p = env.write("in/cut.xml", latin9(&t[..t.len() / 2]));
    let err = env.sesame(&["import", path(&p)]).fails_with(4);
    assert!(
        err.contains("cut.xml") && (err.contains("tronqué") || err.contains("mal formé")),
        "{err}"
    );
    // A missing file.
    let err = env.sesame(&["import", "absent.xml"]).fails_with(4);
    assert!(
        err.contains("absent.xml") && err.contains("impossible d'ouvrir"),
        "{err}"
    );
    assert_eq!(env.count("SELECT COUNT(*) FROM pupils").await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn utf8_and_iso_8859_15_exports_give_the_same_data() {
    let latin = TestEnv::new();
    latin.import_samples();
    let utf = TestEnv::new();
    let to_utf8 = |b: &[u8]| {
        text(b)
            .replace("encoding=\"ISO-8859-15\"", "encoding=\"UTF-8\"")
            .into_bytes()
    };
    let p = utf.write("u/ElevesSansAdresses.xml", to_utf8(PUPILS));
    let g = utf.write("u/ResponsablesAvecAdresses.xml", to_utf8(GUARDIANS));
    utf.sesame(&["import", path(&p), path(&g)]).ok();
    let q = "SELECT last_name, first_name, address FROM guardians ORDER BY external_id";
    let a = latin.rows(q).await;
    assert_eq!(a, utf.rows(q).await);
    assert!(a.iter().any(|r| r[1].as_deref() == Some("Élodie")), "{a:?}");
    // The raw bytes really were Latin-9 (0xBC is Œ there, not ¼ as in Latin-1).
    assert!(GUARDIANS.contains(&0xBC));
}

#[tokio::test(flavor = "multi_thread")]
async fn zipped_exports_are_read() {
    let env = TestEnv::new();
    let zip_path = env.path().join("export.zip");
    let file = std::fs::File::create(&zip_path).expect("create");
    let mut zip = zip::ZipWriter::new(file);
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in [
        ("ResponsablesAvecAdresses.xml", GUARDIANS),
        ("ElevesSansAdresses.xml", PUPILS),
        ("LISEZMOI.txt", b"ignored".as_slice()),
    ] {
        zip.start_file(name, opts).expect("start");
        zip.write_all(bytes).expect("write");
    }
    zip.finish().expect("finish");
    let out = env.sesame(&["import", path(&zip_path)]).ok();
    assert!(out.contains("export.zip!ElevesSansAdresses.xml"), "{out}");
    assert!(
        out.contains("élèves : 7 créé(s)") && out.contains("liens responsable-élève : 13 créé(s)"),
        "{out}"
    );
    assert_eq!(env.count("SELECT COUNT(*) FROM guardian_pupils").await, 13);

    let empty = env.path().join("empty.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&empty).expect("create"));
    zip.start_file("notes.txt", opts).expect("start");
    zip.write_all(b"nothing").expect("write");
    zip.finish().expect("finish");
    let err = env.sesame(&["import", path(&empty)]).fails_with(4);
    assert!(err.contains("aucun fichier .xml ou .csv"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_legacy_resp_legal_form_is_read() {
    let env = TestEnv::new();
    let legacy = samples::text(GUARDIANS)
        .replace(
            "<NIVEAU_RESPONSABILITE>1</NIVEAU_RESPONSABILITE>",
            "<RESP_LEGAL>1</RESP_LEGAL>",
        )
        .replace(
            "<NIVEAU_RESPONSABILITE>3</NIVEAU_RESPONSABILITE>",
            "<RESP_LEGAL>0</RESP_LEGAL>",
        );
    assert!(!legacy.contains("NIVEAU_RESPONSABILITE"));
    let p = env.write("l/ElevesSansAdresses.xml", PUPILS);
    let g = env.write("l/ResponsablesAvecAdresses.xml", latin9(&legacy));
    env.sesame(&["import", path(&p), path(&g)]).ok();
    assert_eq!(
        env.count("SELECT COUNT(*) FROM guardian_pupils WHERE level = 1")
            .await,
        12
    );
    assert_eq!(
        env.count("SELECT COUNT(*) FROM guardian_pupils WHERE level = 3")
            .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn csv_files_are_imported_and_their_errors_located() {
    let env = TestEnv::new();
    let pupils = "uai;eleve_id;nom;prenom;date_naissance;classe;etablissement\n\
                  0999001W;E1;DUPONT;Zoé;14/03/2015;6B;Collège Victor Hugo\n\
                  0999001W;E2;DUPONT;Jean-Marie;02/09/2012;3A;Collège Victor Hugo\n";
    let guardians = "uai;personne_id;civilite;nom;prenom;email;adresse;eleve_id;niveau\n\
                     0999001W;P1;MME;DUPONT;Anaïs;anais@example.org;1 rue A / 35000 RENNES;E1;1\n\
                     0999001W;P1;MME;DUPONT;Anaïs;anais@example.org;1 rue A / 35000 RENNES;E2;1\n\
                     0999001W;P2;M.;DUPONT;Hervé;;;E1;1\n";
    // The guardians file in Windows-1252, as a spreadsheet saves it.
    let (g1252, _, _) = encoding_rs_1252(guardians);
    let p = env.write("c/eleves.csv", pupils);
    let g = env.write("c/responsables.csv", g1252);
    let out = env.sesame(&["import", path(&g), path(&p)]).ok();
    assert!(
        out.contains("élèves : 2 créé(s)")
            && out.contains("responsables : 2 créé(s)")
            && out.contains("liens responsable-élève : 3 créé(s)"),
        "{out}"
    );
    let rows = env.rows("SELECT name FROM schools").await;
    assert_eq!(rows[0][0].as_deref(), Some("Collège Victor Hugo"));
    let rows = env
        .rows("SELECT first_name, address FROM guardians ORDER BY external_id")
        .await;
    assert_eq!(
        rows[0],
        vec![Some("Anaïs".into()), Some("1 rue A\n35000 RENNES".into())]
    );
    assert_eq!(rows[1][0].as_deref(), Some("Hervé"));

    let bad = "uai;eleve_id;nom;prenom;date_naissance\n0999001W;E3;MARTIN;Paul;14/03/2015\n0999001W;E4;MARTIN;Léon;2015-03-14\n";
    let p = env.write("c/bad.csv", bad);
    let err = env.sesame(&["import", path(&p)]).fails_with(4);
    assert!(
        err.contains("bad.csv, ligne 3, colonne « date_naissance »"),
        "{err}"
    );
    let bad = "uai;eleve_id;nom;prenom;naissance\n";
    let p = env.write("c/bad2.csv", bad);
    let err = env.sesame(&["import", path(&p)]).fails_with(4);
    assert!(
        err.contains("colonne « naissance »") && err.contains("inconnue"),
        "{err}"
    );
    assert_eq!(
        env.count("SELECT COUNT(*) FROM pupils WHERE external_id = 'E3'")
            .await,
        0
    );
}

fn encoding_rs_1252(s: &str) -> (Vec<u8>, (), ()) {
    (
        s.chars()
            .map(|c| u8::try_from(u32::from(c)).expect("latin-1 text"))
            .collect(),
        (),
        (),
    )
}
