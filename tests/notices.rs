//! The notices a French public service owes, through HTTP (issue 17): the
//! accessibility declaration, the legal notice, personal data and help,
//! linked from every page footer, their texts from `[notices]` and the
//! retention values.

use crate::support::fixtures::{now_clock, pupil_account_with};
use crate::support::http::page;
use crate::support::layout::{ACADEMIE, assert_layout};
use crate::support::{CAMILLE, TestEnv, TestServer};
use sesame_service::config::Conformity;

#[tokio::test(flavor = "multi_thread")]
async fn the_notices_are_linked_from_every_page_with_the_configured_texts() {
    let env = TestEnv::new();
    let s = TestServer::spawn(&env, |c| {
        c.branding.academie = ACADEMIE.into();
        c.branding.help = "écrivez à assistance@ac-pontcarre.fr".into();
        c.codes.validity_days = 45;
        c.accounts.confirmation_days = 5;
        c.accounts.confirmation_reminder_days = vec![2, 4];
        c.session.idle_minutes = 90;
        c.accounts.leaver_grace_days = 21;
        c.accounts.retention_days = 120;
        c.accounts.deletion_notice_days = 14;
        c.audit.retention_days = 400;
        c.notices.accessibility = Conformity::Conforme;
        c.notices.dpo_contact = "dpd@ac-pontcarre.fr".into();
        c.notices.help_contact = "Téléphone : 01 02 03 04 05".into();
    })
    .await;
    let get = |p: &str| {
        let url = format!("{}{p}", s.url);
        let c = s.client.clone();
        async move { page(&c, &url).await }
    };

    for p in [
        "/profil",
        "/connexion?profil=parent",
        "/premiere-visite/parent",
        "/aide",
    ] {
        let (status, html) = get(p).await;
        assert_eq!(status, 200, "{p}");
        assert!(
            html.contains(">Accessibilité : conforme</a>"),
            "{p}: {html}"
        );
        assert_layout(p, "text/html", &html);
    }

    let (_, html) = get("/accessibilite").await;
    assert!(html.contains("<h1>Déclaration d'accessibilité</h1>"));
    assert!(html.contains("<strong>conforme</strong>"));
    assert!(html.contains("assistance@ac-pontcarre.fr"), "the contact");
    assert!(html.contains("Défenseur des droits"), "the recourse");
    assert!(
        html.contains(&format!("Rectorat — {ACADEMIE}")),
        "the default publisher"
    );

    let (_, html) = get("/donnees-personnelles").await;
    for text in [
        "valable 45 jours",
        "au bout de 5 jours",
        "après 90 minutes sans activité",
        "reste utilisable 21 jours",
        "supprimé 120 jours après le départ",
        "courriel 14 jours avant",
        "conservé 400 jours",
        "dpd@ac-pontcarre.fr",
        "Sur les élèves",
        "Sur les parents",
    ] {
        assert!(html.contains(text), "{text}: {html}");
    }

    let (_, html) = get("/mentions-legales").await;
    assert!(html.contains("Le recteur ou la rectrice de l"));
    assert!(html.contains("Téléphone : 01 02 03 04 05"));

    let (_, html) = get("/aide").await;
    assert!(html.contains("écrivez à assistance@ac-pontcarre.fr"));
    assert!(html.contains("href=\"/mot-de-passe-oublie\""));

    // The defaults: partially conformant, the académie's DPD.
    let env = TestEnv::new();
    let s = pupil_account_with(&env, now_clock(), 100, |_| {}).await;
    let browser = crate::support::personas::login_as(&s, &CAMILLE).await;
    let (_, html) = page(&browser, &format!("{}/compte", s.url)).await;
    assert!(html.contains(">Accessibilité : partiellement conforme</a>"));
    let (_, html) = page(&s.client, &format!("{}/donnees-personnelles", s.url)).await;
    assert!(html.contains("délégué à la protection des données"));
}
