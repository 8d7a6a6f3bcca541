//! `sesame accounts campaign start|status|stop`: password-renewal
//! campaigns (`sesame_service::campaign`).

use crate::cli::CampaignCommand;
use crate::failure::{Failure, REFUSED, UNAVAILABLE};
use crate::helpdesk::operator_named;
use sesame_domain::text::terminal_safe;
use sesame_service::App;
use sesame_service::campaign::{self, CampaignError, Request};

impl From<CampaignError> for Failure {
    fn from(e: CampaignError) -> Self {
        match e {
            CampaignError::Store(_) => Failure::new(UNAVAILABLE, e.to_string()),
            CampaignError::Refused(_) => Failure::new(REFUSED, e.to_string()),
        }
    }
}

/// Runs one campaign subcommand.
pub async fn run(app: &App, c: &CampaignCommand) -> Result<(), Failure> {
    match c {
        CampaignCommand::Start {
            school,
            all: _,
            kind,
            reason,
            operator,
        } => {
            let operator = operator_named(operator.as_deref())?;
            let r = Request {
                school: school.clone(),
                kind: kind.clone(),
                reason: reason.clone(),
            };
            let s = campaign::start(app, &r, &operator).await?;
            println!(
                "Campagne n°{} : {} compte(s) marqué(s), leurs sessions et jetons révoqués ; \
                 {} avis mis en file d'envoi.",
                s.id, s.marked, s.mailed
            );
        }
        CampaignCommand::Status { json } => {
            let list = campaign::status(app).await?;
            if *json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&list).unwrap_or_default()
                );
                return Ok(());
            }
            println!("n°\tdébut\tportée\ttype\tmarqués\trenouvelés\trestants\tarrêtée\tmotif");
            for c in &list {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    c.id,
                    c.started_at.date(),
                    terminal_safe(&c.scope),
                    c.kind.as_deref().unwrap_or("tous"),
                    c.marked,
                    c.renewed,
                    c.pending,
                    c.stopped_at
                        .map(|t| t.date().to_string())
                        .unwrap_or_else(|| "-".into()),
                    terminal_safe(&c.reason)
                );
            }
            println!("{} campagne(s).", list.len());
        }
        CampaignCommand::Stop { id, operator } => {
            let operator = operator_named(operator.as_deref())?;
            let n = campaign::stop(app, *id, &operator).await?;
            println!("Campagne n°{id} arrêtée : {n} compte(s) non renouvelé(s) libéré(s).");
        }
    }
    Ok(())
}
