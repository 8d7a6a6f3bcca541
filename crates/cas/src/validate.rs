//! The decision of a ticket validation (`/validate`, `/serviceValidate`,
//! `/proxyValidate`, their `/p3/` forms and `/samlValidate`, CAS 3.0
//! §2.4–§2.9, §4.2) and of a proxy ticket request (`/proxy`, §2.7), from
//! what the service sent, what the store and the database said about the
//! ticket, and the time. The outcome is protocol-neutral; [`crate::response`]
//! and [`crate::saml`] write it.

use crate::service::{Registration, callback_allowed};
use crate::ticket::{PROXY, PROXY_GRANTING, SERVICE, ServiceTicket, well_formed};

/// The error codes of CAS 3.0 §2.5.3 and §2.7.3.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureCode {
    /// Missing, repeated or unsupported parameters.
    InvalidRequest,
    /// Not a ticket of ours (syntax).
    InvalidTicketSpec,
    /// The service may not obtain proxy tickets.
    UnauthorizedServiceProxy,
    /// `/proxy`: the target service is not registered.
    UnauthorizedService,
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
            Self::UnauthorizedService => "UNAUTHORIZED_SERVICE",
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

impl Failure {
    /// A failure with its code and description.
    pub const fn new(code: FailureCode, description: &'static str) -> Self {
        Self { code, description }
    }

    /// `INTERNAL_ERROR`: the store or the database failed.
    pub const fn internal() -> Self {
        Self::new(FailureCode::InternalError, "Erreur interne.")
    }

    /// `INVALID_PROXY_CALLBACK`: the callback did not answer 200 (§2.5.4).
    pub const fn callback_failed() -> Self {
        Self::new(
            FailureCode::InvalidProxyCallback,
            "Le rappel du proxy a échoué.",
        )
    }
}

const UNKNOWN_TICKET: Failure = Failure::new(
    FailureCode::InvalidTicket,
    "Ticket inconnu, déjà utilisé ou expiré.",
);

const UNKNOWN_PGT: Failure = Failure::new(
    FailureCode::InvalidTicket,
    "Ticket d'octroi de proxy inconnu ou expiré.",
);

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
    /// The PGTIOU, when a proxy callback was asked for and succeeded.
    pub pgt_iou: Option<String>,
    /// For a proxy ticket: the proxies it went through, the nearest first.
    pub proxies: Vec<String>,
}

/// What the service sent (CAS 3.0 §2.5.1).
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// `ticket`.
    pub ticket: &'a str,
    /// `service`.
    pub service: &'a str,
    /// `renew=true`.
    pub renew: bool,
    /// `pgtUrl`, the proxy callback.
    pub pgt_url: Option<&'a str>,
    /// `/proxyValidate` (accepts proxy tickets) rather than `/serviceValidate`.
    pub proxy_endpoint: bool,
}

/// What the registry says of the service a ticket was issued for.
#[derive(Debug, Clone, Copy)]
pub struct Rights<'a> {
    /// Whether it may obtain proxy-granting tickets.
    pub proxy_allowed: bool,
    /// Its registered proxy callbacks (REV-04).
    pub callbacks: Registration<'a>,
}

/// What the store, the sessions, the database and the registry said about
/// a ticket taken out of the store.
#[derive(Debug, Clone, Copy)]
pub struct Record<'a> {
    /// The ticket as stored.
    pub ticket: &'a ServiceTicket,
    /// Whether the SSO session that gave it is still open at the same
    /// session generation (REV-05).
    pub session_alive: bool,
    /// Whether the account exists and is active.
    pub account_active: bool,
    /// The service the ticket was issued for, when it is still registered.
    pub service: Option<Rights<'a>>,
}

/// What to do about a proxy-granting ticket after a successful validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Granting<'a> {
    /// No `pgtUrl`, or a service that may not proxy: no PGT, no call.
    None,
    /// Issue a PGT and hand it to this registered callback (§2.5.4).
    Callback(&'a str),
    /// A `pgtUrl` the service did not register: no call is made and the
    /// validation succeeds without a PGT (REV-04).
    Unregistered,
}

/// The checks made before any store lookup: both parameters present, the
/// ticket of our syntax (CAS-08): `ST-`, or `ST-`/`PT-` on the proxy
/// endpoints (§2.6).
pub fn check_request(req: &Request<'_>) -> Result<(), Failure> {
    if req.ticket.is_empty() || req.service.is_empty() {
        return Err(Failure::new(
            FailureCode::InvalidRequest,
            "Les paramètres ticket et service sont obligatoires.",
        ));
    }
    let prefixes: &[&str] = if req.proxy_endpoint {
        &[SERVICE, PROXY]
    } else {
        &[SERVICE]
    };
    if !well_formed(req.ticket, prefixes) {
        return Err(Failure::new(
            FailureCode::InvalidTicketSpec,
            "Ce ticket n'est pas un ticket de service valable.",
        ));
    }
    Ok(())
}

