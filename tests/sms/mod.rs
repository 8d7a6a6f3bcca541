//! The first visit by text message (issue 20): guardians' mobile numbers at
//! import, the four forms through HTTP as a browser, the SMS outbox and
//! its worker through `sesame sms …` with the outbox transport (files) and
//! the http transport (a provider stood for by a local HTTP server), the
//! attempts, expiry and throttles.

mod flow;
mod import;
mod limits;
mod provider;

use crate::support::http::{page, post};
use crate::support::{TestEnv, TestServer, UAI, csrf_of};
use reqwest::Client;
use std::sync::Arc;

/// Anaïs DUPONT's number, as she types it.
const MOBILE: &str = "06.12.34.56.78";
/// The same number in E.164, as the import keeps it.
const E164: &str = "+33612345678";
/// A number two different persons gave the school.
const SHARED: &str = "07 11 22 33 44";
/// A number nobody gave.
const UNKNOWN: &str = "07 99 99 99 99";
/// A password the account creation accepts.
const NEW_PASSWORD: &str = "Hibou-Quartz-73";

/// Imports a family: Anaïs DUPONT (mobile `MOBILE`, written with spaces in
/// the file) legal guardian of Zoé and Léon; Hervé DUPONT (a landline,
/// ignored) for Zoé; two persons sharing `SHARED` for Jules; a contact
/// (level 2) of Jules with Anaïs's own number elsewhere is not a holder
/// of hers. Answers the import's report.
fn family(env: &TestEnv) -> String {
    let pupils = format!(
        "uai;eleve_id;nom;prenom;date_naissance;etablissement\n\
         {UAI};E1;DUPONT;Zoé;14/03/2015;Collège Victor Hugo\n\
         {UAI};E2;DUPONT;Léon;21/12/2013;Collège Victor Hugo\n\
         {UAI};E3;BERNARD;Jules;05/05/2012;Collège Victor Hugo\n"
    );
    let guardians = format!(
        "uai;personne_id;civilite;nom;prenom;email;portable;eleve_id;niveau\n\
         {UAI};P1;MME;DUPONT;Anaïs;anais@example.org;06 12 34 56 78;E1;1\n\
         {UAI};P1;MME;DUPONT;Anaïs;anais@example.org;06 12 34 56 78;E2;1\n\
         {UAI};P2;M.;DUPONT;Hervé;;02 99 00 00 00;E1;1\n\
         {UAI};P3;MME;BERNARD;Claire;;07.11.22.33.44;E3;1\n\
         {UAI};P4;M.;BERNARD;Paul;;+33 7 11 22 33 44;E3;1\n"
    );
    let p = env.write("in/eleves.csv", pupils);
    let g = env.write("in/responsables.csv", guardians);
    env.sesame(&[
        "import",
        p.to_str().expect("utf8"),
        g.to_str().expect("utf8"),
    ])
    .ok()
}

/// A server with the first visit by text message offered.
async fn sms_server(env: &TestEnv, clock: Option<Arc<dyn sesame_domain::Clock>>) -> TestServer {
    let tweak = |c: &mut sesame_service::Config| c.sms.enabled = true;
    match clock {
        Some(clock) => TestServer::spawn_with_clock(env, clock, tweak).await,
        None => TestServer::spawn(env, tweak).await,
    }
}

/// GETs the form at `path` (for its CSRF token) and POSTs `fields` to it;
/// answers (status, `Location`, body).
async fn submit(
    browser: &Client,
    base: &str,
    path: &str,
    fields: &[(&str, &str)],
) -> (u16, String, String) {
    let url = format!("{base}{path}");
    let (status, html) = page(browser, &url).await;
    assert_eq!(status, 200, "{path} shows its form: {html}");
    let mut form = vec![("csrf".to_owned(), csrf_of(&html))];
    form.extend(
        fields
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    post(browser, &url, &form).await
}

/// Asks for a code for `number`; answers (status, `Location`, body).
async fn ask_code(browser: &Client, base: &str, number: &str) -> (u16, String, String) {
    submit(
        browser,
        base,
        "/premiere-visite/sms",
        &[("portable", number)],
    )
    .await
}

/// Types `code`; answers (status, `Location`, body).
async fn type_code(browser: &Client, base: &str, code: &str) -> (u16, String, String) {
    submit(
        browser,
        base,
        "/premiere-visite/sms/code",
        &[("code", code)],
    )
    .await
}

/// The messages the outbox transport wrote: (number, text).
fn delivered(env: &TestEnv) -> Vec<(String, String)> {
    let dir = env.path().join("data/sms-outbox");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut out: Vec<(String, String)> = entries
        .map(|e| std::fs::read_to_string(e.expect("entry").path()).expect("read"))
        .map(|t| {
            let (head, body) = t.split_once("\n\n").expect("header and text");
            let to = head.strip_prefix("To: ").expect("To:").to_owned();
            (to, body.trim().to_owned())
        })
        .collect();
    out.sort();
    out
}

/// The 6-digit code at the start of a message.
fn code_in(text: &str) -> String {
    let code: String = text.chars().take(6).collect();
    assert!(code.chars().all(|c| c.is_ascii_digit()), "{text}");
    code
}

/// Runs one delivery round (`sesame sms send`); answers its output.
fn send(env: &TestEnv) -> String {
    env.sesame(&["sms", "send"]).ok()
}
