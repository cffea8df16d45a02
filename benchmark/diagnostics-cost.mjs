// What a diagnostics_channel subscriber costs a cache operation, against the
// same operation with nobody subscribed: the channels published per operation
// (moka-js:hit on a get hit, moka-js:miss on a get miss, moka-js:eviction on a
// set that replaces, whose old entry is released). The subscriber does nothing,
// so the figure is what moka-js adds: the message object and its dispatch.
//
//   node benchmark/diagnostics-cost.mjs                   5 rounds
//   node benchmark/diagnostics-cost.mjs --rounds=N
//   node benchmark/diagnostics-cost.mjs --baseline=DIR    also rows from another checkout
//                                                         of moka-js (built), with nobody subscribed
//   node benchmark/diagnostics-cost.mjs --instructions [--baseline=DIR] [--repeats=N]
//       instructions per operation under callgrind instead of time, with
//       benchmark/instructions.mjs's worker and method (get hit, get miss, set
//       update), subscribed through lib/diagnostics-subscriber.mjs or not: figures
//       that no neighbour on the machine can move
//
// One child process per row and round (a subscription changes the channel's
// shape for the rest of a process), rows interleaved, order rotated each
// round. Each child fills a Moka of 10,000 string keys, runs 1,000,000 operations
// on random keys five times and reports the fastest run's ns/op. Printed: the median
// over rounds with its range, and the ratio subscribed ÷ unsubscribed of the
// same operation, per round (median and range): rounds pair rows that ran
// seconds apart, so the ratio is what this shared machine can tell.
// Not part of `npm run bench`; docs/observability.md quotes its output.

