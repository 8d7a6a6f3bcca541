//! The accounts behind upstream identities: staff and guests (kind
//! `federe`), parents matched to guardians and confirmed with a child, and
//! password accounts linked from "gérer son compte".

use super::{Returned, STATE_SECONDS, UpstreamError, unreadable};
use crate::app::App;
use crate::session::{Session, new_token};
use serde::{Deserialize, Serialize};
use sesame_domain::identifiant;
use sesame_domain::name::normalize_first_name;
use sesame_domain::{AccountKind, AccountState};
use sesame_store::federated::{self, Claims};
use sesame_store::{Key, Ns, Throttle, WriteTxn, accounts};
use std::time::Duration;

/// Attempts at a free identifiant before giving up (each lost only to a
/// concurrent creation of the same name).
const NAME_ATTEMPTS: u32 = 200;

/// A new account of an upstream identity, in its creating transaction.
enum Created {
    /// Inserted and linked: the caller adds its rows and commits.
    New(Box<(sesame_store::DatabaseTransaction, accounts::Account)>),
    /// A concurrent login of the same identity created it first.
    Existing(i32),
}

/// Creates the account of `(upstream, subject)` under a free identifiant:
/// the one the provider suggests (`base`) or, when an account of any
/// kind already holds it, `base2`, `base3`… The name is stored once
/// (stable), released to services as is, and unique by the database's
/// constraint on `accounts.identifiant`: a concurrent creation that takes
/// the same name first makes this one try the next.
async fn create(
    app: &App,
    upstream: &str,
    subject: &str,
    claims: &Claims,
    base: &sesame_domain::Identifiant,
    kind: AccountKind,
) -> Result<Created, UpstreamError> {
    use rand::RngExt as _;
    let conn = app.db.conn();
    let now = app.clock.now();
    for attempt in 0..NAME_ATTEMPTS {
        // Read outside the transaction: the transaction's first statement
        // is its write (SQLite takes the write lock there, waiting its turn).
        let taken = accounts::identifiants_starting_with(conn, base.as_str()).await?;
        let mut free = (1..)
            .map(|n| identifiant::numbered(base, n))
            .filter(|i| !taken.contains(i.as_str()));
        // After a lost race, spread the contenders over the next free names.
        let skip = if attempt == 0 {
            0
        } else {
            rand::rng().random_range(0..=attempt.min(8) as usize)
        };
        let Some(name) = free.nth(skip) else {
            break;
        };
        let txn = conn.begin_write().await?;
        let inserted = accounts::insert(
            &txn,
            accounts::NewAccount {
                identifiant: name.as_str().to_owned(),
                identifiant_display: name.as_str().to_owned(),
                password_hash: accounts::NO_PASSWORD.into(),
                email: claims.email.clone(),
                state: AccountState::Active,
                kind,
                joint: false,
                // French until its owner switches language signed in.
                language: sesame_domain::Language::Fr,
            },
            now,
        )
        .await;
        let a = match inserted {
            Ok(a) => a,
            Err(e) if accounts::is_unique_violation(&e) => {
                txn.rollback().await?;
                // The name went to another creation: perhaps this very
                // identity's, through a concurrent login.
                if let Some(id) = federated::account_of(conn, upstream, subject).await? {
                    return Ok(Created::Existing(id));
                }
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        match link_created(&txn, upstream, subject, a.id, claims, now).await {
            Ok(()) => {
                if name != *base {
                    tracing::info!(account.id = a.id, %upstream, "upstream identifiant taken: a numbered one given");
                }
                return Ok(Created::New(Box::new((txn, a))));
            }
            Err(e) if accounts::is_unique_violation(&e) => {
                txn.rollback().await?;
                if let Some(id) = federated::account_of(conn, upstream, subject).await? {
                    return Ok(Created::Existing(id));
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(UpstreamError::Invalid(format!(
        "no free identifiant after {NAME_ATTEMPTS} attempts from {base}"
    )))
}

fn session(
    a: &accounts::Account,
    profile: &str,
    now: i64,
    logout: &crate::session::UpstreamLogin,
) -> Session {
    Session {
        account_id: a.id,
        identifiant: a.identifiant_display.clone(),
        kind: a.kind(),
        profile: profile.to_owned(),
        auth_time: now,
        generation: 0,
        must_change: None,
        sid: String::new(),
        upstream: Some(logout.clone()),
    }
}

/// Links a new account to its provider's subject, and says so in the
/// audit log (in the creating transaction).
async fn link_created(
    txn: &impl sesame_store::ConnectionTrait,
    upstream: &str,
    subject: &str,
    account_id: i32,
    claims: &Claims,
    now: time::OffsetDateTime,
) -> Result<(), sesame_store::DbErr> {
    federated::link(txn, upstream, subject, account_id, claims, now).await?;
    accounts::audit(
        txn,
        "account_created_upstream",
        Some(account_id),
        None,
        None,
        now,
    )
    .await
}

/// The session of an active account linked to a provider, for a login
/// through `upstream` from `ip`: the login is recorded
/// (`accounts.last_login_at`) and audited (`login_upstream`).
async fn logged_in(
    app: &App,
    account_id: i32,
    profile: &str,
    logout: &crate::session::UpstreamLogin,
    ip: &str,
) -> Result<Session, UpstreamError> {
    let upstream = logout.provider.as_str();
    let a = accounts::find(app.db.conn(), account_id)
        .await?
        .filter(|a| a.is_active())
        .ok_or_else(|| UpstreamError::Invalid("account not active".into()))?;
    let now = app.clock.now();
    let txn = app.db.conn().begin_write().await?;
    accounts::touch_login(&txn, a.id, now).await?;
    accounts::audit_detail(
        &txn,
        "login_upstream",
        Some(a.id),
        Some(&app.keys.pseudonym(&a.identifiant)),
        Some(&app.keys.pseudonym(ip)),
        Some(upstream),
        now,
    )
    .await?;
    txn.commit().await?;
    tracing::info!(account.id = a.id, %upstream, "login through an upstream provider");
    Ok(session(&a, profile, now.unix_timestamp(), logout))
}

/// The pseudonym of an upstream identity, for the audit log of what
/// happens before it has an account.
fn identity_pseudonym(app: &App, upstream: &str, subject: &str) -> String {
    app.keys.pseudonym(&format!("{upstream}:{subject}"))
}

/// A staff (or guest) login: the account linked to the provider's
/// subject, created the first time; answers the session to open.
pub async fn staff_session(app: &App, r: &Returned, ip: &str) -> Result<Session, UpstreamError> {
    let now = app.clock.now();
    let conn = app.db.conn();
    let up = &r.pending.upstream;
    let account_id = match federated::account_of(conn, up, &r.subject).await? {
        Some(id) => {
            federated::touch(conn, up, &r.subject, &r.claims, now).await?;
            id
        }
        None => {
            let base = identifiant::federated_base(&r.claims.identifiant, &r.subject);
            match create(app, up, &r.subject, &r.claims, &base, AccountKind::Federe).await? {
                Created::New(created) => {
                    let (txn, a) = *created;
                    txn.commit().await?;
                    a.id
                }
                Created::Existing(id) => id,
            }
        }
    };
    logged_in(app, account_id, &r.pending.profile, &r.logout, ip).await
}

/// What a parent's national identity leads to.
#[derive(Debug)]
pub enum ParentOutcome {
    /// Linked before: logged in.
    LoggedIn(Session),
    /// Exactly one guardian matches: confirm with a child (the ticket of
    /// the confirmation form).
    Confirm(String),
    /// No guardian of that name.
    NoMatch,
    /// Several guardians of that name (the codes path tells them apart).
    Several,
    /// Matched, but this identity has used up today's confirmations: said
    /// before asking.
    Blocked,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Candidate {
    upstream: String,
    subject: String,
    claims: Claims,
    guardians: Vec<i32>,
    profile: String,
    resume: serde_json::Value,
    #[serde(default)]
    logout: Option<crate::session::UpstreamLogin>,
}

fn candidate_key(app: &App, ticket: &str) -> Key {
    Ns::UpstreamCandidate.key(app.keys.stable_hmac(ticket))
}

/// Child confirmations of one national identity, per day (counted before
/// the answer is checked).
const CONFIRM_DAILY: Throttle = Throttle::per_day(CONFIRM_DAILY_LIMIT);

/// Attempts allowed at the confirmation form.
pub const CONFIRM_ATTEMPTS: i64 = 5;
/// Wrong confirmations per upstream identity and day, whatever the number
/// of round trips to the provider: a child's first name and birth date
/// are not a secret that stands many guesses.
pub const CONFIRM_DAILY_LIMIT: i64 = 10;

/// The counter of an identity's confirmations of the day.
fn daily_key(app: &App, upstream: &str, subject: &str) -> Key {
    Ns::UpstreamConfirmFailures.key(app.keys.token_hmac(&format!("{upstream}:{subject}")))
}

/// A parent back from a national identity provider.
pub async fn parent(app: &App, r: &Returned, ip: &str) -> Result<ParentOutcome, UpstreamError> {
    let conn = app.db.conn();
    let now = app.clock.now();
    if let Some(id) = federated::account_of(conn, &r.pending.upstream, &r.subject).await? {
        federated::touch(conn, &r.pending.upstream, &r.subject, &r.claims, now).await?;
        return Ok(ParentOutcome::LoggedIn(
            logged_in(app, id, &r.pending.profile, &r.logout, ip).await?,
        ));
    }
    let (Some(first), Some(last)) = (&r.claims.first_name, &r.claims.last_name) else {
        return Ok(ParentOutcome::NoMatch);
    };
    let (first, last) = (normalize_first_name(first), normalize_first_name(last));
    // SIECLE keeps one record per school: same-name records of different
    // schools are one person; two in one school are two people.
    let matching: Vec<(i32, i32)> = federated::guardians(conn)
        .await?
        .into_iter()
        .filter(|(_, _, l, f)| normalize_first_name(l) == last && normalize_first_name(f) == first)
        .map(|(id, school, _, _)| (id, school))
        .collect();
    if matching.is_empty() {
        return Ok(ParentOutcome::NoMatch);
    }
    let mut schools = std::collections::HashSet::new();
    if !matching.iter().all(|(_, school)| schools.insert(*school)) {
        return Ok(ParentOutcome::Several);
    }
    if CONFIRM_DAILY
        .exhausted(&app.store, &daily_key(app, &r.pending.upstream, &r.subject))
        .await?
    {
        return Ok(ParentOutcome::Blocked);
    }
    let matching: Vec<i32> = matching.into_iter().map(|(id, _)| id).collect();
    let ticket = new_token();
    let c = Candidate {
        upstream: r.pending.upstream.clone(),
        subject: r.subject.clone(),
        claims: r.claims.clone(),
        guardians: matching,
        profile: r.pending.profile.clone(),
        resume: r.pending.resume.clone(),
        logout: Some(r.logout.clone()),
    };
    app.store
        .put(
            &candidate_key(app, &ticket),
            &serde_json::to_vec(&c).unwrap_or_default(),
            Duration::from_secs(STATE_SECONDS),
        )
        .await?;
    Ok(ParentOutcome::Confirm(ticket))
}

/// Where a matched parent goes once confirmed (the resumed service), for
/// the confirmation page's policy.
pub async fn candidate_resume(
    app: &App,
    ticket: &str,
) -> Result<Option<serde_json::Value>, UpstreamError> {
    Ok(app
        .store
        .get(&candidate_key(app, ticket))
        .await?
        .and_then(|v| serde_json::from_slice::<Candidate>(&v).ok())
        .map(|c| c.resume))
}

/// Whom the confirmation page greets: the name the provider gave, and
/// the provider's id.
#[derive(Debug, Clone)]
pub struct Greeting {
    /// "First LAST".
    pub name: String,
    /// The provider.
    pub upstream: String,
}

impl Candidate {
    fn display_name(&self) -> String {
        display_name(&self.claims)
    }
}

/// "First LAST" as the provider gave it.
pub fn display_name(claims: &Claims) -> String {
    format!(
        "{} {}",
        claims.first_name.clone().unwrap_or_default(),
        claims.last_name.clone().unwrap_or_default()
    )
    .trim()
    .to_owned()
}

/// The confirmation's result.
#[derive(Debug)]
pub enum Confirmed {
    /// The account is created (or was): the session to open and where to
    /// resume.
    Done(Box<Session>, serde_json::Value),
    /// Wrong child or code: try again (the same message whatever was
    /// wrong), greeted as before.
    Wrong(Greeting),
    /// Wrong, and the attempt's last answer: start again from the provider.
    Ended,
    /// An account already holds this guardian's codes.
    AlreadyHasAccount,
    /// Too many wrong answers for this identity today.
    TooManyAttempts,
}

/// Confirms a matched parent with one child's first name and birth date,
/// or an activation code; creates the account with every child of the
/// guardian, in one transaction.
pub async fn confirm_parent(
    app: &App,
    ticket: &str,
    prenom: &str,
    naissance: Option<time::Date>,
    code: Option<&sesame_domain::ActivationCode>,
    ip: &str,
) -> Result<Confirmed, UpstreamError> {
    let conn = app.db.conn();
    let now = app.clock.now();
    let key = candidate_key(app, ticket);
    let c: Candidate = match app.store.get(&key).await? {
        Some(v) => serde_json::from_slice(&v).map_err(unreadable)?,
        None => return Err(UpstreamError::Expired),
    };
    let daily = daily_key(app, &c.upstream, &c.subject);
    // Security: both counters move before the answer is checked, so that
    // parallel guesses cannot exceed either limit (a right answer ends the
    // attempt: counting it costs nothing).
    let today = CONFIRM_DAILY.record(&app.store, &daily).await?;
    if today > CONFIRM_DAILY_LIMIT {
        app.store.delete(&key).await?;
        return Ok(Confirmed::TooManyAttempts);
    }
    let n = app
        .store
        .incr(&key.sub("fail"), Duration::from_secs(STATE_SECONDS))
        .await?;
    if n > CONFIRM_ATTEMPTS {
        app.store.delete(&key).await?;
        return Err(UpstreamError::Expired);
    }
    let pupils = federated::pupils_of(conn, &c.guardians, now.date()).await?;
    let key_name = normalize_first_name(prenom);
    let mut ok = naissance.is_some_and(|date| {
        pupils
            .iter()
            .any(|(_, name, birth)| *name == key_name && *birth == date)
    });
    if let Some(code) = code
        && let Some(info) =
            sesame_store::codes::find_by_hmac(conn, &app.keys.code_hmacs(code)).await?
        && info.guardian_id.is_some_and(|g| c.guardians.contains(&g))
        && info.revoked_at.is_none()
    {
        ok = true;
    }
    if !ok {
        let (actor, ip) = (
            identity_pseudonym(app, &c.upstream, &c.subject),
            app.keys.pseudonym(ip),
        );
        let txn = conn.begin_write().await?;
        accounts::audit_detail(
            &txn,
            "upstream_confirm_failed",
            None,
            Some(&actor),
            Some(&ip),
            Some(&c.upstream),
            now,
        )
        .await?;
        // The block falls once (the counter is atomic): audited then.
        if today == CONFIRM_DAILY_LIMIT {
            accounts::audit_detail(
                &txn,
                "upstream_confirm_blocked",
                None,
                Some(&actor),
                Some(&ip),
                Some(&c.upstream),
                now,
            )
            .await?;
            tracing::warn!(upstream = %c.upstream, "upstream identity blocked for the day at the child confirmation");
        }
        txn.commit().await?;
        // The last answer allowed ends the attempt at once: no form that
        // can no longer be sent.
        if today >= CONFIRM_DAILY_LIMIT {
            app.store.delete(&key).await?;
            return Ok(Confirmed::TooManyAttempts);
        }
        if n >= CONFIRM_ATTEMPTS {
            app.store.delete(&key).await?;
            return Ok(Confirmed::Ended);
        }
        return Ok(Confirmed::Wrong(Greeting {
            name: c.display_name(),
            upstream: c.upstream.clone(),
        }));
    }
    let codes = federated::codes_of(conn, &c.guardians).await?;
    if codes.iter().any(|(_, used)| used.is_some()) {
        return Ok(Confirmed::AlreadyHasAccount);
    }
    let name = format!(
        "{}.{}",
        c.claims.first_name.clone().unwrap_or_default(),
        c.claims.last_name.clone().unwrap_or_default()
    );
    let base = identifiant::federated_base(&c.claims.identifiant, &name);
    let (txn, a) = match create(
        app,
        &c.upstream,
        &c.subject,
        &c.claims,
        &base,
        AccountKind::Responsable,
    )
    .await?
    {
        Created::New(created) => *created,
        // The same identity confirmed twice at once: the first one made it.
        Created::Existing(_) => {
            app.store.delete(&key).await?;
            return Ok(Confirmed::AlreadyHasAccount);
        }
    };
    for (p, _, _) in &pupils {
        accounts::link_pupil(&txn, a.id, *p).await?;
    }
    for g in &c.guardians {
        accounts::link_guardian(&txn, a.id, *g).await?;
    }
    for (code_id, _) in &codes {
        if !accounts::claim_code(&txn, *code_id, a.id).await? {
            txn.rollback().await?;
            return Ok(Confirmed::AlreadyHasAccount);
        }
    }
    accounts::touch_login(&txn, a.id, now).await?;
    accounts::audit_detail(
        &txn,
        "login_upstream",
        Some(a.id),
        Some(&app.keys.pseudonym(&a.identifiant)),
        Some(&app.keys.pseudonym(ip)),
        Some(&c.upstream),
        now,
    )
    .await?;
    txn.commit().await?;
    app.store.delete(&key).await?;
    tracing::info!(account.id = a.id, upstream = %c.upstream, children = pupils.len(), "parent account created from a national identity");
    // A candidate written by an earlier version has no logout: the
    // provider's id alone (no end_session known: the page says so).
    let logout = c.logout.clone().unwrap_or(crate::session::UpstreamLogin {
        provider: c.upstream.clone(),
        id_token: String::new(),
        end_session: None,
    });
    Ok(Confirmed::Done(
        Box::new(session(&a, &c.profile, now.unix_timestamp(), &logout)),
        c.resume,
    ))
}

/// Links an existing account to the provider's subject; false when that
/// subject is already linked to another account.
pub async fn link_account(app: &App, account_id: i32, r: &Returned) -> Result<bool, UpstreamError> {
    let conn = app.db.conn();
    match federated::account_of(conn, &r.pending.upstream, &r.subject).await? {
        Some(id) => Ok(id == account_id),
        None => {
            let now = app.clock.now();
            let txn = conn.begin_write().await?;
            match federated::link(
                &txn,
                &r.pending.upstream,
                &r.subject,
                account_id,
                &r.claims,
                now,
            )
            .await
            {
                Ok(()) => {}
                // Linked at the same moment by another request.
                Err(e) if accounts::is_unique_violation(&e) => {
                    txn.rollback().await?;
                    return Ok(federated::account_of(conn, &r.pending.upstream, &r.subject)
                        .await?
                        == Some(account_id));
                }
                Err(e) => return Err(e.into()),
            }
            accounts::audit_detail(
                &txn,
                "account_linked_upstream",
                Some(account_id),
                None,
                None,
                Some(&r.pending.upstream),
                now,
            )
            .await?;
            txn.commit().await?;
            Ok(true)
        }
    }
}
