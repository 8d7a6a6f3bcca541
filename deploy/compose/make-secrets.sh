#!/bin/sh
# Writes the four secrets the compose file reads (deploy/compose/secrets/),
# each a random 32-byte key in base64url like `sesame secret` prints; keeps
# those already there. The folder is 0700 (only you on this machine); the
# files 0644 because Compose mounts them as they are and the nodes run as
# uid 10001.
set -eu
cd "$(dirname "$0")"
mkdir -p secrets
chmod 700 secrets
for name in code_hmac_key cookie_key token_hmac_key smtp_password; do
  f="secrets/$name"
  if [ ! -s "$f" ]; then
    head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n' > "$f"
    echo "wrote $f"
  fi
  chmod 644 "$f"
done
