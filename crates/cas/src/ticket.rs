//! Tickets (CAS 3.0 §3): their syntax and the records a store keeps for
//! them. Ours are a prefix and 48 hex digits (192 random bits); the random
//! bytes are given by the caller.

use serde::{Deserialize, Serialize};

/// Shortest and longest ticket accepted (CAS 3.0 §3.7: services accept up
/// to 32 characters and should accept up to 256).
pub const TICKET_LEN: std::ops::RangeInclusive<usize> = 32..=256;

/// Service ticket prefix (CAS 3.0 §3.1.1).
pub const SERVICE: &str = "ST-";
/// Proxy ticket prefix (CAS 3.0 §3.2.1).
pub const PROXY: &str = "PT-";
/// Proxy-granting ticket prefix (CAS 3.0 §3.3.1).
pub const PROXY_GRANTING: &str = "PGT-";
/// Proxy-granting ticket IOU prefix (CAS 3.0 §3.4.1).
pub const PROXY_GRANTING_IOU: &str = "PGTIOU-";

/// Whether a ticket has the syntax of one of ours: a known prefix, 32–256
/// characters of `[A-Za-z0-9-]` (CAS 3.0 §3.7; CAS-08). Checked before any
/// lookup.
pub fn well_formed(ticket: &str, prefixes: &[&str]) -> bool {
    TICKET_LEN.contains(&ticket.len())
        && prefixes.iter().any(|p| ticket.starts_with(p))
        && ticket
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// A ticket made of `prefix` and the hex digits of 24 random bytes.
pub fn from_bytes(prefix: &str, bytes: &[u8; 24]) -> String {
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{prefix}{hex}")
}

/// What a service or proxy ticket stands for, as the store keeps it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ServiceTicket {
    /// The service URL as requested at login.
    pub service: String,
    /// The registered service's id.
    pub service_id: String,
    /// The account.
    pub account_id: i32,
    /// The profile chosen at login.
    pub profile: String,
    /// Login time, unix seconds.
    pub auth_time: i64,
    /// Issued right after the user typed credentials (not from SSO).
    pub from_new_login: bool,
    /// Expiry, unix seconds of the application clock.
    pub expires_at: i64,
    /// For a proxy ticket: the proxies it went through, the nearest first.
    #[serde(default)]
    pub proxies: Vec<String>,
    /// The SSO session that gave it (its public id): once that session
    /// ends, the ticket no longer validates (REV-05).
    #[serde(default)]
    pub sid: String,
    /// The account's session generation when it was given: a password
    /// change ends it too.
    #[serde(default)]
    pub generation: i64,
}

/// A proxy-granting ticket (CAS 3.0 §3.3): a service allowed to proxy may
/// obtain proxy tickets for other registered services in the user's name.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ProxyGrantingTicket {
    /// The account.
    pub account_id: i32,
    /// The profile chosen at login.
    pub profile: String,
    /// Login time, unix seconds.
    pub auth_time: i64,
    /// The proxy chain, the holder's callback first.
    pub proxies: Vec<String>,
    /// The SSO session it belongs to: every logout path ends it (REV-03).
    #[serde(default)]
    pub sid: String,
    /// The account's session generation: a password change ends it.
    #[serde(default)]
    pub generation: i64,
}

impl ServiceTicket {
    /// The proxy-granting ticket a validation with proxy callback
    /// `pgt_url` gives (CAS 3.0 §2.5.4): the callback heads the chain.
    pub fn granting(&self, pgt_url: &str) -> ProxyGrantingTicket {
        let mut proxies = vec![pgt_url.to_owned()];
        proxies.extend(self.proxies.iter().cloned());
        ProxyGrantingTicket {
            account_id: self.account_id,
            profile: self.profile.clone(),
            auth_time: self.auth_time,
            proxies,
            sid: self.sid.clone(),
            generation: self.generation,
        }
    }
}

