//! First visit by text message (issue 20 §2), for a parent who has no
//! letter: the mobile number the school holds → a 6-digit one-time code
//! by text message (10 minutes, 5 attempts) → one child's first name and
//! birth date → the usual identifiant, password and address → an active
//! account with every child of that guardian.
//!
//! The browser holds a random flow token (a cookie); the database keeps
//! only keyed hashes: of the token, of the number and of the code
//! (`sms_challenges`). Security (no enumeration, ACT-02): asking for a code
//! answers the same, through the same statements, whether the number is
//! known or not; only the outbox row is not written for an unknown (or
//! shared) number, so nothing is sent, and its challenge never opens.

use super::{
    ACTIVATIONS_PER_ADDRESS, Credentials, FieldErrors, IDENTIFIANT_TAKEN, SignupError,
    check_against_schools, check_credentials, date_words, hash_password, identifiant_taken,
    parse_birth,
};
use crate::app::App;
use sesame_domain::{AccountKind, AccountState, Message, Mobile, normalize_first_name};
use sesame_store::accounts::{self, NewAccount};
use sesame_store::sms::{self, Challenge, NewChallenge};
use sesame_store::{Key, Ns, StoreError, Throttle, WriteTxn};
use subtle::ConstantTimeEq;
use time::Duration;

/// Minutes a code stays valid.
pub const CODE_MINUTES: i64 = 10;
/// Attempts at the code (then at the child) before the flow ends.
pub const ATTEMPTS: i32 = 5;
/// Minutes left, once the code is right, to name a child and choose the
/// identifiant.
pub const FLOW_MINUTES: i64 = 30;
/// Codes asked for one number per hour.
pub const PER_NUMBER_PER_HOUR: i64 = 3;
/// Codes asked for one number per day.
pub const PER_NUMBER_PER_DAY: i64 = 5;
/// Codes asked from one network address per hour.
pub const PER_ADDRESS_PER_HOUR: i64 = 10;
/// Codes asked from one network address per day.
pub const PER_ADDRESS_PER_DAY: i64 = 30;

/// Where a flow stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// The code is awaited.
    Code,
    /// A child is to be named.
    Child,
    /// The identifiant, password and address are to be chosen.
    Account,
}

