#!/bin/bash
# Activation-code timing (CONC-07): a failed pupil activation with an
# existing code (wrong first name) against one with an unknown code,
# N interleaved samples each (default 200), each from its own address
# (a trusted proxy's X-Forwarded-For, so that the per-address limit does
# not answer first); prints the median and quartiles of the POST's time.
# usage: benches/activation_timing.sh PATH/TO/sesame PORT [N]  (needs curl, python3)
set -u
BIN=$1; PORT=$2; N=${3:-200}
SRC=$(cd "$(dirname "$0")/.." && pwd)
D=$(mktemp -d)
export SESAME__SERVER__DATA_DIR=$D/data SESAME__SERVER__LISTEN=127.0.0.1:$PORT \
  SESAME__SERVER__ADMIN_LISTEN=127.0.0.1:0 SESAME__SERVER__TRUSTED_PROXIES='["127.0.0.0/8"]' \
  SESAME__SERVER__PUBLIC_URL=http://localhost:$PORT/ SESAME__SERVER__ALLOW_INSECURE_HTTP=true \
  SESAME__SERVER__SERVICES_DIR=$D/services RUST_LOG=warn
mkdir -p $D/services
cd $D
$BIN import "$SRC"/samples/siecle/*.xml > /dev/null
CODE=$($BIN codes generate --uai 0999001W --out lettres | grep "né(e) le" | head -1 | awk '{print $NF}')
$BIN serve > $D/log 2>&1 &
PID=$!
for i in $(seq 1 100); do curl -s -o /dev/null http://127.0.0.1:$PORT/ && break; sleep 0.3; done
post() { # $1 code, $2 address
  local jar=$D/jar csrf
  csrf=$(curl -s -c $jar "http://127.0.0.1:$PORT/premiere-visite/eleve" \
    | grep -o 'name="csrf" value="[^"]*"' | head -1 | sed 's/.*value="//; s/"$//')
  curl -s -o /dev/null -w '%{time_starttransfer}\n' -b $jar -H "X-Forwarded-For: $2" \
    --data-urlencode "csrf=$csrf" --data-urlencode prenom=Personne \
    --data-urlencode naissance=01/01/2010 --data-urlencode "code=$1" \
    --data-urlencode identifiant=mesure.temps --data-urlencode password=Kq7mWz4p \
    --data-urlencode password2=Kq7mWz4p --data-urlencode email=m@example.org \
    --data-urlencode email2=m@example.org "http://127.0.0.1:$PORT/premiere-visite/eleve"
}
: > $D/existing; : > $D/unknown
for i in $(seq 1 $N); do
  a=$((i / 250)); b=$((i % 250))
  post "$CODE" "10.1.$a.$b" >> $D/existing
  post "ABCD-EFGH-JKMN$((i % 10))" "10.2.$a.$b" >> $D/unknown
done
python3 - $D/existing $D/unknown <<'PY'
import statistics, sys
for name in sys.argv[1:]:
    v = sorted(float(x) * 1000 for x in open(name) if x.strip())
    q = statistics.quantiles(v, n=4)
    print(f"{name.rsplit('/', 1)[1]:>8}: n={len(v)} median={statistics.median(v):.2f} ms q1={q[0]:.2f} q3={q[2]:.2f}")
PY
kill $PID; wait $PID 2>/dev/null
rm -rf "$D"
