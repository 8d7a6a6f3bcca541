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

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
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

/// A mail of paragraphs, with an optional call to action (label, URL).
fn compose(
    config: &Config,
    subject: &str,
    paragraphs: &[String],
    action: Option<(&str, &str)>,
) -> Contents {
    let academie = &config.branding.academie;
    let mut text = String::from("Bonjour,\n\n");
    let mut html = String::from(
        "<!doctype html><html lang=\"fr\"><head><meta charset=\"utf-8\"></head><body style=\"font-family:sans-serif;color:#161616\"><p>Bonjour,</p>",
    );
    for (i, p) in paragraphs.iter().enumerate() {
        text.push_str(p);
        text.push_str("\n\n");
        html.push_str(&format!("<p>{}</p>", escape(p)));
        if i == 0
            && let Some((label, url)) = action
        {
            text.push_str(&format!("{label} :\n{url}\n\n"));
            html.push_str(&format!(
                "<p><a href=\"{u}\" style=\"display:inline-block;padding:.6em 1.2em;background:#000091;color:#fff;text-decoration:none\">{l}</a></p><p style=\"font-size:small\">Si le bouton ne fonctionne pas, copiez cette adresse dans votre navigateur : {u}</p>",
                u = escape(url),
                l = escape(label)
            ));
        }
    }
    let signature = format!("Les télé-services de l'{academie}");
    text.push_str(&format!(
        "{signature}\n\nCe courriel est envoyé automatiquement : merci de ne pas y répondre."
    ));
    html.push_str(&format!(
        "<p>{}</p><p style=\"font-size:small;color:#666\">Ce courriel est envoyé automatiquement : merci de ne pas y répondre.</p></body></html>",
        escape(&signature)
    ));
    Contents {
        subject: format!("{academie} : {subject}"),
        text,
        html,
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
