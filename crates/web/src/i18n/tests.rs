use super::*;
use std::collections::BTreeSet;

/// The files of every language, to compare their keys.
const FILES: [(&str, &str); 2] = [
    ("fr", include_str!("../../locales/fr/sesame.ftl")),
    ("en", include_str!("../../locales/en/sesame.ftl")),
];

/// Every argument the pages and the services' messages pass.
const ARGS: [&str; 26] = [
    "academie",
    "adresse",
    "aide",
    "client",
    "conservation",
    "contact",
    "dpd",
    "ecole",
    "editeur",
    "essais",
    "fournisseur",
    "grace",
    "heures",
    "identifiant",
    "jours",
    "ligne",
    "minutes",
    "n",
    "niveau",
    "nom",
    "nombre",
    "preavis",
    "prenom",
    "profil",
    "raison",
    "regle",
];

fn keys(ftl: &str) -> BTreeSet<&str> {
    ftl.lines()
        .filter(|l| l.starts_with(|c: char| c.is_ascii_lowercase()))
        .filter_map(|l| l.split_once('=').map(|(k, _)| k.trim()))
        .collect()
}

#[test]
fn every_key_exists_in_every_language() {
    assert_eq!(FILES.len(), Lang::ALL.len());
    let fr = keys(FILES[0].1);
    assert!(fr.len() > 20, "{fr:?}");
    for (code, file) in FILES {
        let other = keys(file);
        assert_eq!(
            fr.symmetric_difference(&other).collect::<Vec<_>>(),
            Vec::<&&str>::new(),
            "keys of fr and {code} differ"
        );
        let lang = Lang::from_tag(code).expect("offered");
        // Every argument the pages pass.
        let args: HashMap<&str, FluentValue> = ARGS
            .into_iter()
            .map(|n| (n, FluentValue::from("x")))
            .collect();
        for k in &fr {
            assert!(
                LOCALES
                    .lookup_single_language(lang.id(), k, Some(&args))
                    .is_ok(),
                "{code}: {k} does not resolve"
            );
        }
    }
}

#[test]
fn french_profile_labels_are_the_domain_ones() {
    for p in sesame_domain::Profile::ALL {
        assert_eq!(
            LOCALES.lookup(&FR, &format!("profil-{}", p.as_str())),
            p.label()
        );
    }
}

/// The services' messages read in French as their `Display` did, so
/// that the French pages stay as they were.
#[test]
fn french_domain_messages_are_their_display() {
    use sesame_domain::CodeError;
    use sesame_domain::password::{PasswordProblem, Policy};
    let problems = [
        PasswordProblem::TooShort(12),
        PasswordProblem::TooLong,
        PasswordProblem::LettersAndDigits,
        PasswordProblem::Weak,
        PasswordProblem::Common,
        PasswordProblem::Guessable,
        PasswordProblem::Personal,
    ];
    for p in problems {
        assert_eq!(message(&p.message()), p.to_string());
    }
    for e in [CodeError::Length, CodeError::Character] {
        assert_eq!(message(&e.message()), e.to_string());
    }
    for policy in [Policy::new(10, ""), Policy::new(8, "").cnil()] {
        assert_eq!(message(&policy.rule_message()), policy.rule());
    }
    // A message in a message, in English.
    let nested = Message::new("erreur-ligne-code")
        .with("ligne", 2)
        .with_message("raison", CodeError::Length.message());
    assert_eq!(
        message(&nested),
        "Ligne 2 : votre code d'activation est mal saisi (un code d'activation compte 13 caractères)."
    );
    let en = CURRENT.sync_scope(
        Ctx {
            lang: Lang::En,
            here: String::new(),
        },
        || message(&nested),
    );
    assert_eq!(
        en,
        "Row 2: your activation code is mistyped (an activation code has 13 characters)."
    );
}

/// The consent page lists, in French, the labels the scopes have.
#[test]
fn french_scope_labels_are_the_protocol_ones() {
    for scope in [
        "openid",
        "profile",
        "email",
        "sesame",
        "sesame.children",
        "x",
    ] {
        assert_eq!(
            scope_label(scope),
            sesame_service::oidc::flow::scope_label(scope),
            "{scope}"
        );
    }
}

#[test]
fn tags_headers_and_ui_locales_are_read() {
    let cases: [(&str, Option<Lang>); 6] = [
        ("en-GB,en;q=0.9,fr;q=0.8", Some(Lang::En)),
        ("fr-FR,fr;q=0.9,en;q=0.8", Some(Lang::Fr)),
        ("de-DE,de;q=0.9,en;q=0.5,fr;q=0.7", Some(Lang::Fr)),
        ("en;q=0,fr;q=0.1", Some(Lang::Fr)),
        ("de, *;q=0.5", None),
        ("", None),
    ];
    for (header, expected) in cases {
        assert_eq!(Lang::from_accept_language(header), expected, "{header}");
    }
    assert_eq!(Lang::from_ui_locales("de en fr"), Some(Lang::En));
    assert_eq!(ui_locales("client_id=x&ui_locales=en-US"), Some(Lang::En));
    assert_eq!(
        ui_locales("profil=parent&suite=%2Foidc%2Fauthorize%3Fui_locales%3Den"),
        Some(Lang::En)
    );
    assert_eq!(ui_locales("ui_locales=de"), None);
    assert_eq!(local_path("//evil.example/"), "/");
    assert_eq!(local_path("https://evil.example/"), "/");
    assert_eq!(local_path("/profil?x=1"), "/profil?x=1");
}
