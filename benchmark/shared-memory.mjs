// Memory and GC with values off the V8 heap: SharedMoka against Moka and
// lru-cache, at 1M and 10M entries of 200-byte string values.
//
//   node benchmark/shared-memory.mjs [--quick] [--entries=1000000,10000000] [--churn=N]
//
// Each (cache, size) runs in its own child process (node --expose-gc, a heap
// limit large enough for the JS caches). Keys are `key:${i}` strings, values
// distinct one-byte strings of exactly 200 characters. Measured after full
// collections: heapUsed and RSS growth from the empty to the full cache, per
// entry; native bytes per entry = RSS growth − heap growth (what lives
// outside the V8 heap: moka's table and, for SharedMoka, the values). Then a
// churn of uniformly random keys (90% get, 10% set of a fresh value) with
// GC pauses from PerformanceObserver 'gc' entries: count, total, p99, max.
import { fileURLToPath } from 'node:url'
import { PerformanceObserver } from 'node:perf_hooks'
import { setImmediate as yieldToLoop } from 'node:timers/promises'
import { QUICK, fmt, option, randomIndices, settle } from './lib/common.mjs'
import { churn, flatStrings, gcSummary, measureInChild } from './lib/memory.mjs'
import { ratiosByFigure, rotate, spread } from './lib/rounds.mjs'
import { runSuite } from './lib/suite.mjs'

const SIZES = String(option('entries', QUICK ? '30000' : '1000000,10000000')).split(',').map(Number)
const CHURN = Number(option('churn', QUICK ? 100_000 : 2_000_000))
const CACHES = ['SharedMoka', 'Moka', 'lru-cache']
const BASELINE = 'lru-cache'
/** The figures also given as a ratio to the baseline's of the same size and round. */
const RATIOS = {
  heapBytesPerEntry: (r) => r.heapBytesPerEntry,
  rssBytesPerEntry: (r) => r.rssBytesPerEntry,
  fillNsPerEntry: (r) => r.fillNsPerEntry,
  churnNsPerOp: (r) => r.churnNsPerOp,
  gcP99Ms: (r) => r.churnGc.p99Ms,
}
const VALUE_BYTES = 200
/** Rounds for sizes up to 1M; larger sizes run once per cache (minutes, and GBs, each). */
const ROUNDS = QUICK ? 1 : 3
const HEAP_MB = 16384

async function makeCache(name, n) {
  if (name === 'SharedMoka') {
    const { SharedMoka } = await import('../index.mjs')
    return new SharedMoka({ name: `memory-${process.pid}`, maxCapacity: n })
  }
  if (name === 'Moka') {
    const { Moka } = await import('../index.mjs')
    return new Moka({ maxCapacity: n })
  }
  const { LRUCache } = await import('lru-cache')
  return new LRUCache({ max: n })
}

async function child(name, entries) {
  const makeValue = flatStrings(VALUE_BYTES)
  const idx = randomIndices(entries, 1 << 20, 99)
  const cache = await makeCache(name, entries)
  settle()
  const before = process.memoryUsage()
  const t0 = performance.now()
  for (let i = 0; i < entries; i++) {
    cache.set(`key:${i}`, makeValue(i, 0))
    if ((i & 0xffff) === 0) await yieldToLoop()
  }
  if (name !== 'lru-cache') cache.runPendingTasks()
  const fillMs = performance.now() - t0
  settle()
  const after = process.memoryUsage()
  const size = cache.size

  const gcEntries = []
  const observer = new PerformanceObserver((list) => gcEntries.push(...list.getEntries()))
  observer.observe({ entryTypes: ['gc'] })
  // Keys built per operation, like application keys.
  const { ms: churnMs, misses } = await churn(cache, { ops: CHURN, indices: idx, keyOf: (i) => `key:${i}`, makeValue })
  await yieldToLoop()
  observer.disconnect()
  const heapBytesPerEntry = (after.heapUsed - before.heapUsed) / entries
  const rssBytesPerEntry = (after.rss - before.rss) / entries
  return {
    cache: name,
    entries,
    size,
    heapBytesPerEntry: +heapBytesPerEntry.toFixed(1),
    rssBytesPerEntry: +rssBytesPerEntry.toFixed(1),
    nativeBytesPerEntry: +(rssBytesPerEntry - heapBytesPerEntry).toFixed(1),
    heapUsedMB: +(after.heapUsed / 2 ** 20).toFixed(1),
    rssMB: +(after.rss / 2 ** 20).toFixed(1),
    fillNsPerEntry: Math.round((fillMs * 1e6) / entries),
    churnOps: CHURN,
    churnNsPerOp: Math.round((churnMs * 1e6) / CHURN),
    churnMisses: misses,
    churnGc: gcSummary(gcEntries),
    memory: { before, after },
  }
}

