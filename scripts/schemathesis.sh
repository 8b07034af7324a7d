#!/usr/bin/env bash
# Schemathesis against /api/openapi.json of a running debug server, signed in with a super
# admin's API token (so the administration endpoints are reached too). Every check of
# schemathesis runs but two: no 5xx, status codes, content types, headers and bodies as
# documented, invalid data refused, deleted resources gone, and so on. Left out:
# - ignored_auth: the API takes a session cookie OR a bearer token; schemathesis keeps our valid
#   token while it spoils the cookie, so every operation would "accept invalid authentication".
#   Authentication is tested by the API tests (matrix.rs: every route without and with each
#   kind of caller).
# - positive_data_acceptance: it expects schema-valid data to succeed, but most of our refusals
#   are rules the schema cannot say (a user that does not exist, a flow without levels): 422s
#   with the field, which the other checks hold to the document. A fresh database `tollgate_fuzz` with the demo.
#
# Needs target/debug/tollgate (scripts/build.sh), the test Postgres (scripts/test.sh starts it
# on TOLLGATE_TEST_PG_PORT) and the venv of scripts/install-tools.sh --test.
# FUZZ_PORT (3150), FUZZ_MAX_EXAMPLES (20 per operation and phase), FUZZ_SEED (fixed, so CI
# is repeatable), FUZZ_MODE (all: valid and invalid data), FUZZ_REPORT (junit; also har).
set -euo pipefail
cd "$(dirname "$0")/.."

st=.data/venv-schemathesis/bin/schemathesis
pg_port=${TOLLGATE_TEST_PG_PORT:-5545}
# Beside the test Postgres's port, so that checkouts testing side by side do not collide.
port=${FUZZ_PORT:-$((3150 + pg_port - 5545))}
base=http://127.0.0.1:$port
out=target/schemathesis
mkdir -p "$out"

db_url=$(target/debug/tollgate local-pg --data .data/pg-test --port "$pg_port" \
  --fast --database tollgate_fuzz --fresh)
DATABASE_URL=$db_url TOLLGATE_DEMO=true TOLLGATE_ADDR=127.0.0.1:$port RUST_LOG=warn \
  target/debug/tollgate >"$out/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true' EXIT
for _ in $(seq 1 150); do
  curl -fs "$base/healthz" >/dev/null 2>&1 && break
  kill -0 "$server" 2>/dev/null || { cat "$out/server.log"; exit 1; }
  sleep 0.2
done

# Sign in (cookie), then make an API token with it.
jar=$out/cookies
curl -fsS -c "$jar" -o /dev/null -H 'content-type: application/json' \
  -d '{"username":"admin","password":"tollgate-demo"}' "$base/api/v1/auth/login"
token=$(curl -fsS -b "$jar" -H 'content-type: application/json' -d '{"name":"schemathesis"}' \
  "$base/api/v1/tokens" | python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')

# /events is a never-ending event stream: nothing to check there with a fuzzer.
"$st" run "$base/api/openapi.json" \
  --header "Authorization: Bearer $token" \
  --checks all \
  --exclude-checks ignored_auth,positive_data_acceptance \
  --phases examples,coverage,fuzzing \
  --mode "${FUZZ_MODE:-all}" \
  --max-examples "${FUZZ_MAX_EXAMPLES:-20}" \
  --seed "${FUZZ_SEED:-20261128}" \
  --exclude-path /api/v1/events \
  --request-timeout 30 \
  --warnings off \
  --report "${FUZZ_REPORT:-junit}" --report-dir "$out"
