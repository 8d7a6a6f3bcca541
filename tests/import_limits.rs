//! `sesame import` against hostile files: control characters in values
//! (REST-05) and sizes meant to exhaust memory (REST-06); and the output
//! paths that show stored text (CAS XML, the terminal).

use crate::support::samples::{GUARDIANS, PUPILS, edit, latin9, text};
use crate::support::{TestEnv, UAI};
use std::io::Write;

fn path(p: &std::path::Path) -> &str {
    p.to_str().expect("utf8 path")
}

/// Every pupil and guardian as stored, to show that a refused run changed
/// nothing.
async fn snapshot(env: &TestEnv) -> Vec<Vec<Option<String>>> {
    env.rows(
        "SELECT external_id, last_name, first_name, CAST(updated_at AS TEXT) FROM pupils \
         UNION ALL SELECT external_id, last_name, first_name, CAST(updated_at AS TEXT) FROM guardians \
         ORDER BY 1",
    )
    .await
}

/// The line of the first `marker` in a sample.
fn line_of(sample: &[u8], marker: &str) -> usize {
    let t = text(sample);
    t[..t.find(marker).expect("marker")].matches('\n').count() + 1
}

/// A ZIP holding one entry, written as a stream: `body` is called with the
/// entry's writer, so that hundreds of MB never sit in the test's memory.
fn zip_with(
    env: &TestEnv,
    name: &str,
    entry: &str,
    body: impl FnOnce(&mut dyn Write),
) -> std::path::PathBuf {
    let p = env.path().join(name);
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&p).expect("create"));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(1));
    zip.start_file(entry, opts).expect("start");
    body(&mut zip);
    zip.finish().expect("finish");
    p
}

/// Writes `n` MiB of `byte`.
fn fill(w: &mut dyn Write, byte: u8, mib: usize) {
    let chunk = vec![byte; 1 << 20];
    for _ in 0..mib {
        w.write_all(&chunk).expect("write");
    }
}

// REST-05
#[tokio::test(flavor = "multi_thread")]
async fn control_characters_in_siecle_values_are_refused_naming_file_line_and_element() {
    let env = TestEnv::new();
    env.import_samples();
    let before = snapshot(&env).await;
    assert_eq!(before.len(), 16, "{before:?}");
    let g = env.write("in/ResponsablesAvecAdresses.xml", GUARDIANS);
    for (from, to, marker, element, code) in [
        // ESC: what broke CAS XML and the administrator's terminal.
        (
            "<NOM_DE_FAMILLE>MARTIN</NOM_DE_FAMILLE>",
            "<NOM_DE_FAMILLE>MAR\u{1b}[2JTIN</NOM_DE_FAMILLE>",
            "<NOM_DE_FAMILLE>MARTIN",
            "NOM_DE_FAMILLE",
            "U+001B",
        ),
        // C1 (NEL), the byte 0x85 in ISO-8859-15.
        (
            "<PRENOM>Chloé</PRENOM>",
            "<PRENOM>Chlo\u{85}é</PRENOM>",
            "<PRENOM>Chloé",
            "PRENOM",
            "U+0085",
        ),
        // DEL.
        (
            "<PRENOM>Lucas</PRENOM>",
            "<PRENOM>Lucas\u{7f}</PRENOM>",
            "<PRENOM>Lucas",
            "PRENOM",
            "U+007F",
        ),
        // A character reference is a value too.
        (
            "<PRENOM>Camille</PRENOM>",
            "<PRENOM>Cam&#27;ille</PRENOM>",
            "<PRENOM>Camille",
            "PRENOM",
            "U+001B",
        ),
        // And an attribute.
        (
            "<ELEVE ELEVE_ID=\"9990103\"",
            "<ELEVE ELEVE_ID=\"99901\u{1b}03\"",
            "<ELEVE ELEVE_ID=\"9990103\"",
            "attribut ELEVE_ID de ELEVE",
            "U+001B",
        ),
    ] {
        let bad = edit(PUPILS, &[(from, to)]);
        let p = env.write("in/ElevesSansAdresses.xml", bad);
        let err = env.sesame(&["import", path(&p), path(&g)]).fails_with(4);
        let line = line_of(PUPILS, marker);
        assert!(
            err.contains(&format!("ElevesSansAdresses.xml, ligne {line}, "))
                && err.contains(element)
                && err.contains(code)
                && err.contains("interdit")
                && err.contains("rien n'a été écrit"),
            "{to}: {err}"
        );
        // The message itself reaches the terminal escaped.
        assert!(
            !err.contains('\u{1b}') && !err.contains('\u{7f}'),
            "{err:?}"
        );
        assert_eq!(snapshot(&env).await, before, "{to}");
    }

    // Inside a ZIP, the entry is named.
    let bad = edit(
        PUPILS,
        &[("<PRENOM>Lucas</PRENOM>", "<PRENOM>Lu\u{1b}cas</PRENOM>")],
    );
    let zip = zip_with(&env, "export.zip", "ElevesSansAdresses.xml", |w| {
        w.write_all(&bad).expect("write")
    });
    let err = env.sesame(&["import", path(&zip)]).fails_with(4);
    let line = line_of(PUPILS, "<PRENOM>Lucas");
    assert!(
        err.contains(&format!(
            "export.zip!ElevesSansAdresses.xml, ligne {line}, élément BEE_ELEVES/DONNEES/ELEVES/ELEVE/PRENOM"
        )),
        "{err}"
    );
    assert_eq!(snapshot(&env).await, before);
}

