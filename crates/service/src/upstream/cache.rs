//! Upstream providers' discovery documents (with their JWKS), per
//! provider, kept for [`DISCOVERY_TTL`] by the application clock. `App`
//! holds it; it knows nothing of `App` (a leaf: no import circle).

use openidconnect::core::CoreProviderMetadata;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use time::OffsetDateTime;

/// How long a discovery document is kept.
pub const DISCOVERY_TTL: time::Duration = time::Duration::minutes(10);

/// A provider's discovery document with its keys, and what
/// `openidconnect`'s core metadata leaves out.
#[derive(Debug, Clone)]
pub struct Discovered {
    /// The document, with the JWKS set.
    pub meta: CoreProviderMetadata,
    /// Its `end_session_endpoint` (RP-Initiated Logout), if published.
    pub end_session: Option<String>,
}

impl std::ops::Deref for Discovered {
    type Target = CoreProviderMetadata;
    fn deref(&self) -> &CoreProviderMetadata {
        &self.meta
    }
}

/// The documents, by provider id, with when they were fetched.
#[derive(Debug, Default)]
pub struct Cache(Mutex<HashMap<String, (OffsetDateTime, Arc<Discovered>)>>);

impl Cache {
    /// The document of provider `id`, if fetched less than
    /// [`DISCOVERY_TTL`] before `now` (a clock moved back forgets it).
    pub fn get(&self, id: &str, now: OffsetDateTime) -> Option<Arc<Discovered>> {
        let c = self.0.lock().ok()?;
        let (at, m) = c.get(id)?;
        let age = now - *at;
        (age >= time::Duration::ZERO && age < DISCOVERY_TTL).then(|| m.clone())
    }

    /// Keeps the document of provider `id`, fetched at `now`.
    pub fn keep(&self, id: &str, now: OffsetDateTime, meta: Arc<Discovered>) {
        if let Ok(mut c) = self.0.lock() {
            c.insert(id.to_owned(), (now, meta));
        }
    }

    /// Forgets the document of provider `id` (it stopped answering).
    pub fn forget(&self, id: &str) {
        if let Ok(mut c) = self.0.lock() {
            c.remove(id);
        }
    }
}