/// The validation decision (§2.5, §2.6): `record` is what was read about
/// the ticket (`None` when the store did not hold it), `now` the
/// application clock in unix seconds.
pub fn decide<'a>(
    req: &Request<'a>,
    record: Option<&Record<'_>>,
    now: i64,
) -> Result<Granting<'a>, Failure> {
    check_request(req)?;
    let Some(r) = record else {
        return Err(UNKNOWN_TICKET);
    };
    let st = r.ticket;
    // §3.1.1: a service ticket expires (our store's expiry only collects).
    if st.expires_at <= now {
        return Err(UNKNOWN_TICKET);
    }
    // Security: a ticket of a session that has ended (any logout path, a
    // password change) no longer validates (REV-05).
    if !r.session_alive {
        return Err(UNKNOWN_TICKET);
    }
    // §2.5.3: the ticket was issued for another service.
    if st.service != req.service {
        return Err(Failure::new(
            FailureCode::InvalidService,
            "Ce ticket n'a pas été délivré pour ce service.",
        ));
    }
    // §2.5.1: with `renew`, only a ticket from a login with credentials.
    if req.renew && !st.from_new_login {
        return Err(Failure::new(
            FailureCode::InvalidTicket,
            "Ce ticket ne provient pas d'une saisie du mot de passe (renew).",
        ));
    }
    if !r.account_active {
        return Err(UNKNOWN_TICKET);
    }
    let Some(rights) = r.service else {
        return Err(Failure::new(
            FailureCode::InvalidService,
            "Service inconnu.",
        ));
    };
    Ok(match req.pgt_url {
        // A service that may not proxy gets no PGT, whatever it asks; nor
        // does a callback the service did not register (REV-04).
        Some(url) if rights.proxy_allowed && rights.callbacks.matches(url) => {
            Granting::Callback(url)
        }
        Some(_) if rights.proxy_allowed => Granting::Unregistered,
        _ => Granting::None,
    })
}

/// The proxy callback to call (§2.5.4): a URL that parses and is https, or
/// loopback http when `allow_http_on_loopback`.
pub fn callback_url(pgt_url: &str, allow_http_on_loopback: bool) -> Result<url::Url, Failure> {
    let bad = |why: &'static str| Failure::new(FailureCode::InvalidProxyCallback, why);
    let Ok(url) = url::Url::parse(pgt_url) else {
        return Err(bad("L'adresse de rappel du proxy n'est pas valable."));
    };
    if !callback_allowed(&url, allow_http_on_loopback) {
        return Err(bad("L'adresse de rappel du proxy doit être en https."));
    }
    Ok(url)
}

/// What a proxy sent to `/proxy` (§2.7.1).
#[derive(Debug, Clone, Copy)]
pub struct ProxyRequest<'a> {
    /// `pgt`.
    pub pgt: &'a str,
    /// `targetService`.
    pub target: &'a str,
}

/// The checks of `/proxy` made before any store lookup: parameters
/// present, a PGT of our syntax, a registered target service (§2.7.3).
pub fn check_proxy_request(req: &ProxyRequest<'_>, target_registered: bool) -> Result<(), Failure> {
    if req.pgt.is_empty() || req.target.is_empty() {
        return Err(Failure::new(
            FailureCode::InvalidRequest,
            "Les paramètres pgt et targetService sont obligatoires.",
        ));
    }
    if !well_formed(req.pgt, &[PROXY_GRANTING]) {
        return Err(Failure::new(
            FailureCode::InvalidTicketSpec,
            "Ce ticket n'est pas un ticket d'octroi de proxy.",
        ));
    }
    if !target_registered {
        return Err(Failure::new(
            FailureCode::UnauthorizedService,
            "Ce service cible n'est pas enregistré.",
        ));
    }
    Ok(())
}

/// The `/proxy` decision (§2.7): `pgt_session_alive` is `None` when the
/// store does not hold the PGT, else whether its SSO session is still open.
pub fn decide_proxy(
    req: &ProxyRequest<'_>,
    target_registered: bool,
    pgt_session_alive: Option<bool>,
) -> Result<(), Failure> {
    check_proxy_request(req, target_registered)?;
    match pgt_session_alive {
        None => Err(UNKNOWN_PGT),
        // Security: a PGT belongs to the SSO session that produced it; it
        // ends with it, or with a password change (REV-03).
        Some(false) => Err(UNKNOWN_PGT),
        Some(true) => Ok(()),
    }
}

#[cfg(test)]
mod tests;
