//! RS256 (RSA 2048, PKCS#1 v1.5) signatures per second: Sésame's signer
//! (`Signing::sign_bytes`, aws-lc-rs) next to ring, which signed before,
//! on one thread and on every core, for the same key and message.
//!
//! Run: `cargo bench -p sesame-oidc` (release profile).
//! `SESAME_BENCH_SECONDS` (default 3) sets the time of each cell.

use base64::Engine;
use sesame_oidc::jws::{Alg, Signing};
use std::time::{Duration, Instant};

/// An RSA 2048 key, PKCS#8 DER (the one of the unit tests).
const RSA_PKCS8: &str = include_str!("rsa2048.pkcs8.b64");

/// Signatures per second of `sign` on `threads` threads.
fn rate(threads: usize, seconds: u64, sign: impl Fn() + Sync) -> f64 {
    let stop = Instant::now() + Duration::from_secs(seconds);
    let total: u64 = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut n = 0u64;
                    while Instant::now() < stop {
                        sign();
                        n += 1;
                    }
                    n
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or(0)).sum()
    });
    total as f64 / seconds as f64
}

fn main() {
    let seconds = std::env::var("SESAME_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let der = base64::engine::general_purpose::STANDARD
        .decode(RSA_PKCS8.trim())
        .unwrap_or_else(|e| panic!("key: {e}"));
    let jwk = r#"{"kty":"RSA","n":"AQAB","e":"AQAB"}"#;
    let signer =
        Signing::from_parts("k", Alg::Rs256, &der, jwk).unwrap_or_else(|e| panic!("key: {e}"));
    let ring_pair =
        ring::signature::RsaKeyPair::from_pkcs8(&der).unwrap_or_else(|e| panic!("key: {e}"));
    let rng = ring::rand::SystemRandom::new();
    let message = b"eyJhbGciOiJSUzI1NiIsImtpZCI6ImsifQ.eyJpc3MiOiJodHRwczovL3Nlc2FtZS5leGFtcGxlIiwic3ViIjoicyJ9";
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("RS256 (RSA 2048) signatures/s, {seconds} s per cell:");
    for threads in [1, cores] {
        let ours = rate(threads, seconds, || {
            std::hint::black_box(signer.sign_bytes(message));
        });
        let ring_rate = rate(threads, seconds, || {
            let mut sig = vec![0u8; ring_pair.public().modulus_len()];
            let _ = ring_pair.sign(&ring::signature::RSA_PKCS1_SHA256, &rng, message, &mut sig);
            std::hint::black_box(sig);
        });
        println!(
            "  {threads} thread(s): Sésame (aws-lc-rs) {ours:>7.0}   ring {ring_rate:>7.0}   ratio {:.2}",
            ours / ring_rate
        );
    }
}
