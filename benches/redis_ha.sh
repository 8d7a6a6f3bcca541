#!/bin/sh
# Starts, on loopback, the Redis sets the issue-19 benchmarks run against
# (the same shapes as tests/nodes/redis_procs.rs), and prints the
# variables that point `cargo bench --bench cas|oidc` at them:
#   benches/redis_ha.sh sentinel BASE   primary BASE, replica BASE+1,
#                                       sentinels BASE+2..BASE+4
#   benches/redis_ha.sh cluster BASE    six nodes BASE..BASE+5 (3 primaries,
#                                       3 replicas), buses at BASE+10000..
# Each process's folder is /tmp/sesame-bench-redis/PORT, its pid in
# PORT/pid; `benches/redis_ha.sh stop` kills those (and only those).
set -eu
root=/tmp/sesame-bench-redis
start() { # port, extra args...
    port=$1; shift
    mkdir -p "$root/$port"
    redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
        --dir "$root/$port" --daemonize yes --pidfile "$root/$port/pid" \
        --logfile "$root/$port/log" "$@"
    until redis-cli -p "$port" ping >/dev/null 2>&1; do sleep 0.1; done
}
case "${1:-}" in
sentinel)
    b=$2
    start "$b"
    start $((b + 1)) --replicaof 127.0.0.1 "$b"
    until redis-cli -p $((b + 1)) info replication | grep -q master_link_status:up; do sleep 0.2; done
    for p in $((b + 2)) $((b + 3)) $((b + 4)); do
        mkdir -p "$root/$p"
        printf 'sentinel monitor sesame 127.0.0.1 %s 2\nsentinel down-after-milliseconds sesame 2000\n' "$b" >"$root/$p/sentinel.conf"
        redis-server "$root/$p/sentinel.conf" --sentinel --port "$p" --bind 127.0.0.1 \
            --dir "$root/$p" --daemonize yes --pidfile "$root/$p/pid" --logfile "$root/$p/log"
        until redis-cli -p "$p" ping >/dev/null 2>&1; do sleep 0.1; done
    done
    echo "SESAME_BENCH_REDIS_SENTINELS=127.0.0.1:$((b + 2)),127.0.0.1:$((b + 3)),127.0.0.1:$((b + 4)) SESAME_BENCH_REDIS_MASTER_NAME=sesame"
    ;;
cluster)
    b=$2
    nodes=""
    for i in 0 1 2 3 4 5; do
        p=$((b + i))
        start "$p" --cluster-enabled yes --cluster-port $((p + 10000)) --cluster-node-timeout 2000 \
            --cluster-config-file "$root/$p/nodes.conf"
        nodes="$nodes 127.0.0.1:$p"
    done
    # shellcheck disable=SC2086
    redis-cli --cluster create $nodes --cluster-replicas 1 --cluster-yes >/dev/null
    for i in 0 1 2 3 4 5; do
        until redis-cli -p $((b + i)) cluster info | grep -q cluster_state:ok; do sleep 0.2; done
    done
    echo "SESAME_BENCH_REDIS_CLUSTER_NODES=$(echo $nodes | tr ' ' ',')"
    ;;
stop)
    for f in "$root"/*/pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true; done
    rm -rf "$root"
    ;;
*) echo "usage: $0 sentinel|cluster BASE_PORT | stop" >&2; exit 2 ;;
esac
