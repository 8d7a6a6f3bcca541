//! `sesame sms …`: the text-message outbox, as `sesame mail …` is the
//! mail outbox's. Listings never show a message's text (it holds a
//! one-time code) and show a number masked, or its pseudonym once erased.

use crate::cli::SmsCommand;
use crate::failure::{BAD_CONFIG, Failure, REFUSED, UNAVAILABLE};
use sesame_domain::text::terminal_safe;
use sesame_service::App;
use sesame_service::sms::Sender;
use sesame_store::outbox::state;
use sesame_store::sms;

fn unavailable(e: impl std::fmt::Display) -> Failure {
    Failure::new(UNAVAILABLE, e.to_string())
}

/// A number for listings: `+33 6 •• •• •• 78`, or the pseudonym of an
/// erased one.
fn recipient(m: &sms::Sms) -> String {
    if m.recipient.is_empty() {
        return m.recipient_pseudonym.clone().unwrap_or_else(|| "-".into());
    }
    match sesame_domain::Mobile::parse(&m.recipient) {
        Some(n) => n.masked(),
        None => "***".into(),
    }
}

/// `sesame sms …`.
pub async fn run(app: &App, c: &SmsCommand) -> Result<(), Failure> {
    let conn = app.db.conn();
    match c {
        SmsCommand::List {
            state: s,
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
            let rows = sms::list(conn, s.as_deref(), *limit)
                .await
                .map_err(unavailable)?;
            if *json {
                let rows: Vec<serde_json::Value> = rows
                    .iter()
                    .map(|m| {
                        serde_json::json!({
                            "id": m.id,
                            "kind": m.kind,
                            "state": m.state,
                            "attempts": m.attempts,
                            "created_at": m.created_at.to_string(),
                            "sent_at": m.sent_at.map(|t| t.to_string()),
                            "next_attempt_at": m.next_attempt_at.to_string(),
                            "recipient": recipient(m),
                            "last_error": m.last_error,
                        })
                    })
                    .collect();
                println!("{}", serde_json::Value::Array(rows));
                return Ok(());
            }
            println!(
                "id\ttype\tétat\tessais\tcréé le\tenvoyé le\tdestinataire (ou pseudonyme)\tdernière erreur"
            );
            for m in &rows {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    m.id,
                    m.kind,
                    m.state,
                    m.attempts,
                    m.created_at,
                    m.sent_at
                        .map(|t| t.to_string())
                        .unwrap_or_else(|| "-".into()),
                    recipient(m),
                    terminal_safe(m.last_error.as_deref().unwrap_or(""))
                );
            }
            println!("{} SMS.", rows.len());
            Ok(())
        }
        SmsCommand::Retry { id } => {
            let n = sms::retry(conn, Some(*id), app.clock.now())
                .await
                .map_err(unavailable)?;
            if n == 0 {
                return Err(Failure::new(
                    REFUSED,
                    format!(
                        "no pending text message has id {id}: a message sent or given up is erased (its code with it), the parent asks for a new code"
                    ),
                ));
            }
            println!(
                "SMS {id} à envoyer maintenant (sesame sms send, ou le prochain passage du serveur)."
            );
            Ok(())
        }
        SmsCommand::Send => {
            let s = Sender::new(&app.config).map_err(|e| Failure::new(BAD_CONFIG, e))?;
            let n = sesame_service::sms::run_once(app, &s)
                .await
                .map_err(unavailable)?;
            println!("{n} SMS envoyé(s).");
            Ok(())
        }
    }
}