import { spawnSync } from 'node:child_process'
import { subscribe } from 'node:diagnostics_channel'
import { join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

import { instructions, NODE } from './lib/callgrind.mjs'
import { BENCH_DIR, ROOT, fmt, option, printTable } from './lib/common.mjs'
import { MAX_REPS, OPS as WORKER_OPS } from './lib/instructions-cases.mjs'

const ROUNDS = Number(option('rounds', 5))
const BASELINE = option('baseline', null)
const KEYS = 10_000
const OPS = 1_000_000
const REPS = 5

/** The operations, each with the channel it publishes on. */
const OPERATIONS = {
  'get hit': 'moka-js:hit',
  'get miss': 'moka-js:miss',
  'set (replace)': 'moka-js:eviction',
}

const ROWS = Object.keys(OPERATIONS).flatMap((op) => [
  { op, mode: 'nobody subscribed' },
  { op, mode: `subscribed to ${OPERATIONS[op]}` },
  ...(BASELINE === null ? [] : [{ op, mode: 'baseline checkout' }]),
])

async function child(op, mode, from) {
  const { Moka } = await import(join(from, 'index.mjs'))
  if (mode.startsWith('subscribed')) subscribe(OPERATIONS[op], () => {})
  const cache = new Moka({ maxCapacity: KEYS * 2 })
  const keys = Array.from({ length: KEYS }, (_, i) => `key:${i}`)
  const absent = keys.map((k) => `${k}:absent`)
  for (const key of keys) cache.set(key, key)
  let state = 42
  const indices = Uint32Array.from({ length: OPS }, () => {
    state = (state * 1103515245 + 12345) >>> 0
    return state % KEYS
  })
  const run = {
    'get hit': () => {
      let found = 0
      for (let i = 0; i < OPS; i++) if (cache.get(keys[indices[i]]) !== undefined) found++
      if (found !== OPS) throw new Error(`get hit found ${found} of ${OPS}`)
    },
    'get miss': () => {
      let found = 0
      for (let i = 0; i < OPS; i++) if (cache.get(absent[indices[i]]) !== undefined) found++
      if (found !== 0) throw new Error(`get miss found ${found}`)
    },
    'set (replace)': () => {
      for (let i = 0; i < OPS; i++) cache.set(keys[indices[i]], i)
    },
  }[op]
  run() // warm-up: compiled code and a settled native table
  const times = []
  for (let r = 0; r < REPS; r++) {
    const t0 = performance.now()
    run()
    times.push(((performance.now() - t0) * 1e6) / OPS)
  }
  // The fastest run: the one neighbours on a shared machine disturbed least.
  return Math.min(...times)
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const spread = (xs, format) => `${format(median(xs))} (${format(Math.min(...xs))}–${format(Math.max(...xs))})`

function parent() {
  console.log(`diagnostics_channel cost — node ${process.version}; ${KEYS.toLocaleString('en-US')} keys, ${OPS.toLocaleString('en-US')} ops × ${REPS} per child, ${ROUNDS} rounds`)
  const script = fileURLToPath(import.meta.url)
  const key = (row) => `${row.op} — ${row.mode}`
  const runs = new Map(ROWS.map((row) => [key(row), []]))
  for (let round = 0; round < ROUNDS; round++) {
    const order = ROWS.map((_, i) => ROWS[(i + round) % ROWS.length])
    for (const row of order) {
      const from = row.mode === 'baseline checkout' ? resolve(BASELINE) : ROOT
      const r = spawnSync(process.execPath, [script, `--child=${row.op}`, `--mode=${row.mode}`, `--from=${from}`], { encoding: 'utf8' })
      if (r.status !== 0) throw new Error(`${key(row)}: ${r.stderr.trim().split('\n').slice(-3).join(' ')}`)
      const ns = Number(r.stdout.trim().split('\n').at(-1))
      console.log(`  round ${round + 1} ${key(row).padEnd(48)} ${ns.toFixed(1)} ns/op`)
      runs.get(key(row)).push(ns)
    }
  }
  const table = ROWS.map((row) => {
    const ns = runs.get(key(row))
    const base = runs.get(`${row.op} — nobody subscribed`)
    const ratios = ns.map((x, i) => x / base[i])
    return [row.op, row.mode, spread(ns, (x) => x.toFixed(1)), row.mode === 'nobody subscribed' ? '1' : spread(ratios, fmt.ratio)]
  })
  printTable(['operation', 'channels', 'ns/op, median (range)', '÷ nobody subscribed, same round: median (range)'], table, `Per-operation cost of a diagnostics_channel subscriber — ${ROUNDS} rounds`)
}

/** Instructions per operation of each case, nobody subscribed, subscribed, and (with --baseline) the other checkout. */
function countInstructions() {
  const repeats = Number(option('repeats', 2))
  const worker = join(BENCH_DIR, 'lib', 'instructions-worker.mjs')
  const subscriber = pathToFileURL(join(BENCH_DIR, 'lib', 'diagnostics-subscriber.mjs')).href
  const modes = [
    ['nobody subscribed', [], ROOT],
    ['subscribed to hit, miss, eviction', ['--import', subscriber], ROOT],
    ...(BASELINE === null ? [] : [['baseline checkout', [], resolve(BASELINE)]]),
  ]
  console.log(`diagnostics_channel cost in instructions per operation (callgrind) — node ${process.version}; ${repeats} runs each`)
  const table = []
  for (const kase of ['get hit', 'get miss', 'set update']) {
    let unsubscribed
    for (const [mode, flags, dir] of modes) {
      const counts = []
      for (let r = 0; r < repeats; r++) {
        const run = (reps) => instructions([...NODE, ...flags, worker, kase, String(reps), dir])
        const short = run(1)
        counts.push((run(MAX_REPS) - short) / ((MAX_REPS - 1) * WORKER_OPS))
      }
      const m = median(counts)
      unsubscribed ??= m
      table.push([kase, mode, spread(counts, (x) => Math.round(x).toLocaleString('en-US')), `${m - unsubscribed >= 0 ? '+' : ''}${Math.round(m - unsubscribed)}`])
      console.log(`  ${kase} — ${mode}: ${Math.round(m)}`)
    }
  }
  printTable(['operation', 'channels', 'instructions/op, median (range)', '− nobody subscribed'], table, 'Instructions per operation')
}

const which = option('child', null)
if (process.argv.includes('--instructions')) {
  countInstructions()
} else if (which) {
  const ns = await child(which, option('mode', ''), option('from', ROOT))
  process.stdout.write(`${ns}\n`)
} else {
  parent()
}
