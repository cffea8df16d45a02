// The contenders of benchmark/core-speed.mjs, which benchmark/sanity.mjs's
// plain loop measures too: one list, so that both see the same caches.
import { createRequire } from 'node:module'
import { LRUCache } from 'lru-cache'
import { Moka } from '../../index.mjs'

const require = createRequire(import.meta.url)

/**
 * [{ name, make(n), native }]: moka-js with and without an eviction
 * listener, the build in `baselineDir` (a checkout of moka-js with its addon
 * built) when given, and lru-cache.
 */
export function coreCaches(baselineDir) {
  const Baseline = baselineDir === undefined ? undefined : require(baselineDir).Moka
  return [
    { name: 'moka', native: true, make: (n) => new Moka({ maxCapacity: n }) },
    { name: 'moka+listener', native: true, make: (n) => new Moka({ maxCapacity: n, evictionListener: () => {} }) },
    ...(Baseline ? [{ name: 'moka (baseline build)', native: true, make: (n) => new Baseline({ maxCapacity: n }) }] : []),
    { name: 'lru-cache', native: false, make: (n) => new LRUCache({ max: n }) },
  ]
}

/** Fills `cache` (made by `c.make`) with keys[i] → keys[i], maintenance included. */
export function fillCore(cache, c, keys) {
  for (const k of keys) cache.set(k, k)
  if (c.native) cache.runPendingTasks()
}

/**
 * Caches of `n` entries filled with `keys`, for the cases of a size:
 * `filled(c, caseName)` gives contender `c` one cache shared by the cases in
 * `keepsKeys` (they leave its keys in place) and a fresh one for each other
 * case; `dispose()` frees the shared ones.
 */
export function filledCaches(n, keys, keepsKeys) {
  const shared = new Map()
  return {
    filled(c, caseName) {
      if (keepsKeys.has(caseName) && shared.has(c.name)) return shared.get(c.name)
      const cache = c.make(n)
      fillCore(cache, c, keys)
      if (keepsKeys.has(caseName)) shared.set(c.name, cache)
      return cache
    },
    dispose() {
      for (const cache of shared.values()) cache.dispose?.()
    },
  }
}
