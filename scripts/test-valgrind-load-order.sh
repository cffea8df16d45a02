#!/usr/bin/env bash
# Memcheck over every load order of scripts/load-order.js, one process each,
# on the debug build (system allocator) and on the release build (mimalloc):
# the addon loaded first by workers that exit, are terminated, start together,
# before the main thread, with a SharedMoka across them, in a piscina pool, and
# the package loaded twice in one thread (on the debug build only: napi-rs's
# registration leaves 40 bytes a registration superseded in one environment,
# which scripts/valgrind.supp names by its debug frames).
# VALGRIND_BUILDS=debug or =release checks one build only.
set -uo pipefail
cd "$(dirname "$0")/.."
scenarios=(worker-exits worker-terminated workers-together main-after-workers shared pool)
builds=(${VALGRIND_BUILDS:-debug release})
release=$(ls moka-js.*.node 2>/dev/null | head -n 1)
failed=0
for build in "${builds[@]}"; do
  if [ "$build" = release ]; then
    [ -n "$release" ] || { echo "no release build: npm run build:native" >&2; exit 2; }
    addon="$PWD/$release"
  else
    cargo build --lib || exit 2
    addon="$PWD/target/debug/moka-js.valgrind.node"
    cp target/debug/libmoka_js.so "$addon"
  fi
  runs=("${scenarios[@]}")
  [ "$build" = debug ] && runs+=(loaded-twice)
  for s in "${runs[@]}"; do
    echo "=== $build build, first loaded: $s"
    VALGRIND_ADDON="$addon" VALGRIND_WORKLOAD=scripts/load-order.js VALGRIND_ARGS="$s" POOL_ROUNDS=3 \
      VALGRIND_LOG="$PWD/target/valgrind-load-order-$build-$s.log" bash scripts/test-valgrind.sh || failed=1
  done
done
[ "$failed" = 0 ] && echo "load orders: memcheck passed" || { echo "load orders: memcheck FAILED" >&2; exit 1; }
