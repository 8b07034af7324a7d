#!/usr/bin/env bash
# Tollgate's benchmarks: builds the release (server + WASM), starts a private Postgres in
# .data/pg-bench (port 5549, no fsync — the same for Tollgate and for the pgbench baseline),
# seeds 1,000,000 tickets (while the WASM builds) and prints every figure next to its target.
# Writes target/bench.json and the list queries' plans to target/bench-plans.txt.
# BENCH_SECONDS sets the load phases (default 20 s each).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-tools.sh
command -v pgbench >/dev/null || { echo "bench: pgbench is missing (apt-get install postgresql-contrib)"; exit 1; }
# The server first; then the estate is seeded (Postgres, ≈4.5 min) while the WASM builds and
# is optimised (≈6.5 min): on 2 cores the two overlap instead of following each other.
cargo build -p tollgate-server --release
BENCH_SEED_ONLY=1 target/release/tollgate-bench &
seeding=$!
trap 'kill $seeding 2>/dev/null || true' EXIT
scripts/build.sh --release
wait $seeding
trap - EXIT
BENCH_REUSE=1 exec target/release/tollgate-bench
