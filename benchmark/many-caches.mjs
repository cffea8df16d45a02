// Instructions per get hit when calls go to 1, 8 or 64 caches in turn: what
// several caches cost over one (call sites that see many caches).
//
//   node benchmark/many-caches.mjs [--caches=1,8,64] [--ops=100000] [--repeats=2] [--update]
//
// Writes results/local/many-caches.json (results/ with --update), whose
// chart `npm run bench:readme` draws.
//
// Each count runs under callgrind twice (ops and 2 × ops gets after the same
// warm-up), fixed V8 seeds, ASLR off (setarch -R): the difference divided by
// the extra gets is the cost of one get, start-up and warm-up cancelled.
// Instructions do not move with the machine's load.
import { fileURLToPath } from 'node:url'

import { instructions as counted, NODE } from './lib/callgrind.mjs'

const arg = (name, fallback) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback
const root = fileURLToPath(new URL('..', import.meta.url))

if (process.argv[2] === '--child') {
  const { createRequire } = await import('node:module')
  const { Moka } = createRequire(import.meta.url)(root)
  const [n, ops] = [Number(process.argv[3]), Number(process.argv[4])]
  const caches = Array.from({ length: n }, () => new Moka({ maxCapacity: 10_000 }))
  const keys = Array.from({ length: 1000 }, (_, i) => `key:${i}`)
  for (const c of caches) for (const k of keys) c.set(k, k)
  let hits = 0
  const run = (count) => {
    for (let i = 0; i < count; i++) if (caches[i % n].get(keys[i % 1000]) !== undefined) hits++
  }
  run(100_000) // warm-up: optimized code, as in a long-running process
  globalThis.gc() // setup's garbage collected at the same point in both runs (NODE has --expose-gc)
  run(ops)
  if (hits !== 100_000 + ops) throw new Error(`expected every get to hit, got ${hits}`)
} else {
  const { environment, writeResult } = await import('./lib/common.mjs')
  const { spread } = await import('./lib/rounds.mjs')
  const ops = Number(arg('ops', 100_000))
  // moka's hasher is seeded per process: repeated counts differ a little.
  const repeats = Number(arg('repeats', 2))
  const instructions = (n, count) => counted([...NODE, fileURLToPath(import.meta.url), '--child', String(n), String(count)])
  const rows = []
  for (const n of String(arg('caches', '1,8,64')).split(',').map(Number)) {
    const runs = Array.from({ length: repeats }, () => (instructions(n, 2 * ops) - instructions(n, ops)) / ops)
    rows.push({ caches: n, instructionsPerGet: spread(runs), runs })
    console.log(`${n} cache${n === 1 ? '' : 's'}: ${Math.round(spread(runs).median)} instructions per get hit (${runs.map(Math.round).join(', ')})`)
  }
  writeResult('many-caches', {
    suite: 'many-caches',
    ...environment(),
    method: { ops, repeats, counted: 'callgrind, fixed V8 seeds, ASLR off; (I(2 × ops) − I(ops)) / ops after 100,000 warm-up gets; 1,000 keys per cache, calls spread round-robin over the caches' },
    rows,
  })
}
