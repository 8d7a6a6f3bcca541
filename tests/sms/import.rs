//! Guardians' mobile numbers at import: normalised to E.164, the others
//! counted in the report, replaced by each export, dated by it.

use super::*;
use crate::support::samples;

#[tokio::test(flavor = "multi_thread")]
async fn the_import_keeps_mobile_numbers_in_e164_and_counts_the_others() {
    let env = TestEnv::new();
    let report = family(&env);
    assert!(
        report.contains("1 numéro(s) de portable ignoré(s)"),
        "the landline is counted: {report}"
    );
    let rows = env
        .rows("SELECT external_id, mobile, mobile_as_of FROM guardians ORDER BY external_id")
        .await;
    let mobiles: Vec<(Option<String>, Option<String>)> =
        rows.iter().map(|r| (r[0].clone(), r[1].clone())).collect();
    assert_eq!(
        mobiles,
        vec![
            (Some("P1".into()), Some(E164.into())),
            (Some("P2".into()), None),
            (Some("P3".into()), Some("+33711223344".into())),
            (Some("P4".into()), Some("+33711223344".into())),
        ]
    );
    // A CSV file has no export date: the import's own.
    let today = time::OffsetDateTime::now_utc().date().to_string();
    assert_eq!(rows[0][2].as_deref(), Some(today.as_str()));
    assert_eq!(rows[1][2], None, "no number, no date");

    // The next export replaces the numbers: Anaïs changed hers, Claire
    // gave none any more.
    let guardians = format!(
        "uai;personne_id;civilite;nom;prenom;email;portable;eleve_id;niveau\n\
         {UAI};P1;MME;DUPONT;Anaïs;anais@example.org;0033 7 55 44 33 22;E1;1\n\
         {UAI};P1;MME;DUPONT;Anaïs;anais@example.org;0033 7 55 44 33 22;E2;1\n\
         {UAI};P2;M.;DUPONT;Hervé;;;E1;1\n\
         {UAI};P3;MME;BERNARD;Claire;;;E3;1\n\
         {UAI};P4;M.;BERNARD;Paul;;+33 7 11 22 33 44;E3;1\n"
    );
    let g = env.write("in/responsables2.csv", guardians);
    let report = env.sesame(&["import", g.to_str().expect("utf8")]).ok();
    assert!(!report.contains("portable ignoré"), "{report}");
    let mobiles = env
        .rows("SELECT mobile FROM guardians ORDER BY external_id")
        .await;
    let mobiles: Vec<Option<String>> = mobiles.into_iter().map(|r| r[0].clone()).collect();
    assert_eq!(
        mobiles,
        vec![
            Some("+33755443322".into()),
            None,
            None,
            Some("+33711223344".into())
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_siecle_export_gives_tel_portable_with_the_export_date() {
    let env = TestEnv::new();
    env.import_samples();
    let rows = env
        .rows("SELECT mobile, mobile_as_of FROM guardians WHERE external_id = '800201'")
        .await;
    assert_eq!(rows[0][0].as_deref(), Some("+33639980101"));
    let as_of = rows[0][1].clone().expect("dated");
    assert!(
        as_of.starts_with("2025-01-06"),
        "the export's date: {as_of}"
    );
    assert_eq!(
        env.count("SELECT COUNT(*) FROM guardians WHERE mobile IS NOT NULL")
            .await,
        8
    );
    let _ = samples::GUARDIANS;
}
