use super::*;

#[test]
fn the_text_part_keeps_its_layout_and_the_html_part_escapes() {
    let config = Config::default();
    let academie = config.branding.academie.clone();
    let m = compose(
        &config,
        Language::Fr,
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
    let plain = compose(&config, Language::Fr, "s", &["Seul".into()], None);
    assert!(!plain.html.contains("<a "));
    assert!(!plain.text.contains(" :\n"));
}

/// Every mail to an account, in `l`, rendered from fixed inputs.
pub(super) fn every_mail(l: Language) -> Vec<(&'static str, Contents)> {
    let c = Config::default();
    let deadline = time::macros::datetime!(2026-12-10 08:00 UTC);
    let ids = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    vec![
        (
            "pupil_account_created",
            pupil_account_created(&c, l, "lea.martin"),
        ),
        (
            "parent_confirmation",
            parent_confirmation(&c, l, "p.dupont", "TOKEN", deadline),
        ),
        (
            "parent_confirmation_reminder",
            parent_confirmation_reminder(&c, l, "p.dupont", "TOKEN", deadline),
        ),
        (
            "account_blocked",
            account_blocked(&c, l, "p.dupont", "TOKEN"),
        ),
        ("identifiants_1", identifiants(&c, l, &ids(&["p.dupont"]))),
        (
            "identifiants_2",
            identifiants(&c, l, &ids(&["p.dupont", "m.dupont"])),
        ),
        (
            "temporary_password",
            temporary_password(&c, l, "p.dupont", "abc-def-ghi", 24),
        ),
        ("password_changed", password_changed(&c, l, "p.dupont")),
        (
            "email_change_confirm",
            email_change_confirm(&c, l, "p.dupont", "TOKEN"),
        ),
        (
            "email_change_notice",
            email_change_notice(&c, l, "p.dupont", "TOKEN"),
        ),
        ("child_attached", child_attached(&c, l, "p.dupont", "Léa")),
        ("renewal_notice", renewal_notice(&c, l)),
        (
            "account_deletion_notice",
            account_deletion_notice(&c, l, "p.dupont", deadline.date()),
        ),
    ]
}

fn dump(mails: &[(&str, Contents)]) -> String {
    let mut out = String::new();
    for (name, m) in mails {
        out.push_str(&format!(
            "==== {name}\n{}\n---- text\n{}\n---- html\n{}\n",
            m.subject, m.text, m.html
        ));
    }
    out
}

/// The French mails are byte-identical to those before the languages
/// (the file was written by the French-only code).
#[test]
fn french_mails_are_unchanged() {
    let now = dump(&every_mail(Language::Fr));
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/mail/french.golden");
    if std::env::var_os("SESAME_WRITE_GOLDEN").is_some() {
        std::fs::write(path, &now).unwrap_or_default();
    }
    assert_eq!(now, include_str!("french.golden"));
}

/// Every English mail is English: its arguments in place, none of the
/// French frame, and an English date.
#[test]
fn english_mails_are_english() {
    for (name, m) in every_mail(Language::En) {
        assert!(m.subject.contains(": "), "{name}: {}", m.subject);
        assert!(m.text.starts_with("Hello,\n"), "{name}: {}", m.text);
        assert!(m.html.contains("<html lang=\"en\">"), "{name}");
        for french in [
            "Bonjour",
            "ce courriel",
            "Si vous",
            " : ",
            "Les télé-services",
            "votre",
            "{",
            "}",
        ] {
            assert!(!m.text.contains(french), "{name}: {french:?} in {}", m.text);
        }
    }
    let en = every_mail(Language::En);
    assert!(
        en[1].1.text.contains("before 10 December 2026."),
        "{}",
        en[1].1.text
    );
    assert!(
        en[6]
            .1
            .text
            .contains("valid for 24 hours and once only: abc-def-ghi")
    );
}

/// Every key of the French file exists in every other language, and
/// none more (a missing English key would fall back to French).
#[test]
fn every_mail_key_exists_in_every_language() {
    fn keys(ftl: &str) -> std::collections::BTreeSet<&str> {
        ftl.lines()
            .filter(|l| l.starts_with(|c: char| c.is_ascii_lowercase()))
            .filter_map(|l| l.split_once('=').map(|(k, _)| k.trim()))
            .collect()
    }
    let files = [
        (Language::Fr, include_str!("../../locales/fr/mails.ftl")),
        (Language::En, include_str!("../../locales/en/mails.ftl")),
    ];
    assert_eq!(files.len(), Language::ALL.len());
    let fr = keys(files[0].1);
    assert!(fr.len() > 40, "{fr:?}");
    for (l, file) in files {
        assert_eq!(keys(file), fr, "keys of fr and {}", l.code());
    }
}
