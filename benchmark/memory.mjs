// Memory per entry, fill time and garbage-collection pauses under churn:
// moka-js against lru-cache and Map. Each (cache, value kind) runs in its own
// child process (node --expose-gc) so that one measurement's heap does not
// leak into the next.
//
//   node benchmark/memory.mjs            1M entries, 4M churn operations
//   node benchmark/memory.mjs --quick    200k entries, 1M churn operations
//   node benchmark/memory.mjs --churn=10000000 --entries=1000000
//
// 4M churn operations keep the suite near a minute on two cores (moka-js
// churns at 2–4 µs per operation there); --churn gives a longer run.
// Bytes per entry = growth of heapUsed (V8 heap) and of RSS (everything,
// moka's native table included) from an empty cache to a full one, both
// after full collections, divided by the entries. Keys (`key:${i}` strings)
// and values count: they are what a cache of that size holds.
// Churn = uniformly random keys, 90% get, 10% set of an existing key to a
// freshly allocated value (the old one becomes garbage); GC pauses come from
// PerformanceObserver 'gc' entries.
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { PerformanceObserver } from 'node:perf_hooks'
import { setImmediate as yieldToLoop } from 'node:timers/promises'
import { QUICK, environment, fmt, markdownTable, option, printTable, randomIndices, settle, writeResult } from './lib/common.mjs'

const ENTRIES = Number(option('entries', QUICK ? 200_000 : 1_000_000))
const CHURN = Number(option('churn', QUICK ? 1_000_000 : 4_000_000))
const CACHES = ['moka-js', 'lru-cache', 'Map']
const KINDS = ['object', 'string1k']
const GC_KINDS = { 1: 'minor', 2: 'major', 4: 'incremental', 8: 'weakcb' }

async function makeCache(name, n) {
  if (name === 'moka-js') {
    const { Moka } = await import('../index.mjs')
    return new Moka({ maxCapacity: n })
  }
  if (name === 'lru-cache') {
    const { LRUCache } = await import('lru-cache')
    return new LRUCache({ max: n })
  }
  return new Map()
}

function valueMaker(kind) {
  if (kind === 'object') return (i, v) => ({ id: i, version: v, active: true })
  // Flat, distinct one-byte strings of exactly 1024 characters.
  const buf = Buffer.alloc(1024, 'abcdefghijklmnopqrstuvwxyz')
  return (i, v) => {
    buf.write(`${i}:${v}:`, 0, 'latin1')
    return buf.toString('latin1')
  }
}

const quantile = (sorted, q) => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)])

function gcSummary(entries) {
  const d = entries.map((e) => e.duration).sort((a, b) => a - b)
  const byKind = {}
  for (const e of entries) {
    const k = GC_KINDS[e.detail?.kind ?? e.kind] ?? String(e.detail?.kind ?? e.kind)
    byKind[k] = byKind[k] ?? { count: 0, ms: 0 }
    byKind[k].count++
    byKind[k].ms += e.duration
  }
  for (const k of Object.keys(byKind)) byKind[k].ms = +byKind[k].ms.toFixed(1)
  return {
    count: d.length,
    totalMs: +d.reduce((a, b) => a + b, 0).toFixed(1),
    p50Ms: +quantile(d, 0.5).toFixed(2),
    p99Ms: +quantile(d, 0.99).toFixed(2),
    maxMs: +(d.at(-1) ?? 0).toFixed(2),
    byKind,
  }
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

  // Churn, in chunks so that GC observations are delivered as they happen.
  const CHUNK = 100_000
  const mask = idx.length - 1
  let pos = 0
  let version = 1
  let misses = 0
  const t1 = performance.now()
  for (let done = 0; done < CHURN; done += CHUNK) {
    const end = Math.min(CHUNK, CHURN - done)
    for (let j = 0; j < end; j++) {
      const i = idx[pos]
      const k = keys[i]
      pos = (pos + 1) & mask
      if (j % 10 === 9) cache.set(k, makeValue(i, version++))
      else if (cache.get(k) === undefined) misses++
    }
    await yieldToLoop()
  }
  const churnMs = performance.now() - t1
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

async function parent() {
  const env = environment(['lru-cache'])
  console.log(`moka-js memory — ${env.profile} profile — node ${env.node}, moka ${env.versions.moka}`)
  console.log(`${ENTRIES.toLocaleString('en-US')} entries; churn ${CHURN.toLocaleString('en-US')} ops (90% get, 10% set of a fresh value); one child process per row\n`)
  const script = fileURLToPath(import.meta.url)
  const rows = []
  for (const kind of KINDS) {
    for (const name of CACHES) {
      const args = ['--expose-gc', '--max-old-space-size=6144', script, `--child=${name},${kind}`, `--entries=${ENTRIES}`, `--churn=${CHURN}`]
      const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 16 << 20 })
      if (r.status !== 0) {
        console.log(`  ${name}/${kind}: FAILED ${r.stderr.trim().split('\n').slice(-3).join(' ')}`)
        rows.push({ cache: name, values: kind, error: r.stderr.trim().split('\n').slice(-3).join(' ') })
        continue
      }
      const row = JSON.parse(r.stdout.trim().split('\n').at(-1))
      console.log(`  ${name.padEnd(9)} ${kind.padEnd(8)} heap ${fmt.int(row.heapBytesPerEntry)} B/entry, rss ${fmt.int(row.rssBytesPerEntry)} B/entry, fill ${fmt.int(row.fillMs)} ms, churn ${row.churnNsPerOp} ns/op, GC ${row.churnGc.totalMs} ms (p99 ${row.churnGc.p99Ms} ms)`)
      rows.push(row)
    }
  }
  const header = ['values', 'cache', 'heap B/entry', 'RSS B/entry', 'fill ms', 'churn ns/op', 'churn GC total ms', 'GC count', 'GC p99 ms', 'GC max ms']
  const table = rows
    .filter((r) => !r.error)
    .map((r) => [r.values, r.cache, fmt.int(r.heapBytesPerEntry), fmt.int(r.rssBytesPerEntry), fmt.int(r.fillMs), fmt.int(r.churnNsPerOp), fmt.int(r.churnGc.totalMs), r.churnGc.count, r.churnGc.p99Ms.toFixed(1), r.churnGc.maxMs.toFixed(1)])
  printTable(header, table, `Memory and GC — ${ENTRIES.toLocaleString('en-US')} entries, churn ${CHURN.toLocaleString('en-US')} ops`)
  writeResult('memory', {
    suite: 'memory',
    ...env,
    method: {
      entries: ENTRIES,
      churnOps: CHURN,
      values: { object: '{ id, version, active } per entry', string1k: 'a distinct flat 1024-character one-byte string per entry' },
      keys: 'strings `key:${i}`, built at insertion',
      bytesPerEntry: 'growth of process.memoryUsage().heapUsed / .rss between the empty and the full cache, each after three gc() calls',
      churn: 'uniform random keys over the entries; 90% get, 10% set to a newly allocated value',
      gc: "PerformanceObserver 'gc' entries during the churn",
      isolation: 'one child process per cache and value kind, node --expose-gc --max-old-space-size=6144',
      mokaPolicy: 'tinyLfu (default)',
    },
    rows,
    markdown: markdownTable(header, table),
  })
}

const which = option('child', null)
if (which) {
  const [name, kind] = which.split(',')
  const result = await child(name, kind)
  process.stdout.write(JSON.stringify(result) + '\n')
} else {
  await parent()
}
