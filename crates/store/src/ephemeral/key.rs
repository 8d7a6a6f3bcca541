//! The keys of the ephemeral store: one namespace per kind of value, so that
//! no call site spells a key by hand and two features can never share one.
//!
//! The texts are those of earlier versions: a rolling upgrade keeps the
//! sessions, tickets and counters that nodes of both versions share.

use std::fmt;

/// What a key holds: each variant is one namespace (its prefix).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Ns {
    /// An SSO session, by keyed hash of its cookie.
    Session,
    /// An account's session generation (cache of the database's).
    SessionGeneration,
    /// A CSRF nonce already used (single use).
    Csrf,
    /// A CAS service or proxy ticket, by keyed hash (CAS 3.0 §3.1, §3.2).
    ServiceTicket,
    /// A CAS proxy-granting ticket, by keyed hash (CAS 3.0 §3.3).
    ProxyGrantingTicket,
    /// An OpenID Connect authorization code, by keyed hash.
    OidcCode,
    /// A redeemed authorization code (its grant), to detect a replay.
    OidcCodeSpent,
    /// An OpenID Connect access token, by keyed hash.
    OidcAccessToken,
    /// An OpenID Connect refresh token, by keyed hash, as releases before
    /// migration 000018 kept them (now read once, then moved to the
    /// database: `refresh_tokens`).
    OidcRefreshToken,
    /// A pending consent decision, by keyed hash of its ticket.
    OidcConsent,
    /// A revoked refresh-token family, for its access tokens (the family's
    /// refresh tokens are revoked in the database).
    OidcRevoked,
    /// Failed client authentications of one client, address and minute.
    OidcClientFailures,
    /// The state of a login at an upstream provider, by keyed hash.
    UpstreamState,
    /// A national identity waiting to be matched with a guardian.
    UpstreamCandidate,
    /// Failed child confirmations of one upstream identity, per day.
    UpstreamConfirmFailures,
    /// The relying parties a session visited (single logout).
    Slo,
    /// A session that ended (single logout reached every node).
    SloEnded,
    /// A confirmation mail that can be sent again, by keyed hash of its ticket.
    ConfirmResend,
    /// Confirmation mails sent again for one account.
    ConfirmResendCount,
    /// A lease on a periodic or one-time job.
    Job,
    /// Failed logins of one address in one minute.
    LoginAddress,
    /// Consecutive failed logins of one identifiant.
    LoginFailures,
    /// The delay or block of one identifiant.
    LoginLock,
    /// The lease serialising one identifiant's login attempts.
    LoginBusy,
    /// Failed activations from one address.
    ActivationAddress,
    /// Recovery requests for one address, per hour.
    RecoveryHour,
    /// Recovery requests for one address, per day.
    RecoveryDay,
    /// Recovery requests from one network address.
    RecoveryAddress,
    /// Attempts at choosing an identifiant, per account.
    IdentifiantChoice,
    /// « Ce n'est pas mon enfant » reports of one account, per day.
    ReportAccount,
    /// Text-message codes asked for one number (keyed hash), per hour.
    SmsNumberHour,
    /// Text-message codes asked for one number (keyed hash), per day.
    SmsNumberDay,
    /// Text-message codes asked from one network address, per hour.
    SmsAddressHour,
    /// Text-message codes asked from one network address, per day.
    SmsAddressDay,
    /// What a page shown after a redirect needs (POST-redirect-GET): a
    /// short-lived value by kind and keyed hash of the browser's id.
    Flash,
}

impl Ns {
    /// The namespace's prefix.
    pub const fn prefix(self) -> &'static str {
        match self {
            Ns::Session => "sess",
            Ns::SessionGeneration => "sessgen",
            Ns::Csrf => "csrf",
            Ns::ServiceTicket => "cas:st",
            Ns::ProxyGrantingTicket => "cas:pgt",
            Ns::OidcCode => "oidc:code",
            Ns::OidcCodeSpent => "oidc:code-spent",
            Ns::OidcAccessToken => "oidc:at",
            Ns::OidcRefreshToken => "oidc:rt",
            Ns::OidcConsent => "oidc:consent",
            Ns::OidcRevoked => "oidc:revoked",
            Ns::OidcClientFailures => "oidc:client-fail",
            Ns::UpstreamState => "up:state",
            Ns::UpstreamCandidate => "up:candidate",
            Ns::UpstreamConfirmFailures => "up:confirm-fail",
            Ns::Slo => "slo",
            Ns::SloEnded => "slo:ended",
            Ns::ConfirmResend => "resend",
            Ns::ConfirmResendCount => "thr:resend",
            Ns::Job => "job",
            Ns::LoginAddress => "thr:ip",
            Ns::LoginFailures => "thr:acct",
            Ns::LoginLock => "thr:lock",
            Ns::LoginBusy => "thr:busy",
            Ns::ActivationAddress => "thr:act:ip",
            Ns::RecoveryHour => "thr:rec:h",
            Ns::RecoveryDay => "thr:rec:d",
            Ns::RecoveryAddress => "thr:rec:ip",
            Ns::IdentifiantChoice => "thr:ident",
            Ns::ReportAccount => "thr:report",
            Ns::SmsNumberHour => "thr:sms:n:h",
            Ns::SmsNumberDay => "thr:sms:n:d",
            Ns::SmsAddressHour => "thr:sms:ip:h",
            Ns::SmsAddressDay => "thr:sms:ip:d",
            Ns::Flash => "flash",
        }
    }

    /// The key of `id` in this namespace.
    pub fn key(self, id: impl fmt::Display) -> Key {
        Key(format!("{}:{id}", self.prefix()))
    }

    /// The key of the pair `a`, `b` in this namespace (`prefix:a:b`).
    pub fn key2(self, a: impl fmt::Display, b: impl fmt::Display) -> Key {
        Key(format!("{}:{a}:{b}", self.prefix()))
    }
}

/// A key of the ephemeral store, made only by [`Ns::key`] or [`Key::sub`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key(String);

impl Key {
    /// The key's text (before the store's own prefix).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A key tied to this one (`key:part`), e.g. a counter beside a value.
    pub fn sub(&self, part: &str) -> Key {
        Key(format!("{}:{part}", self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_keep_the_texts_of_earlier_versions() {
        let cases: &[(Key, &str)] = &[
            (Ns::Session.key("h"), "sess:h"),
            (Ns::SessionGeneration.key(7), "sessgen:7"),
            (Ns::ServiceTicket.key("h"), "cas:st:h"),
            (Ns::ProxyGrantingTicket.key("h"), "cas:pgt:h"),
            (Ns::OidcCode.key("h"), "oidc:code:h"),
            (Ns::OidcRefreshToken.key("h"), "oidc:rt:h"),
            (Ns::OidcRevoked.key(3), "oidc:revoked:3"),
            (Ns::LoginAddress.key2("p", 29), "thr:ip:p:29"),
            (Ns::ActivationAddress.key("h"), "thr:act:ip:h"),
            (Ns::SloEnded.key("s"), "slo:ended:s"),
            (Ns::Flash.key2("k", "h"), "flash:k:h"),
            (
                Ns::UpstreamCandidate.key("h").sub("fail"),
                "up:candidate:h:fail",
            ),
            (Ns::Job.key("purge"), "job:purge"),
        ];
        for (key, text) in cases {
            assert_eq!(key.as_str(), *text);
        }
    }
}
