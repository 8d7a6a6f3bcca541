#!/bin/bash
# Anonymous flood of form pages (CONC-05): RSS and ephemeral store size of a
# running `sesame serve` before and after 60 s of wrk on / and on a form page.
# usage: benches/form_flood.sh PATH/TO/sesame PORT [memory|redis]  (needs wrk, curl, redis-cli)
# /metrics is read on the admin listener, PORT + 1000.
set -u
BIN=$1; PORT=$2; MODE=${3:-memory}; ADMIN=$((PORT + 1000))
D=$(mktemp -d)
export SESAME__SERVER__DATA_DIR=$D/data SESAME__SERVER__LISTEN=127.0.0.1:$PORT \
  SESAME__SERVER__ADMIN_LISTEN=127.0.0.1:$ADMIN \
  SESAME__SERVER__PUBLIC_URL=http://localhost:$PORT/ SESAME__SERVER__ALLOW_INSECURE_HTTP=true \
  SESAME__SERVER__SERVICES_DIR=$D/services RUST_LOG=warn
mkdir -p $D/services
PREFIX="bench$PORT:"
if [ "$MODE" = redis ]; then
  export SESAME__REDIS__URL=redis://127.0.0.1:6379/ SESAME__REDIS__KEY_PREFIX=$PREFIX
fi
cd $D
$BIN serve > $D/log 2>&1 &
PID=$!
for i in $(seq 1 100); do curl -s -o /dev/null http://127.0.0.1:$PORT/ && break; sleep 0.3; done
store() {
  if [ "$MODE" = redis ]; then redis-cli --scan --pattern "${PREFIX}*" | wc -l
  else curl -s http://127.0.0.1:$ADMIN/metrics | awk '/^sesame_store_entries/ {print $2}'; fi
}
rss() { awk '/VmRSS/ {print $2" "$3}' /proc/$PID/status; }
for path in / /premiere-visite/parent; do
  echo "== $MODE GET $path"
  echo "before: rss=$(rss) store=$(store)"
  wrk -t2 -c32 -d60s http://127.0.0.1:$PORT$path | grep -E "Requests/sec|requests in|Non-2xx"
  echo "after:  rss=$(rss) store=$(store)"
done
grep -c "in-process store full" $D/log
kill $PID; wait $PID 2>/dev/null
rm -rf "$D"
