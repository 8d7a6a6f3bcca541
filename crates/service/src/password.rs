//! Passwords: the policy (from the domain crate, re-exported here) and
//! argon2id hashing on a fixed pool of worker threads.
//!
//! Memory: each of the `max_concurrent_hashes` workers owns one argon2
//! memory block and reuses it for every hash, so that hashing holds at
//! most argon2 memory × workers, whatever the login rate (a fresh 19 MiB
//! block per hash on the blocking threads kept about 1 GB resident). A
//! worker gives its block back after [`IDLE_RELEASE`] without work.

pub use sesame_domain::password::*;

use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use rand::Rng;
use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;
use subtle::ConstantTimeEq;
use tokio::sync::oneshot;
use unicode_normalization::UnicodeNormalization;

/// How long a worker keeps its memory block without work.
pub const IDLE_RELEASE: Duration = Duration::from_secs(10);

/// Blocks reserved at least per memory block: glibc's malloc serves
/// requests above its highest dynamic mmap threshold (32 MiB on 64-bit,
/// mallopt(3)) with `mmap`, and frees them with `munmap`, so a released
/// block goes back to the system instead of staying in a thread's arena.
/// Only the blocks used are touched, so only they are resident.
const MMAP_FLOOR_BLOCKS: usize = 32 * 1024 + 1;

/// The argon2 memory a worker reuses.
#[derive(Default)]
struct Memory(Vec<Block>);

impl Memory {
    /// At least `blocks` blocks.
    fn blocks(&mut self, blocks: usize) -> &mut [Block] {
        if self.0.len() < blocks {
            let mut v = Vec::with_capacity(blocks.max(MMAP_FLOOR_BLOCKS));
            v.resize(blocks, Block::new());
            self.0 = v;
        }
        &mut self.0[..blocks]
    }
}

/// Hashes `pw` with `params` and a new salt into a PHC string.
fn hash_into(params: &Params, pw: &[u8], memory: &mut Memory) -> Result<String, String> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let len = params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
    let mut out = vec![0u8; len];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password_into_with_memory(pw, &salt, &mut out, memory.blocks(params.block_count()))
        .map_err(|e| e.to_string())?;
    let phc = PasswordHash {
        algorithm: argon2::ARGON2ID_IDENT,
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(params).map_err(|e| e.to_string())?,
        salt: Some(Salt::new(&salt).map_err(|e| e.to_string())?),
        hash: Some(Output::new(&out).map_err(|e| e.to_string())?),
    };
    Ok(phc.to_string())
}

/// Whether `pw` hashes to the PHC string `phc` (argon2 of any variant,
/// version and parameters), compared in constant time.
fn verify_into(phc: &str, pw: &[u8], memory: &mut Memory) -> bool {
    let Ok(h) = PasswordHash::new(phc) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (&h.salt, &h.hash) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(h.algorithm.as_str()) else {
        return false;
    };
    let version = match h.version.map(Version::try_from) {
        None => Version::default(),
        Some(Ok(v)) => v,
        Some(Err(_)) => return false,
    };
    let Ok(params) = Params::try_from(&h) else {
        return false;
    };
    let mut out = vec![0u8; expected.len()];
    let blocks = memory.blocks(params.block_count());
    if Argon2::new(algorithm, version, params)
        .hash_password_into_with_memory(pw, salt, &mut out, blocks)
        .is_err()
    {
        return false;
    }
    bool::from(out.ct_eq(expected.as_bytes()))
}

/// What a worker is asked.
enum Work {
    Hash(String),
    Verify(String, String),
}

/// What a worker answers.
enum Done {
    Hashed(Result<String, String>),
    Verified(bool),
}

struct Job {
    work: Work,
    reply: oneshot::Sender<Done>,
}

/// The jobs waiting for a worker (many producers, many consumers).
#[derive(Default)]
struct Queue {
    state: Mutex<(VecDeque<Job>, bool)>,
    ready: Condvar,
}

impl Queue {
    fn push(&self, job: Job) -> Result<(), String> {
        let mut s = self.state.lock().map_err(|e| e.to_string())?;
        if s.1 {
            return Err("the hashing workers have stopped".into());
        }
        s.0.push_back(job);
        drop(s);
        self.ready.notify_one();
        Ok(())
    }