/// What the flow's page must say.
#[derive(Debug, thiserror::Error)]
pub enum SmsError {
    /// Some fields are wrong.
    #[error("invalid form")]
    Invalid(FieldErrors),
    /// Too many requests (number, address or day).
    #[error("throttled")]
    Throttled,
    /// No flow in this browser any more: expired, ended after 5 attempts,
    /// used, or never started. The message says which, when known.
    #[error("flow over")]
    Over(&'static str),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<SignupError> for SmsError {
    fn from(e: SignupError) -> Self {
        match e {
            SignupError::Invalid(f) => Self::Invalid(f),
            SignupError::Throttled => Self::Throttled,
            SignupError::Store(e) => Self::Store(e),
        }
    }
}

impl From<sesame_store::DbErr> for SmsError {
    fn from(e: sesame_store::DbErr) -> Self {
        Self::Store(StoreError::Db(e))
    }
}

impl From<sesame_store::EphemeralError> for SmsError {
    fn from(e: sesame_store::EphemeralError) -> Self {
        Self::Store(StoreError::Ephemeral(e))
    }
}

/// The flow has ended or expired.
pub const EXPIRED: &str = "sms-erreur-expire";
/// Five wrong attempts.
pub const TOO_MANY: &str = "sms-erreur-trop-essais";

fn flow_hash(app: &App, flow: &str) -> String {
    app.keys.stable_hmac(&format!("sms-flow:{flow}"))
}

fn code_hash(app: &App, flow_hash: &str, code: &str) -> String {
    app.keys.token_hmac(&format!("sms-code:{flow_hash}:{code}"))
}

async fn within(app: &App, throttle: Throttle, key: &Key) -> Result<bool, SmsError> {
    Ok(throttle.reserve(&app.store, key).await?.allowed())
}

/// Where the browser's flow stands, if it has one.
pub async fn stage(app: &App, flow: &str) -> Result<Option<Stage>, SmsError> {
    let c = sms::find_challenge(app.db.conn(), &flow_hash(app, flow), app.clock.now()).await?;
    Ok(c.map(|c| stage_of(&c)))
}

fn stage_of(c: &Challenge) -> Stage {
    match (c.verified_at, c.child_at) {
        (None, _) => Stage::Code,
        (Some(_), None) => Stage::Child,
        (Some(_), Some(_)) => Stage::Account,
    }
}

/// Asks for a code to be sent to `typed`, for the browser's new `flow`.
/// Answers `Ok` whether or not the number is known (the page then asks for
/// the code); a code is queued only for a number that one guardian with
/// children holds.
pub async fn request_code(app: &App, flow: &str, typed: &str, ip: &str) -> Result<(), SmsError> {
    let Some(mobile) = Mobile::parse(typed) else {
        let mut e = FieldErrors::new();
        e.insert("portable", "sms-erreur-portable");
        return Err(SmsError::Invalid(e));
    };
    // Security: every limit is reserved before any lookup (CONC-03), the
    // same way for a known and an unknown number.
    let address = app.keys.pseudonym(&format!("sms-ip:{ip}"));
    let number = app.keys.stable_hmac(&format!("sms-number:{mobile}"));
    let allowed = within(
        app,
        Throttle::per_hour(PER_ADDRESS_PER_HOUR),
        &Ns::SmsAddressHour.key(&address),
    )
    .await?
        && within(
            app,
            Throttle::per_day(PER_ADDRESS_PER_DAY),
            &Ns::SmsAddressDay.key(&address),
        )
        .await?
        && within(
            app,
            Throttle::per_hour(PER_NUMBER_PER_HOUR),
            &Ns::SmsNumberHour.key(&number),
        )
        .await?
        && within(
            app,
            Throttle::per_day(PER_NUMBER_PER_DAY),
            &Ns::SmsNumberDay.key(&number),
        )
        .await?;
    if !allowed {
        return Err(SmsError::Throttled);
    }
    let now = app.clock.now();
    let conn = app.db.conn();
    let holders = sms::holders(conn, mobile.as_str()).await?;
    let guardians = sms::one_person(&holders);
    let children =
        sms::children_of(conn, guardians.as_deref().unwrap_or_default(), now.date()).await?;
    // Security: a number shared by two persons, or whose holder has no
    // child at school any more, opens nothing (issue 20 §1).
    let guardians = guardians.filter(|_| !children.is_empty());
    let code = {
        use rand::RngExt as _;
        format!("{:06}", rand::rng().random_range(0..1_000_000u32))
    };
    let fh = flow_hash(app, flow);
    let txn = conn.begin_write().await?;
    sms::start_challenge(
        &txn,
        NewChallenge {
            flow_hash: &fh,
            mobile_hash: &number,
            code_hash: &code_hash(app, &fh, &code),
            guardians: guardians.as_deref(),
            expires_at: now + Duration::minutes(CODE_MINUTES),
        },
        now,
    )
    .await?;
    if guardians.is_some() {
        let text = crate::sms::code_text(&app.config, &code);
        sms::enqueue(&txn, mobile.as_str(), crate::sms::KIND_CODE, &text, now).await?;
    }
    txn.commit().await?;
    // Security: neither the number nor the code nor whether it is known.
    tracing::info!("text-message code requested");
    Ok(())
}

/// Ends a challenge whose last attempt failed.
async fn spend(app: &App, c: &Challenge) -> Result<bool, SmsError> {
    if sms::take_attempt(app.db.conn(), c.id, ATTEMPTS).await? {
        return Ok(true);
    }
    sms::end_challenge(app.db.conn(), c.id).await?;
    Ok(false)
}

async fn current(app: &App, flow: &str) -> Result<Challenge, SmsError> {
    sms::find_challenge(app.db.conn(), &flow_hash(app, flow), app.clock.now())
        .await?
        .ok_or(SmsError::Over(EXPIRED))
}

/// Checks the code typed. A wrong code takes one of the 5 attempts; the
/// fifth ends the flow.
pub async fn verify_code(app: &App, flow: &str, typed: &str) -> Result<(), SmsError> {
    let c = current(app, flow).await?;
    if c.verified_at.is_some() {
        return Ok(());
    }
    // Security: the attempt is taken atomically before the comparison, so
    // 40 parallel guesses check at most 5 codes (CONC-03).
    if !spend(app, &c).await? {
        return Err(SmsError::Over(TOO_MANY));
    }
    let digits: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
    let fh = flow_hash(app, flow);
    let right = digits.len() == 6
        && digits.bytes().all(|b| b.is_ascii_digit())
        && app
            .keys
            .token_hmacs(&format!("sms-code:{fh}:{digits}"))
            .iter()
            .any(|h| bool::from(h.hash.as_bytes().ct_eq(c.code_hash.as_bytes())));
    // An unknown number's challenge never opens, whatever is typed.
    if right && c.guardians.is_some() {
        let now = app.clock.now();
        sms::mark_verified(
            app.db.conn(),
            c.id,
            now,
            now + Duration::minutes(FLOW_MINUTES),
        )
        .await?;
        tracing::info!("text-message code verified");
        return Ok(());
    }
    let left = ATTEMPTS - c.attempts - 1;
    if left <= 0 {
        sms::end_challenge(app.db.conn(), c.id).await?;
        return Err(SmsError::Over(TOO_MANY));
    }
    let mut e = FieldErrors::new();
    e.insert("code", Message::new("sms-erreur-code").with("essais", left));
    Err(SmsError::Invalid(e))
}

/// Checks one child's first name and birth date against the guardian's
/// children. A failure takes one of the 5 attempts and one of the
/// address's activation attempts (ACT-04).
pub async fn check_child(
    app: &App,
    flow: &str,
    prenom: &str,
    naissance: &str,
    ip: &str,
) -> Result<(), SmsError> {
    let c = current(app, flow).await?;
    if stage_of(&c) == Stage::Code {
        return Err(SmsError::Over(EXPIRED));
    }
    let mut e = FieldErrors::new();
    let birth = parse_birth(naissance);
    if prenom.trim().is_empty() {
        e.insert("prenom", "sms-erreur-prenom");
    }
    let Some(birth) = birth else {
        e.insert("naissance", "erreur-naissance");
        return Err(SmsError::Invalid(e));
    };
    if !e.is_empty() {
        return Err(SmsError::Invalid(e));
    }
    let key = Ns::ActivationAddress.key(app.keys.stable_hmac(ip));
    if !ACTIVATIONS_PER_ADDRESS
        .reserve(&app.store, &key)
        .await?
        .allowed()
    {
        return Err(SmsError::Throttled);
    }
    if !spend(app, &c).await? {
        return Err(SmsError::Over(TOO_MANY));
    }
    let now = app.clock.now();
    let children = sms::children_of(app.db.conn(), &sms::guardians_of(&c), now.date()).await?;
    let wanted = normalize_first_name(prenom);
    if children
        .iter()
        .any(|p| p.first_name_key == wanted && p.birth_date == birth)
    {
        ACTIVATIONS_PER_ADDRESS.release(&app.store, &key).await?;
        sms::mark_child(app.db.conn(), c.id, now).await?;
        return Ok(());
    }
    if ATTEMPTS - c.attempts - 1 <= 0 {
        sms::end_challenge(app.db.conn(), c.id).await?;
        return Err(SmsError::Over(TOO_MANY));
    }
    e.insert("enfant", "sms-erreur-enfant");
    Err(SmsError::Invalid(e))
}

/// Creates the account, active, with every child of the guardian; the
/// flow ends in the same transaction. Answers the account id.
pub async fn create_account(app: &App, flow: &str, f: &Credentials) -> Result<i32, SmsError> {
    let c = current(app, flow).await?;
    if stage_of(&c) != Stage::Account {
        return Err(SmsError::Over(EXPIRED));
    }
    let now = app.clock.now();
    let guardians = sms::guardians_of(&c);
    let children = sms::children_of(app.db.conn(), &guardians, now.date()).await?;
    let mut context = Vec::new();
    for p in &children {
        context.push(p.first_name.clone());
        context.extend(date_words(p.birth_date));
    }
    let mut errors = FieldErrors::new();
    let id = check_credentials(app, f, &context, &mut errors);
    if errors.get("password").is_none() {
        let uais = sms::school_uais(
            app.db.conn(),
            &children.iter().map(|p| p.school_id).collect::<Vec<_>>(),
        )
        .await?;
        let uais: Vec<&str> = uais.iter().map(String::as_str).collect();
        check_against_schools(app, f, &context, &uais, &mut errors).await?;
    }
    if let Some(id) = &id
        && identifiant_taken(app, id).await?
    {
        errors.insert("identifiant", IDENTIFIANT_TAKEN);
    }
    let (Some(id), true) = (id, errors.is_empty()) else {
        return Err(SmsError::Invalid(errors));
    };
    let hash = hash_password(app, &f.password).await?;
    let txn = app.db.conn().begin_write().await?;
    // Security: the flow is spent first; a second submission finds nothing.
    if !sms::end_challenge(&txn, c.id).await? {
        txn.rollback().await?;
        return Err(SmsError::Over(EXPIRED));
    }
    let account = match accounts::insert(
        &txn,
        NewAccount {
            identifiant: id,
            identifiant_display: f.identifiant.trim().to_owned(),
            password_hash: hash,
            email: Some(f.email.trim().to_owned()),
            state: AccountState::Active,
            kind: AccountKind::Responsable,
            joint: false,
            language: f.language,
        },
        now,
    )
    .await
    {
        Ok(a) => a,
        Err(e) if accounts::is_unique_violation(&e) => {
            txn.rollback().await?;
            errors.insert("identifiant", IDENTIFIANT_TAKEN);
            return Err(SmsError::Invalid(errors));
        }
        Err(e) => return Err(e.into()),
    };
    for p in &children {
        accounts::link_pupil(&txn, account.id, p.id).await?;
    }
    for g in &guardians {
        accounts::link_guardian(&txn, account.id, *g).await?;
    }
    sms::claim_codes_of(&txn, &guardians, account.id).await?;
    accounts::audit(
        &txn,
        "account_created_sms",
        Some(account.id),
        None,
        None,
        now,
    )
    .await?;
    txn.commit().await?;
    tracing::info!(
        account.id = account.id,
        children = children.len(),
        "parent account created by text message"
    );
    Ok(account.id)
}
