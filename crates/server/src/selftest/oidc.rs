//! The OpenID Connect checks: the discovery document and the JWKS, then a
//! whole authorization code + PKCE flow as a relying party with the
//! `openidconnect` crate (ID token verified by it), userinfo, refresh and
//! its rotation, revocation.

use super::browser::Browser;
use super::{Options, Report, at, base};
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreJsonWebKeySet, CoreProviderMetadata, CoreTokenResponse,
};
use openidconnect::{
    ClientId, ClientSecret, CsrfToken, Nonce, OAuth2TokenResponse, PkceCodeChallenge, RedirectUrl,
};
use serde_json::Value;
use url::Url;

/// What discovery found, for the flow.
#[derive(Debug)]
pub struct Discovered {
    meta: CoreProviderMetadata,
    raw: Value,
}

/// Members no public JWK may carry (RFC 7517 §9.3, RFC 7518 §6).
const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// The discovery document's required members (Discovery 1.0 §3).
const REQUIRED: [&str; 7] = [
    "issuer",
    "authorization_endpoint",
    "token_endpoint",
    "jwks_uri",
    "response_types_supported",
    "subject_types_supported",
    "id_token_signing_alg_values_supported",
];

async fn json(b: &Browser, url: &Url) -> Result<Value, String> {
    let a = b.get(url).await?;
    if a.status != 200 {
        return Err(format!("{url} répond {}", a.status));
    }
    serde_json::from_str(&a.body).map_err(|e| format!("{url} : JSON illisible ({e})"))
}

/// Discovery document and JWKS.
pub async fn discovery(b: &Browser, opts: &Options, report: &mut Report) -> Option<Discovered> {
    let url = at(&opts.url, "/.well-known/openid-configuration").ok()?;
    let raw = match json(b, &url).await {
        Ok(v) => v,
        Err(e) => {
            report.check("discovery.document", Err(e));
            return None;
        }
    };
    let missing: Vec<&str> = REQUIRED
        .iter()
        .copied()
        .filter(|k| raw.get(*k).is_none_or(Value::is_null))
        .collect();
    let meta: Result<CoreProviderMetadata, _> = serde_json::from_value(raw.clone());
    let meta = match (missing.is_empty(), meta) {
        (true, Ok(m)) => {
            report.check(
                "discovery.document",
                Ok(format!(
                    "{} membres",
                    raw.as_object().map_or(0, |o| o.len())
                )),
            );
            m
        }
        (false, _) => {
            report.check(
                "discovery.document",
                Err(format!("membres requis absents : {}", missing.join(", "))),
            );
            return None;
        }
        (true, Err(e)) => {
            report.check("discovery.document", Err(format!("illisible : {e}")));
            return None;
        }
    };
    let issuer = meta.issuer().as_str().trim_end_matches('/').to_owned();
    report.check(
        "discovery.issuer",
        if issuer == base(&opts.url) {
            Ok(issuer.clone())
        } else {
            Err(format!(
                "l'émetteur publié est {issuer}, l'adresse vérifiée {} : `server.public_url` doit être l'adresse publique",
                base(&opts.url)
            ))
        },
    );
    report.check("discovery.endpoints", endpoints(b, &raw).await);

    let jwks_raw = match Url::parse(meta.jwks_uri().as_str()) {
        Ok(u) => json(b, &u).await,
        Err(e) => Err(e.to_string()),
    };
    let jwks_raw = match jwks_raw {
        Ok(v) => v,
        Err(e) => {
            report.check("jwks", Err(e));
            return None;
        }
    };
    let jwks: CoreJsonWebKeySet = match serde_json::from_value(jwks_raw.clone()) {
        Ok(k) => k,
        Err(e) => {
            report.check("jwks", Err(format!("illisible : {e}")));
            return None;
        }
    };
    let keys = jwks_raw["keys"].as_array().cloned().unwrap_or_default();
    let private: Vec<String> = keys
        .iter()
        .filter(|k| PRIVATE_MEMBERS.iter().any(|m| k.get(*m).is_some()))
        .map(|k| k["kid"].as_str().unwrap_or("?").to_owned())
        .collect();
    report.check(
        "jwks",
        if keys.is_empty() {
            Err("aucune clé publiée".into())
        } else if !private.is_empty() {
            Err(format!("parties privées publiées : {}", private.join(", ")))
        } else {
            Ok(format!("{} clé(s) publique(s)", keys.len()))
        },
    );
    report.check("discovery.algorithms", algorithms(&raw, &keys));
    Some(Discovered {
        meta: meta.set_jwks(jwks),
        raw,
    })
}

