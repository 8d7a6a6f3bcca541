//! Mail contents: every mail has a subject, a plain-text part and an HTML
//! part in French, with the académie's name, no remote images, and absolute
//! links built from the configured public URL only (never from a request).

use crate::config::Config;

/// A mail's contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contents {
    /// Subject line.
    pub subject: String,
    /// Plain-text part.
    pub text: String,
    /// HTML part.
    pub html: String,
}

/// An absolute link under the public URL: `path` plus an optional `code`
/// query parameter.
pub fn link(config: &Config, path: &str, code: Option<&str>) -> String {
    let mut url = config
        .server
        .public_url
        .join(path)
        .unwrap_or_else(|_| config.server.public_url.clone());
    if let Some(c) = code {
        url.query_pairs_mut().append_pair("code", c);
    }
    url.to_string()
}

/// The HTML part of a mail (askama escapes every value).
#[derive(askama::Template)]
#[template(path = "mail/mail.html")]
struct Html<'a> {
    paragraphs: &'a [String],
    action: Option<(&'a str, &'a str)>,
    signature: &'a str,
}

/// The plain-text part of a mail (not escaped: it is not markup).
#[derive(askama::Template)]
#[template(path = "mail/mail.txt")]
struct Text<'a> {
    paragraphs: &'a [String],
    action: Option<(&'a str, &'a str)>,
    signature: &'a str,
}

/// A mail of paragraphs, with an optional call to action (label, URL)
/// after the first one.
fn compose(
    config: &Config,
    subject: &str,
    paragraphs: &[String],
    action: Option<(&str, &str)>,
) -> Contents {
    use askama::Template;
    let academie = &config.branding.academie;
    let signature = format!("Les télé-services de l'{academie}");
    let text = Text {
        paragraphs,
        action,
        signature: &signature,
    };
    let html = Html {
        paragraphs,
        action,
        signature: &signature,
    };
    Contents {
        subject: format!("{academie} : {subject}"),
        // Rendering only fails on a formatter error, which writing into a
        // String never raises.
        text: text.render().unwrap_or_default(),
        html: html.render().unwrap_or_default(),
    }
}

/// The notice sent when a pupil account is created.
pub fn pupil_account_created(config: &Config, identifiant: &str) -> Contents {
    let url = link(config, "", None);
    compose(
        config,
        "ton compte a été créé",
        &[
            format!("Ton compte pour les télé-services a été créé. Ton identifiant : {identifiant}"),
            "Si tu n'es pas à l'origine de cette création, préviens le secrétariat de ton établissement.".into(),
        ],
        Some(("Pour te connecter", &url)),
    )
}

/// The confirmation mail of a parent account: a link valid until `deadline`.
pub fn parent_confirmation(
    config: &Config,
    identifiant: &str,
    token: &str,
    deadline: time::OffsetDateTime,
) -> Contents {
    let url = link(config, "confirmation", Some(token));
    let date = format!(
        "{:02}/{:02}/{}",
        deadline.day(),
        u8::from(deadline.month()),
        deadline.year()
    );
    compose(
        config,
        "confirmez la création de votre compte",
        &[
            format!(
                "Votre compte pour les télé-services a été créé avec l'identifiant {identifiant}. Pour l'activer, ouvrez le lien ci-dessous puis cliquez sur « Confirmer mon compte » avant le {date}."
            ),
            "Au-delà de ce délai d'une semaine, le compte est automatiquement supprimé : il faudra le créer à nouveau, avec les mêmes codes d'activation.".into(),
            "Si vous n'êtes pas à l'origine de cette demande, ignorez ce courriel : le compte sera supprimé.".into(),
        ],
        Some(("Confirmer mon compte", &url)),
    )
}

