// One side of benchmark/instructions.mjs: a moka-js cache doing `reps`
// batches of OPS operations of one case. Run under callgrind; the suite takes
// the difference between two `reps` so that start-up and setup cancel out.
//
//   node benchmark/lib/instructions-worker.mjs <case> <reps> [addon directory] [policy]
import { createRequire } from 'node:module'
import { CAPACITY, MAX_REPS, OPS, WARMUP } from './instructions-cases.mjs'

const [kase, repsArg, dir = new URL('../..', import.meta.url).pathname, policy = 'tinyLfu'] = process.argv.slice(2)
const reps = Number(repsArg)
const { Moka } = createRequire(import.meta.url)(dir)
const stored = Array.from({ length: CAPACITY }, (_, i) => `key:${i}`)
const absent = Array.from({ length: OPS }, (_, i) => `miss:${i}`)
const fresh = Array.from({ length: OPS * (WARMUP + MAX_REPS) }, (_, i) => `new:${i}`)
const cache = new Moka({ maxCapacity: CAPACITY, policy })
for (const k of stored) cache.set(k, k)
cache.runPendingTasks()
let hits = 0
const batches = {
  'get hit': () => {
    for (let i = 0; i < OPS; i++) if (cache.get(stored[(i * 7919) % CAPACITY]) !== undefined) hits++
  },
  'get miss': () => {
    for (let i = 0; i < OPS; i++) if (cache.get(absent[i]) !== undefined) hits++
  },
  'set update': () => {
    for (let i = 0; i < OPS; i++) cache.set(stored[(i * 7919) % CAPACITY], i)
  },
  'set evicting': (rep) => {
    for (let i = 0; i < OPS; i++) cache.set(fresh[rep * OPS + i], i)
  },
}
const batch = batches[kase]
if (batch === undefined || !(reps >= 1 && reps <= MAX_REPS)) throw new RangeError(`usage: <${Object.keys(batches).join('|')}> <reps 1..${MAX_REPS}>`)
// Warm-up batches, the same in both runs, so that the measured ones run optimized code.
for (let rep = 0; rep < WARMUP + reps; rep++) batch(rep)
if (kase === 'get hit' && hits !== (WARMUP + reps) * OPS) throw new Error(`get hit: ${hits} hits of ${(WARMUP + reps) * OPS}`)
