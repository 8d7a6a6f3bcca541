//! Redis deployments of the test's own on loopback (issue 19): a primary
//! with a replica watched by three sentinels, or a Cluster of three
//! primaries with a replica each. Every process is killed when its value
//! is dropped; each has its own folder and free ports.

use crate::support::free_port;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A `redis-server` (or sentinel) process; killed (SIGKILL) when dropped.
pub(super) struct Proc {
    child: Option<Child>,
    pub(super) port: u16,
    _dir: tempfile::TempDir,
}

impl Proc {
    /// `redis-server` on `port` with `args`; `conf` (written to the
    /// process's folder) first when given.
    fn start(port: u16, conf: Option<&str>, args: &[&str]) -> Self {
        let dir = tempfile::tempdir().expect("dir");
        let mut cmd = Command::new("redis-server");
        if let Some(conf) = conf {
            let path = dir.path().join("redis.conf");
            std::fs::write(&path, conf).expect("conf");
            cmd.arg(path);
        }
        let child = cmd
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--dir",
                dir.path().to_str().expect("utf8"),
            ])
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server (apt-get install redis-server)");
        let p = Self {
            child: Some(child),
            port,
            _dir: dir,
        };
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return p;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("redis-server did not start on {port}");
    }

    /// Kills the process at once (SIGKILL), as a crash would.
    pub(super) fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    pub(super) fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Runs `redis-cli ARGS`; answers its output.
pub(super) fn cli(args: &[&str]) -> String {
    let out = Command::new("redis-cli")
        .args(args)
        .output()
        .expect("redis-cli (apt-get install redis-tools)");
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

/// Waits (a hang guard, not a timing) until `check` holds.
pub(super) fn wait_for(what: &str, mut check: impl FnMut() -> bool) {
    for _ in 0..600 {
        if check() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("{what}: still not, after a minute");
}

/// The name the sentinels monitor the primary under.
pub(super) const MASTER: &str = "sesame";

/// A primary, its replica and three sentinels.
pub(super) struct Sentinels {
    pub(super) primary: Proc,
    pub(super) replica: Proc,
    pub(super) sentinels: Vec<Proc>,
}

impl Sentinels {
    pub(super) fn start() -> Self {
        let primary = Proc::start(free_port(), None, &["--appendonly", "no"]);
        let replica = Proc::start(
            free_port(),
            None,
            &[
                "--appendonly",
                "no",
                "--replicaof",
                "127.0.0.1",
                &primary.port.to_string(),
            ],
        );
        wait_for("the replica in sync", || {
            cli(&["-p", &replica.port.to_string(), "info", "replication"])
                .contains("master_link_status:up")
        });
        let sentinels = (0..3)
            .map(|_| {
                let conf = format!(
                    "sentinel monitor {MASTER} 127.0.0.1 {} 2\n\
                     sentinel down-after-milliseconds {MASTER} 400\n\
                     sentinel failover-timeout {MASTER} 2000\n\
                     sentinel parallel-syncs {MASTER} 1\n",
                    primary.port
                );
                Proc::start(free_port(), Some(&conf), &["--sentinel"])
            })
            .collect::<Vec<_>>();
        let s = Self {
            primary,
            replica,
            sentinels,
        };
        wait_for("the sentinels know each other and the replica", || {
            let out = cli(&[
                "-p",
                &s.sentinels[0].port.to_string(),
                "sentinel",
                "master",
                MASTER,
            ]);
            let field = |name: &str| {
                let mut lines = out.lines();
                while let Some(l) = lines.next() {
                    if l.trim() == name {
                        return lines.next().unwrap_or("").trim().to_owned();
                    }
                }
                String::new()
            };
            field("num-other-sentinels") == "2" && field("num-slaves") == "1"
        });
        s
    }

    /// The port of the primary the sentinels name now.
    pub(super) fn primary_port(&self) -> String {
        let out = cli(&[
            "-p",
            &self.sentinels[0].port.to_string(),
            "sentinel",
            "get-master-addr-by-name",
            MASTER,
        ]);
        out.lines().nth(1).unwrap_or("").trim().to_owned()
    }

    /// The settings of a node reaching Redis through these sentinels.
    pub(super) fn env(&self) -> Vec<(String, String)> {
        let list: Vec<String> = self
            .sentinels
            .iter()
            .map(|s| format!("\"{}\"", s.addr()))
            .collect();
        vec![
            ("SESAME__REDIS__URL".into(), String::new()),
            (
                "SESAME__REDIS__SENTINELS".into(),
                format!("[{}]", list.join(",")),
            ),
            ("SESAME__REDIS__MASTER_NAME".into(), MASTER.into()),
            ("SESAME__REDIS__TIMEOUT_MS".into(), "500".into()),
        ]
    }
}

/// Three primaries and three replicas made one Cluster by
/// `redis-cli --cluster create`.
pub(super) struct RedisCluster {
    pub(super) nodes: Vec<Proc>,
}

impl RedisCluster {
    pub(super) fn start() -> Self {
        let nodes: Vec<Proc> = (0..6)
            .map(|_| {
                let bus = free_port().to_string();
                Proc::start(
                    free_port(),
                    None,
                    &[
                        "--appendonly",
                        "no",
                        "--cluster-enabled",
                        "yes",
                        "--cluster-port",
                        &bus,
                        "--cluster-node-timeout",
                        "1000",
                    ],
                )
            })
            .collect();
        let mut args = vec!["--cluster".to_owned(), "create".to_owned()];
        args.extend(nodes.iter().map(Proc::addr));
        args.extend(["--cluster-replicas", "1", "--cluster-yes"].map(String::from));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = cli(&args);
        assert!(out.contains("All 16384 slots covered"), "{out}");
        let c = Self { nodes };
        wait_for("the cluster is up on every node", || {
            c.nodes.iter().all(|n| {
                cli(&["-p", &n.port.to_string(), "cluster", "info"]).contains("cluster_state:ok")
            })
        });
        c
    }

    /// The settings of a node reaching this Cluster.
    pub(super) fn env(&self) -> Vec<(String, String)> {
        let list: Vec<String> = self
            .nodes
            .iter()
            .take(3)
            .map(|s| format!("\"{}\"", s.addr()))
            .collect();
        vec![
            ("SESAME__REDIS__URL".into(), String::new()),
            (
                "SESAME__REDIS__CLUSTER_NODES".into(),
                format!("[{}]", list.join(",")),
            ),
        ]
    }

    /// Each primary's address and number of keys.
    pub(super) fn primaries(&self) -> Vec<(String, usize)> {
        self.nodes
            .iter()
            .filter(|n| {
                cli(&["-p", &n.port.to_string(), "role"])
                    .lines()
                    .next()
                    .is_some_and(|l| l.contains("master"))
            })
            .map(|n| {
                let size = cli(&["-p", &n.port.to_string(), "dbsize"]);
                (n.addr(), size.trim().parse().unwrap_or(0))
            })
            .collect()
    }
}