/// A reminder to a parent who has not confirmed the account yet, with a
/// fresh link (the earlier ones no longer work).
pub fn parent_confirmation_reminder(
    config: &Config,
    identifiant: &str,
    token: &str,
    deadline: time::OffsetDateTime,
) -> Contents {
    let url = link(config, "confirmation", Some(token));
    let date = format!(
        "{:02}/{:02}/{}",
        deadline.day(),
        u8::from(deadline.month()),
        deadline.year()
    );
    compose(
        config,
        "rappel, confirmez la création de votre compte",
        &[
            format!(
                "Votre compte pour les télé-services, identifiant {identifiant}, n'est pas encore activé. Pour l'activer, ouvrez le lien ci-dessous puis cliquez sur « Confirmer mon compte » avant le {date}."
            ),
            "Ce lien remplace ceux des courriels précédents, qui ne fonctionnent plus. Sans confirmation avant cette date, le compte est automatiquement supprimé : il faudra le créer à nouveau, avec les mêmes codes d'activation.".into(),
            "Si vous n'êtes pas à l'origine de cette demande, ignorez ce courriel : le compte sera supprimé.".into(),
        ],
        Some(("Confirmer mon compte", &url)),
    )
}

/// Sent at the first block of password login, with a one-hour unlock link.
pub fn account_blocked(config: &Config, identifiant: &str, token: &str) -> Contents {
    let url = link(config, "deblocage", Some(token));
    compose(
        config,
        "connexion bloquée après plusieurs échecs",
        &[
            format!(
                "Après plusieurs mots de passe erronés, la connexion au compte {identifiant} est bloquée pour 24 heures. Si c'est vous, vous pouvez la débloquer tout de suite avec le lien ci-dessous (valable une heure)."
            ),
            "Si ce n'est pas vous, quelqu'un a essayé de deviner votre mot de passe : il n'a pas pu se connecter. Choisissez un mot de passe que vous n'utilisez nulle part ailleurs.".into(),
        ],
        Some(("Débloquer mon compte", &url)),
    )
}

/// Lost identifiant: every identifiant bound to the address, in one mail.
pub fn identifiants(config: &Config, identifiants: &[String]) -> Contents {
    let url = link(config, "", None);
    let list = identifiants.join(", ");
    let (subject, first) = if identifiants.len() == 1 {
        (
            "votre identifiant",
            format!(
                "Vous avez demandé votre identifiant pour les télé-services. Le voici : {list}"
            ),
        )
    } else {
        (
            "vos identifiants",
            format!(
                "Vous avez demandé votre identifiant pour les télé-services. Plusieurs comptes utilisent cette adresse : {list}"
            ),
        )
    };
    compose(
        config,
        subject,
        &[
            first,
            "Votre mot de passe n'a pas changé. Si vous n'êtes pas à l'origine de cette demande, ignorez ce courriel.".into(),
        ],
        Some(("Pour vous connecter", &url)),
    )
}

/// Lost password: a temporary password, valid until `until`, single use.
pub fn temporary_password(
    config: &Config,
    identifiant: &str,
    temporary: &str,
    hours: i64,
) -> Contents {
    let url = link(config, "connexion", None);
    compose(
        config,
        "votre mot de passe temporaire",
        &[
            format!(
                "Vous avez demandé un nouveau mot de passe pour le compte {identifiant}. Voici un mot de passe temporaire, valable {hours} heures et une seule fois : {temporary}"
            ),
            "Connectez-vous avec votre identifiant et ce mot de passe temporaire : vous choisirez aussitôt un nouveau mot de passe. Tant que vous ne l'utilisez pas, votre mot de passe actuel reste valable.".into(),
            "Si vous n'êtes pas à l'origine de cette demande, ignorez ce courriel : votre mot de passe actuel reste valable.".into(),
        ],
        Some(("Se connecter", &url)),
    )
}

/// Notice that the password was changed.
pub fn password_changed(config: &Config, identifiant: &str) -> Contents {
    compose(
        config,
        "votre mot de passe a été modifié",
        &[
            format!("Le mot de passe du compte {identifiant} vient d'être modifié ; les autres sessions ouvertes ont été fermées."),
            "Si vous n'êtes pas à l'origine de ce changement, utilisez tout de suite « mot de passe oublié ? » sur la page de connexion, ou prévenez l'établissement.".into(),
        ],
        None,
    )
}

