//! Registered service URLs are compared with the text as written
//! (CAS 3.0 §2.1.1, issue 15 §3): a registration with a port and a query
//! matches exactly that URL, never a normalised neighbour.

use super::*;

/// A service registered with a port and a query, as written.
const PORTAIL: &str = "https://ent.example.fr:8443/portail?etab=0999001W";

// Issue 15 §3: an exactly-registered URL matches; a variant that would
// parse to the same URL does not.
#[tokio::test(flavor = "multi_thread")]
async fn an_exactly_registered_service_url_gets_a_ticket() {
    let env = TestEnv::new();
    env.write(
        "services/portail.toml",
        format!("id = \"portail\"\nname = \"Portail\"\nprotocol = \"cas\"\n[cas]\nservice_urls = [\"{PORTAIL}\"]\n"),
    );
    let s = pupil_account(&env, now_clock(), 1000).await;
    let c = TestServer::browser();
    let t = login_for(&s, &c, PORTAIL, "").await;
    let (status, xml) = validate(&s, "/cas/p3/serviceValidate", &t, PORTAIL, "").await;
    assert_eq!(status, 200);
    assert_eq!(value(&parse_xml(&xml), "cas:user"), Some("camille.martin"));

    for variant in [
        "https://ENT.example.fr:8443/portail?etab=0999001W",
        "https://ent.example.fr:8443/portail/?etab=0999001W",
    ] {
        let r = get(&c, &format!("{}/cas/login?service={}", s.url, enc(variant))).await;
        let to = r
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap_or_default().to_owned())
            .unwrap_or_default();
        assert!(!to.contains("ticket="), "{variant} got a ticket: {to}");
    }
}

// CAS 3.0 §2.2.4, issue 15 §10: the ticket goes into the query, before the
// fragment of a single-page application's service URL.
#[tokio::test(flavor = "multi_thread")]
async fn the_ticket_is_added_before_the_fragment_of_the_service_url() {
    const SPA: &str = "https://spa.example.fr/app?x=1#/route";
    let env = TestEnv::new();
    env.write(
        "services/spa.toml",
        format!(
            "id = \"spa\"\nname = \"SPA\"\nprotocol = \"cas\"\n[cas]\nservice_urls = [\"{SPA}\"]\n"
        ),
    );
    let s = pupil_account(&env, now_clock(), 1000).await;
    let c = TestServer::browser();
    let t = login_for(&s, &c, SPA, "").await;
    assert!(t.starts_with("ST-") && !t.contains('#'), "{t}");
    let r = get(&c, &format!("{}/cas/login?service={}", s.url, enc(SPA))).await;
    let to = location(&r);
    assert!(
        to.starts_with("https://spa.example.fr/app?x=1&ticket=ST-") && to.ends_with("#/route"),
        "{to}"
    );
    let (status, xml) = validate(&s, "/cas/p3/serviceValidate", &t, SPA, "").await;
    assert_eq!(status, 200);
    assert_eq!(value(&parse_xml(&xml), "cas:user"), Some("camille.martin"));
}
