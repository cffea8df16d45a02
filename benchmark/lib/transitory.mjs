// transitory (a W-TinyLFU cache) behind the Map-like interface the suites'
// loops call.
import { newCache as transitory } from 'transitory'

/**
 * transitory (a W-TinyLFU) reads with getIfPresent(k), null when absent;
 * the suites' loops call get(k) and test for undefined, so it is measured
 * through this thin wrapper (one inlinable call more than the others;
 * delete returns whether the key was present, as Map.delete does).
 */
export function transitoryMap(n) {
  const cache = transitory().maxSize(n).build()
  return {
    get: (k) => cache.getIfPresent(k) ?? undefined,
    set: (k, v) => cache.set(k, v),
    delete: (k) => cache.delete(k) !== null,
    get size() {
      return cache.size
    },
  }
}