// REST-05
#[tokio::test(flavor = "multi_thread")]
async fn control_characters_in_csv_values_are_refused_naming_file_line_and_column() {
    let env = TestEnv::new();
    for (value, code) in [
        ("DU\u{1b}PONT", "U+001B"),
        ("DU\u{9b}PONT", "U+009B"),
        ("DUPONT\u{7f}", "U+007F"),
    ] {
        let csv = format!(
            "uai;eleve_id;nom;prenom;date_naissance\n\
             0999001W;E1;MARTIN;Paul;14/03/2015\n\
             0999001W;E2;{value};Zoé;14/03/2015\n"
        );
        let p = env.write("c/eleves.csv", csv);
        let err = env.sesame(&["import", path(&p)]).fails_with(4);
        assert!(
            err.contains("eleves.csv, ligne 3, colonne « nom »") && err.contains(code),
            "{err}"
        );
    }
    assert_eq!(env.count("SELECT COUNT(*) FROM pupils").await, 0);
}

// REST-06: a ZIP bomb, 600 MiB of one text node deflated to well under 1 MB.
#[tokio::test(flavor = "multi_thread")]
async fn a_zipped_text_node_of_hundreds_of_mib_is_refused_without_reading_it() {
    let env = TestEnv::new();
    let t = text(PUPILS);
    let at = t.find("<NOM_DE_FAMILLE>MARTIN").expect("marker") + "<NOM_DE_FAMILLE>".len();
    let zip = zip_with(&env, "bombe.zip", "ElevesSansAdresses.xml", |w| {
        w.write_all(&latin9(&t[..at])).expect("write");
        fill(w, b'A', 600);
        w.write_all(&latin9(&t[at..])).expect("write");
    });
    let size = std::fs::metadata(&zip).expect("zip").len();
    assert!(size < 4 << 20, "a small archive: {size} bytes");
    let err = env.sesame(&["import", path(&zip)]).fails_with(4);
    assert!(
        err.contains("bombe.zip!ElevesSansAdresses.xml, ligne")
            && err.contains("NOM_DE_FAMILLE")
            && err.contains("plus de 64 Kio"),
        "{err}"
    );
    assert_eq!(env.count("SELECT COUNT(*) FROM pupils").await, 0);
}

// REST-06: an entry whose header claims 4 KiB but that inflates past the
// 256 MiB limit (comments, each within the item limit) is counted and
// refused.
#[tokio::test(flavor = "multi_thread")]
async fn a_zip_entry_larger_than_its_header_says_is_counted_and_refused() {
    let env = TestEnv::new();
    let t = text(PUPILS);
    let at = t.find("<DONNEES>").expect("marker");
    let comment = format!("<!--{}-->\n", "x".repeat(60 << 10));
    let zip = zip_with(&env, "ment.zip", "ElevesSansAdresses.xml", |w| {
        w.write_all(&latin9(&t[..at])).expect("write");
        for _ in 0..(260 << 20) / comment.len() + 1 {
            w.write_all(comment.as_bytes()).expect("write");
        }
        w.write_all(&latin9(&t[at..])).expect("write");
    });
    // The archive lies: uncompressed size 4096 in the local header (offset
    // 22) and the central directory entry (offset 24).
    let mut bytes = std::fs::read(&zip).expect("read");
    assert_eq!(&bytes[..4], b"PK\x03\x04");
    bytes[22..26].copy_from_slice(&4096u32.to_le_bytes());
    let cd = bytes
        .windows(4)
        .rposition(|w| w == b"PK\x01\x02")
        .expect("central directory");
    bytes[cd + 24..cd + 28].copy_from_slice(&4096u32.to_le_bytes());
    std::fs::write(&zip, bytes).expect("write");
    let err = env.sesame(&["import", path(&zip)]).fails_with(4);
    assert!(
        err.contains("ment.zip!ElevesSansAdresses.xml") && err.contains("plus de 256 Mio"),
        "{err}"
    );
    assert_eq!(env.count("SELECT COUNT(*) FROM pupils").await, 0);
}

