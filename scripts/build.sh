#!/usr/bin/env bash
# Builds Tollgate: the browser bundle (WASM + JS glue + CSS into target/site/pkg) and the
# server binary. `--release` for optimised builds (what the run command uses).
#
# Why not cargo-leptos: 0.3.11 needs a newer Rust than this machine's, 0.3.10 takes ~19 minutes
# to install, and its own tool downloads fail here. These four steps are all it did for us.
set -euo pipefail
cd "$(dirname "$0")/.."

release=no
[ "${1:-}" = "--release" ] && release=yes
site=target/site/pkg
mkdir -p "$site"

if [ "$release" = yes ]; then
  cargo build -p tollgate-frontend --lib --target wasm32-unknown-unknown --profile wasm-release
  wasm=target/wasm32-unknown-unknown/wasm-release/tollgate_frontend.wasm
else
  cargo build -p tollgate-frontend --lib --target wasm32-unknown-unknown
  wasm=target/wasm32-unknown-unknown/debug/tollgate_frontend.wasm
fi
wasm-bindgen --target web --no-typescript --out-dir "$site" --out-name tollgate "$wasm"
if [ "$release" = yes ]; then
  end2end/node_modules/.bin/wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
    --enable-sign-ext --enable-mutable-globals \
    "$site/tollgate_bg.wasm" -o "$site/tollgate_bg.wasm"
fi
cat style/*.css > "$site/tollgate.css"

if [ "$release" = yes ]; then
  cargo build -p tollgate-server --release
else
  cargo build -p tollgate-server
fi
