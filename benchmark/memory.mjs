// Memory per entry, fill time and garbage-collection pauses under churn:
// moka-js against lru-cache, transitory, mnemonist's LRUCache and Map. Each (cache, value kind) runs in its own
// child process (node --expose-gc) so that one measurement's heap does not
// leak into the next; ROUNDS rounds of those, the order rotating from round
// to round, give each figure as a median with its range.
//
//   node benchmark/memory.mjs            1M entries, 4M churn operations
//   node benchmark/memory.mjs --quick    20k entries, 60k churn operations
//   node benchmark/memory.mjs --churn=10000000 --entries=1000000
//
// 4M churn operations keep a child near ten seconds on two cores (moka-js
// churns at 2–4 µs per operation there); --churn gives a longer run.
// Bytes per entry = growth of heapUsed (V8 heap) and of RSS (everything,
// moka's native table included) from an empty cache to a full one, both
// after full collections, divided by the entries. Keys (`key:${i}` strings)
// and values count: they are what a cache of that size holds.
// Churn = uniformly random keys, 90% get, 10% set of an existing key to a
// freshly allocated value (the old one becomes garbage); GC pauses come from
// PerformanceObserver 'gc' entries.
import { fileURLToPath } from 'node:url'
import { PerformanceObserver } from 'node:perf_hooks'
import { setImmediate as yieldToLoop } from 'node:timers/promises'
import { QUICK, fmt, option, randomIndices, settle } from './lib/common.mjs'
import { ratiosByFigure, rotate, spread } from './lib/rounds.mjs'
import { churn, flatStrings, gcSummary, measureInChild } from './lib/memory.mjs'
import { runSuite } from './lib/suite.mjs'

const ENTRIES = Number(option('entries', QUICK ? 20_000 : 1_000_000))
const CHURN = Number(option('churn', QUICK ? 60_000 : 4_000_000))
const ROUNDS = 3
const CACHES = ['moka-js', 'lru-cache', 'transitory', 'mnemonist', 'Map']
const BASELINE = 'lru-cache'
/** The figures also given as a ratio to the baseline's. */
const RATIOS = ['heapBytesPerEntry', 'rssBytesPerEntry', 'fillNsPerEntry', 'churnNsPerOp', 'churnGcMs']
const KINDS = ['object', 'string1k']

async function makeCache(name, n) {
  if (name === 'moka-js') {
    const { Moka } = await import('../index.mjs')
    return new Moka({ maxCapacity: n })
  }
  if (name === 'lru-cache') {
    const { LRUCache } = await import('lru-cache')
    return new LRUCache({ max: n })
  }
  if (name === 'transitory') {
    const { transitoryMap } = await import('./lib/transitory.mjs')
    return transitoryMap(n)
  }
  if (name === 'mnemonist') {
    const { LRUCache } = await import('mnemonist')
    return new LRUCache(n)
  }
  return new Map()
}

function valueMaker(kind) {
  if (kind === 'object') return (i, v) => ({ id: i, version: v, active: true })
  return flatStrings(1024)
}

async function child(name, kind) {
  const makeValue = valueMaker(kind)
  const keys = Array.from({ length: ENTRIES }, (_, i) => `key:${i}`)
  const idx = randomIndices(ENTRIES, 1 << 20, 99)
  // The keys array itself is the benchmark's, not the cache's: measure from here.
  const cache = await makeCache(name, ENTRIES)
  settle()
  const before = process.memoryUsage()

  let gcEntries = []
  const observer = new PerformanceObserver((list) => gcEntries.push(...list.getEntries()))
  observer.observe({ entryTypes: ['gc'] })

  const t0 = performance.now()
  for (let i = 0; i < ENTRIES; i++) {
    // Keys built like application keys: the cache holds the only reference.
    cache.set(`key:${i}`, makeValue(i, 0))
    if ((i & 0xffff) === 0) await yieldToLoop()
  }
  if (name === 'moka-js') cache.runPendingTasks()
  const fillMs = performance.now() - t0
  await yieldToLoop()
  const fillGc = gcSummary(gcEntries)
  gcEntries = []

  settle()
  const after = process.memoryUsage()
  const size = cache.size

  const { ms: churnMs, misses } = await churn(cache, { ops: CHURN, indices: idx, keyOf: (i) => keys[i], makeValue })
  await yieldToLoop()
  observer.disconnect()
  const churnGc = gcSummary(gcEntries)
  settle()
  const end = process.memoryUsage()

  return {
    cache: name,
    values: kind,
    entries: ENTRIES,
    size,
    heapBytesPerEntry: +((after.heapUsed - before.heapUsed) / ENTRIES).toFixed(1),
    rssBytesPerEntry: +((after.rss - before.rss) / ENTRIES).toFixed(1),
    externalBytesPerEntry: +((after.external - before.external) / ENTRIES).toFixed(1),
    fillMs: +fillMs.toFixed(0),
    fillNsPerEntry: +((fillMs * 1e6) / ENTRIES).toFixed(0),
    fillGc,
    churnOps: CHURN,
    churnMs: +churnMs.toFixed(0),
    churnNsPerOp: +((churnMs * 1e6) / CHURN).toFixed(0),
    churnMisses: misses,
    churnGc,
    memory: { before, after, afterChurn: end },
  }
}

