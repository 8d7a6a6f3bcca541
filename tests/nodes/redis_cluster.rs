//! The multi-node journeys on a Redis Cluster (issue 19 §3): three
//! primaries with a replica each, made by `redis-cli --cluster create` on
//! loopback; three `sesame serve` nodes reach it with
//! `redis.cluster_nodes`. Every command touches one key (or keys of one
//! hash tag), so that nothing is refused with `CROSSSLOT`.

use super::journeys::crossing_journey;
use super::redis_procs::RedisCluster;
use super::*;
use crate::support::oidc::Rp;

async fn nodes_on(redis: &RedisCluster, extra: &[(&str, &str)]) -> (Cluster, String) {
    let mut env = TestEnv::shared(Some(&format!("redis://{}/", redis.nodes[0].addr())));
    env.extra_env = redis.env();
    env.extra_env.extend(
        extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    let (c, out) = Cluster::start_in(env, 3).await;
    (c, pupil_code(&out, "Camille MARTIN"))
}

// Sign-up, login, a CAS ticket validated once of 30 parallel tries, an
// OpenID Connect code crossing nodes, logout everywhere: on a Cluster, and
// the keys spread over its primaries.
#[tokio::test(flavor = "multi_thread")]
async fn the_crossing_journey_passes_on_a_redis_cluster() {
    let redis = RedisCluster::start();
    let (c, code) = nodes_on(&redis, &[]).await;
    crossing_journey(&c, &code).await;

    let holding = redis.primaries().iter().filter(|p| p.1 > 0).count();
    assert!(
        holding > 1,
        "keys on one primary only: {:?}",
        redis.primaries()
    );
}

// An OpenID Connect code and its refresh token on a Cluster (40 parallel
// refreshes of one token over three nodes succeed once; the code redeemed
// once), then the account throttle counted once over three nodes and 40
// parallel wrong passwords: one block.
#[tokio::test(flavor = "multi_thread")]
async fn codes_refresh_tokens_and_throttles_work_on_a_redis_cluster() {
    let redis = RedisCluster::start();
    let (c, code) = nodes_on(
        &redis,
        // The address limit (20 failures a minute by default) would answer
        // 429 to the right password when it lands in the same minute as
        // the 40 wrong ones: the limit under test here is the account's.
        &[
            ("SESAME__OIDC__CLIENT_FAILURES_PER_MINUTE", "100"),
            ("SESAME__THROTTLE__IP_FAILURES_PER_MINUTE", "1000"),
        ],
    )
    .await;
    let browser = client();
    sign_up_camille(&browser, &c.proxy, &code, PASSWORD).await;
    assert_eq!(login(&browser, c.url(0), PASSWORD).await, 303);
    let (r, verifier) = authorize(c.url(1), &browser, "teleservice", "openid", "").await;
    let the_code = code_in(&r);
    let (status, tokens) = exchange(c.url(2), TELESERVICE, &the_code, &verifier).await;
    assert_eq!(status, 200, "{tokens}");
    let rt = tokens["refresh_token"]
        .as_str()
        .expect("refresh token")
        .to_owned();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..40 {
        let (base, rt) = (c.url(i % 3).to_owned(), rt.clone());
        tasks.spawn(async move { refresh_at(&base, &rt).await });
    }
    let mut won = 0;
    while let Some(r) = tasks.join_next().await {
        match r.expect("join") {
            200 => won += 1,
            400 => {}
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(won, 1, "one rotation of one token");
    let (again, _) = exchange(c.url(0), TELESERVICE, &the_code, &verifier).await;
    assert_eq!(again, 400, "a code is redeemed once");

    let mut tries = tokio::task::JoinSet::new();
    for i in 0..40 {
        let base = c.url(i % 3).to_owned();
        tries.spawn(async move { login(&client(), &base, "Mauvais-mot-2026").await });
    }
    while let Some(status) = tries.join_next().await {
        let status = status.expect("join");
        assert!(matches!(status, 200 | 429), "{status}");
    }
    let b = client();
    assert_eq!(login(&b, c.url(1), PASSWORD).await, 200, "blocked");
    assert_eq!(
        c.env
            .count("SELECT COUNT(*) FROM audit_events WHERE kind = 'account_blocked'")
            .await,
        1,
        "blocked once"
    );
}

/// A refresh grant of `rt` at `base` as `teleservice`; answers the status.
async fn refresh_at(base: &str, rt: &str) -> u16 {
    let rp: Rp<'_> = TELESERVICE;
    reqwest::Client::new()
        .post(format!("{base}/oidc/token"))
        .basic_auth(rp.id, Some(rp.secret))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", rt)])
        .send()
        .await
        .expect("token")
        .status()
        .as_u16()
}

// `check-config`: one server, Sentinel and Cluster exclude each other, and
// each refusal names the key and what is wrong; a running Cluster passes
// `--connect`.
#[test]
fn check_config_names_what_is_wrong_with_the_redis_modes() {
    let env = TestEnv::new();
    // (variables, key named, reason given)
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a str, &'a str);
    let cases: &[Case<'_>] = &[
        (
            &[
                ("SESAME__REDIS__URL", "redis://127.0.0.1:6379/"),
                ("SESAME__REDIS__SENTINELS", "[\"127.0.0.1:26379\"]"),
                ("SESAME__REDIS__MASTER_NAME", "sesame"),
            ],
            "redis.sentinels",
            "redis.url and redis.sentinels are set together",
        ),
        (
            &[
                ("SESAME__REDIS__SENTINELS", "[\"127.0.0.1:26379\"]"),
                ("SESAME__REDIS__MASTER_NAME", "sesame"),
                ("SESAME__REDIS__CLUSTER_NODES", "[\"127.0.0.1:7000\"]"),
            ],
            "redis.cluster_nodes",
            "redis.sentinels and redis.cluster_nodes are set together",
        ),
        (
            &[("SESAME__REDIS__SENTINELS", "[\"127.0.0.1:26379\"]")],
            "redis.master_name",
            "must name the primary",
        ),
        (
            &[("SESAME__REDIS__MASTER_NAME", "sesame")],
            "redis.master_name",
            "set redis.sentinels too",
        ),
        (
            &[("SESAME__REDIS__CLUSTER_NODES", "[\"127.0.0.1\"]")],
            "redis.cluster_nodes",
            "\"127.0.0.1\" is not HOST:PORT",
        ),
    ];
    for (vars, key, reason) in cases {
        let mut vars = vars.to_vec();
        if !vars.iter().any(|(k, _)| *k == "SESAME__REDIS__URL") {
            vars.push(("SESAME__REDIS__URL", ""));
        }
        let err = env.sesame_with(&["check-config"], &vars).fails_with(3);
        assert!(err.contains(key) && err.contains(reason), "{vars:?}: {err}");
    }
    let redis = RedisCluster::start();
    let vars = redis.env();
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let out = env.sesame_with(&["check-config", "--connect"], &vars).ok();
    assert!(out.contains("ok     redis cluster via 127.0.0.1:"), "{out}");
}