function measureChild(script, name, entries) {
  return measureInChild(script, [`--child=${name}`, `--entries=${entries}`, `--churn=${CHURN}`], HEAP_MB)
}

const FIGURES = ['heapBytesPerEntry', 'rssBytesPerEntry', 'nativeBytesPerEntry', 'heapUsedMB', 'rssMB', 'fillNsPerEntry', 'churnNsPerOp']
const GC_FIGURES = ['count', 'totalMs', 'p50Ms', 'p99Ms', 'maxMs']

async function parent() {
  const script = fileURLToPath(import.meta.url)
  await runSuite(
    'shared-memory',
    {
      peers: ['lru-cache'],
      title: 'SharedMoka memory and GC',
      describe: [`${SIZES.map((n) => n.toLocaleString('en-US')).join(' and ')} entries of ${VALUE_BYTES}-byte strings; churn ${CHURN.toLocaleString('en-US')} ops; one child process per cache and size`],
    },
    async () => {
      const rows = []
      const probes = []
      for (const entries of SIZES) {
        const rounds = entries > 1_000_000 ? 1 : ROUNDS
        const contenders = CACHES.map((name) => ({ name, runs: [] }))
        probes.push(
          ...(await rotate(contenders, rounds, (c, round) => {
            const run = measureChild(script, c.name, entries)
            c.runs.push(run)
            const said = run.error
              ? `FAILED ${run.error}`
              : `heap ${fmt.int(run.heapBytesPerEntry)} B/entry, rss ${fmt.int(run.rssBytesPerEntry)} B/entry, native ${fmt.int(run.nativeBytesPerEntry)} B/entry, fill ${fmt.int(run.fillNsPerEntry)} ns/entry, churn ${fmt.int(run.churnNsPerOp)} ns/op, GC ${run.churnGc.count} pauses, p99 ${run.churnGc.p99Ms} ms, max ${run.churnGc.maxMs} ms`
            console.log(`${entries.toLocaleString('en-US')} entries, round ${round + 1}/${rounds} ${c.name.padEnd(10)} ${said}`)
          })),
        )
        const base = contenders.find((c) => c.name === BASELINE)
        for (const { name, runs } of contenders) {
          const failed = runs.find((r) => r.error)
          if (failed) {
            rows.push({ cache: name, entries, error: failed.error })
            continue
          }
          rows.push({
            cache: name,
            entries,
            rounds,
            ...Object.fromEntries(FIGURES.map((f) => [f, spread(runs.map((r) => r[f]))])),
            churnGc: Object.fromEntries(GC_FIGURES.map((f) => [f, spread(runs.map((r) => r.churnGc[f]))])),
            ...(!base.runs.some((r) => r.error) && { ratio: ratiosByFigure(runs, base.runs, RATIOS) }),
            runs,
          })
        }
      }
      return {
        problems: rows.filter((r) => r.error).map((r) => `${r.cache} at ${r.entries}: ${r.error}`),
        data: {
          probes,
          baseline: BASELINE,
          method: {
            entries: SIZES,
            valueBytes: VALUE_BYTES,
            churnOps: CHURN,
            rounds: ROUNDS,
            keys: 'strings `key:${i}`, built at insertion',
            values: `a distinct flat ${VALUE_BYTES}-character one-byte string per entry`,
            bytesPerEntry: 'growth of process.memoryUsage().heapUsed / .rss between the empty and the full cache, each after three gc() calls; native = rss − heap',
            churn: 'uniform random keys over the entries; 90% get, 10% set of a newly allocated value',
            gc: "PerformanceObserver 'gc' entries during the churn",
            isolation: `one child process per cache, size and round, node --expose-gc --max-old-space-size=${HEAP_MB}`,
            policies: 'tinyLfu (default) for SharedMoka and Moka',
          },
          rows,
        },
      }
    },
  )
}

const which = option('child', null)
if (which) {
  const result = await child(which, SIZES[0])
  process.stdout.write(JSON.stringify(result) + '\n')
} else {
  await parent()
}