/// Each endpoint answers as it should to a request without credentials:
/// a 4xx of its own, never a 404, a 5xx or no answer.
async fn endpoints(b: &Browser, raw: &Value) -> Result<String, String> {
    let mut bad = Vec::new();
    let mut seen = 0;
    for (member, post) in [
        ("authorization_endpoint", false),
        ("token_endpoint", true),
        ("userinfo_endpoint", false),
        ("jwks_uri", false),
        ("revocation_endpoint", true),
        ("introspection_endpoint", true),
        ("end_session_endpoint", false),
    ] {
        let Some(u) = raw[member].as_str() else {
            continue;
        };
        seen += 1;
        let url = match Url::parse(u) {
            Ok(u) => u,
            Err(e) => {
                bad.push(format!("{member} : {e}"));
                continue;
            }
        };
        let a = if post {
            b.post(&url, &[]).await
        } else {
            b.get(&url).await
        };
        match a {
            Ok(a) if a.status == 404 || a.status == 405 || a.status >= 500 => {
                bad.push(format!("{member} ({u}) répond {}", a.status));
            }
            Ok(_) => {}
            Err(e) => bad.push(format!("{member} injoignable : {e}")),
        }
    }
    if bad.is_empty() {
        Ok(format!("{seen} points d'accès répondent"))
    } else {
        Err(bad.join(" ; "))
    }
}

