//! Mail contents: every mail has a subject, a plain-text part and an HTML
//! part in French, with the académie's name and absolute links built from
//! the configured public URL only.

use crate::config::Config;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The notice sent when a pupil account is created.
pub fn pupil_account_created(config: &Config, identifiant: &str) -> (String, String, String) {
    let academie = &config.branding.academie;
    let url = config.server.public_url.as_str();
    let subject = format!("{academie} : votre compte a été créé");
    let text = format!(
        "Bonjour,\n\nTon compte pour les télé-services de l'{academie} a été créé.\nTon identifiant : {identifiant}\n\nPour te connecter : {url}\n\nSi tu n'es pas à l'origine de cette création, préviens le secrétariat de ton établissement.\n"
    );
    let html = format!(
        "<!doctype html><html lang=\"fr\"><body><p>Bonjour,</p><p>Ton compte pour les télé-services de l'{a} a été créé.<br>Ton identifiant : <strong>{i}</strong></p><p>Pour te connecter : <a href=\"{u}\">{u}</a></p><p>Si tu n'es pas à l'origine de cette création, préviens le secrétariat de ton établissement.</p></body></html>",
        a = escape(academie),
        i = escape(identifiant),
        u = escape(url)
    );
    (subject, text, html)
}
