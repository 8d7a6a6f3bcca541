//! A primary killed under load, Sentinel failing over (issue 19 §2): a
//! primary, its replica and three sentinels of the test's own on loopback;
//! two `sesame serve` nodes reach Redis with `redis.sentinels` and
//! `redis.master_name`. While the failover lasts every request that needs
//! Redis answers 503 with `Retry-After` (never 500); then the nodes work on
//! the new primary by themselves; no ticket is validated twice and no code
//! redeemed twice.

use super::redis_procs::Sentinels;
use super::*;
use crate::support::fixtures::CALLBACK;

/// What the rounds saw.
#[derive(Default)]
struct Seen {
    /// Tickets validated (each must never validate again).
    validated: Vec<String>,
    /// Codes redeemed, with their verifier (each must never redeem again).
    redeemed: Vec<(String, String)>,
    /// 503 answers, each with `Retry-After`.
    unavailable: usize,
    /// Answers that are neither the expected one nor a 503 with
    /// `Retry-After`.
    wrong: Vec<String>,
}

impl Seen {
    /// Whether `r` is one of the `want` answers; records a 503 with `Retry-After`,
    /// or anything else as wrong.
    fn check(&mut self, what: &str, r: &reqwest::Response, want: &[u16]) -> bool {
        let status = r.status().as_u16();
        if want.contains(&status) {
            return true;
        }
        if status == 503 && r.headers().contains_key("retry-after") {
            self.unavailable += 1;
        } else {
            self.wrong.push(format!("{what}: {status}"));
        }
        false
    }
}

/// One login of a fresh browser, one ticket of `browser`'s session
/// validated, one code obtained and redeemed, at `base`; answers whether
/// everything succeeded.
async fn round(base: &str, browser: &Client, seen: &mut Seen) -> bool {
    let mut ok = true;
    // A login.
    let fresh = client();
    let r = fresh
        .get(format!("{base}/connexion?profil={}", CAMILLE.profile))
        .send()
        .await
        .expect("login form");
    if seen.check("login form", &r, &[200]) {
        let csrf = csrf_of(&r.text().await.expect("body"));
        let r = fresh
            .post(format!("{base}/connexion"))
            .form(&CAMILLE.login_fields(&csrf, &[]))
            .send()
            .await
            .expect("login");
        ok &= seen.check("login", &r, &[303]);
    } else {
        ok = false;
    }
    // A ticket, validated.
    let r = browser
        .get(format!("{base}/cas/login?service={}", enc(SERVICE)))
        .send()
        .await
        .expect("cas login");
    if seen.check("cas login", &r, &[302, 303]) {
        let loc = r.headers()["location"].to_str().expect("ascii").to_owned();
        let t = loc.split("ticket=").nth(1).expect("ticket").to_owned();
        let r = client()
            .get(format!(
                "{base}/cas/p3/serviceValidate?ticket={t}&service={}",
                enc(SERVICE)
            ))
            .send()
            .await
            .expect("validate");
        if seen.check("validate", &r, &[200]) {
            let body = r.text().await.expect("body");
            if body.contains("cas:authenticationSuccess") {
                seen.validated.push(t);
            } else {
                seen.wrong.push(format!("validate: {body}"));
            }
        } else {
            ok = false;
        }
    } else {
        ok = false;
    }
    // A code, redeemed.
    let (r, verifier) = authorize(base, browser, "teleservice", "openid", "").await;
    if seen.check("authorize", &r, &[302, 303]) {
        let code = code_in(&r);
        let r = token(base, &code, &verifier).await;
        if seen.check("token", &r, &[200]) {
            seen.redeemed.push((code, verifier));
        } else {
            ok = false;
        }
    } else {
        ok = false;
    }
    ok
}

async fn token(base: &str, code: &str, verifier: &str) -> reqwest::Response {
    client()
        .post(format!("{base}/oidc/token"))
        .basic_auth(TELESERVICE.id, Some(TELESERVICE.secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", CALLBACK),
            ("code_verifier", verifier),
        ])
        .send()
        .await
        .expect("token")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_primary_fails_over_with_503_meanwhile_and_nothing_used_twice() {
    let mut redis = Sentinels::start();
    let mut env = TestEnv::shared(Some(&format!("redis://{}/", redis.primary.addr())));
    env.extra_env = redis.env();
    let (c, out) = Cluster::start_in(env, 2).await;
    let code = pupil_code(&out, "Camille MARTIN");
    let browser = client();
    sign_up_camille(&browser, &c.proxy, &code, PASSWORD).await;
    assert_eq!(login(&browser, &c.proxy, PASSWORD).await, 303);
    let mut seen = Seen::default();
    for i in 0..4 {
        assert!(
            round(c.url(i % 2), &browser, &mut seen).await,
            "{:?}",
            seen.wrong
        );
    }

    let old = redis.primary_port();
    assert_eq!(old, redis.primary.port.to_string());
    redis.primary.kill();
    // Rounds go on until the sentinels name the replica and three rounds
    // in a row succeed on it (the count is a hang guard).
    let mut in_a_row = 0;
    for i in 0..2000 {
        if round(c.url(i % 2), &browser, &mut seen).await {
            in_a_row += 1;
        } else {
            in_a_row = 0;
        }
        if in_a_row == 3 && redis.primary_port() == redis.replica.port.to_string() {
            break;
        }
        assert!(i < 1999, "never worked again on the new primary");
    }
    assert!(seen.wrong.is_empty(), "{:?}", seen.wrong);
    assert!(seen.unavailable > 0, "the failover was seen as 503s");

    // Nothing used twice: every ticket validated and every code redeemed
    // is refused now, on the new primary.
    for t in &seen.validated {
        assert!(!validate(c.url(0), t).await, "ticket validated twice");
    }
    for (code, verifier) in &seen.redeemed {
        let r = token(c.url(1), code, verifier).await;
        assert_eq!(r.status(), 400, "code redeemed twice");
    }
}
