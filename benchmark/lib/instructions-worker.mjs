// One side of benchmark/instructions.mjs: a moka-js cache doing `reps`
// batches of OPS operations of one case. Run under callgrind; the suite takes
// the difference between two `reps` so that start-up and setup cancel out.
// With `caches` (benchmark/many-caches.mjs), that many caches of `capacity`
// entries each hold the same keys, and operation i goes to cache i mod
// caches: each cache does the same work whatever their number, so what
// changes with it is what call sites that see several caches cost.
//
// Policy 'lru-cache' runs the same batches on lru-cache (the package in
// node_modules) instead, for a pure-JS reference; 'index:BATCH:SAMPLE:misses|hits:notify|drops'
// on the prototype of benchmark/prototypes/indexed-moka.mjs
// with those settings (benchmark/prototypes/js-index.mjs counts it).
// A policy ending in '+listener' ('tinyLfu+listener', 'adaptive+listener')
// gives the cache an `evictionListener` that does nothing: what moka's
// listener costs.
//
//   node benchmark/lib/instructions-worker.mjs <case> <reps> [addon directory] [policy] [caches] [capacity]
import { createRequire } from 'node:module'
import { CAPACITY, HITTING, LONG_PREFIX, MAX_REPS, OPS, WARMUP } from './instructions-cases.mjs'

/** `gc()`, which `NODE` (lib/callgrind.mjs) exposes. */
const collectGarbage = () => {
  if (typeof globalThis.gc !== 'function') throw new Error('run with --expose-gc (see NODE in benchmark/lib/callgrind.mjs)')
  globalThis.gc()
}

const [kase, repsArg, dir = new URL('../..', import.meta.url).pathname, policy = 'tinyLfu', cachesArg = '1', capacityArg = String(CAPACITY)] = process.argv.slice(2)
const reps = Number(repsArg)
const n = Number(cachesArg)
const capacity = Number(capacityArg)
const require = createRequire(import.meta.url)
const { Moka } = require(dir)
const { LRUCache } = require('lru-cache')
const keys = (length, prefix) => Array.from({ length }, (_, i) => `${prefix}:${i}`)
const long = kase.endsWith(' long')
/** A long key, built by concatenation (a V8 cons string), as application code builds one. */
const longKey = (i) => `${LONG_PREFIX}${i}`
const stored = long ? Array.from({ length: capacity }, (_, i) => longKey(i)) : keys(capacity, 'key')
// Only the keys its case uses: what setup allocates decides when V8 collects.
const absent = kase === 'get miss' ? keys(OPS, 'miss') : kase === 'get miss long' ? Array.from({ length: OPS }, (_, i) => longKey(capacity + i)) : []
// Long needles equal to the stored keys but other strings, each read once per batch.
const needles = kase === 'get hit long' ? Array.from({ length: OPS }, (_, i) => longKey((i * 7919) % capacity)) : []
// Moved to the old generation before their first read, which flattens them in
// place: a scavenge would replace a flattened cons string by its flat content,
// which V8's fast path takes, and leave the callback to the needles it missed.
// So every long-key read below goes through the accelerator's callback.
if (long) for (let i = 0; i < 2; i++) collectGarbage()
const fresh = kase === 'set evicting' ? keys(OPS * (WARMUP + MAX_REPS), 'new') : []
for (const [name, x] of [['caches', n], ['capacity', capacity]]) {
  if (!(Number.isInteger(x) && x >= 1)) throw new RangeError(`${name} must be a positive integer, got ${x}`)
}
const [mokaPolicy, listening] = policy.split('+')
const listener = listening === 'listener' ? { evictionListener: () => {} } : {}
/** The prototype's settings, for an `index:` policy. */
const indexed = policy.startsWith('index:') ? policy.split(':') : undefined
const IndexedMoka = indexed && (await import('../prototypes/indexed-moka.mjs')).IndexedMoka
const create = () => {
  if (policy === 'lru-cache') return new LRUCache({ max: capacity })
  if (indexed) return new IndexedMoka({ maxCapacity: capacity, batch: Number(indexed[1]), sample: Number(indexed[2]), sampleMisses: indexed[3] === 'misses', notify: indexed[4] !== 'drops' })
  return new Moka({ maxCapacity: capacity, policy: mokaPolicy, ...listener })
}
if (kase === 'remove hit' && (policy === 'lru-cache' || indexed)) throw new RangeError('remove hit: moka-js and moka-py sides only')
const caches = Array.from({ length: n }, create)
const cacheOf = (i) => caches[i % n]
for (const c of caches) {
  for (const k of stored) c.set(k, k)
  c.runPendingTasks?.()
}
let hits = 0
const batches = {
  'get hit': () => {
    for (let i = 0; i < OPS; i++) if (cacheOf(i).get(stored[(i * 7919) % capacity]) !== undefined) hits++
  },
  'get miss': () => {
    for (let i = 0; i < OPS; i++) if (cacheOf(i).get(absent[i]) !== undefined) hits++
  },
  'get hit long': () => {
    for (let i = 0; i < OPS; i++) if (cacheOf(i).get(needles[i]) !== undefined) hits++
  },
  'get miss long': () => {
    for (let i = 0; i < OPS; i++) if (cacheOf(i).get(absent[i]) !== undefined) hits++
  },
  'set update': () => {
    for (let i = 0; i < OPS; i++) cacheOf(i).set(stored[(i * 7919) % capacity], i)
  },
  'set evicting': (rep) => {
    for (let i = 0; i < OPS; i++) cacheOf(i).set(fresh[rep * OPS + i], i)
  },
  'remove hit': () => {
    for (let i = 0; i < OPS; i++) {
      const key = stored[(i * 7919) % capacity]
      if (cacheOf(i).remove(key) !== undefined) hits++
      cacheOf(i).set(key, i)
    }
  },
}
const batch = batches[kase]
if (batch === undefined || !(reps >= 1 && reps <= MAX_REPS)) throw new RangeError(`usage: <${Object.keys(batches).join('|')}> <reps 1..${MAX_REPS}>`)
// Warm-up batches, the same in both runs, so that the measured ones run optimized code.
for (let rep = 0; rep < WARMUP; rep++) batch(rep)
// A full collection at the same point of both runs: the garbage of setup and
// warm-up is not collected in one run's measured batches and not the other's.
collectGarbage()
for (let rep = WARMUP; rep < WARMUP + reps; rep++) batch(rep)
if (HITTING.includes(kase) && hits !== (WARMUP + reps) * OPS) throw new Error(`${kase}: ${hits} hits of ${(WARMUP + reps) * OPS}`)