/// To the new address of an email change: the link that confirms it.
pub fn email_change_confirm(config: &Config, identifiant: &str, token: &str) -> Contents {
    let url = link(config, "compte/courriel", Some(token));
    compose(
        config,
        "confirmez votre nouvelle adresse",
        &[
            format!("Vous avez demandé que le compte {identifiant} utilise désormais cette adresse. Pour confirmer, ouvrez le lien ci-dessous puis cliquez sur « Confirmer cette adresse » dans les 24 heures."),
            "Si vous n'êtes pas à l'origine de cette demande, ignorez ce courriel : rien ne changera.".into(),
        ],
        Some(("Confirmer cette adresse", &url)),
    )
}

/// To the old address of an email change: a notice with a cancel link.
pub fn email_change_notice(config: &Config, identifiant: &str, token: &str) -> Contents {
    let url = link(config, "compte/courriel/annuler", Some(token));
    compose(
        config,
        "changement d'adresse demandé",
        &[
            format!("Un changement d'adresse électronique a été demandé pour le compte {identifiant}. Cette adresse reste celle du compte tant que la nouvelle n'est pas confirmée."),
            "Si vous n'êtes pas à l'origine de cette demande, annulez-la avec le lien ci-dessous (valable 24 heures) et changez votre mot de passe.".into(),
        ],
        Some(("Annuler le changement", &url)),
    )
}

/// Notice that a child was attached to the account.
pub fn child_attached(config: &Config, identifiant: &str, first_name: &str) -> Contents {
    compose(
        config,
        "un enfant a été rattaché à votre compte",
        &[
            format!("L'élève {first_name} vient d'être rattaché au compte {identifiant}."),
            "Si vous n'êtes pas à l'origine de ce rattachement, prévenez l'établissement.".into(),
        ],
        None,
    )
}

/// To the school's contact: a parent reported that a child attached to
/// their account is not theirs (« Ce n'est pas mon enfant », issue 16 §8).
pub fn child_reported(config: &Config, r: &sesame_store::reports::Report) -> Contents {
    let (first, last) = &r.pupil_name;
    compose(
        config,
        &format!("signalement n°{} : rattachement d'un élève à vérifier", r.id),
        &[
            format!(
                "Le responsable qui utilise le compte {} signale que l'élève {first} {last} (identifiant {}, classe {}, {} — {}) n'est pas son enfant.",
                r.identifiant.as_deref().unwrap_or("-"),
                r.pupil_external_id,
                r.class.as_deref().unwrap_or("-"),
                r.school_name,
                r.uai,
            ),
            "Le rattachement est suspendu dès maintenant : le compte ne voit plus cet élève et les télé-services ne le reçoivent plus.".into(),
            "Vérifiez le lien responsable-élève dans SIECLE, puis indiquez à l'administrateur de Sésame s'il faut rétablir le rattachement ou le supprimer définitivement.".into(),
            format!(
                "Pour l'administrateur : sesame reports resolve {} --restore (rétablir) ou --remove (supprimer).",
                r.id
            ),
        ],
        None,
    )
}

/// A password-renewal campaign's notice: the same text for every account
/// (it is queued by one statement for the whole population), naming no
/// account and holding no link to follow but the login page.
pub fn renewal_notice(config: &Config) -> Contents {
    let url = link(config, "connexion", None);
    compose(
        config,
        "choisissez un nouveau mot de passe",
        &[
            "Par mesure de sécurité, les sessions ouvertes avec votre compte ont été fermées et vous devrez choisir un nouveau mot de passe lors de votre prochaine connexion.".into(),
            "Connectez-vous comme d'habitude avec votre identifiant et votre mot de passe actuel : la page suivante vous demandera le nouveau. Vous n'avez rien à répondre à ce courriel ; aucun agent ne vous demandera jamais votre mot de passe.".into(),
        ],
        Some(("Se connecter", &url)),
    )
}

/// A date as French readers write it: `jj/mm/aaaa`.
pub fn french_date(d: time::Date) -> String {
    format!("{:02}/{:02}/{}", d.day(), u8::from(d.month()), d.year())
}