impl ProxyGrantingTicket {
    /// The proxy ticket it gives for `target`, a URL of registered service
    /// `service_id` (CAS 3.0 §2.7); its expiry is set when it is issued.
    pub fn proxy_ticket(self, target: &str, service_id: &str) -> ServiceTicket {
        ServiceTicket {
            service: target.to_owned(),
            service_id: service_id.to_owned(),
            account_id: self.account_id,
            profile: self.profile,
            auth_time: self.auth_time,
            from_new_login: false,
            expires_at: 0,
            proxies: self.proxies,
            sid: self.sid,
            generation: self.generation,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ST: &[&str] = &[SERVICE];
    const ST_PT: &[&str] = &[SERVICE, PROXY];
    const PGT: &[&str] = &[PROXY_GRANTING];

    fn check(ticket: &str, prefixes: &[&str], expected: bool) {
        assert_eq!(
            well_formed(ticket, prefixes),
            expected,
            "well_formed({ticket:?}, {prefixes:?})"
        );
    }

    #[test]
    fn ticket_syntax() {
        let hex48 = "0123456789abcdef0123456789abcdef0123456789abcdef";
        let long = format!("ST-{}", "a".repeat(253));
        let too_long = format!("ST-{}", "a".repeat(254));
        for (ticket, prefixes, expected) in [
            // Ours: a prefix and 48 hex digits.
            (format!("ST-{hex48}"), ST, true),
            (format!("PT-{hex48}"), ST_PT, true),
            (format!("PGT-{hex48}"), PGT, true),
            // A proxy ticket is refused where only service tickets go.
            (format!("PT-{hex48}"), ST, false),
            (format!("ST-{hex48}"), PGT, false),
            // §3.7: 32 to 256 characters.
            (format!("ST-{}", "a".repeat(29)), ST, true),
            (format!("ST-{}", "a".repeat(28)), ST, false),
            (long, ST, true),
            (too_long, ST, false),
            (String::new(), ST, false),
            // §3.7: only letters, digits and the hyphen.
            (format!("ST-{hex48}_"), ST, false),
            (format!("ST-{hex48}="), ST, false),
            (format!("ST-{hex48} "), ST, false),
            (format!("ST-{hex48}\n"), ST, false),
            (format!("ST-{hex48}é"), ST, false),
            (format!("ST-{hex48}%2e"), ST, false),
            // Other implementations' tickets have hyphens inside.
            ("ST-1856339-aA5Yuvrxzpv8Tau1cYQ7-cas01".to_owned(), ST, true),
            // The prefix is case-sensitive and must lead.
            (format!("st-{hex48}"), ST, false),
            (format!("X-ST-{hex48}"), ST, false),
            (format!("ST{hex48}"), ST, false),
        ] {
            check(&ticket, prefixes, expected);
        }
    }

    #[test]
    fn tickets_made_from_bytes_are_well_formed() {
        for (prefix, bytes) in [
            (SERVICE, [0u8; 24]),
            (PROXY, [0xff; 24]),
            (PROXY_GRANTING, [0x5a; 24]),
        ] {
            let t = from_bytes(prefix, &bytes);
            assert_eq!(t.len(), prefix.len() + 48, "{t}");
            check(&t, &[prefix], true);
        }
        assert_eq!(
            from_bytes(SERVICE, &[0xab; 24]),
            format!("ST-{}", "ab".repeat(24))
        );
    }

    #[test]
    fn a_proxy_chain_grows_at_its_head() {
        let st = ServiceTicket {
            service: "https://a.example/".into(),
            service_id: "a".into(),
            account_id: 7,
            profile: "parent".into(),
            auth_time: 100,
            from_new_login: true,
            expires_at: 110,
            proxies: vec!["https://p1.example/cb".into()],
            sid: "sid".into(),
            generation: 3,
        };
        let pgt = st.granting("https://p2.example/cb");
        assert_eq!(
            pgt.proxies,
            ["https://p2.example/cb", "https://p1.example/cb"]
        );
        let pt = pgt.proxy_ticket("https://b.example/", "b");
        assert_eq!(pt.service, "https://b.example/");
        assert_eq!(pt.service_id, "b");
        assert!(!pt.from_new_login);
        assert_eq!((pt.account_id, pt.auth_time, pt.generation), (7, 100, 3));
        assert_eq!(pt.sid, "sid");
        assert_eq!(pt.proxies.len(), 2);
    }
}
