//! Administration commands on the running data: the mail outbox and the
//! purge of unconfirmed accounts.

use crate::cli::{AccountsCommand, AuditArgs, KeysCommand, MailCommand};
use crate::failure::{BAD_CONFIG, Failure, REFUSED, UNAVAILABLE};
use sesame_domain::text::terminal_safe;
use sesame_service::App;
use sesame_service::mailer::{self, Mailer};
use sesame_store::outbox::{self, state};

fn unavailable(e: impl std::fmt::Display) -> Failure {
    Failure::new(UNAVAILABLE, e.to_string())
}

/// Masks an address for listings: `c***@exemple.fr`.
fn mask(addr: &str) -> String {
    match addr.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".into(),
    }
}

/// `sesame mail …`.
pub async fn mail(app: &App, c: &MailCommand) -> Result<(), Failure> {
    let conn = app.db.conn();
    match c {
        MailCommand::List {
            state: s,
            to,
            limit,
            json,
        } => {
            if let Some(s) = s
                && ![state::PENDING, state::SENT, state::FAILED, state::ABANDONED]
                    .contains(&s.as_str())
            {
                return Err(Failure::new(
                    REFUSED,
                    format!("--state {s}: expected pending, sent, failed or abandoned"),
                ));
            }
            let to = to
                .as_deref()
                .map(|a| (a.trim(), mailer::recipient_pseudonym(app, a)));
            let mails = outbox::list(
                conn,
                s.as_deref(),
                to.as_ref().map(|(a, p)| (*a, p.as_str())),
                *limit,
            )
            .await
            .map_err(unavailable)?;
            if *json {
                let rows: Vec<serde_json::Value> = mails
                    .iter()
                    .map(|m| {
                        let recipient = if m.recipient.is_empty() {
                            m.recipient_pseudonym.clone()
                        } else {
                            Some(mask(&m.recipient))
                        };
                        serde_json::json!({
                            "id": m.id,
                            "state": m.state,
                            "attempts": m.attempts,
                            "created_at": m.created_at.to_string(),
                            "sent_at": m.sent_at.map(|t| t.to_string()),
                            "next_attempt_at": m.next_attempt_at.to_string(),
                            "recipient": recipient,
                            "subject": m.subject,
                            "last_error": m.last_error,
                        })
                    })
                    .collect();
                println!("{}", serde_json::Value::Array(rows));
                return Ok(());
            }
            println!(
                "id\tétat\tessais\tcréé le\tenvoyé le\tdestinataire (ou pseudonyme)\tobjet\tdernière erreur"
            );
            for m in &mails {
                let recipient = if m.recipient.is_empty() {
                    m.recipient_pseudonym.clone().unwrap_or_else(|| "-".into())
                } else {
                    mask(&m.recipient)
                };
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    m.id,
                    m.state,
                    m.attempts,
                    m.created_at,
                    m.sent_at
                        .map(|t| t.to_string())
                        .unwrap_or_else(|| "-".into()),
                    terminal_safe(&recipient),
                    terminal_safe(&m.subject),
                    terminal_safe(m.last_error.as_deref().unwrap_or(""))
                );
            }
            println!("{} courriel(s).", mails.len());
            Ok(())
        }
        MailCommand::Retry { id, all } => {
            if id.is_none() && !all {
                return Err(Failure::new(
                    REFUSED,
                    "give a mail id (sesame mail list --state failed) or --all",
                ));
            }
            let n = outbox::retry(conn, *id, app.clock.now())
                .await
                .map_err(unavailable)?;
            println!("{n} courriel(s) remis en file d'attente.");
            if n == 0 {
                println!(
                    "Un courriel refusé ou abandonné est effacé (lien, mot de passe provisoire) : \
                     la personne doit refaire sa demande (renvoyer le courriel de confirmation, \
                     mot de passe ou identifiant oublié)."
                );
            }
            if n == 0 && id.is_some() {
                return Err(Failure::new(
                    REFUSED,
                    "no failed or abandoned mail with its content has this id",
                ));
            }
            Ok(())
        }
        MailCommand::Send { now } => {
            let m = Mailer::new(&app.config).map_err(|e| Failure::new(BAD_CONFIG, e))?;
            if *now {
                let n = outbox::due_now(conn, app.clock.now())
                    .await
                    .map_err(unavailable)?;
                println!("{n} courriel(s) en attente de nouvel essai avancé(s) à maintenant.");
            }
            let n = mailer::run_once(app, &m).await.map_err(unavailable)?;
            println!("{n} courriel(s) envoyé(s).");
            Ok(())
        }
    }
}