    fn close(&self) {
        if let Ok(mut s) = self.state.lock() {
            s.1 = true;
        }
        self.ready.notify_all();
    }
}

/// One worker: takes jobs, hashes into its memory, drops the memory when
/// idle, stops when the pool is dropped.
fn worker(queue: &Queue, params: &Params) {
    let mut memory = Memory::default();
    loop {
        let job = {
            let Ok(mut s) = queue.state.lock() else {
                return;
            };
            loop {
                if let Some(job) = s.0.pop_front() {
                    break job;
                }
                if s.1 {
                    return;
                }
                let (next, timeout) = match queue.ready.wait_timeout(s, IDLE_RELEASE) {
                    Ok(r) => r,
                    Err(_) => return,
                };
                s = next;
                if timeout.timed_out() && s.0.is_empty() {
                    memory = Memory::default();
                }
            }
        };
        // The asker went away (its request was cancelled): no hash.
        if job.reply.is_closed() {
            continue;
        }
        let done = match job.work {
            Work::Hash(pw) => Done::Hashed(hash_into(params, pw.as_bytes(), &mut memory)),
            Work::Verify(pw, phc) => Done::Verified(verify_into(&phc, pw.as_bytes(), &mut memory)),
        };
        let _ = job.reply.send(done);
    }
}

/// The workers' queue; dropping the last handle stops them.
struct Pool(Arc<Queue>);

impl Drop for Pool {
    fn drop(&mut self) {
        self.0.close();
    }
}

/// argon2id hashing on `max_concurrent` workers (memory = m_cost × workers).
#[derive(Clone)]
pub struct Hasher {
    params: Params,
    pool: Arc<Pool>,
    dummy: Arc<String>,
}

impl std::fmt::Debug for Hasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Hasher(m={}, t={}, p={})",
            self.params.m_cost(),
            self.params.t_cost(),
            self.params.p_cost()
        )
    }
}

/// Normalises a password before hashing (NFKC, SECURITY.md §1.1), so that
/// "é" typed precomposed or decomposed verifies the same.
fn normalized(password: &str) -> String {
    password.nfkc().collect()
}

impl Hasher {
    /// A hasher with argon2id parameters (memory in KiB, iterations,
    /// parallelism) and `max_concurrent` workers.
    pub fn new(
        memory_kib: u32,
        iterations: u32,
        parallelism: u32,
        max_concurrent: usize,
    ) -> Result<Self, String> {
        let params =
            Params::new(memory_kib, iterations, parallelism, None).map_err(|e| e.to_string())?;
        let dummy = hash_into(
            &params,
            b"dummy password for unknown identifiants",
            &mut Memory::default(),
        )?;
        let queue = Arc::new(Queue::default());
        for i in 0..max_concurrent.max(1) {
            let (queue, params) = (queue.clone(), params.clone());
            std::thread::Builder::new()
                .name(format!("sesame-argon2-{i}"))
                .spawn(move || worker(&queue, &params))
                .map_err(|e| format!("hashing worker: {e}"))?;
        }
        Ok(Self {
            params,
            pool: Arc::new(Pool(queue)),
            dummy: Arc::new(dummy),
        })
    }

    async fn run(&self, work: Work) -> Result<Done, String> {
        let (reply, answer) = oneshot::channel();
        self.pool.0.push(Job { work, reply })?;
        answer.await.map_err(|e| e.to_string())
    }

    /// Hashes a password into a PHC string.
    pub async fn hash(&self, password: &str) -> Result<String, String> {
        match self.run(Work::Hash(normalized(password))).await? {
            Done::Hashed(r) => r,
            Done::Verified(_) => Err("unexpected answer".into()),
        }
    }

    /// Whether a stored hash was made with weaker (or other) parameters
    /// than the configured ones, or not by argon2id: it is then replaced at
    /// the next successful login (AUTH-12).
    pub fn needs_rehash(&self, phc: &str) -> bool {
        let Ok(h) = PasswordHash::new(phc) else {
            return true;
        };
        let same = Params::try_from(&h).is_ok_and(|p| {
            p.m_cost() >= self.params.m_cost()
                && p.t_cost() >= self.params.t_cost()
                && p.p_cost() == self.params.p_cost()
        });
        h.algorithm.as_str() != "argon2id" || !same
    }

