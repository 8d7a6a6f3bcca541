//! Ticket validation: `/validate`, `/serviceValidate`, `/proxyValidate` and
//! their `/p3/` forms. The outcome is protocol-neutral; the web crate
//! writes it as CAS 1.0 text, XML or JSON.

use super::tickets::{take, well_formed};
use crate::app::App;
use sesame_store::accounts;

/// The error codes of CAS §2.5.3.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureCode {
    /// Missing, repeated or unsupported parameters.
    InvalidRequest,
    /// Not a ticket of ours (syntax).
    InvalidTicketSpec,
    /// The service may not obtain proxy tickets.
    UnauthorizedServiceProxy,
    /// The proxy callback failed.
    InvalidProxyCallback,
    /// Unknown, used, expired, or not from a new login when `renew` was asked.
    InvalidTicket,
    /// The ticket was issued for another service.
    InvalidService,
    /// Something failed inside.
    InternalError,
}

impl FailureCode {
    /// The code as the protocol writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "INVALID_REQUEST",
            Self::InvalidTicketSpec => "INVALID_TICKET_SPEC",
            Self::UnauthorizedServiceProxy => "UNAUTHORIZED_SERVICE_PROXY",
            Self::InvalidProxyCallback => "INVALID_PROXY_CALLBACK",
            Self::InvalidTicket => "INVALID_TICKET",
            Self::InvalidService => "INVALID_SERVICE",
            Self::InternalError => "INTERNAL_ERROR",
        }
    }
}

/// A failed validation: the code and a description (never the ticket).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The error code.
    pub code: FailureCode,
    /// Human-readable description.
    pub description: &'static str,
}

fn fail(code: FailureCode, description: &'static str) -> Failure {
    Failure { code, description }
}

/// A successful validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Success {
    /// The user (the identifiant).
    pub user: String,
    /// Login time, unix seconds.
    pub auth_time: i64,
    /// The ticket came from a login with credentials, not from SSO.
    pub from_new_login: bool,
    /// Released attributes, (name, values).
    pub attributes: Vec<(String, Vec<String>)>,
}

/// What the service sent.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// `ticket`.
    pub ticket: &'a str,
    /// `service`.
    pub service: &'a str,
    /// `renew=true`.
    pub renew: bool,
}

/// Validates a service ticket for a service.
pub async fn validate(app: &App, req: Request<'_>) -> Result<Success, Failure> {
    if req.ticket.is_empty() || req.service.is_empty() {
        return Err(fail(
            FailureCode::InvalidRequest,
            "Les paramètres ticket et service sont obligatoires.",
        ));
    }
    if !well_formed(req.ticket, &["ST-"]) {
        return Err(fail(
            FailureCode::InvalidTicketSpec,
            "Ce ticket n'est pas un ticket de service valable.",
        ));
    }
    let internal = |e: &dyn std::fmt::Display| {
        tracing::error!(error = %e, "ticket validation failed");
        fail(FailureCode::InternalError, "Erreur interne.")
    };
    let Some(st) = take(app, req.ticket).await.map_err(|e| internal(&e))? else {
        return Err(fail(
            FailureCode::InvalidTicket,
            "Ticket inconnu, déjà utilisé ou expiré.",
        ));
    };
    if st.expires_at <= app.clock.now().unix_timestamp() {
        return Err(fail(
            FailureCode::InvalidTicket,
            "Ticket inconnu, déjà utilisé ou expiré.",
        ));
    }
    if st.service != req.service {
        tracing::warn!(service.id = %st.service_id, "service ticket presented by another service");
        return Err(fail(
            FailureCode::InvalidService,
            "Ce ticket n'a pas été délivré pour ce service.",
        ));
    }
    if req.renew && !st.from_new_login {
        return Err(fail(
            FailureCode::InvalidTicket,
            "Ce ticket ne provient pas d'une saisie du mot de passe (renew).",
        ));
    }
    let account = accounts::find(app.db.conn(), st.account_id)
        .await
        .map_err(|e| internal(&e))?
        .filter(|a| a.state == "active")
        .ok_or_else(|| {
            fail(
                FailureCode::InvalidTicket,
                "Ticket inconnu, déjà utilisé ou expiré.",
            )
        })?;
    let Some(service) = app.config.services.iter().find(|s| s.id == st.service_id) else {
        return Err(fail(FailureCode::InvalidService, "Service inconnu."));
    };
    let attributes = super::attributes::release(app, service, &account, &st.profile)
        .await
        .map_err(|e| internal(&e))?;
    Ok(Success {
        user: account.identifiant_display,
        auth_time: st.auth_time,
        from_new_login: st.from_new_login,
        attributes,
    })
}
