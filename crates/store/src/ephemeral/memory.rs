//! The in-process implementation of the ephemeral store: a map with
//! deadlines on the application's clock, swept as it grows, and capped.

use sesame_domain::Clock;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A deadline: nanoseconds since the Unix epoch on the store's clock.
type Deadline = i128;

/// The entries of the in-process store: value and deadline by key.
pub(super) type Entries = HashMap<String, (Vec<u8>, Deadline)>;

/// The in-process implementation: a map with deadlines, swept as it grows,
/// and capped.
pub struct MemoryStore {
    pub(super) entries: Mutex<Entries>,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) max_entries: usize,
}

/// `ttl` after `now`.
fn after(now: Deadline, ttl: Duration) -> Deadline {
    now.saturating_add(i128::try_from(ttl.as_nanos()).unwrap_or(i128::MAX))
}

impl MemoryStore {
    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn now(&self) -> Deadline {
        self.clock.now().unix_timestamp_nanos()
    }

    pub(super) fn put(&self, key: &str, value: &[u8], ttl: Duration, only_if_absent: bool) -> bool {
        let now = self.now();
        let mut map = self.lock();
        if map.len() > 10_000 && map.len().is_power_of_two() {
            map.retain(|_, (_, deadline)| *deadline > now);
        }
        if only_if_absent && map.get(key).is_some_and(|(_, d)| *d > now) {
            return false;
        }
        self.make_room(&mut map, key, now);
        map.insert(key.to_owned(), (value.to_vec(), after(now, ttl)));
        true
    }

    /// The number of entries not expired.
    pub(super) fn live(&self) -> usize {
        let now = self.now();
        self.lock().values().filter(|(_, d)| *d > now).count()
    }

    /// Before `key` is inserted: when it is new and the map is full, sweeps
    /// the expired entries, then, if still full, evicts the hundredth of
    /// the capacity closest to expiry (at least one entry).
    ///
    /// Security: eviction may drop a throttle counter or a session before
    /// its time; the capacity is set far above what legitimate use needs,
    /// so that only a flood reaches it, and the warning says it did.
    fn make_room(&self, map: &mut Entries, key: &str, now: Deadline) {
        if map.len() < self.max_entries || map.contains_key(key) {
            return;
        }
        map.retain(|_, (_, d)| *d > now);
        if map.len() < self.max_entries {
            return;
        }
        let excess = map.len() + 1 - self.max_entries;
        let target = excess.max(self.max_entries / 100).min(map.len());
        let mut deadlines: Vec<Deadline> = map.values().map(|(_, d)| *d).collect();
        let (_, threshold, _) = deadlines.select_nth_unstable(target - 1);
        let threshold = *threshold;
        let below = deadlines.iter().filter(|d| **d < threshold).count();
        // Every entry before the threshold, and as many at it as needed.
        let mut at_threshold = target - below;
        map.retain(|_, (_, d)| {
            if *d < threshold {
                false
            } else if *d == threshold && at_threshold > 0 {
                at_threshold -= 1;
                false
            } else {
                true
            }
        });
        tracing::warn!(
            evicted = target,
            max_entries = self.max_entries,
            "in-process store full: the entries closest to expiry were evicted"
        );
    }

    pub(super) fn get(&self, key: &str, remove: bool) -> Option<Vec<u8>> {
        let now = self.now();
        let mut map = self.lock();
        let live = map.get(key).is_some_and(|(_, d)| *d > now);
        if !live {
            map.remove(key);
            return None;
        }
        if remove {
            map.remove(key).map(|(v, _)| v)
        } else {
            map.get(key).map(|(v, _)| v.clone())
        }
    }

    pub(super) fn get_touch(&self, key: &str, ttl: Duration) -> Option<Vec<u8>> {
        let now = self.now();
        let mut map = self.lock();
        match map.get_mut(key) {
            Some((v, deadline)) if *deadline > now => {
                *deadline = after(now, ttl);
                Some(v.clone())
            }
            _ => {
                map.remove(key);
                None
            }
        }
    }

    /// Lists are kept as their items one after another, each after its
    /// length (4 bytes, little-endian): a push reads and writes bytes, not
    /// JSON (issue 21: a session's list is rewritten at each ticket). An
    /// item equal to `value` is removed first: the list keeps distinct
    /// items, the newest last.
    pub(super) fn push_capped(&self, key: &str, value: &[u8], cap: usize, ttl: Duration) {
        let now = self.now();
        let mut map = self.lock();
        let old = map.get(key).filter(|(_, d)| *d > now).map(|(v, _)| v);
        let mut items: Vec<&[u8]> = old.map(|v| framed_items(v)).unwrap_or_default();
        items.retain(|i| *i != value);
        items.push(value);
        let keep = &items[items.len().saturating_sub(cap)..];
        let mut encoded = Vec::with_capacity(keep.iter().map(|i| i.len() + 4).sum());
        for i in keep {
            let len = u32::try_from(i.len()).unwrap_or(u32::MAX);
            encoded.extend_from_slice(&len.to_le_bytes());
            encoded.extend_from_slice(&i[..len as usize]);
        }
        self.make_room(&mut map, key, now);
        map.insert(key.to_owned(), (encoded, after(now, ttl)));
    }

    pub(super) fn take_list(&self, key: &str) -> Vec<Vec<u8>> {
        self.get(key, true)
            .map(|v| framed_items(&v).into_iter().map(<[u8]>::to_vec).collect())
            .unwrap_or_default()
    }

    pub(super) fn decr(&self, key: &str) -> i64 {
        let now = self.now();
        let mut map = self.lock();
        let Some(entry) = map.get_mut(key).filter(|(_, d)| *d > now) else {
            return 0;
        };
        let n = std::str::from_utf8(&entry.0)
            .ok()
            .and_then(|s| s.parse::<i64>().ok())
            .unwrap_or(0);
        let n = (n - 1).max(0);
        entry.0 = n.to_string().into_bytes();
        n
    }

    pub(super) fn incr(&self, key: &str, ttl: Duration) -> i64 {
        let now = self.now();
        let mut map = self.lock();
        self.make_room(&mut map, key, now);
        let entry = map
            .entry(key.to_owned())
            .or_insert_with(|| (b"0".to_vec(), after(now, ttl)));
        if entry.1 <= now {
            *entry = (b"0".to_vec(), after(now, ttl));
        }
        let n = std::str::from_utf8(&entry.0)
            .ok()
            .and_then(|s| s.parse::<i64>().ok())
            .unwrap_or(0)
            + 1;
        entry.0 = n.to_string().into_bytes();
        n
    }
}

/// The items of a list value ([`MemoryStore::push_capped`]); a truncated
/// tail is left out.
fn framed_items(mut v: &[u8]) -> Vec<&[u8]> {
    let mut items = Vec::new();
    while let Some((len, rest)) = v.split_first_chunk::<4>() {
        let len = u32::from_le_bytes(*len) as usize;
        let Some((item, rest)) = rest.split_at_checked(len) else {
            break;
        };
        items.push(item);
        v = rest;
    }
    items
}
