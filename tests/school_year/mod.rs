//! The school year (issue 16 §1–3): accounts follow the school's exports.
//! Import A, open accounts, import B (a September export) with a link
//! removed, a pupil who left and a class changed: the home page, the CAS
//! attributes and the OIDC claims follow; leavers' accounts are disabled,
//! then deleted, a guardian noticed first, with the clock moved.

use crate::support::cas::{parse_xml, ticket_of, validate};
use crate::support::fixtures::{
    ENT, PASSWORD, Signup, UAI, code_of, confirmation_links, follow_link, generate_codes,
    guardian_codes, martin_family, now_clock, pupil_code, register_oidc_clients, sign_up,
    sign_up_camille,
};
use crate::support::http::{enc, get, location, page};
use crate::support::oidc::{authorize, code_in, exchange_as, userinfo};
use crate::support::personas::{login_page, post_login};
use crate::support::samples::{GUARDIANS, PUPILS, latin9, text};
use crate::support::{CAMILLE, OLIVIER, Persona, TestEnv, TestServer, csrf_of, login_as, outbox};

/// Sophie MARTIN, the other legal guardian of the MARTIN family, with the
/// personal account this file opens for Jean-Baptiste and Camille.
const SOPHIE: Persona<'static> = Persona {
    profile: "parent",
    identifiant: "sophie.martin",
    password: PASSWORD,
};

/// The CAS service `ent` releasing names, schools, classes and children.
pub(crate) fn register_ent(env: &TestEnv) {
    env.write(
        "services/ent.toml",
        format!(
            "id = \"ent\"\nname = \"ENT\"\nprotocol = \"cas\"\n[attributes]\nidentifiant = \"uid\"\nlast_name = \"sn\"\nuai = \"ENTPersonStructRattach\"\nclasses = \"ENTEleveClasses\"\nchildren = \"ENTAuxEnsEnfants\"\nchildren_qualified = \"ENTAuxEnsEnfantsUAI\"\n[cas]\nservice_urls = [\"{ENT}\"]\n"
        ),
    );
}

/// The OIDC client `ecole`, allowed the children's scope.
pub(crate) async fn register_ecole(env: &TestEnv) {
    register_oidc_clients(
        env,
        &[(
            "ecole",
            "scopes = [\"openid\", \"profile\", \"sesame\", \"sesame.children\"]".into(),
        )],
    )
    .await;
}

/// Removes the `RESPONSABLE_ELEVE` of `pupil` and `person` from a
/// guardians export (asserting it was there).
#[track_caller]
fn without_link(xml: &str, pupil: &str, person: &str) -> String {
    let needle =
        format!("<ELEVE_ID>{pupil}</ELEVE_ID>\n        <PERSONNE_ID>{person}</PERSONNE_ID>");
    let at = xml.find(&needle).expect("the link is in the sample");
    let start = xml[..at].rfind("<RESPONSABLE_ELEVE>").expect("start");
    let end =
        at + xml[at..].find("</RESPONSABLE_ELEVE>").expect("end") + "</RESPONSABLE_ELEVE>".len();
    format!("{}{}", &xml[..start], &xml[end..])
}

/// Removes the `ELEVE` element of `pupil` from a pupils export.
#[track_caller]
fn without_pupil(xml: &str, pupil: &str) -> String {
    let start = xml
        .find(&format!("<ELEVE ELEVE_ID=\"{pupil}\""))
        .expect("the pupil is in the sample");
    let end = start + xml[start..].find("</ELEVE>").expect("end") + "</ELEVE>".len();
    format!("{}{}", &xml[..start], &xml[end..])
}

/// `text` with each `(from, to)` replaced once (asserting it was there).
#[track_caller]
fn replaced(mut text: String, edits: &[(&str, &str)]) -> String {
    for (from, to) in edits {
        assert!(text.contains(from), "sample does not contain {from:?}");
        text = text.replacen(from, to, 1);
    }
    text
}

