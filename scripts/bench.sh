#!/usr/bin/env bash
# Tollgate's benchmarks: builds the release (server + WASM), starts a private Postgres in
# .data/pg-bench (port 5549, no fsync — the same for Tollgate and for the pgbench baseline),
# seeds 1,000,000 tickets and prints every figure next to its target. Writes target/bench.json
# and the list queries' plans to target/bench-plans.txt. BENCH_SECONDS sets the load phases
# (default 20 s each).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-tools.sh
command -v pgbench >/dev/null || { echo "bench: pgbench is missing (apt-get install postgresql-contrib)"; exit 1; }
scripts/build.sh --release
exec target/release/tollgate-bench
