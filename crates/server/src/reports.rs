//! `sesame reports …`: « Ce n'est pas mon enfant » reports (issue 16 §8).

use crate::cli::ReportsCommand;
use crate::failure::{Failure, REFUSED, UNAVAILABLE};
use serde_json::json;
use sesame_domain::text::terminal_safe;
use sesame_service::App;
use sesame_service::reports::{self, Decision, ResolveError};
use sesame_store::reports::Report;

fn as_json(r: &Report) -> serde_json::Value {
    json!({
        "id": r.id,
        "etat": r.state.as_str(),
        "signale_le": r.created_at.to_string(),
        "compte": r.account_id,
        "identifiant": r.identifiant,
        "eleve": r.pupil_external_id,
        "prenom": r.pupil_name.0,
        "nom": r.pupil_name.1,
        "classe": r.class,
        "uai": r.uai,
        "etablissement": r.school_name,
    })
}

/// `sesame reports list|resolve`.
pub async fn reports(app: &App, c: &ReportsCommand) -> Result<(), Failure> {
    match c {
        ReportsCommand::List { json } => {
            let open = reports::open_reports(app)
                .await
                .map_err(|e| Failure::new(UNAVAILABLE, e.to_string()))?;
            if *json {
                let all: Vec<_> = open.iter().map(as_json).collect();
                println!("{}", serde_json::to_string_pretty(&all).unwrap_or_default());
                return Ok(());
            }
            println!(
                "n°\tsignalé le\tcompte\tidentifiant\télève\tprénom nom\tclasse\tUAI\tétablissement"
            );
            for r in &open {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{} {}\t{}\t{}\t{}",
                    r.id,
                    r.created_at,
                    r.account_id,
                    terminal_safe(r.identifiant.as_deref().unwrap_or("-")),
                    terminal_safe(&r.pupil_external_id),
                    terminal_safe(&r.pupil_name.0),
                    terminal_safe(&r.pupil_name.1),
                    terminal_safe(r.class.as_deref().unwrap_or("-")),
                    r.uai,
                    terminal_safe(&r.school_name),
                );
            }
            println!("{} signalement(s) ouvert(s).", open.len());
            Ok(())
        }
        ReportsCommand::Resolve {
            id,
            restore,
            remove: _,
            by,
        } => {
            let by = by.trim();
            if by.is_empty() || by.chars().any(char::is_control) {
                return Err(Failure::new(
                    REFUSED,
                    "--by: give the operator's name (or set USER)",
                ));
            }
            let decision = if *restore {
                Decision::Restore
            } else {
                Decision::Remove
            };
            let r = reports::resolve(app, *id, decision, by)
                .await
                .map_err(|e| match e {
                    ResolveError::Store(e) => Failure::new(UNAVAILABLE, e.to_string()),
                    other => Failure::new(REFUSED, other.to_string()),
                })?;
            let (first, last) = &r.pupil_name;
            match decision {
                Decision::Restore => println!(
                    "Signalement n°{id} clos : {} {} est de nouveau rattaché(e) au compte {}.",
                    terminal_safe(first),
                    terminal_safe(last),
                    r.account_id
                ),
                Decision::Remove => println!(
                    "Signalement n°{id} clos : {} {} reste détaché(e) du compte {} ; un code ne peut plus l'y rattacher.",
                    terminal_safe(first),
                    terminal_safe(last),
                    r.account_id
                ),
            }
            Ok(())
        }
    }
}
