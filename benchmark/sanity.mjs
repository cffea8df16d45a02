// A plain interleaved loop, no harness: get-hit on string keys for every
// cache the latency suite measures, to cross-check the suite's figures.
//
//   node benchmark/sanity.mjs [--against=benchmark/results/local/latency.quick.json]
//
// Each round times OPS random hits on each cache in turn (order alternating);
// prints the median and range of ns/op over the rounds, and how far the
// latency result's get-hit figures are from them (default: your latest quick
// run, else the reference result). Exits 1 when one is off by more than 20 %.
//
// Every cache of the run compared against runs here too, not only two: on a
// machine whose L3 is contended, a cache's figure depends on how much memory
// the others touch between its turns. Interleaved with Moka alone, lru-cache
// at 10k keys read 27–110 % faster than in the suite; among all seven, as in
// the suite, the two differed by -33 % to +27 %, as much as two runs of
// either did (probe degraded: 4 MiB loads at 150–190 ns).
import { existsSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { LOCAL_DIR, RESULTS_DIR, ROOT, environment, option } from './lib/common.mjs'
import { CACHES, fill } from './lib/latency-caches.mjs'
import { describeProbe, probeMemory } from './lib/probe.mjs'

const OPS = 200_000
const ROUNDS = 7
const TOLERANCE = 0.2

function measure(n, caches) {
  const keys = Array.from({ length: n }, (_, i) => `key:${i}`)
  const order = Uint32Array.from({ length: OPS }, () => Math.floor(Math.random() * n))
  // One loop per cache, each compiled on its own: every call site sees one cache class.
  const contenders = caches.map((c) => {
    const cache = c.make(n)
    fill(cache, c, keys)
    const run = new Function(
      'cache',
      'keys',
      'order',
      `return () => { let hits = 0; for (let i = 0; i < ${OPS}; i++) if (cache.get(keys[order[i]]) !== undefined) hits++; return hits }`,
    )(cache, keys, order)
    return [c.name, run]
  })
  const ns = new Map(contenders.map(([name]) => [name, []]))
  for (let r = 0; r < ROUNDS + 1; r++) {
    for (const [name, run] of r % 2 ? [...contenders].reverse() : contenders) {
      const t0 = process.hrtime.bigint()
      const hits = run()
      const t = Number(process.hrtime.bigint() - t0) / OPS
      if (hits !== OPS) throw new Error(`${name}: ${OPS - hits} misses`)
      if (r > 0) ns.get(name).push(t) // round 0 warms up
    }
  }
  return [...ns].map(([name, xs]) => {
    xs.sort((a, b) => a - b)
    return { keys: n, name, median: xs[xs.length >> 1], min: xs[0], max: xs.at(-1) }
  })
}

const defaults = [join(LOCAL_DIR, 'latency.quick.json'), join(RESULTS_DIR, 'latency.json')]
const against = option('against', defaults.find((f) => existsSync(f)) ?? null)
const suite = against ? JSON.parse(readFileSync(against, 'utf8')) : null
// The contenders of the run compared against (the quick profile has fewer), else all.
const measured = new Set(suite?.suites.filter((s) => s.id === 'get-hit').flatMap((s) => s.rows.map((r) => r.cache)))
const caches = measured.size ? CACHES.filter((c) => measured.has(c.name)) : CACHES
const { machine } = environment()
const probe = probeMemory({ lscpu: machine.lscpu })
console.log(describeProbe(probe, 'start'))
let off = 0
for (const n of [10_000, 100_000]) {
  for (const m of measure(n, caches)) {
    const row = suite?.suites.find((s) => s.id === 'get-hit' && s.keys === n)?.rows.find((r) => r.cache === m.name)
    const diff = row ? row.ns.median / m.median - 1 : null
    if (diff !== null && Math.abs(diff) > TOLERANCE) off++
    const compared = row ? `; suite ${row.ns.median.toFixed(0)} ns/op (${diff >= 0 ? '+' : ''}${(100 * diff).toFixed(0)} %)` : ''
    console.log(`${n.toLocaleString('en-US').padStart(7)} keys  ${m.name.padEnd(16)} loop ${m.median.toFixed(0).padStart(5)} ns/op (${m.min.toFixed(0)}–${m.max.toFixed(0)})${compared}`)
  }
}
if (suite) {
  console.log(`compared with ${relative(ROOT, against)} (${suite.date}, probe ${suite.probe?.verdict}): ${off ? `${off} figure(s) off by more than ${100 * TOLERANCE} %` : `all within ${100 * TOLERANCE} %`}`)
  if (off && [probe.verdict, suite.probe?.verdict].includes('degraded')) {
    console.log(`the probe said degraded: on such a machine two runs of this same loop can differ by more than ${100 * TOLERANCE} %; compare on a quiet one`)
  }
  if (off) process.exitCode = 1
}