/// `sesame accounts …`.
pub async fn accounts(app: &App, c: &AccountsCommand) -> Result<(), Failure> {
    match c {
        AccountsCommand::Purge => {
            let n = sesame_service::confirm::purge_expired(app)
                .await
                .map_err(unavailable)?;
            println!("{n} compte(s) non confirmé(s) supprimé(s).");
            let round = sesame_service::leavers::run(app)
                .await
                .map_err(unavailable)?;
            println!("{round}");
            let n = sesame_service::periodic::purge_audit(app)
                .await
                .map_err(unavailable)?;
            println!(
                "{n} événement(s) d'audit de plus de {} jours supprimé(s).",
                app.config.audit.retention_days
            );
            Ok(())
        }
        AccountsCommand::Export { id } => {
            let data = sesame_service::rights::export(app, *id)
                .await
                .map_err(unavailable)?
                .ok_or_else(|| no_account(*id))?;
            println!(
                "{}",
                serde_json::to_string_pretty(&data).unwrap_or_default()
            );
            Ok(())
        }
        AccountsCommand::Delete(t) => {
            use sesame_service::rights::{By, delete};
            let id = &t.id;
            let operator = crate::helpdesk::operator(t)?;
            let d = delete(app, *id, By::Administrator { operator })
                .await
                .map_err(unavailable)?
                .ok_or_else(|| no_account(*id))?;
            println!(
                "Compte {id} ({}) supprimé ; {} code(s) d'activation libéré(s).",
                terminal_safe(&d.identifiant),
                d.codes_freed
            );
            Ok(())
        }
        AccountsCommand::Campaign(c) => crate::campaign::run(app, c).await,
        c => crate::helpdesk::run(app, c).await,
    }
}

fn no_account(id: i32) -> Failure {
    Failure::new(REFUSED, format!("aucun compte n°{id}"))
}

/// `sesame audit …`.
pub async fn audit(app: &App, args: &AuditArgs) -> Result<(), Failure> {
    let since = match &args.since {
        None => None,
        Some(s) => Some(
            sesame_service::signup::parse_birth(s)
                .ok_or_else(|| {
                    Failure::new(
                        REFUSED,
                        format!("--since {s}: expected jj/mm/aaaa or aaaa-mm-jj"),
                    )
                })?
                .midnight()
                .assume_utc(),
        ),
    };
    let account = match args.account.as_deref() {
        None => None,
        Some(a) => Some(crate::helpdesk::audit_account(app, a).await?),
    };
    let events = sesame_store::accounts::audit_events(
        app.db.conn(),
        args.kind.as_deref(),
        account.as_ref().map(|(id, actor)| (*id, actor.as_deref())),
        since,
        args.limit,
    )
    .await
    .map_err(unavailable)?;
    if args.json {
        let rows: Vec<serde_json::Value> = events
            .iter()
            .map(|e| {
                serde_json::json!({
                    "at": e.at.to_string(),
                    "kind": e.kind,
                    "account_id": e.account_id,
                    "actor": e.actor,
                    "ip": e.ip,
                    "detail": e.detail,
                })
            })
            .collect();
        println!("{}", serde_json::Value::Array(rows));
        return Ok(());
    }
    println!("date\tévénement\tcompte\tidentifiant (pseudonyme)\tIP (pseudonyme)\tdétail");
    for e in &events {
        println!(
            "{}\t{}\t{}\t{}\t{}\t{}",
            e.at,
            e.kind,
            e.account_id
                .map(|i| i.to_string())
                .unwrap_or_else(|| "-".into()),
            e.actor.as_deref().unwrap_or("-"),
            e.ip.as_deref().unwrap_or("-"),
            terminal_safe(e.detail.as_deref().unwrap_or("-"))
        );
    }
    println!("{} événement(s).", events.len());
    Ok(())
}

/// `sesame keys …`.
pub async fn keys(app: &App, c: &KeysCommand) -> Result<(), Failure> {
    use sesame_service::oidc::keys;
    if let KeysCommand::Retire { kid } = c {
        let Some(r) = keys::retire(app, kid).await.map_err(unavailable)? else {
            return Err(Failure::new(
                REFUSED,
                format!(
                    "aucune clé publiée n'a l'identifiant {}",
                    terminal_safe(kid)
                ),
            ));
        };
        println!(
            "Clé {} ({}) retirée : elle n'est plus publiée ni utilisée.",
            r.key.kid, r.key.alg
        );
        if let Some(n) = r.replacement {
            println!(
                "Nouvelle clé {} ({}) : elle signe dès maintenant.",
                n.kid, n.alg
            );
        }
    }
    if let KeysCommand::Rotate = c {
        for k in keys::rotate(app).await.map_err(unavailable)? {
            println!(
                "Nouvelle clé {} ({}) publiée ; elle signera à partir du {}.",
                k.kid, k.alg, k.usable_from
            );
        }
    }
    let all = keys::list(app).await.map_err(unavailable)?;
    println!("kid\talgorithme\tcréée le\tsigne à partir du\tpubliée\tsigne");
    for (k, published, signs) in &all {
        println!(
            "{}\t{}\t{}\t{}\t{}\t{}",
            k.kid,
            k.alg,
            k.created_at,
            k.usable_from,
            if *published { "oui" } else { "non" },
            if *signs { "oui" } else { "non" }
        );
    }
    println!("{} clé(s).", all.len());
    Ok(())
}
