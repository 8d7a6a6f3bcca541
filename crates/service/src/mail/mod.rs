//! Mail contents: every mail has a subject, a plain-text part and an HTML
//! part in its account's language (French for the school's mails), with
//! the académie's name, no remote images, and absolute links built from
//! the configured public URL only (never from a request). The texts are
//! Fluent messages (`locales/{fr,en}/mails.ftl`, compiled in).

use crate::config::Config;
use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader, langid};
use sesame_domain::Language;
use std::borrow::Cow;
use std::collections::HashMap;

fluent_templates::static_loader! {
    // The .ftl files, embedded at compile time.
    static TEXTS = {
        locales: "./locales",
        fallback_language: "fr",
        // No Unicode isolation marks around arguments: mails are plain
        // text too, and the French ones stay byte-identical.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

static FR: LanguageIdentifier = langid!("fr");
static EN: LanguageIdentifier = langid!("en");

fn id(lang: Language) -> &'static LanguageIdentifier {
    match lang {
        Language::Fr => &FR,
        Language::En => &EN,
    }
}

/// The text of `key` in `lang` with its arguments (inserted as they are:
/// the HTML part escapes the whole text).
fn tr(lang: Language, key: &str, args: &[(&str, &str)]) -> String {
    if args.is_empty() {
        return TEXTS.lookup(id(lang), key);
    }
    let args: HashMap<Cow<'static, str>, FluentValue> = args
        .iter()
        .map(|(k, v)| {
            (
                Cow::Owned((*k).to_owned()),
                FluentValue::from((*v).to_owned()),
            )
        })
        .collect();
    TEXTS.lookup_with_args(id(lang), key, &args)
}

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
    lang: &'a str,
    hello: &'a str,
    paragraphs: &'a [String],
    action: Option<(&'a str, &'a str)>,
    fallback: &'a str,
    signature: &'a str,
    automatic: &'a str,
}

/// The plain-text part of a mail (not escaped: it is not markup).
#[derive(askama::Template)]
#[template(path = "mail/mail.txt")]
struct Text<'a> {
    hello: &'a str,
    paragraphs: &'a [String],
    /// The action's line (« label : ») and URL.
    action: Option<(&'a str, &'a str)>,
    signature: &'a str,
    automatic: &'a str,
}

/// A mail of paragraphs, with an optional call to action (label, URL)
/// after the first one, in `lang`.
fn compose(
    config: &Config,
    lang: Language,
    subject: &str,
    paragraphs: &[String],
    action: Option<(&str, &str)>,
) -> Contents {
    use askama::Template;
    let academie = &config.branding.academie;
    let signature = tr(lang, "mail-signature", &[("academie", academie)]);
    let hello = tr(lang, "mail-bonjour", &[]);
    let automatic = tr(lang, "mail-automatique", &[]);
    let line = action.map(|(label, _)| tr(lang, "mail-action", &[("action", label)]));
    let text = Text {
        hello: &hello,
        paragraphs,
        action: line.as_deref().zip(action.map(|(_, url)| url)),
        signature: &signature,
        automatic: &automatic,
    };
    let fallback = tr(lang, "mail-bouton-secours", &[]);
    let html = Html {
        lang: lang.code(),
        hello: &hello,
        paragraphs,
        action,
        fallback: &fallback,
        signature: &signature,
        automatic: &automatic,
    };
    Contents {
        subject: tr(
            lang,
            "mail-objet",
            &[("academie", academie), ("objet", subject)],
        ),
        // Rendering only fails on a formatter error, which writing into a
        // String never raises.
        text: text.render().unwrap_or_default(),
        html: html.render().unwrap_or_default(),
    }
}

/// A mail whose texts all come from `lang`'s keys: the subject, the
/// paragraphs (each with the same arguments) and the action's label.
fn keyed(
    config: &Config,
    lang: Language,
    subject: &str,
    paragraphs: &[&str],
    args: &[(&str, &str)],
    action: Option<(&str, &str)>,
) -> Contents {
    let paragraphs: Vec<String> = paragraphs.iter().map(|k| tr(lang, k, args)).collect();
    let label = action.map(|(k, _)| tr(lang, k, &[]));
    compose(
        config,
        lang,
        &tr(lang, subject, &[]),
        &paragraphs,
        label.as_deref().zip(action.map(|(_, url)| url)),
    )
}

/// The notice sent when a pupil account is created.
pub fn pupil_account_created(config: &Config, lang: Language, identifiant: &str) -> Contents {
    let url = link(config, "", None);
    keyed(
        config,
        lang,
        "mail-eleve-objet",
        &["mail-eleve-1", "mail-eleve-2"],
        &[("identifiant", identifiant)],
        Some(("mail-eleve-action", &url)),
    )
}

/// A date as the readers of `lang` write it: `jj/mm/aaaa` in French,
/// `10 December 2026` in English (whose readers differ on the order).
pub fn date(lang: Language, d: time::Date) -> String {
    match lang {
        Language::Fr => french_date(d),
        Language::En => format!("{} {} {}", d.day(), d.month(), d.year()),
    }
}

/// The confirmation mail of a parent account: a link valid until `deadline`.
pub fn parent_confirmation(
    config: &Config,
    lang: Language,
    identifiant: &str,
    token: &str,
    deadline: time::OffsetDateTime,
) -> Contents {
    let url = link(config, "confirmation", Some(token));
    keyed(
        config,
        lang,
        "mail-confirmation-objet",
        &[
            "mail-confirmation-1",
            "mail-confirmation-2",
            "mail-confirmation-3",
        ],
        &[
            ("identifiant", identifiant),
            ("date", &date(lang, deadline.date())),
        ],
        Some(("mail-confirmation-action", &url)),
    )
}

