// Per-operation latency of moka-js against the JS caches people use, on
// string keys, every peer measured in the same process, interleaved.
//
//   node benchmark/latency.mjs            full profile: 100k, 10k and 1k keys
//   node benchmark/latency.mjs --quick    CI-sized: moka-js, lru-cache and Map; single-key cases at 100k keys, get-hit at 10k
//   node benchmark/latency.mjs --case=get-hit,set-evict   (a partial run)
//   node benchmark/latency.mjs --caches='moka-js tinyLfu,lru-cache'   (partial too)
//
// Every cache sees the same key strings in the same pre-generated random
// order. One call of a case's loop performs OPS operations. Each case runs
// PASSES × ROUNDS_PER_PASS rounds; a round takes one figure (median of a few
// timed batches) from every cache, in rotating order, after a memory-latency
// probe (lib/rounds.mjs). Each pass runs every size in a child process of
// its own, the sizes one after the other, so a case's rounds come from
// several processes minutes apart: see PASSES. Reported first: the ratio to lru-cache taken within each
// round, median and range (and over the rounds whose probe read normal
// alone, when there are enough); then ns/op beside the probe of its rounds.
import { spawnSync } from 'node:child_process'
import { writeSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { QUICK, fmt, option, permutation, randomIndices, selection, settle } from './lib/common.mjs'
import { CACHES, fill, isMoka } from './lib/latency-caches.mjs'
import { compileLoop } from './lib/loops.mjs'
import { ROUNDS, TIMING, figures, interleave, probeSummary, sampler } from './lib/rounds.mjs'
import { runSuite } from './lib/suite.mjs'

const PEERS = ['lru-cache', 'mnemonist', 'quick-lru', 'tiny-lru', 'transitory']
const BASELINE = 'lru-cache'

/**
 * Processes per size, each running ROUNDS_PER_PASS rounds of every case. Two
 * reference runs of get-hit at 10k keys, each 7 rounds in one process within
 * a minute, read moka-js ÷ lru-cache 3.35× (2.4–7.6) and 12.3× (8.5–16.1):
 * lru-cache read 233 ns in one and 82 ns in the other, moka-js 717 and
 * 1,036 ns. Rounds of one process share its state (moka's hasher is seeded
 * per process, V8's heap layout, and the machine's state of that minute:
 * whether the L3 held lru-cache's working set), so their range said nothing
 * of what the next run would read. Rounds from several processes spread over
 * the suite's run do.
 */
const PASSES = QUICK ? 1 : 3
const ROUNDS_PER_PASS = QUICK ? ROUNDS : 3

/** Operations per call of a case's loop; amortizes the harness's own call. */
const OPS = 1000
/** Keys per getMany/setMany batch. */
const BATCH = 100
/** Length of the random index stream (a power of two). */
const STREAM = 1 << 18
const MASK = STREAM - 1

/** The quick profile's contenders: both moka-js policies, the baseline, and Map as the floor. */
const QUICK_CACHES = ['moka-js tinyLfu', 'moka-js lru', BASELINE, 'Map']
const onlyCaches = selection('caches', CACHES.map((c) => c.name))
if (onlyCaches && !onlyCaches.includes(BASELINE)) throw new RangeError(`--caches: include ${BASELINE}, the baseline of every ratio`)
const CONTENDERS = CACHES.filter((c) => (onlyCaches ?? (QUICK ? QUICK_CACHES : null))?.includes(c.name) ?? true)

// Each case is a loop body run OPS times per call (or OPS / BATCH times for
// the batch cases). It sees: cache, keys, other, idx, MASK, init, batches,
// entries, pos, miss, n. Compiled for every (case, cache) pair on its own
// (lib/loops.mjs), so that each gets its own type feedback.
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
// at 1k (working set in CPU cache); the quick one runs the single-key cases
// at 100k (the batch calls and keys built in the loop only in full, to keep
// \`npm run bench:quick\` near three minutes from a fresh clone) and get-hit
// at 10k, the figure benchmark/sanity.mjs cross-checks.
const SIZES = QUICK
  ? [
      { n: 100_000, cases: ['get-hit', 'get-miss', 'get-hit-fresh-key', 'set-update', 'set-evict', 'delete', 'get-with'] },
      { n: 10_000, cases: ['get-hit'] },
    ]
  : [
      { n: 100_000, cases: null },
      { n: 10_000, cases: null },
      { n: 1_000, cases: ['get-hit', 'get-miss', 'get-hit-fresh-key'] },
    ]

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

async function runCase(n, kase, data, pool, rounds) {
  const opsPerCall = kase.batch ? OPS / BATCH : OPS
  const instances = []
  let initCalls = 0
  const init = (k) => {
    initCalls++
    return k
  }
  for (const c of CONTENDERS) {
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
    instances.push({ name: c.name, c, cache, bench: compileLoop(kase.body(c), ctx, opsPerCall, `${kase.id} ${c.name}`) })
  }
  if (kase.baseline) {
    const bench = compileLoop(kase.baseline, { idx: data.idx, MASK }, opsPerCall, `${kase.id} key alone`)
    instances.push({ name: '(building the key alone)', cache: null, bench, isBaseline: true })
  }
  settle()
  // Figures are per key: a batch call of OPS / BATCH batches counts OPS keys.
  const { perRound, probes } = await interleave(
    instances.map((inst) => ({ name: inst.name, sample: sampler(() => inst.bench.run(), { opsPerCall: OPS }) })),
    rounds,
  )
  const base = perRound.get(BASELINE)
  const rows = instances.map((inst) => {
    const rounds = perRound.get(inst.name)
    const checks = []
    if (kase.expectMisses !== undefined && !inst.isBaseline) {
      const m = inst.bench.misses()
      checks.push(m === kase.expectMisses ? 'ok' : `UNEXPECTED ${m} ${kase.id === 'get-miss' ? 'hits' : 'misses'}`)
    }
    if (kase.check && inst.cache) checks.push(kase.check(inst.cache, inst.c, n) ? 'ok' : 'UNEXPECTED size')
    if (kase.expectInits !== undefined && initCalls !== 0) checks.push(`UNEXPECTED ${initCalls} init calls`)
    return { cache: inst.name, ...figures(rounds, base, probes), check: checks.join(' ') || null }
  })
  const said = rows.map((r) => `${r.cache.replace('moka-js ', 'moka/')} ${fmt.ns(r.ns.median)}${r.cache === BASELINE ? '' : ` (${fmt.ratio(r.ratio.median)})`}`)
  console.log(`${kase.id} @ ${n.toLocaleString('en-US')} keys, ns/op: ${said.join(', ')}`)
  return { id: kase.id, title: kase.title, keys: n, probes, probe: probeSummary(probes), rows }
}

/**
 * One size, in a child process of its own: a size measured after a larger
 * one in the same process ran on a heap (and a native allocator) fragmented
 * by the larger one's garbage, and measured up to twice as slow. Progress
 * lines go to the terminal; the cases' results go back on fd 3.
 */
async function child(n, only, rounds) {
  const { cases } = SIZES.find((s) => s.n === n)
  const selected = CASES.filter((k) => (!cases || cases.includes(k.id)) && (!only || only.includes(k.id)))
  const data = buildData(n)
  const pool = cachePool(n, data.keys)
  const suites = []
  for (const kase of selected) suites.push(await runCase(n, kase, data, pool, rounds))
  writeSync(3, JSON.stringify(suites))
}

function measureSize(n) {
  const args = ['--expose-gc', fileURLToPath(import.meta.url), `--size=${n}`, `--rounds=${ROUNDS_PER_PASS}`, ...process.argv.slice(2).filter((a) => a !== '--update')]
  const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit', 'pipe'], maxBuffer: 64 << 20 })
  if (r.status !== 0) throw new Error(`latency at ${n.toLocaleString('en-US')} keys: child process failed (exit ${r.status ?? r.signal})`)
  return JSON.parse(r.output[3].toString())
}

/**
 * One result per case from the passes' results: the rounds of every pass,
 * in order, and the figures (ratios within each round) taken over them all.
 */
function mergePasses(passes) {
  return passes[0].map((first) => {
    const same = passes.map((suites) => suites.find((s) => s.id === first.id && s.keys === first.keys))
    const probes = same.flatMap((s) => s.probes)
    const roundsOf = (cache) => same.flatMap((s) => s.rows.find((r) => r.cache === cache).rounds)
    const base = roundsOf(BASELINE)
    const rows = first.rows.map((r) => ({
      cache: r.cache,
      ...figures(roundsOf(r.cache), base, probes),
      check: [...new Set(same.map((s) => s.rows.find((x) => x.cache === r.cache).check))].filter(Boolean).join(' ') || null,
    }))
    return { ...first, probes, probe: probeSummary(probes), rows }
  })
}

async function main() {
  const only = selection('case', CASES.map((k) => k.id))
  const size = option('size', null)
  if (size !== null) return child(Number(size), only, Number(option('rounds', ROUNDS_PER_PASS)))
  await runSuite(
    'latency',
    {
      peers: PEERS,
      title: 'moka-js latency',
      describe: [`ns/op: median over ${PASSES * ROUNDS_PER_PASS} interleaved rounds (min–max), ${ROUNDS_PER_PASS} in each of ${PASSES} child processes per size; ratio: ns/op ÷ ${BASELINE}'s in the same round`],
      partial: only !== undefined || onlyCaches !== undefined,
    },
    async () => {
      const passes = []
      for (let pass = 0; pass < PASSES; pass++) {
        const suites = []
        for (const { n, cases } of SIZES) {
          if (CASES.some((k) => (!cases || cases.includes(k.id)) && (!only || only.includes(k.id)))) suites.push(...measureSize(n))
        }
        passes.push(suites)
      }
      const suites = mergePasses(passes)
      const problems = suites.flatMap((s) => s.rows.filter((r) => r.check?.includes('UNEXPECTED')).map((r) => `${s.id}@${s.keys} ${r.cache}: ${r.check}`))
      return {
        problems,
        data: {
          method: {
            harness: 'interleaved rounds (benchmark/lib/rounds.mjs)',
            isolation: 'one child process per size and pass (node --expose-gc); the passes run one after the other',
            passes: PASSES,
            roundsPerPass: ROUNDS_PER_PASS,
            opsPerCall: OPS,
            batch: BATCH,
            rounds: PASSES * ROUNDS_PER_PASS,
            ...TIMING,
            statistic: 'per round: the median of `samples` timed batches of about `sampleMs`; reported: median and min–max over the rounds; ratios taken within each round',
            keys: 'strings `key:${i}`; misses `miss:${i}`; evicting inserts cycle 3N fresh keys `new:${i}` in shuffled order',
            values: 'numbers',
            baseline: BASELINE,
          },
          suites,
        },
      }
    },
  )
}

await main()
