// A plain interleaved loop, no harness: get-hit on string keys for every
// cache a suite measures, to cross-check the suite's harness before its
// figures publish.
//
//   node benchmark/sanity.mjs [--suite=latency|core-speed] [--against=FILE]
//
// `--suite=latency` (the default) checks the latency suite's get-hit
// figures (default file: your latest quick run, else the reference result);
// `--suite=core-speed` checks benchmark/core-speed.mjs's get hit (default
// file: benchmark/results/local/core-speed.json, written by `npm run
// bench:core`). Each round times OPS random hits on each cache in turn
// (order alternating), each cache in a loop compiled for it alone; prints
// the median and range of ns/op over the rounds, and how far the suite's
// figures are from them, at every key count the suite measured. Exits 1 when
// one is off by more than 20 %.
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
import { coreCaches, fillCore } from './lib/core-caches.mjs'
import { describeProbe, probeMemory } from './lib/probe.mjs'

const OPS = 200_000
const ROUNDS = 7
const TOLERANCE = 0.2

function measure(n, caches, fill) {
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
      `// ${c.name.replace(/\n/g, ' ')}
      return () => { let hits = 0; for (let i = 0; i < ${OPS}; i++) if (cache.get(keys[order[i]]) !== undefined) hits++; return hits }`,
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

/**
 * What each suite's result looks like to this check: the files to compare
 * against by default, its caches, how to fill them, and its get-hit rows:
 * [{ keys, cache, ns }].
 */
const SUITES = {
  latency: {
    defaults: [join(LOCAL_DIR, 'latency.quick.json'), join(RESULTS_DIR, 'latency.json')],
    caches: CACHES,
    fill,
    rows: (r) => r.suites.filter((s) => s.id === 'get-hit').flatMap((s) => s.rows.map((x) => ({ keys: s.keys, cache: x.cache, ns: x.ns }))),
  },
  'core-speed': {
    defaults: [join(LOCAL_DIR, 'core-speed.json')],
    caches: coreCaches(),
    fill: fillCore,
    rows: (r) => r.rows.filter((x) => x.case === 'get hit').map((x) => ({ keys: x.keys, cache: x.contender, ns: x.ns })),
  },
}
const kind = option('suite', 'latency')
const checked = SUITES[kind]
if (!checked) throw new RangeError(`--suite: unknown ${kind} (known: ${Object.keys(SUITES).join(', ')})`)
const against = option('against', checked.defaults.find((f) => existsSync(f)) ?? null)
const suite = against ? JSON.parse(readFileSync(against, 'utf8')) : null
if (suite && suite.suite !== kind) throw new RangeError(`--against: ${against} holds a ${suite.suite} result, not ${kind}`)
const suiteRows = suite ? checked.rows(suite) : []
// The contenders and key counts of the run compared against (the quick profile has fewer), else all.
const measured = new Set(suiteRows.map((r) => r.cache))
const caches = measured.size ? checked.caches.filter((c) => measured.has(c.name)) : checked.caches
const sizes = suiteRows.length ? [...new Set(suiteRows.map((r) => r.keys))] : [10_000, 100_000]
const { machine } = environment()
const probe = probeMemory({ lscpu: machine.lscpu })
console.log(describeProbe(probe, 'start'))
let off = 0
for (const n of sizes) {
  const measured = measure(n, caches, checked.fill)
  // Beside the absolute figures (which move with the machine between the two runs), each
  // cache's median ÷ the first cache's, in the loop and in the suite (informative, not judged).
  const [first] = measured
  const firstRow = suiteRows.find((r) => r.keys === n && r.cache === first.name)
  for (const m of measured) {
    const row = suiteRows.find((r) => r.keys === n && r.cache === m.name)
    const diff = row ? row.ns.median / m.median - 1 : null
    if (diff !== null && Math.abs(diff) > TOLERANCE) off++
    const compared = row ? `; suite ${row.ns.median.toFixed(0)} ns/op (${diff >= 0 ? '+' : ''}${(100 * diff).toFixed(0)} %)` : ''
    const ratios = row && firstRow && m !== first ? `; ÷ ${first.name}: loop ${(m.median / first.median).toFixed(2)}, suite ${(row.ns.median / firstRow.ns.median).toFixed(2)}` : ''
    console.log(`${n.toLocaleString('en-US').padStart(7)} keys  ${m.name.padEnd(16)} loop ${m.median.toFixed(0).padStart(5)} ns/op (${m.min.toFixed(0)}–${m.max.toFixed(0)})${compared}${ratios}`)
  }
}
if (suite) {
  console.log(`compared with ${relative(ROOT, against)} (${suite.date}, probe ${suite.probe?.verdict}): ${off ? `${off} figure(s) off by more than ${100 * TOLERANCE} %` : `all within ${100 * TOLERANCE} %`}`)
  if (off && [probe.verdict, suite.probe?.verdict].includes('degraded')) {
    console.log(`the probe said degraded: on such a machine two runs of this same loop can differ by more than ${100 * TOLERANCE} %; compare on a quiet one`)
  }
  if (off) process.exitCode = 1
}