/// A later export's stamps (so that it is not refused as older).
pub(crate) fn september(t: String) -> String {
    replaced(
        t,
        &[
            (
                "<DATE_EXPORT>06/01/2025</DATE_EXPORT>",
                "<DATE_EXPORT>01/09/2025</DATE_EXPORT>",
            ),
            ("<HORODATAGE>06/01/2025 10:4", "<HORODATAGE>01/09/2025 10:4"),
            (
                "<ANNEE_SCOLAIRE>2024</ANNEE_SCOLAIRE>",
                "<ANNEE_SCOLAIRE>2025</ANNEE_SCOLAIRE>",
            ),
        ],
    )
}

/// Imports a pupils and a guardians export (texts, written in ISO-8859-15)
/// with `sesame import`; answers its report.
pub(crate) fn import(env: &TestEnv, pupils: &str, guardians: &str) -> String {
    let p = env.write("in/b/ElevesSansAdresses.xml", latin9(pupils));
    let g = env.write("in/b/ResponsablesAvecAdresses.xml", latin9(guardians));
    env.sesame(&[
        "import",
        p.to_str().expect("utf8"),
        g.to_str().expect("utf8"),
    ])
    .ok()
}

/// Opens and confirms a personal parent account for `rows` (prénom, né(e)
/// le, code, "").
pub(crate) async fn parent(
    s: &TestServer,
    env: &TestEnv,
    who: &Persona<'_>,
    email: &str,
    rows: Vec<[&str; 4]>,
) {
    let form = Signup {
        joint: false,
        rows,
        identifiant: who.identifiant,
        password: who.password,
        email,
    };
    let (status, body) = sign_up(s, &form).await;
    assert_eq!(status, 200, "{body}");
    let mails: Vec<_> = outbox(env)
        .await
        .into_iter()
        .filter(|(to, _, _)| to == email)
        .collect();
    let link = confirmation_links(&mails).remove(0);
    assert_eq!(follow_link(s, &link).await.0, 200);
}

/// The attributes `ent` gets for `who` from a fresh ticket
/// (`/cas/p3/serviceValidate`): (name, value) pairs, several for a list.
pub(crate) async fn cas_attributes(s: &TestServer, who: &Persona<'_>) -> Vec<(String, String)> {
    let c = TestServer::browser();
    let r = get(&c, &format!("{}/cas/login?service={}", s.url, enc(ENT))).await;
    assert_eq!(r.status(), 303);
    let fields = [("service", ENT)];
    let html = login_page(&c, &s.url, who, &fields).await;
    let r = post_login(&c, &s.url, who, &csrf_of(&html), &fields).await;
    assert_eq!(r.status(), 303, "{} logs in", who.identifiant);
    let ticket = ticket_of(&location(&r), ENT);
    let (status, xml) = validate(s, "/cas/p3/serviceValidate", &ticket, ENT, "").await;
    assert_eq!(status, 200);
    assert!(xml.contains("authenticationSuccess"), "{xml}");
    parse_xml(&xml)
}

/// The values of attribute `name` (`cas:name`).
pub(crate) fn values(attrs: &[(String, String)], name: &str) -> Vec<String> {
    let mut v: Vec<String> = attrs
        .iter()
        .filter(|(k, _)| k == &format!("cas:{name}"))
        .map(|(_, v)| v.clone())
        .collect();
    v.sort();
    v
}

/// An access token of `ecole` for `who`, with the children's scope.
pub(crate) async fn access_token(s: &TestServer, who: &Persona<'_>) -> String {
    let browser = login_as(s, who).await;
    let (r, verifier) = authorize(
        &s.url,
        &browser,
        "ecole",
        "openid profile sesame sesame.children",
        "",
    )
    .await;
    let t = exchange_as(&s.url, "ecole", &code_in(&r), &verifier).await;
    t["access_token"].as_str().expect("access token").to_owned()
}

