#!/usr/bin/env bash
# Every check and test: formatting, clippy (server and browser feature sets), core for wasm32,
# the Rust tests against a private Postgres, schemathesis against the API, and the browser tests
# in headless chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
# A run from a clean clone builds everything once: incremental state would only double the disk
# it takes.
[ "${CI:-}" = true ] && export CARGO_INCREMENTAL=0
step() { echo; echo "== $* ($(( $(date +%s) - start ))s)"; }

step "tools"
scripts/install-tools.sh --test

step "cargo fmt --check"
cargo fmt --all --check

step "all SQL in the store"
scripts/check-sql.sh --self-test
scripts/check-sql.sh

step "build (debug)"
scripts/build.sh

step "private Postgres for the tests"
# TOLLGATE_TEST_PG_PORT and E2E_PORT let several checkouts test side by side.
pg=(target/debug/tollgate local-pg --data .data/pg-test --port "${TOLLGATE_TEST_PG_PORT:-5545}" --fast)
export DATABASE_URL=$("${pg[@]}" --database tollgate_test)
trap '"${pg[@]}" --stop >/dev/null 2>&1 || true' EXIT

step "clippy, server side (ssr)"
cargo clippy -p tollgate-server -p tollgate-app -p tollgate-core --all-targets -- -D warnings

step "clippy, browser side (hydrate, wasm32)"
cargo clippy -p tollgate-frontend -p tollgate-app --target wasm32-unknown-unknown -- -D warnings

step "core builds for wasm32"
cargo check -p tollgate-core --target wasm32-unknown-unknown

step "Rust tests"
cargo test -p tollgate-core -p tollgate-app -p tollgate-server

step "schemathesis against /api/openapi.json"
scripts/schemathesis.sh

step "browser tests"
export E2E_DATABASE_URL=$("${pg[@]}" --database tollgate_e2e --fresh)
(cd end2end && npx playwright test)

step "all green"
