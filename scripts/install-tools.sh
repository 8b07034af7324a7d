#!/usr/bin/env bash
# Installs what Tollgate needs on this machine, skipping what is already there (idempotent).
#   scripts/install-tools.sh          build + run: postgres, the wasm target, wasm-bindgen, binaryen
#                                     and terser (npm), zopfli
#   scripts/install-tools.sh --test   also chromium and the browser-test runner
set -euo pipefail
cd "$(dirname "$0")/.."

for_tests=no
[ "${1:-}" = "--test" ] && for_tests=yes
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"

apt_pkgs=()
ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || apt_pkgs+=(postgresql)
command -v psql >/dev/null 2>&1 || apt_pkgs+=(postgresql-client)
# zopfli: the gzip copies of release builds (scripts/build.sh).
command -v zopfli >/dev/null 2>&1 || apt_pkgs+=(zopfli)
if [ "$for_tests" = yes ]; then
  [ -x /usr/bin/chromium ] || apt_pkgs+=(chromium)
  # The directory the LDAP tests sign in against (OpenLDAP's slapd, started by each test on a
  # private port); no system instance is configured.
  if [ ! -x /usr/sbin/slapd ]; then
    apt_pkgs+=(slapd ldap-utils)
    echo 'slapd slapd/no_configuration boolean true' | $SUDO debconf-set-selections
  fi
fi
if [ ${#apt_pkgs[@]} -gt 0 ]; then
  echo "install-tools: apt-get install ${apt_pkgs[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${apt_pkgs[@]}" >/dev/null
  # Debian starts its own cluster on 5432; Tollgate runs its own, so leave that one alone.
fi

rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
rustup component list --installed | grep -q '^clippy' || rustup component add clippy
rustup component list --installed | grep -q '^rustfmt' || rustup component add rustfmt

# wasm-bindgen's CLI must be exactly the version of the crate in Cargo.lock.
wb_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if ! wasm-bindgen --version 2>/dev/null | grep -qF "$wb_version"; then
  echo "install-tools: cargo install wasm-bindgen-cli $wb_version (about 3 minutes)"
  # Not --locked: its own lock file names a crate version the registry no longer serves.
  cargo install wasm-bindgen-cli --version "$wb_version"
fi

# wasm-split-cli splits the pages loaded on demand out of the main WASM (scripts/build.sh).
# 0.2.4 is the first that understands wasm-bindgen ≥ 0.2.128's imports (about 2 minutes).
if ! wasm-split-cli --help >/dev/null 2>&1; then
  echo "install-tools: cargo install wasm_split_cli_support 0.2.4 (about 2 minutes)"
  cargo install --locked wasm_split_cli_support --version 0.2.4 --features build-binary
fi

# Schemathesis (scripts/schemathesis.sh), pinned, in a venv of its own under .data.
if [ "$for_tests" = yes ]; then
  st_version=4.32.5
  st_venv=.data/venv-schemathesis
  if ! "$st_venv/bin/schemathesis" --version 2>/dev/null | grep -qF "$st_version"; then
    echo "install-tools: pip install schemathesis $st_version into $st_venv (about 30 seconds)"
    python3 -m venv "$st_venv"
    "$st_venv/bin/pip" install -q --disable-pip-version-check "schemathesis==$st_version"
  fi
fi

# The real protocol peers of the Rust tests that are Python programs (an SMTP server with
# STARTTLS and AUTH: aiosmtpd), pinned, in a venv of their own; the tests find its Python there.
if [ "$for_tests" = yes ]; then
  peers_venv=.data/venv-peers
  if ! cmp -s scripts/peers-requirements.txt "$peers_venv/requirements.txt" 2>/dev/null; then
    echo "install-tools: pip install the test peers into $peers_venv (about 10 seconds)"
    rm -rf "$peers_venv"
    python3 -m venv "$peers_venv"
    "$peers_venv/bin/pip" install -q --disable-pip-version-check -r scripts/peers-requirements.txt
    cp scripts/peers-requirements.txt "$peers_venv/requirements.txt"
  fi
fi

# The OpenID provider the single sign-on tests sign in at (npm's oidc-provider, pinned).
if [ "$for_tests" = yes ]; then
  peer=server/tests/peers/oidc
  if [ ! -f $peer/node_modules/.package-lock.json ] || [ $peer/package-lock.json -nt $peer/node_modules/.package-lock.json ]; then
    echo "install-tools: npm ci in $peer"
    (cd $peer && npm ci --no-audit --no-fund --loglevel=error)
  fi
fi

# Node packages: the Playwright test runner (driving Debian's chromium, no browser download),
# binaryen's wasm-opt (Debian's binaryen 108 breaks hydration of release builds) and terser.
if [ ! -f end2end/node_modules/.package-lock.json ] || [ end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]; then
  echo "install-tools: npm ci in end2end/"
  (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
fi
