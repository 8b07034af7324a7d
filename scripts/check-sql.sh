#!/usr/bin/env bash
# The store holds all SQL (docs/architecture.md): fails, naming file and line, when a query call
# or SQL text appears in server/src outside server/src/store/. The bench runner
# (server/src/bin/tollgate-bench.rs) and the tests keep their own SQL for set-up and checks.
# `scripts/check-sql.sh --self-test` shows the check catching a planted query. Part of
# scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

# Query calls, and string literals that begin with an SQL statement's first words.
pattern='sqlx::(query|query_as|query_scalar|query_with|raw_sql|QueryBuilder)|(^|[^.[:alnum:]_])query(_as|_scalar)?(::<[^>]*>)?\(|QueryBuilder::|"\s*(SELECT|INSERT INTO|UPDATE [a-z_]+ SET|DELETE FROM|WITH [a-z_]+ AS|LOCK TABLE|NOTIFY|LISTEN|SET LOCAL|TRUNCATE|ALTER|CREATE) '

scan() {
  grep -rnE "$pattern" "$1" --include='*.rs' \
    | grep -v "^$1/store/" \
    | grep -v "^$1/bin/tollgate-bench.rs:" || true
}

if [ "${1:-}" = "--self-test" ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  mkdir -p "$tmp/src/usecases" "$tmp/src/store"
  printf 'fn f() { sqlx::query("SELECT 1"); }\n' > "$tmp/src/usecases/planted.rs"
  printf 'fn g() { sqlx::query("SELECT 1"); }\n' > "$tmp/src/store/fine.rs"
  found=$(scan "$tmp/src")
  if [ "$(echo "$found" | grep -c planted.rs)" = 1 ] && ! echo "$found" | grep -q fine.rs; then
    echo "check-sql self-test: a planted query outside the store is caught, the store's is not"
    exit 0
  fi
  echo "check-sql self-test FAILED: $found" >&2
  exit 1
fi

found=$(scan server/src)
if [ -n "$found" ]; then
  echo "SQL outside server/src/store (move it into a store module):" >&2
  echo "$found" >&2
  exit 1
fi
echo "check-sql: no SQL outside server/src/store"
