//! `sesame demo` end to end: the real binary, its sample school and codes,
//! a pupil account created with a printed code, and the demonstration
//! télé-service logging in through CAS over HTTP; and its demonstration
//! directory (the next port), through which staff and guests log in, so
//! that every profile of the first screen works.

use crate::support::fixtures::{
    Signup, code_of, confirmation_links, guardian_codes, pupil_code, sign_up_camille,
};
use crate::support::http::{csrf_of, enc, page, post};
use crate::support::{CAMILLE, OLIVIER, PASSWORD, TestEnv, TestServer, log_in, outbox};
use reqwest::Client;
use std::io::{BufRead, BufReader};
use std::time::{Duration, Instant};

struct Demo(std::process::Child);

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A port whose next one is free too (the directory's).
fn two_free_ports() -> u16 {
    for _ in 0..100 {
        let a = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let p = a.local_addr().expect("addr").port();
        if p < u16::MAX && std::net::TcpListener::bind(("127.0.0.1", p + 1)).is_ok() {
            return p;
        }
    }
    panic!("no two consecutive free ports");
}

/// `sesame demo` on a free port, ready: (its process, what it printed,
/// its URL).
async fn start(env: &TestEnv) -> (Demo, String, String) {
    let port = two_free_ports();
    let mut child = env
        .command()
        .args(["demo", "--listen", &format!("127.0.0.1:{port}")])
        .env("SESAME__PASSWORD__ARGON2_MEMORY_KIB", "8192")
        .env("SESAME__PASSWORD__ARGON2_ITERATIONS", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn sesame demo");
    let stdout = child.stdout.take().expect("stdout");
    let demo = Demo(child);
    let lines = tokio::task::spawn_blocking(move || {
        let mut lines = Vec::new();
        for line in BufReader::new(stdout).lines() {
            let line = line.expect("line");
            let done = line.starts_with("Arrêt");
            lines.push(line);
            if done {
                break;
            }
        }
        lines
    })
    .await
    .expect("demo output");
    let out = lines.join("\n");
    let base = format!("http://127.0.0.1:{port}");
    let c = TestServer::browser();
    let deadline = Instant::now() + Duration::from_secs(30);
    while c
        .get(format!("{base}/readyz"))
        .send()
        .await
        .map(|r| r.status().as_u16())
        .unwrap_or(0)
        != 200
    {
        assert!(
            Instant::now() < deadline,
            "the demo never became ready: {out}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    (demo, out, base)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_demo_service_logs_in_through_cas_and_shows_the_validation() {
    let env = TestEnv::new();
    let (_demo, out, base) = start(&env).await;
    assert!(out.contains(&format!("{base}/demo/")), "{out}");
    let c = TestServer::browser();
    let code = pupil_code(&out, "Camille MARTIN");

    // A pupil account, with the code the demo printed.
    sign_up_camille(&c, &base, &code, PASSWORD).await;

    // The demo service sends the browser to CAS…
    let html = c
        .get(format!("{base}/demo/"))
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("body");
    let login = html
        .split("href=\"")
        .map(|s| s.split('"').next().unwrap_or_default())
        .find(|h| h.starts_with("/cas/login"))
        .expect("a CAS login link")
        .replace("&amp;", "&");
    assert!(html.contains("Se connecter avec Sésame"), "{html}");
    // The same page in English, for a browser that asks for it.
    let english = TestServer::browser()
        .get(format!("{base}/demo/"))
        .header("accept-language", "en")
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("body");
    assert!(
        english.contains("Demonstration online service"),
        "{english}"
    );
    assert!(english.contains("Sign in with Sésame"), "{english}");
    assert!(!english.contains("Se connecter"), "{english}");
    let r = c.get(format!("{base}{login}")).send().await.expect("get");
    assert_eq!(r.status(), 303);
    let to = r.headers()["location"].to_str().expect("ascii").to_owned();
    let service = to.split_once("service=").expect("service").1.to_owned();
    let service = url::form_urlencoded::parse(format!("s={service}").as_bytes())
        .next()
        .expect("service")
        .1
        .into_owned();
    let r = log_in(&c, &base, &CAMILLE, &[("service", &service)]).await;
    assert_eq!(r.status(), 303);
    let back = r.headers()["location"].to_str().expect("ascii").to_owned();
    assert!(
        back.starts_with(&format!("{base}/demo/?ticket=ST-")),
        "{back}"
    );
    // …and shows what its validation received.
    let page = c
        .get(&back)
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("body");
    assert!(page.contains("Connecté : camille.martin"), "{page}");
    assert!(
        page.contains("cas:authenticationSuccess") && page.contains("0999001W"),
        "{page}"
    );
}

/// Text of an HTML attribute or element, unescaped (named and decimal
/// character references).
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let Some(end) = rest.find(';').filter(|e| *e < 10) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..end];
        let c = match entity {
            "lt" => Some('<'),
            "gt" => Some('>'),
            "amp" => Some('&'),
            "quot" => Some('"'),
            _ => entity
                .strip_prefix("#x")
                .or_else(|| entity.strip_prefix("#X"))
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match c {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The hidden fields of the first form of a page.
fn hidden_fields(html: &str) -> Vec<(String, String)> {
    html.split("<input type=\"hidden\" name=\"")
        .skip(1)
        .filter_map(|rest| {
            let (name, rest) = rest.split_once('"')?;
            let value = rest.split_once("value=\"")?.1.split_once('"')?.0;
            Some((name.to_owned(), unescape(value)))
        })
        .collect()
}

/// The names of the cookies a response sets.
fn cookie_names(r: &reqwest::Response) -> Vec<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split('=').next())
        .map(str::to_owned)
        .collect()
}

/// A browser that follows redirects by hand from `url` up to a page;
/// answers (its URL, its body), and records the cookies each port set.
async fn follow(
    c: &Client,
    mut url: url::Url,
    cookies: &mut Vec<(u16, String)>,
) -> (url::Url, String) {
    for _ in 0..15 {
        let r = c.get(url.clone()).send().await.expect("get");
        let port = url.port().expect("port");
        cookies.extend(cookie_names(&r).into_iter().map(|n| (port, n)));
        if !r.status().is_redirection() {
            assert_eq!(r.status(), 200, "{url}");
            return (url, r.text().await.expect("body"));
        }
        let to = r.headers()["location"].to_str().expect("ascii").to_owned();
        url = url.join(&to).expect("location");
    }
    panic!("too many redirects from {url}");
}

/// Posts `fields` to `url` and follows where it leads.
async fn submit(
    c: &Client,
    url: url::Url,
    fields: &[(String, String)],
    cookies: &mut Vec<(u16, String)>,
) -> (url::Url, String) {
    let r = c.post(url.clone()).form(fields).send().await.expect("post");
    cookies.extend(
        cookie_names(&r)
            .into_iter()
            .map(|n| (url.port().expect("port"), n)),
    );
    assert!(r.status().is_redirection(), "{url}: {}", r.status());
    let to = r.headers()["location"].to_str().expect("ascii").to_owned();
    follow(c, url.join(&to).expect("location"), cookies).await
}

/// The demo télé-service's page after a login as `identifiant` with
/// `profile`: it shows the identity and the validation's profile.
fn assert_logged_in(page: &str, identifiant: &str, profile: &str) {
    let text = unescape(page);
    assert!(
        text.contains(&format!("Connecté : {identifiant}")),
        "{text}"
    );
    assert!(
        text.contains(&format!("<cas:profile>{profile}</cas:profile>")),
        "{text}"
    );
}

/// The directory's accounts as the demo printed them: (profile label,
/// identifiant, password).
fn directory_accounts(out: &str) -> Vec<(String, String, String)> {
    out.lines()
        .filter(|l| l.starts_with("  ") && l.contains(" — ") && l.contains(" / "))
        .map(|l| {
            let label = l.trim().split(" — ").next().expect("label").to_owned();
            let creds = l.rsplit(" : ").next().expect("credentials");
            let (id, pw) = creds.split_once(" / ").expect("id / password");
            (label, id.trim().to_owned(), pw.trim().to_owned())
        })
        .collect()
}

// The seed's first screen, whole: five profiles; pupils and parents with
// the printed codes, staff and guests through the demonstration directory
// on the next port, each back at the demo télé-service with a CAS ticket
// that carries the profile chosen.
#[tokio::test(flavor = "multi_thread")]
async fn every_profile_of_the_first_screen_logs_in_on_the_demo() {
    let env = TestEnv::new();
    let (_demo, out, base) = start(&env).await;
    let main = url::Url::parse(&base).expect("url");
    let port = main.port().expect("port");
    let directory = format!("http://127.0.0.1:{}/", port + 1);
    assert!(out.contains(&directory), "{out}");
    let service = format!("{base}/demo/");
    let cas_login = main
        .join(&format!("/cas/login?service={}", enc(&service)))
        .expect("url");

    // The first screen: the five profiles, in the seed's order.
    let (_, html) = page(&TestServer::browser(), &format!("{base}/profil")).await;
    let labels = [
        "Élève",
        "Parent",
        "Personnel de l'Éducation nationale",
        "Personnel de collectivité territoriale",
        "Invité",
    ];
    let at: Vec<usize> = labels
        .iter()
        .map(|l| {
            unescape(&html)
                .find(&unescape(l))
                .unwrap_or_else(|| panic!("{l} in {html}"))
        })
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{at:?}");

    // Élève: a pupil account with the printed code.
    let c = TestServer::browser();
    sign_up_camille(&c, &base, &pupil_code(&out, "Camille MARTIN"), PASSWORD).await;
    let r = log_in(&c, &base, &CAMILLE, &[("service", &service)]).await;
    assert_eq!(r.status(), 303);
    let back = r.headers()["location"].to_str().expect("ascii").to_owned();
    let (_, page_) = page(&c, &back).await;
    assert_logged_in(&page_, "camille.martin", "eleve");

    // Parent: an account with the printed code, confirmed by its mail.
    let c = TestServer::browser();
    let codes = guardian_codes(&out);
    let jb = code_of(&codes, "Olivier MARTIN", "Jean-Baptiste");
    let signup = format!("{base}/premiere-visite/parent");
    let (_, html) = page(&c, &signup).await;
    let form = Signup::olivier(&jb).form(&csrf_of(&html), "creer");
    assert_eq!(post(&c, &signup, &form).await.0, 303);
    let link = confirmation_links(&outbox(&env).await).remove(0);
    let (_, html) = page(&c, &format!("{base}{link}")).await;
    let code = link.split("code=").nth(1).expect("code").to_owned();
    let action = link.split('?').next().expect("path");
    let form = [("csrf", csrf_of(&html)), ("code", code)].map(|(k, v)| (k.to_owned(), v));
    assert_eq!(post(&c, &format!("{base}{action}"), &form).await.0, 200);
    let r = log_in(&c, &base, &OLIVIER, &[("service", &service)]).await;
    assert_eq!(r.status(), 303);
    let back = r.headers()["location"].to_str().expect("ascii").to_owned();
    let (_, page_) = page(&c, &back).await;
    assert_logged_in(&page_, "olivier.martin", "parent");

    // Staff and guests: through the directory, one browser each.
    let accounts = directory_accounts(&out);
    assert_eq!(accounts.len(), 3, "{out}");
    let mut cookies = Vec::new();
    for (profile, label) in [
        ("personnel_education", "Personnel de l'Éducation nationale"),
        (
            "personnel_collectivite",
            "Personnel de collectivité territoriale",
        ),
        ("invite", "Invité"),
    ] {
        let (_, identifiant, password) = accounts
            .iter()
            .find(|(l, _, _)| l == label)
            .unwrap_or_else(|| panic!("an account for {label} in {out}"));
        let c = TestServer::browser();
        // The demo service sends the browser to the first screen…
        let (at, html) = follow(&c, cas_login.clone(), &mut cookies).await;
        assert_eq!(at.path(), "/profil", "{at}");
        let mut fields = hidden_fields(&html);
        fields.push(("profil".into(), profile.into()));
        // …whose staff profile leads to the directory's own pages.
        let (at, html) = submit(&c, at.join("/profil").expect("url"), &fields, &mut cookies).await;
        assert_eq!(at.port(), Some(port + 1), "{at}");
        assert_eq!(at.path(), "/profil", "{at}");
        let mut fields = hidden_fields(&html);
        fields.push(("profil".into(), profile.into()));
        let (at, html) = submit(&c, at.join("/profil").expect("url"), &fields, &mut cookies).await;
        assert_eq!(
            (at.port(), at.path()),
            (Some(port + 1), "/connexion"),
            "{at}"
        );
        let mut fields = hidden_fields(&html);
        fields.push(("identifiant".into(), identifiant.clone()));
        fields.push(("password".into(), password.clone()));
        // Logged in there: back at Sésame, then at the service.
        let (at, page_) = submit(
            &c,
            at.join("/connexion").expect("url"),
            &fields,
            &mut cookies,
        )
        .await;
        assert_eq!(
            format!("{}{}", at.origin().ascii_serialization(), at.path()),
            format!("{base}/demo/"),
            "{at}"
        );
        assert_logged_in(&page_, identifiant, profile);
        // A logged-in state at Sésame: its home page says who.
        let (_, home) = page(&c, &format!("{base}/")).await;
        assert!(unescape(&home).contains(identifiant.as_str()), "{home}");
    }
    // The two servers share a host: their cookies go by other names.
    let main_names: Vec<&str> = cookies
        .iter()
        .filter(|(p, _)| *p == port)
        .map(|(_, n)| n.as_str())
        .collect();
    let dir_names: Vec<&str> = cookies
        .iter()
        .filter(|(p, _)| *p == port + 1)
        .map(|(_, n)| n.as_str())
        .collect();
    assert!(
        dir_names.contains(&"annuaire") && dir_names.contains(&"annuaire-b"),
        "{dir_names:?}"
    );
    assert!(main_names.contains(&"sesame"), "{main_names:?}");
    assert!(
        dir_names.iter().all(|n| !main_names.contains(n)),
        "{main_names:?} {dir_names:?}"
    );
}

// The directory takes the next port: a main port without one is refused
// before anything starts.
#[test]
fn a_demo_on_the_last_port_is_refused_with_a_reason() {
    let env = TestEnv::new();
    let run = env.sesame(&["demo", "--listen", "127.0.0.1:65535"]);
    assert_eq!(run.code(), 2, "{}", run.stderr());
    assert!(run.stderr().contains("port suivant"), "{}", run.stderr());
}
