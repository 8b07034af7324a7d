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

# The pages of app/src/routes.rs are split out of the main WASM (fetched when first shown):
# the linker keeps relocations for wasm-split-cli, which writes the main module, one module
# per lazy page and the chunks they share, and the loader __wasm_split.js.
profile=()
out=debug
if [ "$release" = yes ]; then
  profile=(--profile wasm-release)
  out=wasm-release
fi
cargo rustc -p tollgate-frontend --lib --target wasm32-unknown-unknown "${profile[@]}" \
  -- -Clink-args=--emit-relocs
wasm=target/wasm32-unknown-unknown/$out/tollgate_frontend.wasm
split=target/wasm-split
rm -rf "$split" && mkdir -p "$split"
wasm-split-cli "$wasm" "$split" --target web --out-name tollgate
rm -f "$site"/*.wasm "$site"/__wasm_split*.js
wasm-bindgen --target web --no-typescript --keep-lld-exports --out-dir "$site" --out-name tollgate \
  "$split/tollgate.wasm"
for f in "$split"/__wasm_split*.js "$split"/split_*.wasm "$split"/chunk_*.wasm; do
  [ -e "$f" ] && cp "$f" "$site/"
done
if [ "$release" = yes ]; then
  # One wasm-opt per core, biggest files first (the main module alone takes about a minute).
  ls -S "$site"/*.wasm | xargs -P "$(nproc)" -I{} end2end/node_modules/.bin/wasm-opt -Oz \
    --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-reference-types {} -o {}
fi
if [ "$release" = yes ]; then
  # The JS glue and the split loader, minified (terser, from npm): exports and the WASM's
  # import names are kept; 9.6 → 7.4 KB of the first load once compressed.
  for f in "$site"/tollgate.js "$site"/__wasm_split*.js; do
    end2end/node_modules/.bin/terser "$f" --module --compress --mangle -o "$f.min"
    mv "$f.min" "$f"
  done
fi
cat style/*.css > "$site/tollgate.css"
# A gzip copy next to each file: the server sends it to browsers that accept gzip. Release
# builds compress with zopfli (the same gzip format, about 5 % smaller, slower to make).
rm -f "$site"/*.gz
if [ "$release" = yes ]; then
  ls -S "$site"/*.wasm "$site"/*.js "$site"/*.css | xargs -P "$(nproc)" -n 4 zopfli
else
  gzip -9 -k -f "$site"/*.wasm "$site"/*.js "$site"/*.css
fi

if [ "$release" = yes ]; then
  cargo build -p tollgate-server --release
else
  cargo build -p tollgate-server
fi
