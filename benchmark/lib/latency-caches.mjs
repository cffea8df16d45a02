// The caches the latency suite measures, and the sanity check's plain loop
// interleaves: one list, so that both see the same contenders (which matters:
// on a machine whose L3 is contended, a cache's figure depends on how much
// memory the others touch between its turns).
import { LRUCache } from 'lru-cache'
import { LRUCache as MnemonistLRU, LRUCacheWithDelete as MnemonistLRUWithDelete } from 'mnemonist'
import QuickLRU from 'quick-lru'
import { LRU as TinyLRU } from 'tiny-lru'
import { transitoryMap } from './transitory.mjs'
import { Moka } from '../../index.mjs'

/** [{ name, make(n, forDelete?), unbounded? }] in the order of the suite's tables. */
export const CACHES = [
  { name: 'moka-js tinyLfu', make: (n) => new Moka({ maxCapacity: n, policy: 'tinyLfu' }) },
  { name: 'moka-js lru', make: (n) => new Moka({ maxCapacity: n, policy: 'lru' }) },
  { name: 'lru-cache', make: (n) => new LRUCache({ max: n }) },
  { name: 'mnemonist', make: (n, forDelete) => (forDelete ? new MnemonistLRUWithDelete(n) : new MnemonistLRU(n)) },
  { name: 'quick-lru', make: (n) => new QuickLRU({ maxSize: n }) },
  { name: 'tiny-lru', make: (n) => new TinyLRU(n) },
  { name: 'transitory', make: (n) => transitoryMap(n) },
  { name: 'Map', make: () => new Map(), unbounded: true },
]

export const isMoka = (c) => c.name.startsWith('moka-js')

/** Fills `cache` (made by `c.make`) with keys[i] → i, maintenance included. */
export function fill(cache, c, keys) {
  for (let i = 0; i < keys.length; i++) cache.set(keys[i], i)
  if (isMoka(c)) cache.runPendingTasks()
}
