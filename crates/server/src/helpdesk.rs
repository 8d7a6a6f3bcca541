//! `sesame accounts find|show|unlock|resend-confirmation|reset-password|
//! disable|enable`: the helpdesk commands (`sesame_service::helpdesk`).

use crate::cli::{AccountsCommand, Target};
use crate::failure::{Failure, REFUSED, UNAVAILABLE};
use sesame_domain::text::terminal_safe;
use sesame_service::App;
use sesame_service::helpdesk::{self, HelpdeskError};

impl From<HelpdeskError> for Failure {
    fn from(e: HelpdeskError) -> Self {
        match e {
            HelpdeskError::Store(_) => Failure::new(UNAVAILABLE, e.to_string()),
            _ => Failure::new(REFUSED, e.to_string()),
        }
    }
}

/// The operator of a changing command: `--operator`, else `$SUDO_USER`,
/// else `$USER`.
pub fn operator(t: &Target) -> Result<String, Failure> {
    operator_named(t.operator.as_deref())
}

/// The operator: `given` (`--operator`), else `$SUDO_USER`, else `$USER`.
pub fn operator_named(given: Option<&str>) -> Result<String, Failure> {
    let name = given
        .map(str::to_owned)
        .or_else(|| std::env::var("SUDO_USER").ok().filter(|v| !v.is_empty()))
        .or_else(|| std::env::var("USER").ok().filter(|v| !v.is_empty()))
        .ok_or_else(|| {
            Failure::new(
                REFUSED,
                "--operator : indiquez votre nom (écrit dans le journal d'audit)",
            )
        })?;
    helpdesk::parse_operator(&name).map_err(|m| Failure::new(REFUSED, m))
}

/// `audit --account`: an id, or an identifiant (its account's id, and its
/// pseudonym for the failed logins that name no account).
pub async fn audit_account(app: &App, text: &str) -> Result<(i32, Option<String>), Failure> {
    let text = text.trim();
    if let Ok(id) = text.parse::<i32>() {
        let a = sesame_store::accounts::find(app.db.conn(), id)
            .await
            .map_err(|e| Failure::new(UNAVAILABLE, e.to_string()))?;
        return Ok((id, a.map(|a| app.keys.pseudonym(&a.identifiant))));
    }
    let unknown = || {
        Failure::new(
            REFUSED,
            format!(
                "--account {} : ni un n° de compte ni un identifiant connu",
                terminal_safe(text)
            ),
        )
    };
    let id = sesame_service::login::normalize_identifiant(text).ok_or_else(unknown)?;
    let a = sesame_store::accounts::find_by_identifiant(app.db.conn(), &id)
        .await
        .map_err(|e| Failure::new(UNAVAILABLE, e.to_string()))?
        .ok_or_else(unknown)?;
    Ok((a.id, Some(app.keys.pseudonym(&a.identifiant))))
}

fn json(v: &impl serde::Serialize) {
    println!("{}", serde_json::to_string_pretty(v).unwrap_or_default());
}

fn or_dash<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_else(|| "-".into())
}

/// Runs one helpdesk subcommand.
pub async fn run(app: &App, c: &AccountsCommand) -> Result<(), Failure> {
    match c {
        AccountsCommand::Find { text, json: j } => {
            let found = helpdesk::find(app, text).await?;
            if *j {
                json(&found);
                return Ok(());
            }
            println!("id\tidentifiant\ttype\tétat");
            for f in &found {
                println!(
                    "{}\t{}\t{}\t{}",
                    f.id,
                    terminal_safe(&f.identifiant),
                    f.kind,
                    f.state
                );
            }
            println!("{} compte(s).", found.len());
            if found.len() as u64 == helpdesk::FIND_LIMIT {
                println!("(les {} premiers : précisez la recherche)", found.len());
            }
        }
        AccountsCommand::Show { id, json: j } => {
            let c = helpdesk::show(app, *id).await?;
            if *j {
                json(&c);
                return Ok(());
            }
            println!("compte n°{} : {}", c.id, terminal_safe(&c.identifiant));
            println!("type : {}", c.kind);
            println!("état : {}", c.state);
            println!(
                "adresse : {}",
                terminal_safe(c.email.as_deref().unwrap_or("-"))
            );
            println!(
                "mot de passe : {}",
                if c.has_password {
                    "oui"
                } else {
                    "non (fournisseur d'identité)"
                }
            );
            println!("créé le : {}", c.created_at);
            println!("confirmé le : {}", or_dash(c.confirmed_at));
            if let Some(by) = c.confirm_by {
                println!("à confirmer avant le : {by}");
            }
            println!("dernière connexion : {}", or_dash(c.last_login_at));
            if let Some(left) = c.left_at {
                println!("sorti (données de l'établissement) le : {left}");
            }
            println!("enfants : {}", c.children.len());
            for ch in &c.children {
                println!(
                    "  {} {} — {}",
                    terminal_safe(&ch.prenom),
                    terminal_safe(&ch.nom),
                    terminal_safe(&ch.etablissement)
                );
            }
            println!("échecs de connexion comptés : {}", c.login_failures);
            if let Some(u) = c.blocked_until {
                println!("connexion bloquée jusqu'au : {u} (sesame accounts unlock {id})");
            }
            if let Some(u) = c.delayed_until {
                println!("connexion retardée jusqu'au : {u} (sesame accounts unlock {id})");
            }
            println!("liens envoyés non utilisés : {}", c.pending_links.len());
            for l in &c.pending_links {
                println!("  {} (expire le {})", l.purpose, l.expires_at);
            }
        }
        AccountsCommand::Unlock(t) => {
            helpdesk::unlock(app, t.id, &operator(t)?).await?;
            println!(
                "Compte n°{} débloqué : la connexion par mot de passe fonctionne de nouveau.",
                t.id
            );
        }
        AccountsCommand::ResendConfirmation(t) => {
            let to = helpdesk::resend_confirmation(app, t.id, &operator(t)?).await?;
            println!(
                "Nouveau lien de confirmation envoyé à {} (l'ancien ne fonctionne plus).",
                terminal_safe(&to)
            );
        }
        AccountsCommand::ResetPassword(t) => {
            let to = helpdesk::reset_password(app, t.id, &operator(t)?).await?;
            println!(
                "Mot de passe provisoire envoyé à {} (valable 24 h ; un nouveau mot de passe \
                 sera demandé à la connexion).",
                terminal_safe(&to)
            );
        }
        AccountsCommand::Disable(t) => {
            helpdesk::disable(app, t.id, &operator(t)?).await?;
            println!(
                "Compte n°{} désactivé : ses sessions et jetons sont révoqués.",
                t.id
            );
        }
        AccountsCommand::Enable(t) => {
            let leaver = helpdesk::enable(app, t.id, &operator(t)?).await?;
            println!("Compte n°{} réactivé.", t.id);
            if leaver {
                println!(
                    "Attention : ce compte est marqué sorti de l'établissement ; il sera de \
                     nouveau désactivé à la fin de son délai (accounts.leaver_grace_days)."
                );
            }
        }
        AccountsCommand::Purge
        | AccountsCommand::Export { .. }
        | AccountsCommand::Delete(_)
        | AccountsCommand::Campaign(_) => {}
    }
    Ok(())
}