/// The algorithms published for ID tokens each have a key in the JWKS,
/// and no key claims an algorithm that is not published.
fn algorithms(raw: &Value, keys: &[Value]) -> Result<String, String> {
    let published: Vec<&str> = raw["id_token_signing_alg_values_supported"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let fits = |alg: &str, k: &Value| {
        if let Some(a) = k["alg"].as_str() {
            return a == alg;
        }
        match alg {
            a if a.starts_with("RS") || a.starts_with("PS") => k["kty"] == "RSA",
            "ES256" => k["crv"] == "P-256",
            "ES384" => k["crv"] == "P-384",
            "EdDSA" => k["kty"] == "OKP",
            _ => false,
        }
    };
    let mut bad: Vec<String> = published
        .iter()
        .filter(|a| **a != "none" && !keys.iter().any(|k| fits(a, k)))
        .map(|a| format!("{a} publié sans clé"))
        .collect();
    for k in keys {
        if let Some(a) = k["alg"].as_str()
            && !published.contains(&a)
        {
            bad.push(format!(
                "la clé {} est {a}, non publié",
                k["kid"].as_str().unwrap_or("?")
            ));
        }
    }
    if published.contains(&"none") {
        bad.push("« none » publié".into());
    }
    if bad.is_empty() {
        Ok(published.join(", "))
    } else {
        Err(bad.join(" ; "))
    }
}

const FLOW: [&str; 6] = [
    "oidc.authorize",
    "oidc.token",
    "oidc.id_token",
    "oidc.userinfo",
    "oidc.refresh",
    "oidc.revocation",
];

fn skip_from(report: &mut Report, first: usize, why: &str) {
    for name in &FLOW[first..] {
        report.skip(name, why);
    }
}

/// A token endpoint (or revocation endpoint) call with the client's
/// credentials (`client_secret_basic`, or `client_id` for a public
/// client); answers (status, headers, JSON body or Null).
async fn call(
    b: &Browser,
    url: &str,
    client: &super::Client,
    form: &[(&str, &str)],
) -> Result<(u16, reqwest::header::HeaderMap, Value), String> {
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let mut req = b.http().post(url);
    let mut fields: Vec<(&str, &str)> = form.to_vec();
    match &client.secret {
        Some(s) => req = req.basic_auth(enc(&client.id), Some(enc(s))),
        None => fields.push(("client_id", &client.id)),
    }
    let r = req
        .form(&fields)
        .send()
        .await
        .map_err(|e| format!("{url} : {e}"))?;
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let text = r.text().await.map_err(|e| e.to_string())?;
    Ok((
        status,
        headers,
        serde_json::from_str(&text).unwrap_or(Value::Null),
    ))
}

/// The whole flow as a relying party.
pub async fn flow(
    b: &Browser,
    opts: &Options,
    discovered: Option<&Discovered>,
    report: &mut Report,
) {
    let (Some(client), Some(user)) = (&opts.client, &opts.user) else {
        skip_from(
            report,
            0,
            "il faut --client-id, --redirect-uri, --identifiant et --password-file",
        );
        return;
    };
    let Some(d) = discovered else {
        skip_from(report, 0, "découverte en échec");
        return;
    };
    let rp = CoreClient::from_provider_metadata(
        d.meta.clone(),
        ClientId::new(client.id.clone()),
        client.secret.clone().map(ClientSecret::new),
    )
    .set_redirect_uri(RedirectUrl::from_url(client.redirect_uri.clone()));
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (auth_url, state, nonce) = rp
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .set_pkce_challenge(challenge)
        .url();
    let leave = client.redirect_uri.as_str();
    let code = match super::web::walk(b, auth_url, user, leave).await {
        Ok(back) if back.as_str().starts_with(leave) => {
            let q = |n: &str| {
                back.query_pairs()
                    .find(|(k, _)| k == n)
                    .map(|(_, v)| v.into_owned())
            };
            match (q("code"), q("error")) {
                (Some(code), _) if q("state").as_deref() == Some(state.secret()) => Ok(code),
                (Some(_), _) => Err("le state ne revient pas tel qu'envoyé".into()),
                (None, Some(e)) => Err(format!(
                    "erreur {e} : {}",
                    q("error_description").unwrap_or_default()
                )),
                (None, None) => Err(format!("ni code ni erreur : {back}")),
            }
        }
        Ok(elsewhere) => Err(format!("renvoyé ailleurs : {elsewhere}")),
        Err(e) => Err(e),
    };
    let code = match code {
        Ok(c) => {
            report.check(
                "oidc.authorize",
                Ok("code reçu (PKCE S256, state, nonce)".into()),
            );
            c
        }
        Err(e) => {
            report.check("oidc.authorize", Err(e));
            skip_from(report, 1, "autorisation en échec");
            return;
        }
    };
    let token_url = d.raw["token_endpoint"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let exchanged = call(
        b,
        &token_url,
        client,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", leave),
            ("code_verifier", verifier.secret()),
        ],
    )
    .await;
    let tokens: CoreTokenResponse = match exchanged {
        Ok((200, h, body)) => {
            let no_store = h
                .get("cache-control")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.contains("no-store"));
            match serde_json::from_value(body) {
                Ok(t) if no_store => {
                    report.check(
                        "oidc.token",
                        Ok("jetons reçus, Cache-Control: no-store".into()),
                    );
                    t
                }
                Ok(_) => {
                    report.check(
                        "oidc.token",
                        Err("réponse sans Cache-Control: no-store".into()),
                    );
                    skip_from(report, 2, "jeton en échec");
                    return;
                }
                Err(e) => {
                    report.check("oidc.token", Err(format!("réponse illisible : {e}")));
                    skip_from(report, 2, "jeton en échec");
                    return;
                }
            }
        }
        Ok((status, _, body)) => {
            report.check("oidc.token", Err(format!("{status} {body}")));
            skip_from(report, 2, "jeton en échec");
            return;
        }
        Err(e) => {
            report.check("oidc.token", Err(e));
            skip_from(report, 2, "jeton en échec");
            return;
        }
    };
    let subject = match tokens.extra_fields().id_token() {
        None => Err("pas de jeton d'identité".to_owned()),
        Some(t) => t
            .claims(&rp.id_token_verifier(), &nonce)
            .map(|c| c.subject().as_str().to_owned())
            .map_err(|e| format!("refusé par openidconnect : {e}")),
    };
    let subject = match subject {
        Ok(s) => {
            report.check(
                "oidc.id_token",
                Ok(format!(
                    "signature, iss, aud, exp, nonce vérifiés ; sub {s}"
                )),
            );
            Some(s)
        }
        Err(e) => {
            report.check("oidc.id_token", Err(e));
            None
        }
    };
    report.check(
        "oidc.userinfo",
        userinfo(
            b,
            &d.raw,
            tokens.access_token().secret(),
            subject.as_deref(),
        )
        .await,
    );
    let Some(rt) = tokens.refresh_token().map(|t| t.secret().clone()) else {
        report.skip("oidc.refresh", "pas de jeton de rafraîchissement délivré");
        report.skip(
            "oidc.revocation",
            "pas de jeton de rafraîchissement délivré",
        );
        return;
    };
    let refreshed = call(
        b,
        &token_url,
        client,
        &[("grant_type", "refresh_token"), ("refresh_token", &rt)],
    )
    .await;
    let rt2 = match refreshed {
        Ok((200, _, body)) => match body["refresh_token"].as_str() {
            Some(new) if new != rt => {
                report.check(
                    "oidc.refresh",
                    Ok("nouveau jeton de rafraîchissement (rotation)".into()),
                );
                new.to_owned()
            }
            Some(_) => {
                report.check(
                    "oidc.refresh",
                    Err("le même jeton revient : pas de rotation".into()),
                );
                report.skip("oidc.revocation", "rafraîchissement en échec");
                return;
            }
            None => {
                report.check(
                    "oidc.refresh",
                    Err("pas de nouveau jeton de rafraîchissement".into()),
                );
                report.skip("oidc.revocation", "rafraîchissement en échec");
                return;
            }
        },
        Ok((status, _, body)) => {
            report.check("oidc.refresh", Err(format!("{status} {body}")));
            report.skip("oidc.revocation", "rafraîchissement en échec");
            return;
        }
        Err(e) => {
            report.check("oidc.refresh", Err(e));
            report.skip("oidc.revocation", "rafraîchissement en échec");
            return;
        }
    };
    report.check(
        "oidc.revocation",
        revocation(b, &d.raw, &token_url, client, &rt, &rt2).await,
    );
}