/// A JSON array claim as sorted strings (none: empty).
pub(crate) fn claim(info: &serde_json::Value, name: &str) -> Vec<String> {
    let mut v: Vec<String> = info[name]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// The home page of `who`, logged in.
pub(crate) async fn home(s: &TestServer, who: &Persona<'_>) -> String {
    let browser = login_as(s, who).await;
    let (status, html) = page(&browser, &format!("{}/", s.url)).await;
    assert_eq!(status, 200);
    html
}

pub(crate) fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

// Issue 16 §1 and §3 (import): a link removed, a pupil who left, a class
// changed reach the home page, the CAS attributes and the OIDC claims at
// once, with an audit event per account and no mail.
#[tokio::test(flavor = "multi_thread")]
async fn a_september_export_reaches_pages_tickets_and_tokens_at_once() {
    let env = TestEnv::new();
    register_ent(&env);
    register_ecole(&env).await;
    env.import_samples();
    let printed = generate_codes(&env);
    let (codes, camille) = (
        guardian_codes(&printed),
        pupil_code(&printed, "Camille MARTIN"),
    );
    let s = TestServer::spawn(&env, |_| {}).await;
    sign_up_camille(&s.client, &s.url, &camille, PASSWORD).await;
    let jb_o = code_of(&codes, "Olivier MARTIN", "Jean-Baptiste");
    let ca_o = code_of(&codes, "Olivier MARTIN", "Camille");
    parent(
        &s,
        &env,
        &OLIVIER,
        "olivier.martin@example.org",
        vec![
            ["Jean-Baptiste", "03/02/2011", &jb_o, ""],
            ["Camille", "16/06/2013", &ca_o, ""],
        ],
    )
    .await;
    let jb_s = code_of(&codes, "Sophie MARTIN", "Jean-Baptiste");
    let ca_s = code_of(&codes, "Sophie MARTIN", "Camille");
    parent(
        &s,
        &env,
        &SOPHIE,
        "sophie.martin@example.org",
        vec![
            ["Jean-Baptiste", "03/02/2011", &jb_s, ""],
            ["Camille", "16/06/2013", &ca_s, ""],
        ],
    )
    .await;

    // Before: both parents hold both children.
    for who in [&OLIVIER, &SOPHIE] {
        let a = cas_attributes(&s, who).await;
        assert_eq!(
            values(&a, "ENTAuxEnsEnfants"),
            strings(&["9990101", "9990102"])
        );
        // 15.10: the same children qualified by their school's UAI.
        assert_eq!(
            values(&a, "ENTAuxEnsEnfantsUAI"),
            [format!("{UAI}/9990101"), format!("{UAI}/9990102")]
        );
        assert_eq!(values(&a, "ENTEleveClasses"), strings(&["4B", "6A"]));
        let html = home(&s, who).await;
        assert!(
            html.contains("Camille") && html.contains("Jean-Baptiste"),
            "{html}"
        );
    }
    let a = cas_attributes(&s, &CAMILLE).await;
    assert_eq!(values(&a, "ENTPersonStructRattach"), strings(&[UAI]));
    assert_eq!(values(&a, "ENTEleveClasses"), strings(&["6A"]));
    let olivier_at = access_token(&s, &OLIVIER).await;
    let (_, info) = userinfo(&s, &olivier_at).await;
    assert_eq!(
        claim(&info, "sesame_children"),
        strings(&["9990101", "9990102"])
    );
    let camille_at = access_token(&s, &CAMILLE).await;
    let mails_before = outbox(&env).await.len();

    // September: Olivier no longer has Jean-Baptiste (a custody decision),
    // Camille left on 31/08, Jean-Baptiste moved up to 3B.
    let pupils = september(replaced(
        text(PUPILS),
        &[
            (
                "<DATE_MODIFICATION>02/09/2024</DATE_MODIFICATION>",
                "<DATE_MODIFICATION>31/08/2025</DATE_MODIFICATION><DATE_SORTIE>31/08/2025</DATE_SORTIE>",
            ),
            (
                "<CODE_MEF>10210001110</CODE_MEF>",
                "<CODE_MEF>10310019110</CODE_MEF>",
            ),
            (
                "<CODE_STRUCTURE>4B</CODE_STRUCTURE>",
                "<CODE_STRUCTURE>3B</CODE_STRUCTURE>",
            ),
        ],
    ));
    let guardians = september(without_link(&text(GUARDIANS), "9990102", "800202"));
    let report = import(&env, &pupils, &guardians);
    assert!(
        report.contains("compte(s) mis à jour en conséquence"),
        "{report}"
    );

    // Olivier: no child left on his page, in his tickets or his tokens,
    // even the access token issued before the import.
    let html = home(&s, &OLIVIER).await;
    assert!(
        !html.contains("Camille") && !html.contains("Jean-Baptiste"),
        "{html}"
    );
    let a = cas_attributes(&s, &OLIVIER).await;
    assert!(values(&a, "ENTAuxEnsEnfants").is_empty(), "{a:?}");
    assert!(values(&a, "ENTAuxEnsEnfantsUAI").is_empty(), "{a:?}");
    assert!(values(&a, "ENTEleveClasses").is_empty(), "{a:?}");
    assert!(values(&a, "ENTPersonStructRattach").is_empty(), "{a:?}");
    let (status, info) = userinfo(&s, &olivier_at).await;
    assert_eq!(status, 200);
    assert!(claim(&info, "sesame_children").is_empty(), "{info}");
    let (_, info) = userinfo(&s, &access_token(&s, &OLIVIER).await).await;
    assert!(claim(&info, "sesame_children").is_empty(), "{info}");

    // Sophie keeps Jean-Baptiste, in his new class; Camille is gone.
    let html = home(&s, &SOPHIE).await;
    assert!(
        html.contains("Jean-Baptiste") && !html.contains("Camille"),
        "{html}"
    );
    let a = cas_attributes(&s, &SOPHIE).await;
    assert_eq!(values(&a, "ENTAuxEnsEnfants"), strings(&["9990102"]));
    assert_eq!(
        values(&a, "ENTAuxEnsEnfantsUAI"),
        [format!("{UAI}/9990102")]
    );
    assert_eq!(values(&a, "ENTEleveClasses"), strings(&["3B"]));
    let (_, info) = userinfo(&s, &access_token(&s, &SOPHIE).await).await;
    assert_eq!(claim(&info, "sesame_children"), strings(&["9990102"]));
    assert_eq!(claim(&info, "sesame_classes"), strings(&["3B"]));

    // Camille keeps her account and her name, not her school.
    let a = cas_attributes(&s, &CAMILLE).await;
    assert_eq!(values(&a, "sn"), strings(&["MARTIN"]));
    assert!(values(&a, "ENTPersonStructRattach").is_empty(), "{a:?}");
    assert!(values(&a, "ENTEleveClasses").is_empty(), "{a:?}");
    let (_, info) = userinfo(&s, &camille_at).await;
    assert!(claim(&info, "sesame_uai").is_empty(), "{info}");
    assert!(claim(&info, "sesame_classes").is_empty(), "{info}");

    // The level of study followed the class.
    assert_eq!(
        env.count("SELECT COUNT(*) FROM pupils WHERE external_id = '9990102' AND level = '10310019110' AND class_code = '3B'")
            .await,
        1
    );
    // One audit event per change, with what changed; no mail.
    let audit = |kind: &'static str| {
        let env = &env;
        async move {
            env.count(&format!(
                "SELECT COUNT(*) FROM audit_events WHERE kind = '{kind}'"
            ))
            .await
        }
    };
    assert_eq!(audit("child_detached").await, 3, "Olivier ×2, Sophie ×1");
    assert_eq!(audit("pupil_left").await, 1);
    assert_eq!(audit("account_without_child").await, 1, "Olivier");
    let details = env
        .rows("SELECT detail FROM audit_events WHERE kind = 'child_detached' ORDER BY id")
        .await;
    let details: Vec<String> = details.into_iter().flatten().flatten().collect();
    assert!(
        details
            .iter()
            .any(|d| d.contains("9990102") && d.contains("lien")),
        "{details:?}"
    );
    assert!(
        details
            .iter()
            .any(|d| d.contains("9990101") && d.contains("sorti")),
        "{details:?}"
    );
    assert_eq!(outbox(&env).await.len(), mails_before, "no mail to anyone");
    let out = env.sesame(&["audit", "--kind", "child_detached"]).ok();
    assert!(out.contains("élève 9990102 (0999001W)"), "{out}");

    // Importing B again changes nothing more.
    import(&env, &pupils, &guardians);
    assert_eq!(audit("child_detached").await, 3);
}

mod leavers;
