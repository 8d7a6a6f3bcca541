//! The ephemeral store, in-process and on a real Redis (when
//! `SESAME_TEST_REDIS_URL` is set): single issue, single redemption under
//! concurrency, counters, expiry, failure when Redis is down.

use sesame_store::{EphemeralStore, Ns};
use std::time::Duration;

fn stores() -> Vec<EphemeralStore> {
    let mut v = vec![EphemeralStore::memory()];
    if let Ok(url) = std::env::var("SESAME_TEST_REDIS_URL")
        && !url.is_empty()
    {
        let prefix = format!(
            "t:store:{}:{:?}:",
            std::process::id(),
            std::time::Instant::now()
        );
        v.push(EphemeralStore::redis(&url, &prefix, Duration::from_secs(2), None).expect("redis"));
    }
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_value_is_taken_exactly_once_under_concurrency() {
    for store in stores() {
        assert!(
            store
                .put_if_absent(
                    &Ns::ServiceTicket.key("ST-1"),
                    b"alice",
                    Duration::from_secs(10)
                )
                .await
                .expect("put")
        );
        assert!(
            !store
                .put_if_absent(
                    &Ns::ServiceTicket.key("ST-1"),
                    b"mallory",
                    Duration::from_secs(10)
                )
                .await
                .expect("put")
        );
        let mut tasks = Vec::new();
        for _ in 0..50 {
            let s = store.clone();
            tasks.push(tokio::spawn(async move {
                s.take(&Ns::ServiceTicket.key("ST-1")).await.expect("take")
            }));
        }
        let mut winners = Vec::new();
        for t in tasks {
            if let Some(v) = t.await.expect("join") {
                winners.push(v);
            }
        }
        assert_eq!(winners, vec![b"alice".to_vec()], "{store:?}");
        assert_eq!(
            store
                .get(&Ns::ServiceTicket.key("ST-1"))
                .await
                .expect("get"),
            None
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn counters_count_and_expire() {
    for store in stores() {
        for i in 1..=5 {
            assert_eq!(
                store
                    .incr(&Ns::LoginFailures.key("x"), Duration::from_millis(300))
                    .await
                    .expect("incr"),
                i
            );
        }
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert_eq!(
            store
                .incr(&Ns::LoginFailures.key("x"), Duration::from_millis(300))
                .await
                .expect("incr"),
            1,
            "{store:?}"
        );
        store
            .put(&Ns::Csrf.key("v"), b"1", Duration::from_millis(100))
            .await
            .expect("put");
        assert_eq!(
            store.get(&Ns::Csrf.key("v")).await.expect("get"),
            Some(b"1".to_vec())
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(
            store.get(&Ns::Csrf.key("v")).await.expect("get"),
            None,
            "{store:?}"
        );
    }
}

#[tokio::test]
async fn an_unreachable_redis_fails_fast_instead_of_falling_back() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let store = EphemeralStore::redis(
        &format!("redis://127.0.0.1:{port}/"),
        "x:",
        Duration::from_millis(300),
        None,
    )
    .expect("client");
    let started = std::time::Instant::now();
    assert!(store.ping().await.is_err());
    assert!(
        store
            .put_if_absent(&Ns::Csrf.key("k"), b"v", Duration::from_secs(1))
            .await
            .is_err()
    );
    assert!(store.take(&Ns::Csrf.key("k")).await.is_err());
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn get_touch_slides_the_expiry_and_capped_lists_keep_the_newest() {
    for store in stores() {
        store
            .put(&Ns::Session.key("s"), b"s", Duration::from_millis(300))
            .await
            .expect("put");
        for _ in 0..3 {
            tokio::time::sleep(Duration::from_millis(150)).await;
            assert_eq!(
                store
                    .get_touch(&Ns::Session.key("s"), Duration::from_millis(300))
                    .await
                    .expect("get"),
                Some(b"s".to_vec()),
                "each read gives it another 300 ms"
            );
        }
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert_eq!(
            store
                .get_touch(&Ns::Session.key("s"), Duration::from_millis(300))
                .await
                .expect("get"),
            None
        );

        for i in 0..5u8 {
            store
                .push_capped(
                    &Ns::Slo.key("list"),
                    &[b'a' + i],
                    3,
                    Duration::from_secs(10),
                )
                .await
                .expect("push");
        }
        assert_eq!(
            store.take_list(&Ns::Slo.key("list")).await.expect("take"),
            vec![b"c".to_vec(), b"d".to_vec(), b"e".to_vec()]
        );
        // An item pushed again is not kept twice: it becomes the newest,
        // and pushes the oldest other item out only when the list is full.
        for item in [&b"a"[..], b"bb", b"a", b"", b"a"] {
            store
                .push_capped(&Ns::Slo.key("list"), item, 3, Duration::from_secs(10))
                .await
                .expect("push");
        }
        assert_eq!(
            store.take_list(&Ns::Slo.key("list")).await.expect("take"),
            vec![b"bb".to_vec(), b"".to_vec(), b"a".to_vec()]
        );
        assert!(
            store
                .take_list(&Ns::Slo.key("list"))
                .await
                .expect("take")
                .is_empty(),
            "taken once"
        );
    }
}

// CONC-05: the in-process store has a capacity.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_in_process_store_sweeps_expired_entries_then_evicts_the_closest_to_expiry() {
    use sesame_domain::FixedClock;
    let clock = std::sync::Arc::new(FixedClock::new(time::OffsetDateTime::now_utc()));
    let store = EphemeralStore::memory_bounded(clock.clone(), 100);
    let secs = Duration::from_secs;
    for i in 0..60 {
        store
            .put(&Ns::Csrf.key2("short", i), b"s", secs(10))
            .await
            .expect("put");
    }
    for i in 0..40 {
        store
            .put(&Ns::Csrf.key2("long", i), b"l", secs(86_400))
            .await
            .expect("put");
    }
    assert_eq!(store.entry_count().await.expect("count"), 100);

    // Full, but 60 entries have expired: they go first, nothing live does.
    clock.advance(time::Duration::seconds(20));
    for i in 0..60u64 {
        store
            .put(&Ns::Csrf.key2("new", i), b"n", secs(1_000 + i))
            .await
            .expect("put");
    }
    assert_eq!(store.entry_count().await.expect("count"), 100);
    for i in 0..40 {
        assert!(
            store
                .get(&Ns::Csrf.key2("long", i))
                .await
                .expect("get")
                .is_some()
        );
    }
    for i in 0..60 {
        assert!(
            store
                .get(&Ns::Csrf.key2("new", i))
                .await
                .expect("get")
                .is_some()
        );
    }

    // Full of live entries: the one closest to expiry (new:0) makes room,
    // for a new key, a counter and a list alike.
    store
        .put(&Ns::Csrf.key("one-more"), b"1", secs(5_000))
        .await
        .expect("put");
    assert_eq!(
        store.get(&Ns::Csrf.key2("new", 0)).await.expect("get"),
        None
    );
    assert_eq!(
        store
            .incr(&Ns::LoginFailures.key("counter"), secs(5_000))
            .await
            .expect("incr"),
        1
    );
    assert_eq!(
        store.get(&Ns::Csrf.key2("new", 1)).await.expect("get"),
        None
    );
    store
        .push_capped(&Ns::Slo.key("list"), b"x", 3, secs(5_000))
        .await
        .expect("push");
    assert_eq!(
        store.get(&Ns::Csrf.key2("new", 2)).await.expect("get"),
        None
    );
    assert_eq!(store.entry_count().await.expect("count"), 100);
    // Rewriting an existing key evicts nothing.
    store
        .put(&Ns::Csrf.key2("new", 3), b"again", secs(1_003))
        .await
        .expect("put");
    assert!(
        store
            .get(&Ns::Csrf.key2("new", 4))
            .await
            .expect("get")
            .is_some()
    );

    // 40 writers at once, 50 short-lived keys each: the store stays within
    // its capacity and the long-lived entries outlive the flood.
    let mut tasks = Vec::new();
    for t in 0..40 {
        let s = store.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..50 {
                s.put(
                    &Ns::Csrf.key2("flood", format!("{t}:{i}")),
                    b"f",
                    Duration::from_secs(60),
                )
                .await
                .expect("put");
            }
        }));
    }
    for t in tasks {
        t.await.expect("join");
    }
    assert!(store.entry_count().await.expect("count") <= 100);
    for i in 0..40 {
        assert!(
            store
                .get(&Ns::Csrf.key2("long", i))
                .await
                .expect("get")
                .is_some()
        );
    }
    assert!(
        store
            .get(&Ns::Csrf.key("one-more"))
            .await
            .expect("get")
            .is_some()
    );
}
