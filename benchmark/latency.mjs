// Per-operation latency of moka-js against the JS caches people use, on
// string keys, every peer measured in the same process run (benny).
//
//   node benchmark/latency.mjs            full profile: 100k, 10k and 1k keys
//   node benchmark/latency.mjs --quick    CI-sized: 100k keys, shorter samples
//
// Every cache sees the same key strings in the same pre-generated random
// order. One benchmark call performs OPS operations. Each case runs in
// ROUNDS short benny suites, the caches in a different order each round, and
// ns/op is the median of all samples divided by OPS: on a shared machine a
// burst of noise then lands on every cache alike. Ratios are against
// lru-cache in the same run.
import b from 'benny'
import { LRUCache } from 'lru-cache'
import { LRUCache as MnemonistLRU, LRUCacheWithDelete as MnemonistLRUWithDelete } from 'mnemonist'
import QuickLRU from 'quick-lru'
import { LRU as TinyLRU } from 'tiny-lru'
import { Moka } from '../index.mjs'
import {
  QUICK,
  environment,
  fmt,
  markdownTable,
  option,
  permutation,
  printTable,
  randomIndices,
  ensureGc,
  settle,
  writeResult,
} from './lib/common.mjs'

const PEERS = ['lru-cache', 'mnemonist', 'quick-lru', 'tiny-lru', 'benny']
const BASELINE = 'lru-cache'

/** Operations per benchmark call; amortizes the harness's own call. */
const OPS = 1000
/** Keys per getMany/setMany batch. */
const BATCH = 100
/** Length of the random index stream (a power of two). */
const STREAM = 1 << 18
const MASK = STREAM - 1

const ROUNDS = QUICK ? 2 : 3
const timing = { minSamples: 5, minTime: 0.01, maxTime: 0.05 }

