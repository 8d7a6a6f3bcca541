//! One type behind every limit: `limit` attempts per `window`, reserved
//! atomically in the shared store *before* the costly or sensitive work
//! (SECURITY.md §1.2), so that parallel requests cannot pass it.

use super::{EphemeralError, EphemeralStore, Key, Ns};
use std::fmt;
use std::time::Duration;

/// A limit: at most `limit` attempts per `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttle {
    /// Attempts allowed in one window.
    pub limit: i64,
    /// The window.
    pub window: Duration,
}

/// What a reservation answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Within the limit: go on (and [`Throttle::release`] if the attempt
    /// turns out not to count).
    Allowed,
    /// Over the limit; a fixed window says when it ends, in seconds.
    Refused {
        /// Seconds until the window ends (`None` for a sliding counter).
        retry_after: Option<u64>,
        /// Whether this is the first refusal of the window (to log once).
        first: bool,
    },
}

impl Verdict {
    /// Whether the attempt may go on.
    pub fn allowed(self) -> bool {
        self == Verdict::Allowed
    }
}

impl Throttle {
    /// `limit` per `window`.
    pub const fn new(limit: i64, window: Duration) -> Self {
        Self { limit, window }
    }

    /// `limit` per hour.
    pub const fn per_hour(limit: i64) -> Self {
        Self::new(limit, Duration::from_secs(3600))
    }

    /// `limit` per day.
    pub const fn per_day(limit: i64) -> Self {
        Self::new(limit, Duration::from_secs(86_400))
    }

    /// `limit` per minute.
    pub const fn per_minute(limit: i64) -> Self {
        Self::new(limit, Duration::from_secs(60))
    }

    /// Reserves one attempt under `key`: the counter starts with its first
    /// attempt and lives one window.
    pub async fn reserve(
        &self,
        store: &EphemeralStore,
        key: &Key,
    ) -> Result<Verdict, EphemeralError> {
        let n = store.incr(key, self.window).await?;
        Ok(self.verdict(n, None))
    }

    /// The key of the fixed window holding `now` (unix seconds, from the
    /// application clock) for `id` in `ns`, and the seconds left in it.
    pub fn window_key(&self, ns: Ns, id: impl fmt::Display, now: i64) -> (Key, u64) {
        let w = i64::try_from(self.window.as_secs())
            .unwrap_or(i64::MAX)
            .max(1);
        let left = u64::try_from(w - now.rem_euclid(w)).unwrap_or(1);
        (ns.key2(id, now.div_euclid(w)), left)
    }

    /// Reserves one attempt in the fixed window of the application clock
    /// that holds `now` (unix seconds): every node counts in the same
    /// window whatever its own clock, and a test's fixed clock stays in one.
    /// The store keeps the counter five windows, only to collect it.
    pub async fn reserve_in_window(
        &self,
        store: &EphemeralStore,
        ns: Ns,
        id: impl fmt::Display,
        now: i64,
    ) -> Result<(Key, Verdict), EphemeralError> {
        let (key, left) = self.window_key(ns, id, now);
        let n = store.incr(&key, self.window * 5).await?;
        Ok((key, self.verdict(n, Some(left))))
    }

    fn verdict(&self, n: i64, retry_after: Option<u64>) -> Verdict {
        if n <= self.limit {
            Verdict::Allowed
        } else {
            Verdict::Refused {
                retry_after,
                first: n == self.limit + 1,
            }
        }
    }

    /// Gives back an attempt reserved under `key` that did not count (a
    /// success, or work that was not done).
    pub async fn release(&self, store: &EphemeralStore, key: &Key) -> Result<(), EphemeralError> {
        store.decr(key).await.map(|_| ())
    }

    /// Counts an attempt that failed after the fact (no reservation).
    pub async fn record(&self, store: &EphemeralStore, key: &Key) -> Result<i64, EphemeralError> {
        store.incr(key, self.window).await
    }

    /// Whether the limit is already reached under `key`, without counting.
    pub async fn exhausted(
        &self,
        store: &EphemeralStore,
        key: &Key,
    ) -> Result<bool, EphemeralError> {
        Ok(store.count(key).await? >= self.limit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_windows_follow_the_clock_given() {
        let t = Throttle::per_minute(10);
        let cases: &[(i64, &str, u64)] = &[
            (0, "thr:ip:p:0", 60),
            (59, "thr:ip:p:0", 1),
            (60, "thr:ip:p:1", 60),
            (1_799_999_999, "thr:ip:p:29999999", 1),
            (-1, "thr:ip:p:-1", 1),
        ];
        for (now, key, left) in cases {
            let (k, l) = t.window_key(Ns::LoginAddress, "p", *now);
            assert_eq!((k.as_str(), l), (*key, *left), "{now}");
        }
        let h = Throttle::per_hour(3);
        let (k, l) = h.window_key(Ns::RecoveryAddress, "x", 3600 * 5 + 10);
        assert_eq!((k.as_str(), l), ("thr:rec:ip:x:5", 3590));
    }

    #[tokio::test]
    async fn a_reservation_beyond_the_limit_is_refused_and_release_gives_it_back() {
        let store = EphemeralStore::memory();
        let t = Throttle::per_hour(2);
        let k = Ns::ActivationAddress.key("t");
        assert!(t.reserve(&store, &k).await.expect("store").allowed());
        assert!(t.reserve(&store, &k).await.expect("store").allowed());
        assert!(!t.reserve(&store, &k).await.expect("store").allowed());
        assert!(t.exhausted(&store, &k).await.expect("store"));
        t.release(&store, &k).await.expect("store");
        t.release(&store, &k).await.expect("store");
        assert!(!t.exhausted(&store, &k).await.expect("store"));
    }
}