    /// Verifies a password against a PHC string; with `None`, verifies
    /// against a dummy hash so that unknown identifiants cost the same time.
    pub async fn verify(&self, password: &str, phc: Option<&str>) -> bool {
        let known = phc.is_some();
        metrics::counter!("sesame_password_verifications_total").increment(1);
        let phc = phc.map_or_else(|| self.dummy.as_str().to_owned(), str::to_owned);
        let ok = matches!(
            self.run(Work::Verify(normalized(password), phc)).await,
            Ok(Done::Verified(true))
        );
        known && ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::{PasswordHasher, PasswordVerifier};

    fn hasher(workers: usize) -> Hasher {
        Hasher::new(8 * 1024, 1, 1, workers).expect("hasher")
    }

    #[tokio::test]
    async fn hashes_made_by_the_argon2_crate_verify_and_ours_verify_there() {
        let h = hasher(2);
        // A hash made before the pool (argon2's own PHC output), with
        // other parameters than the configured ones.
        let params = Params::new(9 * 1024, 2, 1, None).expect("params");
        let old = Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password(b"Cheval-Agrafe-42")
            .expect("hash")
            .to_string();
        assert!(h.verify("Cheval-Agrafe-42", Some(&old)).await);
        assert!(!h.verify("Cheval-Agrafe-43", Some(&old)).await);
        // Argon2i and argon2d hashes verify too.
        for alg in [Algorithm::Argon2i, Algorithm::Argon2d] {
            let other = Argon2::new(alg, Version::V0x13, Params::default())
                .hash_password(b"Cheval-Agrafe-42")
                .expect("hash")
                .to_string();
            assert!(h.verify("Cheval-Agrafe-42", Some(&other)).await, "{other}");
        }
        let ours = h.hash("Cheval-Agrafe-42").await.expect("hash");
        assert!(ours.starts_with("$argon2id$v=19$m=8192,t=1,p=1$"), "{ours}");
        let parsed = PasswordHash::new(&ours).expect("phc");
        assert!(
            Argon2::default()
                .verify_password(b"Cheval-Agrafe-42", &parsed)
                .is_ok()
        );
        assert!(!h.needs_rehash(&ours));
        assert!(h.needs_rehash(&old.replace("m=9216", "m=4096")));
    }

    #[tokio::test]
    async fn unknown_and_malformed_hashes_never_verify() {
        let h = hasher(1);
        assert!(
            !h.verify("dummy password for unknown identifiants", None)
                .await
        );
        for bad in [
            "",
            "$argon2id$v=19$m=8192,t=1,p=1$",
            "plain",
            "$argon2id$v=99$m=8192,t=1,p=1$c2FsdHNhbHQ$AAAA",
        ] {
            assert!(!h.verify("x", Some(bad)).await, "{bad}");
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn forty_parallel_verifications_on_two_workers_all_answer() {
        let h = hasher(2);
        let good = h.hash("Cheval-Agrafe-42").await.expect("hash");
        let tasks: Vec<_> = (0..40)
            .map(|i| {
                let (h, good) = (h.clone(), good.clone());
                tokio::spawn(async move {
                    let pw = if i % 2 == 0 {
                        "Cheval-Agrafe-42"
                    } else {
                        "Mauvais123"
                    };
                    (i, h.verify(pw, Some(&good)).await)
                })
            })
            .collect();
        for t in tasks {
            let (i, ok) = t.await.expect("task");
            assert_eq!(ok, i % 2 == 0, "verification {i}");
        }
    }

    #[tokio::test]
    async fn the_workers_stop_when_the_hasher_is_dropped() {
        let h = hasher(1);
        let queue = Arc::downgrade(&h.pool.0);
        drop(h);
        // The worker holds the queue until it has seen the pool closed.
        for _ in 0..200 {
            if queue.upgrade().is_none() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("the worker is still running");
    }
}