// REST-06
#[tokio::test(flavor = "multi_thread")]
async fn an_oversized_csv_field_or_line_is_refused_naming_the_limit() {
    let env = TestEnv::new();
    let head = "uai;eleve_id;nom;prenom;date_naissance\n0999001W;E1;MARTIN;Paul;14/03/2015\n";
    // A field of 100 KiB: over the field limit, within the line limit.
    let csv = format!(
        "{head}0999001W;E2;{};Zoé;14/03/2015\n",
        "D".repeat(100 << 10)
    );
    let p = env.write("c/champ.csv", csv);
    let err = env.sesame(&["import", path(&p)]).fails_with(4);
    assert!(
        err.contains("champ.csv, ligne 3, colonne « nom »") && err.contains("plus de 64 Kio"),
        "{err}"
    );
    // A quoted field of 64 MiB, zipped: the line limit stops the reading.
    let zip = zip_with(&env, "ligne.zip", "eleves.csv", |w| {
        w.write_all(head.as_bytes()).expect("write");
        w.write_all(b"0999001W;E2;\"").expect("write");
        fill(w, b'D', 64);
        w.write_all(b"\";Zo\xc3\xa9;14/03/2015\n").expect("write");
    });
    let err = env.sesame(&["import", path(&zip)]).fails_with(4);
    assert!(
        err.contains("ligne.zip!eleves.csv, ligne 3") && err.contains("ligne de plus de 1 Mio"),
        "{err}"
    );
    assert_eq!(env.count("SELECT COUNT(*) FROM pupils").await, 0);
}

/// Puts `value` into pupil 9990101's last name with SQL, as a manual fix or
/// an older import could have; `\u{1b}` and `\u{85}` stand for ESC and NEL.
async fn store_control_characters(env: &TestEnv) {
    let (esc, nel) = if env.is_postgres() {
        ("chr(27)", "chr(133)")
    } else {
        ("char(27)", "char(133)")
    };
    let db = env.db().await;
    use sea_orm::ConnectionTrait;
    db.execute_unprepared(&format!(
        "UPDATE pupils SET last_name = 'MAR' || {esc} || 'TIN' || {nel} WHERE external_id = '9990101'"
    ))
    .await
    .expect("update");
    assert_eq!(
        env.count("SELECT COUNT(*) FROM pupils WHERE last_name LIKE 'MAR_TIN_'")
            .await,
        1
    );
}

/// Whether every character of `xml` is a `Char` of XML 1.0 §2.2.
fn only_xml10_chars(xml: &str) -> bool {
    xml.chars().all(|c| {
        matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}')
            || c >= '\u{10000}'
    })
}

// REST-05: a control character that reached the database another way.
#[tokio::test(flavor = "multi_thread")]
async fn a_cas_response_stays_well_formed_xml_whatever_the_database_holds() {
    use crate::support::cas::{login_for, parse_xml, setup, validate, value};
    use crate::support::fixtures::{ENT, now_clock};
    let (env, s) = setup(now_clock()).await;
    store_control_characters(&env).await;
    let ticket = login_for(&s, &s.client, ENT, "").await;
    let (status, xml) = validate(&s, "/cas/p3/serviceValidate", &ticket, ENT, "").await;
    assert_eq!(status, 200, "{xml}");
    assert!(only_xml10_chars(&xml), "{xml:?}");
    let parsed = parse_xml(&xml);
    assert_eq!(value(&parsed, "cas:user"), Some("camille.martin"), "{xml}");
    // The characters XML cannot carry are replaced, the rest is kept.
    assert_eq!(
        value(&parsed, "cas:sn"),
        Some("MAR\u{fffd}TIN\u{fffd}"),
        "{xml}"
    );
}

// REST-05: names printed on the administrator's terminal are escaped.
#[tokio::test(flavor = "multi_thread")]
async fn names_printed_by_the_cli_have_their_control_characters_escaped() {
    let env = TestEnv::new();
    env.import_samples();
    store_control_characters(&env).await;
    let out = env
        .sesame(&["codes", "generate", "--uai", UAI, "--out", "lettres"])
        .ok();
    assert!(
        !out.contains('\u{1b}') && !out.contains('\u{85}'),
        "{out:?}"
    );
    assert!(out.contains("Camille MAR\\u{1b}TIN\\u{85}"), "{out}");
}