/** One child process: the figures of one (cache, value kind), or { error }. */
function measureChild(script, name, kind) {
  return measureInChild(script, [`--child=${name},${kind}`, `--entries=${ENTRIES}`, `--churn=${CHURN}`], 6144)
}

const FIGURES = {
  heapBytesPerEntry: (c) => c.heapBytesPerEntry,
  rssBytesPerEntry: (c) => c.rssBytesPerEntry,
  fillNsPerEntry: (c) => c.fillNsPerEntry,
  churnNsPerOp: (c) => c.churnNsPerOp,
  churnGcMs: (c) => c.churnGc.totalMs,
  gcCount: (c) => c.churnGc.count,
  gcMaxMs: (c) => c.churnGc.maxMs,
}

async function parent() {
  const script = fileURLToPath(import.meta.url)
  await runSuite(
    'memory',
    {
      peers: ['lru-cache', 'transitory', 'mnemonist'],
      title: 'moka-js memory',
      describe: [`${ENTRIES.toLocaleString('en-US')} entries; churn ${CHURN.toLocaleString('en-US')} ops (90% get, 10% set of a fresh value); one child process per cache and value kind, ${ROUNDS} rounds`],
    },
    async () => {
      const contenders = KINDS.flatMap((kind) => CACHES.map((name) => ({ name, kind, runs: [] })))
      const probes = await rotate(contenders, ROUNDS, (c, round) => {
        const run = measureChild(script, c.name, c.kind)
        c.runs.push(run)
        const said = run.error
          ? `FAILED ${run.error}`
          : `heap ${fmt.int(run.heapBytesPerEntry)} B/entry, rss ${fmt.int(run.rssBytesPerEntry)} B/entry, fill ${fmt.int(run.fillNsPerEntry)} ns/entry, churn ${fmt.int(run.churnNsPerOp)} ns/op, GC ${fmt.int(run.churnGc.totalMs)} ms in ${run.churnGc.count} pauses (max ${run.churnGc.maxMs} ms)`
        console.log(`round ${round + 1}/${ROUNDS} ${c.name.padEnd(10)} ${c.kind.padEnd(8)} ${said}`)
      })
      const ok = (c) => !c.runs.some((r) => r.error)
      const rows = contenders.map(({ name, kind, runs }) => {
        const failed = runs.find((r) => r.error)
        if (failed) return { cache: name, values: kind, error: failed.error }
        const row = { cache: name, values: kind }
        for (const [key, pick] of Object.entries(FIGURES)) row[key] = spread(runs.map(pick))
        // Each figure ÷ the baseline's of the same value kind, in the same round.
        const base = contenders.find((c) => c.name === BASELINE && c.kind === kind)
        if (ok(base)) row.ratio = ratiosByFigure(runs, base.runs, Object.fromEntries(RATIOS.map((key) => [key, FIGURES[key]])))
        row.runs = runs
        return row
      })
      return {
        problems: rows.filter((r) => r.error).map((r) => `${r.cache}/${r.values}: ${r.error}`),
        data: {
          method: {
            entries: ENTRIES,
            churnOps: CHURN,
            rounds: ROUNDS,
            values: { object: '{ id, version, active } per entry', string1k: 'a distinct flat 1024-character one-byte string per entry' },
            keys: 'strings `key:${i}`, built at insertion',
            bytesPerEntry: 'growth of process.memoryUsage().heapUsed / .rss between the empty and the full cache, each after three gc() calls',
            churn: 'uniform random keys over the entries; 90% get, 10% set to a newly allocated value',
            gc: "PerformanceObserver 'gc' entries during the churn",
            isolation: 'one child process per cache, value kind and round, node --expose-gc --max-old-space-size=6144',
            mokaPolicy: 'tinyLfu (default)',
          },
          baseline: BASELINE,
          probes,
          rows,
        },
      }
    },
  )
}

const which = option('child', null)
if (which) {
  const [name, kind] = which.split(',')
  const result = await child(name, kind)
  process.stdout.write(JSON.stringify(result) + '\n')
} else {
  await parent()
}
