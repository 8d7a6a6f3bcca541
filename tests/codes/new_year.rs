//! A new school year: letters only for those without a code, and one
//! person's codes reissued (`sesame codes reissue`).

use super::*;

/// Codes of a generation run in the past, by the application (the
/// `letters` of a school year ago): (guardian "Prénom NOM", child, code)
/// and (pupil "Prénom NOM", code).
async fn codes_of_a_year_ago(
    env: &crate::support::TestEnv,
    clock: std::sync::Arc<sesame_domain::FixedClock>,
) -> (Vec<(String, String, String)>, Vec<(String, String)>) {
    let app = crate::support::worker_app(env, clock, |_| {}).await;
    let uai = sesame_domain::Uai::parse(UAI).expect("uai");
    let g = sesame_service::codes::generate(&app, &uai, false, |_| Ok(()))
        .await
        .expect("generate");
    let guardians = g
        .guardians
        .iter()
        .flat_map(|l| {
            l.children.iter().map(|c| {
                (
                    format!("{} {}", l.first_name, l.last_name),
                    c.first_name.clone(),
                    c.code.clone(),
                )
            })
        })
        .collect();
    let pupils = g
        .pupils
        .iter()
        .map(|p| {
            (
                format!("{} {}", p.child.first_name, p.child.last_name),
                p.child.code.clone(),
            )
        })
        .collect();
    (guardians, pupils)
}

fn pages_of(pdf: &std::path::Path) -> Vec<String> {
    pdftotext(pdf)
        .split('\u{c}')
        .filter(|p| !p.trim().is_empty())
        .map(str::to_owned)
        .collect()
}