async fn userinfo(
    b: &Browser,
    raw: &Value,
    access_token: &str,
    subject: Option<&str>,
) -> Result<String, String> {
    let Some(url) = raw["userinfo_endpoint"].as_str() else {
        return Err("pas de userinfo_endpoint publié".into());
    };
    let r = b
        .http()
        .get(url)
        .bearer_auth(access_token)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = r.status().as_u16();
    let body: Value = r.json().await.unwrap_or(Value::Null);
    match (status, body["sub"].as_str()) {
        (200, Some(s)) if subject.is_none_or(|id| id == s) => Ok(format!("sub {s}")),
        (200, Some(s)) => Err(format!("sub {s} différent de celui du jeton d'identité")),
        _ => Err(format!("{status} {body}")),
    }
}

/// The new refresh token is revoked, then refused; the one it replaced is
/// refused too (rotation).
async fn revocation(
    b: &Browser,
    raw: &Value,
    token_url: &str,
    client: &super::Client,
    old: &str,
    new: &str,
) -> Result<String, String> {
    let Some(url) = raw["revocation_endpoint"].as_str() else {
        return Err("pas de revocation_endpoint publié".into());
    };
    let (status, _, body) = call(
        b,
        url,
        client,
        &[("token", new), ("token_type_hint", "refresh_token")],
    )
    .await?;
    if status != 200 {
        return Err(format!("révocation : {status} {body}"));
    }
    for (which, t) in [("révoqué", new), ("remplacé", old)] {
        let (status, _, body) = call(
            b,
            token_url,
            client,
            &[("grant_type", "refresh_token"), ("refresh_token", t)],
        )
        .await?;
        if status != 400 || body["error"] != "invalid_grant" {
            return Err(format!("le jeton {which} sert encore : {status} {body}"));
        }
    }
    Ok("jeton révoqué refusé, jeton remplacé refusé".into())
}