/// Notice before a guardian account without any child is deleted. It
/// names neither a child nor a reason (custody changes are sensitive).
pub fn account_deletion_notice(config: &Config, identifiant: &str, on: time::Date) -> Contents {
    let on = french_date(on);
    compose(
        config,
        "votre compte va être supprimé",
        &[
            format!("Le compte {identifiant} n'est plus rattaché à aucun élève inscrit dans un établissement de l'académie. Il sera supprimé le {on}, avec les données qu'il contient."),
            "Si vous pensez qu'il s'agit d'une erreur, prenez contact avec le secrétariat de l'établissement avant cette date.".into(),
        ],
        None,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_part_keeps_its_layout_and_the_html_part_escapes() {
        let config = Config::default();
        let academie = config.branding.academie.clone();
        let m = compose(
            &config,
            "sujet",
            &["Premier <b>&</b>".into(), "Second".into()],
            Some(("Agir", "https://ex.fr/a?x=1&y=2")),
        );
        assert_eq!(m.subject, format!("{academie} : sujet"));
        assert_eq!(
            m.text,
            format!(
                "Bonjour,\n\nPremier <b>&</b>\n\nAgir :\nhttps://ex.fr/a?x=1&y=2\n\nSecond\n\nLes télé-services de l'{academie}\n\nCe courriel est envoyé automatiquement : merci de ne pas y répondre."
            )
        );
        assert!(
            m.html
                .contains("<p>Premier &#60;b&#62;&#38;&#60;/b&#62;</p>"),
            "{}",
            m.html
        );
        assert!(
            m.html.contains("href=\"https://ex.fr/a?x=1&#38;y=2\""),
            "{}",
            m.html
        );
        assert!(!m.html.contains("<b>"));
        let first = m.html.find("Premier").unwrap_or_default();
        let button = m.html.find(">Agir<").unwrap_or_default();
        let second = m.html.find("Second").unwrap_or_default();
        assert!(first < button && button < second, "{}", m.html);
        let plain = compose(&config, "s", &["Seul".into()], None);
        assert!(!plain.html.contains("<a "));
        assert!(!plain.text.contains(" :\n"));
    }

    /// Every French mail, rendered from fixed inputs.
    pub(super) fn every_french_mail() -> Vec<(&'static str, Contents)> {
        let c = Config::default();
        let deadline = time::macros::datetime!(2026-12-10 08:00 UTC);
        vec![
            ("pupil_account_created", pupil_account_created(&c, "lea.martin")),
            ("parent_confirmation", parent_confirmation(&c, "p.dupont", "TOKEN", deadline)),
            ("parent_confirmation_reminder", parent_confirmation_reminder(&c, "p.dupont", "TOKEN", deadline)),
            ("account_blocked", account_blocked(&c, "p.dupont", "TOKEN")),
            ("identifiants_1", identifiants(&c, &["p.dupont".into()])),
            ("identifiants_2", identifiants(&c, &["p.dupont".into(), "m.dupont".into()])),
            ("temporary_password", temporary_password(&c, "p.dupont", "abc-def-ghi", 24)),
            ("password_changed", password_changed(&c, "p.dupont")),
            ("email_change_confirm", email_change_confirm(&c, "p.dupont", "TOKEN")),
            ("email_change_notice", email_change_notice(&c, "p.dupont", "TOKEN")),
            ("child_attached", child_attached(&c, "p.dupont", "Léa")),
            ("renewal_notice", renewal_notice(&c)),
            ("account_deletion_notice", account_deletion_notice(&c, "p.dupont", deadline.date())),
        ]
    }

    fn dump(mails: &[(&str, Contents)]) -> String {
        let mut out = String::new();
        for (name, m) in mails {
            out.push_str(&format!("==== {name}\n{}\n---- text\n{}\n---- html\n{}\n", m.subject, m.text, m.html));
        }
        out
    }

    /// The French mails are byte-identical to those before the languages
    /// (the file was written by the French-only code).
    #[test]
    fn french_mails_are_unchanged() {
        let now = dump(&every_french_mail());
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/mail/french.golden");
        if std::env::var_os("SESAME_WRITE_GOLDEN").is_some() {
            std::fs::write(path, &now).unwrap_or_default();
        }
        assert_eq!(now, include_str!("french.golden"));
    }
}