/// The codes column of a letters CSV.
fn csv_codes(path: &std::path::Path, column: usize) -> Vec<String> {
    let csv = std::fs::read_to_string(path).expect("csv");
    csv.trim_start_matches('\u{feff}')
        .lines()
        .skip(1)
        .map(|l| l.split(';').nth(column).expect("column").to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_school_year_letters_only_those_without_a_code_and_says_how_many_it_skipped() {
    use crate::support::fixtures::{
        Signup, confirmation_links, follow_link, sign_up, sign_up_camille,
    };
    use crate::support::{PASSWORD, TestServer, outbox};
    let env = TestEnv::new();
    env.import_samples();
    // Last year's letters (codes valid 92 days), and two accounts opened with them.
    let year_ago = std::sync::Arc::new(sesame_domain::FixedClock::new(
        time::OffsetDateTime::now_utc() - time::Duration::days(300),
    ));
    let (guardians, pupils) = codes_of_a_year_ago(&env, year_ago.clone()).await;
    assert_eq!((guardians.len(), pupils.len()), (10, 6));
    let s = TestServer::spawn_with_clock(&env, year_ago, |_| {}).await;
    let camille = &pupils
        .iter()
        .find(|(n, _)| n == "Camille MARTIN")
        .expect("Camille")
        .1;
    sign_up_camille(&s.client, &s.url, camille, PASSWORD).await;
    let jb = &guardians
        .iter()
        .find(|(g, c, _)| g == "Olivier MARTIN" && c == "Jean-Baptiste")
        .expect("Olivier / Jean-Baptiste")
        .2;
    assert_eq!(sign_up(&s, &Signup::olivier(jb)).await.0, 200);
    let link = confirmation_links(&outbox(&env).await).remove(0);
    assert_eq!(follow_link(&s, &link).await.0, 200);

    // September: every unused code has expired; the two used ones have too.
    let out = env.sesame(&["letters", "--uai", UAI, "--out", "sept"]).ok();
    assert!(
        out.contains(
            "9 Code(s) Activation Responsable pour 8 responsable(s), 5 Code(s) Activation Élève"
        ),
        "{out}"
    );
    assert!(
        out.contains("Ignorés, car ils ont déjà un code (valide ou utilisé par un compte) : 1 couple(s) responsable-enfant et 1 élève(s)."),
        "{out}"
    );
    let dir = env.path().join("sept");
    let pupil_pages = pages_of(&dir.join("lettres-eleves-0999001W.pdf"));
    assert_eq!(pupil_pages.len(), 5);
    assert!(
        !pupil_pages.iter().any(|p| p.contains("Camille MARTIN")),
        "Camille has her account"
    );
    let olivier = pages_of(&dir.join("lettres-responsables-0999001W.pdf"))
        .into_iter()
        .find(|p| p.contains("Olivier MARTIN"))
        .expect("Olivier's letter");
    assert!(olivier.contains("Camille"), "{olivier}");
    assert!(
        !olivier.contains("Jean-Baptiste"),
        "Jean-Baptiste is on Olivier's account already: {olivier}"
    );

    // Again: nothing new, everything skipped.
    let out = env
        .sesame(&["letters", "--uai", UAI, "--out", "again"])
        .ok();
    assert!(out.contains("Aucun nouveau code"), "{out}");
    assert!(
        out.contains(": 10 couple(s) responsable-enfant et 6 élève(s)."),
        "{out}"
    );

    // --regenerate stays whole-school: every unused code is revoked (last
    // year's 14 expired ones and September's 14) and replaced; the used ones stay.
    let out = env
        .sesame(&["letters", "--uai", UAI, "--regenerate", "--out", "regen"])
        .ok();
    assert!(out.contains("28 ancien(s) code(s) révoqué(s)."), "{out}");
    assert!(
        out.contains(
            "9 Code(s) Activation Responsable pour 8 responsable(s), 5 Code(s) Activation Élève"
        ),
        "{out}"
    );
    assert_eq!(
        env.count("SELECT COUNT(*) FROM activation_codes WHERE used_by_account_id IS NOT NULL AND revoked_at IS NULL")
            .await,
        2
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn reissue_replaces_one_persons_unused_codes_and_writes_that_one_letter() {
    use crate::support::fixtures::{
        Signup, code_of, generate_codes, guardian_codes, pupil_code, sign_up,
    };
    let env = TestEnv::new();
    env.import_samples();
    let out = generate_codes(&env);
    let codes = guardian_codes(&out);
    let sophie_old = [
        code_of(&codes, "Sophie MARTIN", "Camille"),
        code_of(&codes, "Sophie MARTIN", "Jean-Baptiste"),
    ];
    let olivier_jb = code_of(&codes, "Olivier MARTIN", "Jean-Baptiste");
    let camille_old = pupil_code(&out, "Camille MARTIN");
    let id_of = |sql: &'static str| {
        let env = &env;
        async move { env.rows(sql).await[0][0].clone().expect("id") }
    };
    let sophie = id_of(
        "SELECT external_id FROM guardians WHERE first_name = 'Sophie' AND last_name = 'MARTIN'",
    )
    .await;

    let out = env
        .sesame(&[
            "codes",
            "reissue",
            "--uai",
            UAI,
            "--guardian",
            &sophie,
            "--out",
            "re",
        ])
        .ok();
    assert!(
        out.contains("2 ancien(s) code(s) révoqué(s), 2 nouveau(x) code(s) pour Sophie MARTIN"),
        "{out}"
    );
    assert!(
        printed_codes(&out).is_empty(),
        "the codes are on the letter only"
    );
    let dir = env.path().join("re");
    let pdf = dir.join(format!("lettre-responsable-{UAI}-{sophie}.pdf"));
    assert!(
        out.contains(&format!("lettre-responsable-{UAI}-{sophie}.pdf")),
        "{out}"
    );
    let pages = pages_of(&pdf);
    assert_eq!(pages.len(), 1, "one letter");
    assert!(
        pages[0].contains("Sophie MARTIN")
            && pages[0].contains("Camille")
            && pages[0].contains("Jean-Baptiste"),
        "{}",
        pages[0]
    );
    let new = csv_codes(
        &dir.join(format!("lettre-responsable-{UAI}-{sophie}.csv")),
        9,
    );
    assert_eq!(new.len(), 2);
    for c in &new {
        assert!(pages[0].contains(c.as_str()), "{c} on the letter");
        assert!(!sophie_old.contains(c));
        let ok = env.sesame(&["codes", "verify", c]).ok();
        assert!(
            ok.contains("état : valide") && ok.contains("Sophie MARTIN"),
            "{ok}"
        );
    }
    for old in &sophie_old {
        env.sesame(&["codes", "verify", old]).fails_with(4);
        let run = env.sesame(&["codes", "verify", old]);
        assert!(run.stdout().contains("état : révoqué"), "{}", run.stdout());
    }
    // Nobody else's code changed; the school's letters are not overwritten.
    assert!(
        env.sesame(&["codes", "verify", &olivier_jb])
            .ok()
            .contains("état : valide")
    );
    assert!(!dir.join(format!("lettres-responsables-{UAI}.pdf")).exists());
    assert_eq!(
        env.count("SELECT COUNT(*) FROM activation_codes WHERE revoked_at IS NULL")
            .await,
        16
    );
    // At sign-up, the old code opens nothing; the new one does.
    let s = crate::support::TestServer::spawn(&env, |_| {}).await;
    let csv = std::fs::read_to_string(dir.join(format!("lettre-responsable-{UAI}-{sophie}.csv")))
        .expect("csv");
    let camille_new = csv
        .lines()
        .find(|l| l.split(';').nth(5) == Some("Camille"))
        .and_then(|l| l.split(';').nth(9))
        .expect("Camille's new code")
        .to_owned();
    for (code, accounts) in [(&sophie_old[0], 0), (&camille_new, 1)] {
        let form = Signup {
            joint: false,
            rows: vec![["Camille", "16/06/2013", code, ""]],
            identifiant: "sophie.martin",
            password: crate::support::PASSWORD,
            email: "sophie.martin@example.org",
        };
        sign_up(&s, &form).await;
        assert_eq!(
            env.count("SELECT COUNT(*) FROM accounts").await,
            accounts,
            "sign-up with {code}"
        );
    }
    let audit = env.sesame(&["audit", "--kind", "codes_reissued"]).ok();
    assert!(audit.contains("1 événement(s)."), "{audit}");
    assert!(audit.contains(&format!("responsable {sophie}")), "{audit}");

    // A pupil's letter.
    let camille = id_of(
        "SELECT external_id FROM pupils WHERE first_name = 'Camille' AND last_name = 'MARTIN'",
    )
    .await;
    let out = env
        .sesame(&[
            "codes", "reissue", "--uai", UAI, "--pupil", &camille, "--out", "re",
        ])
        .ok();
    assert!(
        out.contains("1 ancien(s) code(s) révoqué(s), 1 nouveau(x) code(s) pour Camille MARTIN"),
        "{out}"
    );
    let pages = pages_of(&dir.join(format!("lettre-eleve-{UAI}-{camille}.pdf")));
    assert_eq!(pages.len(), 1);
    assert!(pages[0].contains("Code Activation Élève"), "{}", pages[0]);
    let new = csv_codes(&dir.join(format!("lettre-eleve-{UAI}-{camille}.csv")), 5);
    assert!(
        env.sesame(&["codes", "verify", &new[0]])
            .ok()
            .contains("état : valide")
    );
    env.sesame(&["codes", "verify", &camille_old]).fails_with(4);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reissue_that_cannot_be_done_is_refused_and_revokes_nothing() {
    let env = TestEnv::new();
    env.import_samples();
    crate::support::fixtures::generate_codes(&env);
    let revoked =
        || env.count("SELECT COUNT(*) FROM activation_codes WHERE revoked_at IS NOT NULL");

    let err = env
        .sesame(&[
            "codes",
            "reissue",
            "--uai",
            UAI,
            "--guardian",
            "424242",
            "--out",
            "re",
        ])
        .fails_with(4);
    assert!(
        err.contains("aucun responsable d'identifiant 424242 dans l'établissement 0999001W"),
        "{err}"
    );
    // A pupil who left has nothing to reissue.
    let left = env
        .rows("SELECT external_id FROM pupils WHERE left_on IS NOT NULL")
        .await[0][0]
        .clone()
        .expect("the pupil who left");
    let err = env
        .sesame(&[
            "codes", "reissue", "--uai", UAI, "--pupil", &left, "--out", "re",
        ])
        .fails_with(4);
    assert!(
        err.contains(&format!("rien à réémettre pour l'élève {left}")),
        "{err}"
    );
    // The letter cannot be written: the old codes stay valid.
    let sophie = env
        .rows("SELECT external_id FROM guardians WHERE first_name = 'Sophie'")
        .await[0][0]
        .clone()
        .expect("id");
    env.write("occupied", "a file where the folder should be");
    let err = env
        .sesame(&[
            "codes",
            "reissue",
            "--uai",
            UAI,
            "--guardian",
            &sophie,
            "--out",
            "occupied",
        ])
        .fails_with(4);
    assert!(err.contains("aucun code n'a été enregistré"), "{err}");
    // Both or neither of --guardian and --pupil: refused by the command line.
    env.sesame(&["codes", "reissue", "--uai", UAI, "--out", "re"])
        .fails_with(2);
    env.sesame(&[
        "codes",
        "reissue",
        "--uai",
        UAI,
        "--guardian",
        &sophie,
        "--pupil",
        &left,
    ])
    .fails_with(2);
    assert_eq!(revoked().await, 0);
    assert_eq!(
        env.count("SELECT COUNT(*) FROM audit_events WHERE kind = 'codes_reissued'")
            .await,
        0
    );
}
