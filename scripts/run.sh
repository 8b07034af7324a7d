#!/usr/bin/env bash
# Runs Tollgate: installs what is missing, builds (release), and serves on http://127.0.0.1:3000.
# Without DATABASE_URL it starts a private Postgres in .data/pg and loads the demo.
# Extra arguments go to the server (e.g. `scripts/run.sh --addr 0.0.0.0:3000`).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-tools.sh
scripts/build.sh --release
exec target/release/tollgate "$@"
