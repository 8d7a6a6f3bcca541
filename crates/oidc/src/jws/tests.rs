//! Signing algorithms and JWS (RFC 7515, RFC 7518 §3.3-3.4, RFC 8037):
//! fixed keys, so that every signature is the same from run to run.

use super::{Alg, PublicKey, Signing, verify};
use base64::Engine;
use openidconnect::{JsonWebKey, PrivateSigningKey};
use serde_json::json;

/// An RSA 2048 key, PKCS#8 DER (made for these tests, used nowhere else).
const RSA_PKCS8: &str = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCkjLlUkYfo1Nv0c8hyUieVmWeV7r0ABNRA3j+993vm/57OWOEp3nIfVCxNDeQx30gQ0P/xOurWMvcfLSnLFnkC9oMsHS5LCKJRHvVg9u1fEpCRKdtTgSN7s5RkwbZfb1wP/W8i/X3rtDAy8DbnlKwjpGHA+zPzD7ZOmkQin6ZgVjr72OzMdYu6YIVoPJCvdRLgVO8wNYUmiQtTyfVvlMyEOzbab2sk6gxuColECrZb2aaukAx+4ZxNZTWReZniz/AJi+gHUHQr13fgRZbMRjdg+/D8SFkRh+EqkFjSyPw+qX6ziJMej9EOpnwLaVb865u3GOIAItDI5Re/PjCyVW6XAgMBAAECggEAK0ZVIUAKybldRVtD3ojrnyTSgLRiIUSj25F3mwqgm74jMipewQee5M1av0MFffY2OjH09aikhQOvSRQ0FxSIa7aQBcSA3bveEE5/guo9wBCeU4b6BuqB/fDa+GqXf17Gi+//T+jxulDPkj3pepr3cII1MS7/WQ+LRv28KIzrEQ9//Wxe9j609SDYAf0frU3JiVYVqksbeexePn70sQo/oaDrGJ72mnIak1UFuQt9D0NYzy+NLm0Mahl+8B/WYflmbqoTSxMIJFi/BZKuBQp4M2DWpZYMod6wFPF0dlu7Nm7GRLjXT1xVg1C6E3Ll1l4FlG8ez+qrLxzRIt3XVNiO9QKBgQDjMTYX1PiFhtj+hbXfvo0TRTKw/TfEnZkEkM2Zh2h/jfLBkZWxoyXzmJkGaM0q8zjEM5Wv6myUzeWchwORVqjJtvMULy4dSulKGdOYPpu5jOiEnEgdsB41d9KMyRn3oAfN8J3ZgmCYHpRizFpl1axBfw/5PKxji2VfVeOVfohJcwKBgQC5ahnDGMdteiLq6lJxbEikbbnkilw+R88pWVrwx31hhybT1MfDkjpAuP2r2ZD5AXfHGw8XUB9I8D3wdPBIDBA15Sbta0VtMJL9iPzcmJNiTO9HLTciEI4sPfscpAippGb3RNmRu+p4Lg5wXy2yzbrqdSjcqGDZ5MYsE7nx9NGNTQKBgDtczGmFuDoLdf9rKI6B15LFbe1Y/I1fMHBE9bO78c4CZP+27oovuubfZHyMPa+PRbHeWKpScnSfJ/OyQ3hiUFAEgZcwjLgSrsox3VvWYBIng0nDHATF097cpCMtGJ/fLKreyB/hNSQKOXNnOeeJ4Sxr6tyQwepwrdgvNPwGx82JAoGBAKRbZwbIOk/TSoyOthIQ+Lu5AGWUOHyEzyBKMxDo5T3Evihcn8+/GaAx27uwGpCAOprmY5Q40+KmA2HZZv2Wo/ACd2VSB7LosgPIoM0y+sLSi/C+JfcuUbjqIGSdC4jFUPizsWE8AHYT7XyzAiFTuPMIc/ZV07SS1RBRVC0k5XSpAoGAR5b2QrNAC6H1jlxaPCm+ybrJsX1der4O3pcK1KZjiS1XzJgJi+p6h2IGbccBE9g9LxzK//GcKsDJ7Qxtx2QfyfXhfNTgGBeCWfVgNd5lBnNNq0XQxuQUoD91MnL67cq3dHnOsdnx7zsxdVAkNM+u/fsnfSywaUMMzcSCKBhHeXQ=";
const RSA_N: &str = "pIy5VJGH6NTb9HPIclInlZlnle69AATUQN4_vfd75v-ezljhKd5yH1QsTQ3kMd9IEND_8Trq1jL3Hy0pyxZ5AvaDLB0uSwiiUR71YPbtXxKQkSnbU4Eje7OUZMG2X29cD_1vIv1967QwMvA255SsI6RhwPsz8w-2TppEIp-mYFY6-9jszHWLumCFaDyQr3US4FTvMDWFJokLU8n1b5TMhDs22m9rJOoMbgqJRAq2W9mmrpAMfuGcTWU1kXmZ4s_wCYvoB1B0K9d34EWWzEY3YPvw_EhZEYfhKpBY0sj8Pql-s4iTHo_RDqZ8C2lW_OubtxjiACLQyOUXvz4wslVulw";

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A fixed key of each algorithm, and its published JWK.
pub(crate) fn key(alg: Alg) -> (Signing, String) {
    let (secret, jwk) = match alg {
        Alg::Rs256 => {
            let der = base64::engine::general_purpose::STANDARD
                .decode(RSA_PKCS8)
                .unwrap_or_default();
            (der, json!({ "kty": "RSA", "n": RSA_N, "e": "AQAB" }))
        }
        Alg::Es256 => {
            let raw = [7u8; 32];
            let sk = p256::ecdsa::SigningKey::from_slice(&raw).unwrap_or_else(|e| panic!("{e}"));
            let point = sk.verifying_key().to_sec1_point(false);
            let xy = point.as_bytes().get(1..65).unwrap_or_default().to_vec();
            let (x, y) = xy.split_at(32);
            (
                raw.to_vec(),
                json!({ "kty": "EC", "crv": "P-256", "x": b64(x), "y": b64(y) }),
            )
        }
        Alg::EdDsa => {
            let raw = [9u8; 32];
            let public = ed25519_dalek::SigningKey::from_bytes(&raw)
                .verifying_key()
                .to_bytes();
            (
                raw.to_vec(),
                json!({ "kty": "OKP", "crv": "Ed25519", "x": b64(&public) }),
            )
        }
    };
    let kid = format!("kid-{}", alg.name());
    let mut jwk = jwk;
    jwk["use"] = "sig".into();
    jwk["alg"] = alg.name().into();
    jwk["kid"] = kid.clone().into();
    let jwk = jwk.to_string();
    let s = Signing::from_parts(&kid, alg, &secret, &jwk).unwrap_or_else(|e| panic!("{e}"));
    (s, jwk)
}

