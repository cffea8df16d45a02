#!/usr/bin/env bash
# Memcheck run of a representative workload (scripts/valgrind-workload.js) on a
# debug build of the addon.
#
# The debug addon is built with plain `cargo build` into target/debug and
# loaded through NAPI_RS_NATIVE_LIBRARY_PATH, which the generated binding.js
# honours: the release moka-js.<platform>.node next to package.json is left
# untouched. Node runs with --jitless so that valgrind sees no JIT code.
#
# Fails on any memory error (invalid read/write, use of uninitialised
# values, bad free) and on any definitely-lost block whose allocation stack
# passes through the addon. Leaks of Node itself are reported, not failed.
#
# Environment: VALGRIND_WORKLOAD (the script to run, default
# scripts/valgrind-workload.js; scripts/valgrind-shared.js for SharedMoka),
# VALGRIND_ARGS (arguments to the workload, e.g. a scenario of
# scripts/load-order.js), VALGRIND_OPS (operations per cache, default 3000),
# VALGRIND_WORKERS=0 (skip the worker threads), VALGRIND_LOG (log path),
# VALGRIND_ADDON (check this .node file instead of building one).
set -uo pipefail
cd "$(dirname "$0")/.."

command -v valgrind >/dev/null || { echo "valgrind is required (apt-get install valgrind)" >&2; exit 2; }
if [ -n "${VALGRIND_ADDON:-}" ]; then
  addon="$VALGRIND_ADDON" # an addon built elsewhere, checked as is
else
  cargo build --lib || exit 2
  addon="$PWD/target/debug/moka-js.valgrind.node"
  cp target/debug/libmoka_js.so "$addon"
fi
[ -f lib/index.js ] || npm run build:ts || exit 2

log="${VALGRIND_LOG:-$PWD/target/valgrind.log}"
start=$(date +%s)
NAPI_RS_NATIVE_LIBRARY_PATH="$addon" valgrind \
  --error-exitcode=1 \
  --leak-check=full \
  --show-leak-kinds=definite,possible \
  --errors-for-leak-kinds=definite \
  --num-callers=50 \
  --suppressions=scripts/valgrind.supp \
  --log-file="$log" \
  node --jitless --expose-gc "${VALGRIND_WORKLOAD:-scripts/valgrind-workload.js}" ${VALGRIND_ARGS:-}
status=$?
elapsed=$(( $(date +%s) - start ))

echo "--- valgrind summary (${elapsed} s, full log: $log)"
grep -E "ERROR SUMMARY|definitely lost:|indirectly lost:|possibly lost:|still reachable:|suppressed:" "$log" | sed 's/^==[0-9]*== *//'

# Loss records and errors whose stacks pass through the addon.
addon_records=$(awk '
  /^==[0-9]+== *$/ { if (block != "" && block ~ /moka_js|moka-js|moka::|napi::/) n++; block=""; next }
  { block = block "\n" $0 }
  END { if (block != "" && block ~ /moka_js|moka-js|moka::|napi::/) n++; print n + 0 }
' <(grep -E -A60 "are definitely lost|Invalid (read|write|free)|uninitialised|Mismatched free|overlap" "$log"))
echo "errors or definite leaks with the addon on the stack: $addon_records"

if [ "$status" -ne 0 ] || [ "$addon_records" -ne 0 ]; then
  echo "memcheck FAILED (exit $status)" >&2
  exit 1
fi
echo "memcheck passed"