function median(xs) {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

const CACHES = [
  { name: 'moka-js tinyLfu', make: (n) => new Moka({ maxCapacity: n, policy: 'tinyLfu' }) },
  { name: 'moka-js lru', make: (n) => new Moka({ maxCapacity: n, policy: 'lru' }) },
  { name: 'lru-cache', make: (n) => new LRUCache({ max: n }) },
  { name: 'mnemonist', make: (n, forDelete) => (forDelete ? new MnemonistLRUWithDelete(n) : new MnemonistLRU(n)) },
  { name: 'quick-lru', make: (n) => new QuickLRU({ maxSize: n }) },
  { name: 'tiny-lru', make: (n) => new TinyLRU(n) },
  { name: 'Map', make: () => new Map(), unbounded: true },
]
const isMoka = (c) => c.name.startsWith('moka-js')

// Each case is a loop body run OPS times per call (or OPS / BATCH times for
// the batch cases). It sees: cache, keys, other, idx, MASK, init, batches,
// entries, pos, miss, n. Generated with `new Function` so that every
// (case, cache) pair gets its own type feedback: a shared closure would turn
// megamorphic across seven cache classes and penalize all of them alike.
const CASES = [
  {
    id: 'get-hit',
    title: 'get, hit',
    body: () => `const v = cache.get(keys[idx[pos]]); pos = (pos + 1) & MASK; if (v === undefined) miss++`,
    expectMisses: 0,
  },
  {
    id: 'get-miss',
    title: 'get, miss',
    body: () => `const v = cache.get(other[idx[pos]]); pos = (pos + 1) & MASK; if (v !== undefined) miss++`,
    expectMisses: 0,
  },
  {
    id: 'get-hit-fresh-key',
    title: 'get, hit, key built in the loop (`key:${i}`)',
    body: () => 'const v = cache.get(`key:${idx[pos]}`); pos = (pos + 1) & MASK; if (v === undefined) miss++',
    expectMisses: 0,
    baseline: 'const k = `key:${idx[pos]}`; pos = (pos + 1) & MASK; if (k.charCodeAt(k.length - 1) === 0) miss++',
  },
  {
    id: 'set-update',
    title: 'set, existing key (update)',
    body: () => `cache.set(keys[idx[pos]], ++n); pos = (pos + 1) & MASK`,
  },
  {
    id: 'set-evict',
    title: 'set, new key into a full cache (evicting)',
    // `other` holds 3N fresh keys in shuffled order, cycled: a key comes back
    // 3N inserts after it went in, long after an N-entry LRU dropped it.
    body: () => `cache.set(other[pos], ++n); if (++pos === other.length) pos = 0`,
    skip: (c) => c.unbounded,
    check: (cache, c, size) => (isMoka(c) ? (cache.runPendingTasks(), cache.size <= size) : cache.size <= 2 * size),
  },
  {
    id: 'delete',
    title: 'delete a present key + set it back (pair)',
    body: () => `const k = keys[idx[pos]]; pos = (pos + 1) & MASK; if (!cache.delete(k)) miss++; cache.set(k, ++n)`,
    expectMisses: 0,
    forDelete: true,
  },
  {
    id: 'get-with',
    title: 'getWith, hit (peers: get, and set on a miss)',
    body: (c) =>
      isMoka(c)
        ? `const v = cache.getWith(keys[idx[pos]], init); pos = (pos + 1) & MASK`
        : `const k = keys[idx[pos]]; pos = (pos + 1) & MASK; let v = cache.get(k); if (v === undefined) { v = init(k); cache.set(k, v) }`,
    expectInits: 0,
  },
  {
    id: 'get-many',
    title: `getMany, batch of ${BATCH}, hits (peers: get in a loop); per key`,
    batch: true,
    body: (c) =>
      isMoka(c)
        ? `const r = cache.getMany(batches[pos]); pos = (pos + 1) & (batches.length - 1); if (r[0] === undefined) miss++`
        : `const ks = batches[pos]; pos = (pos + 1) & (batches.length - 1); const r = new Array(ks.length); for (let i = 0; i < ks.length; i++) r[i] = cache.get(ks[i]); if (r[0] === undefined) miss++`,
    expectMisses: 0,
  },
  {
    id: 'set-many',
    title: `setMany, batch of ${BATCH}, existing keys (peers: set in a loop); per key`,
    batch: true,
    body: (c) =>
      isMoka(c)
        ? `cache.setMany(entries[pos]); pos = (pos + 1) & (entries.length - 1)`
        : `const es = entries[pos]; pos = (pos + 1) & (entries.length - 1); for (let i = 0; i < es.length; i++) cache.set(es[i][0], es[i][1])`,
  },
]

// The full profile runs everything at 100k and 10k keys, and the read cases
// at 1k (working set in CPU cache).
const SIZES = QUICK
  ? [{ n: 100_000, cases: null }]
  : [
      { n: 100_000, cases: null },
      { n: 10_000, cases: null },
      { n: 1_000, cases: ['get-hit', 'get-miss', 'get-hit-fresh-key'] },
    ]

function compile(body, ctx, opsPerCall) {
  const names = Object.keys(ctx)
  const factory = new Function(
    ...names,
    `'use strict'
    const state = { pos: 0, miss: 0, n: 0 }
    return {
      run() {
        let pos = state.pos, miss = state.miss, n = state.n
        for (let op = 0; op < ${opsPerCall}; op++) { ${body} }
        state.pos = pos; state.miss = miss; state.n = n
      },
      misses() { return state.miss },
    }`,
  )
  return factory(...names.map((k) => ctx[k]))
}

function buildData(n) {
  const keys = Array.from({ length: n }, (_, i) => `key:${i}`)
  const missing = Array.from({ length: n }, (_, i) => `miss:${i}`)
  const idx = randomIndices(n, STREAM, 0x5eed + n)
  const perm = permutation(3 * n, 0xfeed + n)
  const fresh = Array.from(perm, (i) => `new:${i}`)
  const nBatches = 1024
  const batches = []
  const entries = []
  const bidx = randomIndices(n, nBatches * BATCH * 2, 0xba7c + n)
  for (let i = 0; i < nBatches; i++) {
    batches.push(Array.from(bidx.subarray(i * BATCH, (i + 1) * BATCH), (j) => keys[j]))
    const off = (nBatches + i) * BATCH
    entries.push(Array.from(bidx.subarray(off, off + BATCH), (j) => [keys[j], j + 1]))
  }
  return { keys, missing, idx, fresh, batches, entries }
}

function fill(cache, c, keys) {
  for (let i = 0; i < keys.length; i++) cache.set(keys[i], i)
  if (isMoka(c)) cache.runPendingTasks()
}

/**
 * Filled caches shared by the cases of one size: the read cases, the updates
 * and delete-then-set-back leave the same keys in place. The evicting case
 * gets caches of its own; so does mnemonist's delete case (another class).
 */
function cachePool(n, keys) {
  const built = new Map()
  return (c, kase) => {
    const own = kase.id === 'set-evict' || (kase.forDelete && c.name === 'mnemonist')
    const id = c.name
    if (!own && built.has(id)) return built.get(id)
    const cache = c.make(n, kase.forDelete)
    fill(cache, c, keys)
    if (!own) built.set(id, cache)
    return cache
  }
}

async function runCase(n, kase, data, pool) {
  const opsPerCall = kase.batch ? OPS / BATCH : OPS
  const perCall = OPS
  const instances = []
  let initCalls = 0
  const init = (k) => {
    initCalls++
    return k
  }
  for (const c of CACHES) {
    if (kase.skip?.(c)) continue
    const cache = pool(c, kase)
    const ctx = {
      cache,
      keys: data.keys,
      other: kase.id === 'set-evict' ? data.fresh : data.missing,
      idx: data.idx,
      MASK,
      init,
      batches: data.batches,
      entries: data.entries,
    }
    instances.push({ c, cache, bench: compile(kase.body(c), ctx, opsPerCall) })
  }
  settle()
  if (kase.baseline) {
    const bench = compile(kase.baseline, { idx: data.idx, MASK }, opsPerCall)
    instances.push({ c: { name: '(building the key alone)' }, cache: null, bench, isBaseline: true })
  }
  // Several short rounds in rotating order instead of one long one: on a
  // shared machine, a burst of noise then lands on every cache alike.
  const samples = new Map(instances.map((inst) => [inst.c.name, []]))
  const margins = new Map(instances.map((inst) => [inst.c.name, []]))
  for (let round = 0; round < ROUNDS; round++) {
    const shift = (round * 3) % instances.length
    const order = [...instances.slice(shift), ...instances.slice(0, shift)]
    if (round % 2 === 1) order.reverse()
    const line = []
    await b.suite(
      `${kase.title} — ${n.toLocaleString('en-US')} keys`,
      ...order.map((inst) => b.add(inst.c.name, () => () => inst.bench.run())),
      b.configure({ cases: timing }),
      b.cycle((r) => {
        samples.get(r.name).push(...r.details.sampleResults)
        margins.get(r.name).push(r.margin)
        line.push(`${r.name.replace('moka-js ', 'moka/')}=${fmt.ns((r.details.median * 1e9) / perCall)}`)
      }),
    )
    console.log(`  round ${round + 1}/${ROUNDS} ns/op: ${line.join(' ')}`)
  }
  const rows = []
  for (const inst of instances) {
    const all = samples.get(inst.c.name)
    const nsMedian = (median(all) * 1e9) / perCall
    const nsMin = (Math.min(...all) * 1e9) / perCall
    const checks = []
    if (kase.expectMisses !== undefined && !inst.isBaseline) {
      const m = inst.bench.misses()
      checks.push(m === kase.expectMisses ? 'ok' : `UNEXPECTED ${m} ${kase.id === 'get-miss' ? 'hits' : 'misses'}`)
    }
    if (kase.check && inst.cache) checks.push(kase.check(inst.cache, inst.c, n) ? 'ok' : 'UNEXPECTED size')
    rows.push({
      cache: inst.c.name,
      nsPerOp: +nsMedian.toFixed(2),
      nsPerOpMin: +nsMin.toFixed(2),
      rmePerRound: margins.get(inst.c.name),
      samples: all.length,
      check: checks.join(' ') || null,
    })
  }
  if (kase.expectInits !== undefined && initCalls !== 0) {
    for (const row of rows) row.check = `UNEXPECTED ${initCalls} init calls`
  }
  const base = rows.find((r) => r.cache === BASELINE)?.nsPerOp
  for (const row of rows) row.vsLruCache = base ? +(row.nsPerOp / base).toFixed(3) : null
  return { id: kase.id, title: kase.title, keys: n, rows }
}

/**
 * One machine fact that needs no Rust to read: the cost of a dependent random
 * load from a working set of a given size (pointer chasing over a shuffled
 * cycle). It shows what a lookup pays for each cache miss on this machine.
 */
function memoryLatency() {
  const out = []
  for (const bytes of [256 << 10, 4 << 20, 64 << 20]) {
    const len = bytes / 4
    // One random cycle through all positions, 16 ints (64 B, a cache line) apart.
    const lines = len / 16
    const order = permutation(lines, 7)
    const next = new Int32Array(len)
    for (let i = 0; i < lines; i++) next[order[i] * 16] = order[(i + 1) % lines] * 16
    let p = 0
    const steps = 1_000_000
    for (let i = 0; i < 200_000; i++) p = next[p]
    let best = Infinity
    for (let r = 0; r < 3; r++) {
      const t0 = process.hrtime.bigint()
      for (let i = 0; i < steps; i++) p = next[p]
      best = Math.min(best, Number(process.hrtime.bigint() - t0) / steps)
    }
    if (p < 0) console.log(p) // keeps the chase observable
    out.push({ workingSet: bytes >= 1 << 20 ? `${bytes >> 20} MiB` : `${bytes >> 10} KiB`, nsPerLoad: +best.toFixed(1) })
  }
  return out
}

async function main() {
  const only = option('case', null)
  const env = environment(PEERS)
  console.log(`moka-js latency — ${env.profile} profile — node ${env.node}, moka ${env.versions.moka}, ${env.machine.cpus} × ${env.machine.model}`)
  console.log(`ns/op = median of all samples over ${ROUNDS} rounds in rotating order / ${OPS} ops per sample call; ratio = ns/op ÷ lru-cache's ns/op in this run\n`)
  const suites = []
  for (const { n, cases } of SIZES) {
    const data = buildData(n)
    const pool = cachePool(n, data.keys)
    settle()
    const selected = only ? only.split(',').map((id) => CASES.find((k) => k.id === id)).filter(Boolean) : CASES
    for (const kase of selected) {
      if (cases && !cases.includes(kase.id)) continue
      suites.push(await runCase(n, kase, data, pool))
    }
  }
  const latency = memoryLatency()

  const names = [...new Set(suites.flatMap((s) => s.rows.map((r) => r.cache)))]
  const markdown = []
  for (const { n } of SIZES) {
    const mine = suites.filter((s) => s.keys === n)
    if (mine.length === 0) continue
    const header = ['case', ...names]
    const cell = (s, name) => {
      const r = s.rows.find((x) => x.cache === name)
      return r ? `${fmt.ns(r.nsPerOp)} (${fmt.ratio(r.vsLruCache)})` : null
    }
    const rows = mine.map((s) => [s.id, ...names.map((name) => cell(s, name))])
    printTable(header, rows, `ns/op (× lru-cache) — ${n.toLocaleString('en-US')} keys`)
    markdown.push(`#### ${n.toLocaleString('en-US')} keys — ns/op (× lru-cache)\n\n${markdownTable(header, rows)}`)
  }
  printTable(['working set', 'ns per dependent load'], latency.map((r) => [r.workingSet, fmt.ns(r.nsPerLoad)]), 'Memory latency on this machine (JS pointer chase, best of 3, no Rust involved)')
  const hit100k = suites.find((s) => s.id === 'get-hit' && s.keys === 100_000)?.rows.find((r) => r.cache === 'moka-js tinyLfu')
  const dram = latency.at(-1)
  if (hit100k && dram) {
    console.log(`moka-js tinyLfu get-hit at 100k keys: ${fmt.ns(hit100k.nsPerOp)} ns ≈ ${(hit100k.nsPerOp / dram.nsPerLoad).toFixed(1)} dependent loads from a ${dram.workingSet} working set`)
  }
  const problems = suites.flatMap((s) => s.rows.filter((r) => r.check && r.check.includes('UNEXPECTED')).map((r) => `${s.id}/${s.keys}/${r.cache}: ${r.check}`))
  console.log(problems.length ? `\nCHECKS FAILED:\n  ${problems.join('\n  ')}` : '\nchecks: every hit/miss/size expectation held')
  writeResult('latency', {
    suite: 'latency',
    ...env,
    method: {
      harness: 'benny (benchmark.js)',
      opsPerCall: OPS,
      batch: BATCH,
      rounds: ROUNDS,
      timing,
      statistic: 'median of the samples of all rounds (rotating order) / opsPerCall',
      keys: 'strings `key:${i}`; misses `miss:${i}`; evicting inserts cycle 3N fresh keys `new:${i}` in shuffled order',
      values: 'numbers',
      baseline: BASELINE,
    },
    suites,
    memoryLatency: latency,
    markdown: markdown.join('\n\n'),
  }, { partial: only !== null })
  if (problems.length) process.exitCode = 1
}

if (await ensureGc()) await main()