/// A reminder to a parent who has not confirmed the account yet, with a
/// fresh link (the earlier ones no longer work).
pub fn parent_confirmation_reminder(
    config: &Config,
    lang: Language,
    identifiant: &str,
    token: &str,
    deadline: time::OffsetDateTime,
) -> Contents {
    let url = link(config, "confirmation", Some(token));
    keyed(
        config,
        lang,
        "mail-rappel-objet",
        &["mail-rappel-1", "mail-rappel-2", "mail-confirmation-3"],
        &[
            ("identifiant", identifiant),
            ("date", &date(lang, deadline.date())),
        ],
        Some(("mail-confirmation-action", &url)),
    )
}

/// Sent at the first block of password login, with a one-hour unlock link.
pub fn account_blocked(
    config: &Config,
    lang: Language,
    identifiant: &str,
    token: &str,
) -> Contents {
    let url = link(config, "deblocage", Some(token));
    keyed(
        config,
        lang,
        "mail-blocage-objet",
        &["mail-blocage-1", "mail-blocage-2"],
        &[("identifiant", identifiant)],
        Some(("mail-blocage-action", &url)),
    )
}

/// Lost identifiant: every identifiant bound to the address, in one mail.
pub fn identifiants(config: &Config, lang: Language, identifiants: &[String]) -> Contents {
    let url = link(config, "", None);
    let list = identifiants.join(", ");
    let (subject, first) = if identifiants.len() == 1 {
        ("mail-identifiant-objet", "mail-identifiant-1")
    } else {
        ("mail-identifiants-objet", "mail-identifiants-1")
    };
    keyed(
        config,
        lang,
        subject,
        &[first, "mail-identifiant-2"],
        &[("liste", &list)],
        Some(("mail-identifiant-action", &url)),
    )
}

/// Lost password: a temporary password, valid `hours` hours, single use.
pub fn temporary_password(
    config: &Config,
    lang: Language,
    identifiant: &str,
    temporary: &str,
    hours: i64,
) -> Contents {
    let url = link(config, "connexion", None);
    keyed(
        config,
        lang,
        "mail-temporaire-objet",
        &[
            "mail-temporaire-1",
            "mail-temporaire-2",
            "mail-temporaire-3",
        ],
        &[
            ("identifiant", identifiant),
            ("heures", &hours.to_string()),
            ("temporaire", temporary),
        ],
        Some(("mail-se-connecter", &url)),
    )
}

/// Notice that the password was changed.
pub fn password_changed(config: &Config, lang: Language, identifiant: &str) -> Contents {
    keyed(
        config,
        lang,
        "mail-mot-de-passe-objet",
        &["mail-mot-de-passe-1", "mail-mot-de-passe-2"],
        &[("identifiant", identifiant)],
        None,
    )
}

/// To the new address of an email change: the link that confirms it.
pub fn email_change_confirm(
    config: &Config,
    lang: Language,
    identifiant: &str,
    token: &str,
) -> Contents {
    let url = link(config, "compte/courriel", Some(token));
    keyed(
        config,
        lang,
        "mail-adresse-objet",
        &["mail-adresse-1", "mail-adresse-2"],
        &[("identifiant", identifiant)],
        Some(("mail-adresse-action", &url)),
    )
}

/// To the old address of an email change: a notice with a cancel link.
pub fn email_change_notice(
    config: &Config,
    lang: Language,
    identifiant: &str,
    token: &str,
) -> Contents {
    let url = link(config, "compte/courriel/annuler", Some(token));
    keyed(
        config,
        lang,
        "mail-ancienne-objet",
        &["mail-ancienne-1", "mail-ancienne-2"],
        &[("identifiant", identifiant)],
        Some(("mail-ancienne-action", &url)),
    )
}

/// Notice that a child was attached to the account.
pub fn child_attached(
    config: &Config,
    lang: Language,
    identifiant: &str,
    first_name: &str,
) -> Contents {
    keyed(
        config,
        lang,
        "mail-rattachement-objet",
        &["mail-rattachement-1", "mail-rattachement-2"],
        &[("identifiant", identifiant), ("prenom", first_name)],
        None,
    )
}

/// To the school's contact: a parent reported that a child attached to
/// their account is not theirs (« Ce n'est pas mon enfant », issue 16 §8).
/// Always French: it goes to a school, not to an account.
pub fn child_reported(config: &Config, r: &sesame_store::reports::Report) -> Contents {
    let (first, last) = &r.pupil_name;
    compose(
        config,
        Language::Fr,
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
/// of a language (it is queued by one statement per language), naming no
/// account and holding no link to follow but the login page.
pub fn renewal_notice(config: &Config, lang: Language) -> Contents {
    let url = link(config, "connexion", None);
    keyed(
        config,
        lang,
        "mail-campagne-objet",
        &["mail-campagne-1", "mail-campagne-2"],
        &[],
        Some(("mail-se-connecter", &url)),
    )
}

/// A date as French readers write it: `jj/mm/aaaa`.
pub fn french_date(d: time::Date) -> String {
    format!("{:02}/{:02}/{}", d.day(), u8::from(d.month()), d.year())
}

/// Notice before a guardian account without any child is deleted. It
/// names neither a child nor a reason (custody changes are sensitive).
pub fn account_deletion_notice(
    config: &Config,
    lang: Language,
    identifiant: &str,
    on: time::Date,
) -> Contents {
    keyed(
        config,
        lang,
        "mail-suppression-objet",
        &["mail-suppression-1", "mail-suppression-2"],
        &[("identifiant", identifiant), ("date", &date(lang, on))],
        None,
    )
}

#[cfg(test)]
mod tests;
