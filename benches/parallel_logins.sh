#!/bin/bash
# Parallel wrong logins from one address (CONC-01): 400 attempts, 40 at a
# time, against a running `sesame serve` (SQLite, in-process store); prints
# the answers by status and the password hashes the server computed
# (sesame_password_verifications_total on the admin listener).
# usage: benches/parallel_logins.sh PATH/TO/sesame PORT ADMIN_PORT  (needs curl, xargs)
set -u
BIN=$1; PORT=$2; ADMIN=$3
D=$(mktemp -d)
export SESAME__SERVER__DATA_DIR=$D/data SESAME__SERVER__LISTEN=127.0.0.1:$PORT \
  SESAME__SERVER__ADMIN_LISTEN=127.0.0.1:$ADMIN \
  SESAME__SERVER__PUBLIC_URL=http://localhost:$PORT/ SESAME__SERVER__ALLOW_INSECURE_HTTP=true \
  SESAME__SERVER__SERVICES_DIR=$D/services RUST_LOG=warn
mkdir -p $D/services
cd $D
$BIN serve > $D/log 2>&1 &
PID=$!
for i in $(seq 1 100); do curl -s -o /dev/null http://127.0.0.1:$PORT/ && break; sleep 0.3; done
attempt() {
  local jar=$D/jar.$1
  local csrf
  csrf=$(curl -s -c "$jar" "http://127.0.0.1:$PORT/connexion?profil=eleve" \
    | grep -o 'name="csrf" value="[^"]*"' | head -1 | sed 's/.*value="//; s/"$//')
  curl -s -o /dev/null -w '%{http_code}\n' -b "$jar" \
    --data-urlencode "csrf=$csrf" --data-urlencode profil=eleve \
    --data-urlencode "identifiant=eleve.$1" --data-urlencode password=Mauvais123 \
    "http://127.0.0.1:$PORT/connexion"
  rm -f "$jar"
}
export -f attempt; export D PORT
start=$(date +%s.%N)
seq 1 400 | xargs -P 40 -I{} bash -c 'attempt {}' | sort | uniq -c | sed 's/^/answers: /'
echo "elapsed: $(echo "$(date +%s.%N) - $start" | bc) s"
curl -s http://127.0.0.1:$ADMIN/metrics | grep -E '^sesame_(password_verifications_total|logins_total)'
kill $PID; wait $PID 2>/dev/null
rm -rf "$D"
