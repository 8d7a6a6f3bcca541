//! Scopes to claims (OIDC Core §5.4) and who may ask for which (OIDC-17).

use super::{Identity, Person, SCOPES, allowed, claims_of, label, needs_identity, userinfo};

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn which_scopes_a_client_may_ask_for() {
    // (scope, the client's registered scopes, allowed)
    let table: &[(&str, &[&str], bool)] = &[
        ("openid", &[], true),
        ("openid", &["profile"], true),
        ("profile", &[], true),
        ("email", &[], true),
        ("sesame", &[], true),
        // OIDC-17: the children's data only to clients that list it.
        ("sesame.children", &[], false),
        ("sesame.children", &["profile", "sesame"], false),
        ("sesame.children", &["sesame.children"], true),
        ("profile", &["profile"], true),
        ("email", &["profile"], false),
        ("sesame", &["profile", "email"], false),
        ("sesame", &["sesame"], true),
        // Unknown scopes, even registered ones.
        ("offline_access", &[], false),
        ("address", &["address"], false),
        ("phone", &[], false),
        ("", &[], false),
        ("OPENID", &[], false),
        ("Profile", &["Profile"], false),
    ];
    for (scope, registered, expected) in table {
        assert_eq!(
            allowed(scope, &strings(registered)),
            *expected,
            "{scope:?} for a client registered with {registered:?}"
        );
    }
}

#[test]
fn claims_per_scope() {
    let table: &[(&str, &[&str])] = &[
        ("openid", &["sub"]),
        (
            "profile",
            &["given_name", "family_name", "preferred_username"],
        ),
        ("email", &["email", "email_verified"]),
        (
            "sesame",
            &["sesame_profile", "sesame_uai", "sesame_classes"],
        ),
        ("sesame.children", &["sesame_children"]),
        ("phone", &[]),
        ("", &[]),
    ];
    for (scope, expected) in table {
        assert_eq!(claims_of(scope), *expected, "{scope}");
    }
    for s in SCOPES {
        assert!(!claims_of(s).is_empty(), "{s} releases something");
        assert!(!label(s).is_empty(), "{s} has a consent label");
    }
    assert_eq!(label("phone"), "");
}

#[test]
fn identity_is_read_only_when_a_scope_needs_it() {
    let table: &[(&[&str], bool)] = &[
        (&["openid"], false),
        (&["openid", "email"], false),
        (&["openid", "profile"], true),
        (&["openid", "sesame"], true),
        (&["openid", "sesame.children"], true),
        (&["openid", "email", "sesame"], true),
        (&[], false),
    ];
    for (scopes, expected) in table {
        assert_eq!(needs_identity(&strings(scopes)), *expected, "{scopes:?}");
    }
}

fn pupil() -> Person {
    Person {
        sub: "s-123".into(),
        username: "jean.dupont".into(),
        email: Some("jean@example.org".into()),
        email_verified: true,
        profile: "eleve".into(),
        identity: Some(Identity {
            first_name: Some("Jean".into()),
            last_name: Some("Dupont".into()),
            uais: vec!["0750001A".into()],
            classes: vec!["6A".into()],
            children: vec!["E1".into(), "E2".into()],
        }),
    }
}

/// The userinfo answer for `scopes`, as sorted `key=value` lines.
fn check(scopes: &[&str], person: &Person, expected: &[&str]) {
    let out = userinfo(&strings(scopes), person);
    let mut got: Vec<String> = out
        .as_object()
        .map(|o| o.iter().map(|(k, v)| format!("{k}={v}")).collect())
        .unwrap_or_default();
    got.sort();
    assert_eq!(got, expected, "{scopes:?}");
}

#[test]
fn userinfo_releases_the_claims_of_the_scopes() {
    let p = pupil();
    let sub = r#"sub="s-123""#;
    let names = [
        r#"family_name="Dupont""#,
        r#"given_name="Jean""#,
        r#"preferred_username="jean.dupont""#,
    ];
    let email = [r#"email="jean@example.org""#, "email_verified=true"];
    let sesame = [
        r#"sesame_classes=["6A"]"#,
        r#"sesame_profile="eleve""#,
        r#"sesame_uai=["0750001A"]"#,
    ];
    let children = r#"sesame_children=["E1","E2"]"#;
    check(&["openid"], &p, &[sub]);
    check(
        &["openid", "profile"],
        &p,
        &[names[0], names[1], names[2], sub],
    );
    check(&["openid", "email"], &p, &[email[0], email[1], sub]);
    check(
        &["openid", "sesame"],
        &p,
        &[sesame[0], sesame[1], sesame[2], sub],
    );
    check(&["openid", "sesame.children"], &p, &[children, sub]);
    check(
        &["openid", "profile", "email", "sesame", "sesame.children"],
        &p,
        &[
            email[0], email[1], names[0], names[1], names[2], children, sesame[0], sesame[1],
            sesame[2], sub,
        ],
    );
    // Unknown scopes release nothing.
    check(&["openid", "phone"], &p, &[sub]);
    // Without the identity, the scopes that need it release nothing.
    let bare = Person {
        identity: None,
        ..pupil()
    };
    check(
        &["openid", "profile", "sesame", "sesame.children"],
        &bare,
        &[sub],
    );
    // No address: `email` says only whether it is verified.
    let no_mail = Person {
        email: None,
        email_verified: false,
        ..pupil()
    };
    check(
        &["openid", "email"],
        &no_mail,
        &["email_verified=false", sub],
    );
    // A name unknown is left out, the others stay.
    let mut nameless = pupil();
    if let Some(id) = nameless.identity.as_mut() {
        id.first_name = None;
    }
    check(
        &["openid", "profile"],
        &nameless,
        &[names[0], names[2], sub],
    );
    // A pupil has no children: an empty list.
    let mut no_children = pupil();
    if let Some(id) = no_children.identity.as_mut() {
        id.children.clear();
    }
    check(
        &["openid", "sesame.children"],
        &no_children,
        &["sesame_children=[]", sub],
    );
}
