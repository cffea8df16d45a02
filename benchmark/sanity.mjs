// A plain interleaved loop, no harness: get-hit on string keys, Moka#get
// against lru-cache, to cross-check the latency suite's figures.
//
//   node benchmark/sanity.mjs [--against=benchmark/results/local/latency.quick.json]
//
// Each round times OPS random hits on each cache in turn (order alternating);
// prints the median and range of ns/op over the rounds, and how far the
// latency result's get-hit figures are from them (default: your latest quick
// run, else the reference result). Exits 1 when one is off by more than 20 %.
import { existsSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { LRUCache } from 'lru-cache'
import { Moka } from '../index.mjs'
import { LOCAL_DIR, RESULTS_DIR, ROOT, option } from './lib/common.mjs'

const OPS = 200_000
const ROUNDS = 7
const TOLERANCE = 0.2

function measure(n) {
  const keys = Array.from({ length: n }, (_, i) => `key:${i}`)
  const order = Uint32Array.from({ length: OPS }, () => Math.floor(Math.random() * n))
  const moka = new Moka({ maxCapacity: n })
  const lru = new LRUCache({ max: n })
  for (const k of keys) (moka.set(k, 1), lru.set(k, 1))
  moka.runPendingTasks()
  // Two loops, not one shared: each call site sees one cache class.
  const getMoka = () => {
    let hits = 0
    for (let i = 0; i < OPS; i++) if (moka.get(keys[order[i]]) !== undefined) hits++
    return hits
  }
  const getLru = () => {
    let hits = 0
    for (let i = 0; i < OPS; i++) if (lru.get(keys[order[i]]) !== undefined) hits++
    return hits
  }
  const contenders = [['moka-js tinyLfu', getMoka], ['lru-cache', getLru]]
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
let off = 0
for (const n of [10_000, 100_000]) {
  for (const m of measure(n)) {
    const row = suite?.suites.find((s) => s.id === 'get-hit' && s.keys === n)?.rows.find((r) => r.cache === m.name)
    const diff = row ? row.ns.median / m.median - 1 : null
    if (diff !== null && Math.abs(diff) > TOLERANCE) off++
    const compared = row ? `; suite ${row.ns.median.toFixed(0)} ns/op (${diff >= 0 ? '+' : ''}${(100 * diff).toFixed(0)} %)` : ''
    console.log(`${n.toLocaleString('en-US').padStart(7)} keys  ${m.name.padEnd(16)} loop ${m.median.toFixed(0).padStart(5)} ns/op (${m.min.toFixed(0)}–${m.max.toFixed(0)})${compared}`)
  }
}
if (suite) {
  console.log(`compared with ${relative(ROOT, against)} (${suite.date}, probe ${suite.probe?.verdict}): ${off ? `${off} figure(s) off by more than ${100 * TOLERANCE} %` : `all within ${100 * TOLERANCE} %`}`)
  if (off) process.exitCode = 1
}