#[test]
fn algorithm_names() {
    let table: &[(&str, Option<Alg>)] = &[
        ("RS256", Some(Alg::Rs256)),
        ("ES256", Some(Alg::Es256)),
        ("EdDSA", Some(Alg::EdDsa)),
        ("rs256", None),
        ("EDDSA", None),
        ("Ed25519", None),
        ("HS256", None),
        ("ES384", None),
        ("PS256", None),
        ("none", None),
        ("", None),
    ];
    for (name, expected) in table {
        assert_eq!(Alg::parse(name), *expected, "{name}");
        if let Some(a) = expected {
            assert_eq!(a.name(), *name);
        }
    }
}

/// Flips one character of the part `n` of a compact JWS.
fn tamper(jwt: &str, n: usize) -> String {
    let mut parts: Vec<String> = jwt.split('.').map(str::to_owned).collect();
    if let Some(p) = parts.get_mut(n) {
        let c = if p.starts_with('A') { "B" } else { "A" };
        p.replace_range(0..1, c);
    }
    parts.join(".")
}

#[test]
fn verification() {
    let claims = json!({ "iss": "https://sesame.example", "sub": "s" });
    let (rsa, rsa_jwk) = key(Alg::Rs256);
    let (ec, ec_jwk) = key(Alg::Es256);
    let (ed, ed_jwk) = key(Alg::EdDsa);
    let published = [
        PublicKey {
            kid: &rsa.kid,
            alg: "RS256",
            jwk: &rsa_jwk,
        },
        PublicKey {
            kid: &ec.kid,
            alg: "ES256",
            jwk: &ec_jwk,
        },
        PublicKey {
            kid: &ed.kid,
            alg: "EdDSA",
            jwk: &ed_jwk,
        },
    ];
    let only_ec = &published[1..2];
    let (r, e, d) = (
        rsa.jwt(None, &claims),
        ec.jwt(None, &claims),
        ed.jwt(Some("JWT"), &claims),
    );
    let header = |h: serde_json::Value, rest: &str| {
        format!(
            "{}.{}",
            b64(h.to_string().as_bytes()),
            rest.split_once('.').map(|x| x.1).unwrap_or("")
        )
    };
    let table: Vec<(&str, String, &[PublicKey<'_>], bool)> = vec![
        ("RS256", r.clone(), &published, true),
        ("ES256", e.clone(), &published, true),
        ("EdDSA, with typ", d.clone(), &published, true),
        ("a key no longer published", r.clone(), only_ec, false),
        ("no key published", e.clone(), &[], false),
        ("payload changed", tamper(&r, 1), &published, false),
        ("signature changed", tamper(&e, 2), &published, false),
        ("header changed", tamper(&d, 0), &published, false),
        (
            "two parts",
            r.rsplit_once('.')
                .map(|x| x.0.to_owned())
                .unwrap_or_default(),
            &published,
            false,
        ),
        ("four parts", format!("{r}.x"), &published, false),
        ("not base64", r.replacen('.', ".!", 1), &published, false),
        ("empty", String::new(), &published, false),
        (
            "alg none",
            header(json!({ "alg": "none", "kid": rsa.kid }), &r),
            &published,
            false,
        ),
        (
            "alg of another key",
            header(json!({ "alg": "ES256", "kid": rsa.kid }), &r),
            &published,
            false,
        ),
        (
            "unknown kid",
            header(json!({ "alg": "RS256", "kid": "other" }), &r),
            &published,
            false,
        ),
        (
            "no kid",
            header(json!({ "alg": "RS256" }), &r),
            &published,
            false,
        ),
        (
            "HS256 with the public key",
            header(json!({ "alg": "HS256", "kid": rsa.kid }), &r),
            &published,
            false,
        ),
    ];
    for (name, jwt, keys, ok) in table {
        let got = verify(&jwt, keys);
        assert_eq!(got.is_some(), ok, "{name}");
        if ok {
            assert_eq!(got, Some(claims.clone()), "{name}");
        }
    }
}

#[test]
fn signatures_are_deterministic_and_sized() {
    let table = [(Alg::Rs256, 256), (Alg::Es256, 64), (Alg::EdDsa, 64)];
    for (alg, len) in table {
        let (k, _) = key(alg);
        let a = k.sign_bytes(b"message");
        assert_eq!(a.len(), len, "{alg:?}");
        assert_eq!(a, k.sign_bytes(b"message"), "{alg:?}");
        assert_ne!(a, k.sign_bytes(b"other"), "{alg:?}");
        // openidconnect asks for the key's own algorithm only.
        let other = if alg == Alg::Rs256 {
            Alg::Es256
        } else {
            Alg::Rs256
        };
        assert!(
            PrivateSigningKey::sign(&k, &other.jws(), b"m").is_err(),
            "{alg:?}"
        );
        assert!(
            PrivateSigningKey::sign(&k, &alg.jws(), b"m").is_ok(),
            "{alg:?}"
        );
    }
}

#[test]
fn header_names_the_key() {
    let (k, _) = key(Alg::Es256);
    let jwt = k.jwt(Some("logout+jwt"), &json!({}));
    let h = jwt.split('.').next().unwrap_or_default();
    let h = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(h)
        .unwrap_or_default();
    let h: serde_json::Value = serde_json::from_slice(&h).unwrap_or_default();
    assert_eq!(
        h,
        json!({ "alg": "ES256", "kid": "kid-ES256", "typ": "logout+jwt" })
    );
}

#[test]
fn broken_parts_are_refused() {
    let jwk = r#"{"kty":"OKP","crv":"Ed25519","x":"AA"}"#;
    let table: &[(Alg, &[u8], &str)] = &[
        (Alg::Rs256, b"not der", jwk),
        (Alg::Es256, &[0u8; 32], jwk),
        (Alg::EdDsa, &[1u8; 31], jwk),
        (Alg::EdDsa, &[1u8; 32], "not json"),
    ];
    for (alg, secret, jwk) in table {
        let r = Signing::from_parts("k", *alg, secret, jwk);
        assert!(r.is_err(), "{alg:?} {secret:?}");
        assert!(
            r.err()
                .is_some_and(|e| e.to_string().starts_with("signing key k: "))
        );
    }
}

/// An RSA key as the service makes and stores it (rsa 0.10, PKCS#8 DER),
/// and its published JWK.
fn stored_rsa_key(bits: usize) -> (Vec<u8>, String) {
    use rsa::pkcs8::EncodePrivateKey;
    use rsa::traits::PublicKeyParts;
    let key = rsa::PrivateKey::new(&mut rand::rng(), bits).unwrap_or_else(|e| panic!("{e}"));
    let der = key.to_pkcs8_der().unwrap_or_else(|e| panic!("{e}"));
    let public = key.to_public_key();
    let jwk = json!({
        "kty": "RSA", "use": "sig", "alg": "RS256", "kid": "k",
        "n": b64(&public.n_bytes()), "e": b64(&public.e_bytes()),
    });
    (der.as_bytes().to_vec(), jwk.to_string())
}

/// The signature ring made for `message` before the switch to aws-lc-rs.
fn ring_signature(der: &[u8], message: &[u8]) -> Vec<u8> {
    let pair = ring::signature::RsaKeyPair::from_pkcs8(der).unwrap_or_else(|e| panic!("{e}"));
    let mut sig = vec![0u8; pair.public().modulus_len()];
    pair.sign(
        &ring::signature::RSA_PKCS1_SHA256,
        &ring::rand::SystemRandom::new(),
        message,
        &mut sig,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    sig
}

/// RS256 (RFC 7518 §3.3, RFC 8017 §8.2): the aws-lc-rs signer makes the
/// same PKCS#1 v1.5 bytes as the ring signer it replaced, for the keys
/// already stored, and openidconnect's relying-party verifier accepts
/// them.
#[test]
fn rs256_signatures_match_the_previous_signer() {
    let fixed = (
        base64::engine::general_purpose::STANDARD
            .decode(RSA_PKCS8)
            .unwrap_or_default(),
        key(Alg::Rs256).1,
    );
    let keys = [
        ("fixed 2048", fixed),
        ("stored 2048", stored_rsa_key(2048)),
        ("stored 3072", stored_rsa_key(3072)),
    ];
    let long = vec![b'a'; 10_000];
    let binary: Vec<u8> = (0..=255).collect();
    let messages: [(&str, &[u8]); 5] = [
        ("empty", b""),
        ("header.payload", b"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzIn0"),
        ("one byte", b"x"),
        ("10 kB", &long),
        ("every byte value", &binary),
    ];
    for (key_name, (der, jwk)) in &keys {
        let signer = Signing::from_parts("k", Alg::Rs256, der, jwk)
            .unwrap_or_else(|e| panic!("{key_name}: {e}"));
        let verifier = signer.as_verification_key();
        for (msg_name, message) in messages {
            let sig = signer.sign_bytes(message);
            assert_eq!(
                sig,
                ring_signature(der, message),
                "{key_name}, {msg_name}: not the bytes of the previous signer"
            );
            assert!(
                verifier
                    .verify_signature(&Alg::Rs256.jws(), message, &sig)
                    .is_ok(),
                "{key_name}, {msg_name}: rejected by openidconnect"
            );
            let mut other = message.to_vec();
            other.push(b'!');
            assert!(
                verifier
                    .verify_signature(&Alg::Rs256.jws(), &other, &sig)
                    .is_err(),
                "{key_name}, {msg_name}: verified for another message"
            );
        }
    }
}
