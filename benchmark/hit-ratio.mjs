// Hit ratio of moka-js's two policies against lru-cache, an exact LRU and
// Bélády's OPT, on the traces in benchmark/traces/ and on synthetic Zipf
// workloads. Replay: for each key, get; on a miss, set.
//
//   node benchmark/hit-ratio.mjs            every trace in full, Zipf with 500k requests
//   node benchmark/hit-ratio.mjs --quick    every trace, each cut to its first 50k requests; Zipf with 50k
//   node benchmark/hit-ratio.mjs --only=loop,gli,zipf-0.9   (a partial run)
//   node benchmark/hit-ratio.mjs --dump=DIR   writes the workloads (NAME.bin, i32 keys;
//     rows.txt, NAME and capacities) for `cargo bench --bench adaptive_replay`, and stops
//
// moka-js replays call runPendingTasks() after every request, which makes
// its LRU exact (it must equal the exact LRU to the hundredth) and its
// TinyLFU replay free of maintenance-timing effects. The full profile also
// replays TinyLFU without that call (maintenance when moka runs it itself),
// which is how an application uses the cache. moka's frequency sketch hashes
// with the cache's randomly seeded hasher, so TinyLFU figures move between
// runs (by whole points on small traces): the full profile replays TinyLFU
// (and the adaptive policy, whose builds are moka's) several times on traces
// up to REPEAT_BELOW requests and reports the median with the range.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { LRUCache } from 'lru-cache'
import { transitoryMap } from './lib/transitory.mjs'
import { Moka } from '../index.mjs'
import { QUICK, fmt, option, selection } from './lib/common.mjs'
import { spread } from './lib/rounds.mjs'
import { runSuite } from './lib/suite.mjs'
import { loadTrace, traceTable, zipf, zipfWithScans } from './lib/workloads.mjs'

/** The quick profile replays the first QUICK_REQUESTS requests of each trace. */
const QUICK_REQUESTS = 50_000
const ZIPF_REQUESTS = QUICK ? 50_000 : 500_000
const ZIPF_ITEMS = 10_000
/** TinyLFU replays are repeated (full profile) on traces up to this many requests. */
const REPEAT_BELOW = 150_000
const TINYLFU_REPEATS = QUICK ? 1 : 3
/**
 * Short traces are repeated more: on gli (6,015 requests) one seed against another moves
 * TinyLFU @ 500 by up to 3.4 points, more than the 1-point margin the adaptive rows are
 * judged by, and a median of 3 still moved by 1.4. Their replays take seconds.
 */
const SHORT_TRACE = 30_000
const SHORT_TRACE_REPEATS = QUICK ? 1 : 15

// ---------------------------------------------------------------------------
// Policies. Each returns the number of hits for `trace` at capacity `cap`.

/** Exact LRU: a Map from key to node, nodes in a doubly linked list over typed arrays. */
function exactLru(trace, cap) {
  const slotOf = new Map()
  const keys = new Int32Array(cap)
  const prev = new Int32Array(cap)
  const next = new Int32Array(cap)
  let head = -1 // most recent
  let tail = -1 // least recent
  let size = 0
  let hits = 0
  const unlink = (s) => {
    if (prev[s] >= 0) next[prev[s]] = next[s]
    else head = next[s]
    if (next[s] >= 0) prev[next[s]] = prev[s]
    else tail = prev[s]
  }
  const pushFront = (s) => {
    prev[s] = -1
    next[s] = head
    if (head >= 0) prev[head] = s
    head = s
    if (tail < 0) tail = s
  }
  for (let i = 0; i < trace.length; i++) {
    const k = trace[i]
    let s = slotOf.get(k)
    if (s !== undefined) {
      hits++
      if (s !== head) {
        unlink(s)
        pushFront(s)
      }
      continue
    }
    if (size < cap) s = size++
    else {
      s = tail
      unlink(s)
      slotOf.delete(keys[s])
    }
    keys[s] = k
    slotOf.set(k, s)
    pushFront(s)
  }
  return hits
}

/** For each request, the index of the next request for the same key (or n). */
function nextUses(trace) {
  const n = trace.length
  let maxKey = 0
  for (let i = 0; i < n; i++) if (trace[i] > maxKey) maxKey = trace[i]
  const last = new Int32Array(maxKey + 1).fill(n)
  const out = new Int32Array(n)
  for (let i = n - 1; i >= 0; i--) {
    out[i] = last[trace[i]]
    last[trace[i]] = i
  }
  return { next: out, maxKey }
}

/**
 * Bélády's OPT with bypass: on a miss with a full cache, evict the resident
 * whose next use is farthest, or do not admit the new key if its own next use
 * is at least as far. A max-heap of (next use, key) with lazy deletion.
 */
function belady(trace, cap, uses) {
  const n = trace.length
  const { next, maxKey } = uses
  const KEYS = 2 ** 21
  if (maxKey >= KEYS || n >= 2 ** 31) throw new RangeError('trace too large for the OPT encoding')
  const resident = new Uint8Array(maxKey + 1)
  const current = new Int32Array(maxKey + 1)
  const heap = new Float64Array(n + 1)
  let hn = 0
  const push = (v) => {
    let i = hn++
    while (i > 0) {
      const p = (i - 1) >> 1
      if (heap[p] >= v) break
      heap[i] = heap[p]
      i = p
    }
    heap[i] = v
  }
  const pop = () => {
    const last = heap[--hn]
    let i = 0
    for (;;) {
      let c = 2 * i + 1
      if (c >= hn) break
      if (c + 1 < hn && heap[c + 1] > heap[c]) c++
      if (heap[c] <= last) break
      heap[i] = heap[c]
      i = c
    }
    heap[i] = last
  }
  let size = 0
  let hits = 0
  for (let i = 0; i < n; i++) {
    const k = trace[i]
    const nu = next[i]
    if (resident[k]) {
      hits++
      current[k] = nu
      push(nu * KEYS + k)
      continue
    }
    if (size < cap) {
      resident[k] = 1
      current[k] = nu
      push(nu * KEYS + k)
      size++
      continue
    }
    let top
    let topKey
    let topNext
    for (;;) {
      top = heap[0]
      topKey = top % KEYS
      topNext = (top - topKey) / KEYS
      if (resident[topKey] && current[topKey] === topNext) break
      pop()
    }
    if (nu >= topNext) continue // bypass
    pop()
    resident[topKey] = 0
    resident[k] = 1
    current[k] = nu
    push(nu * KEYS + k)
  }
  return hits
}

/** Hits of `c` (a cache with `get` and `set`, empty) over `trace`: get, and set on a miss. Not timed, so one loop serves every cache. */
function replayThrough(c, trace) {
  let hits = 0
  for (let i = 0; i < trace.length; i++) {
    const k = trace[i]
    if (c.get(k) !== undefined) hits++
    else c.set(k, 1)
  }
  return hits
}

function lruCacheReplay(trace, cap) {
  return replayThrough(new LRUCache({ max: cap }), trace)
}

/** transitory (a W-TinyLFU in JS), through the suites' Map-like wrapper; it may hold a few entries over `cap` until it evicts. */
function transitoryReplay(trace, cap) {
  return replayThrough(transitoryMap(cap), trace)
}

function mokaReplay(policy, settleEveryRequest) {
  return (trace, cap) => {
    const c = new Moka({ maxCapacity: cap, policy })
    let hits = 0
    for (let i = 0; i < trace.length; i++) {
      const k = trace[i]
      if (c.get(k) !== undefined) hits++
      else c.set(k, 1)
      if (settleEveryRequest) c.runPendingTasks()
    }
    const stats = c.stats()
    if (stats.hits !== hits) throw new Error(`moka-js stats disagree: ${stats.hits} hits counted natively, ${hits} seen`)
    return hits
  }
}

const POLICIES = [
  { id: 'moka-tinylfu', label: 'moka-js tinyLfu', run: mokaReplay('tinyLfu', true), randomized: true },
  ...(QUICK ? [] : [{ id: 'moka-tinylfu-amortized', label: 'moka-js tinyLfu, batched maint.', run: mokaReplay('tinyLfu', false), dash: '6 3', randomized: true }]),
  // The three LRUs coincide when correct: drawn wide-to-thin so all stay visible.
  { id: 'moka-lru', label: 'moka-js lru', run: mokaReplay('lru', true), width: 7, opacity: 0.45 },
  // Its builds are moka's, seeded at random as TinyLFU's: repeated as TinyLFU is.
  { id: 'moka-adaptive', label: 'moka-js adaptive', run: mokaReplay('adaptive', true), dash: '9 3', randomized: true },
  { id: 'lru-cache', label: 'lru-cache', run: lruCacheReplay, dash: '7 4', width: 3 },
  { id: 'transitory', label: 'transitory (W-TinyLFU)', run: transitoryReplay, color: '#ff7f0e', randomized: true },
  { id: 'lru', label: 'exact LRU', run: exactLru, dash: '2 2', width: 1.5 },
  { id: 'opt', label: 'Bélády OPT (bypass)', run: belady, color: '#222222' },
]


const pct = (hits, n) => (100 * hits) / n
const r2 = (x) => Math.round(x * 100) / 100
const gapShare = (h, lru, opt) => (Math.abs(opt - lru) < 1e-9 ? null : r2((h - lru) / (opt - lru)))

function replay(workload, trace, caps) {
  const uses = nextUses(trace)
  const rows = []
  const t0 = performance.now()
  for (const [i, cap] of caps.entries()) {
    const row = { capacity: cap, hitRatio: {} }
    for (const p of POLICIES) {
      // TinyLFU's sketch is seeded randomly per cache (transitory's eviction draws Math.random()): repeat it where cheap.
      const repeats = !p.randomized ? 1 : trace.length <= SHORT_TRACE ? SHORT_TRACE_REPEATS : trace.length <= REPEAT_BELOW ? TINYLFU_REPEATS : 1
      const runs = []
      for (let r = 0; r < repeats; r++) runs.push(r2(pct(p.id === 'opt' ? belady(trace, cap, uses) : p.run(trace, cap), trace.length)))
      row.hitRatio[p.id] = r2(spread(runs).median)
      if (repeats > 1) (row.runs ??= {})[p.id] = runs
    }
    row.gapClosed = {}
    for (const p of POLICIES) if (p.id.startsWith('moka-tinylfu')) row.gapClosed[p.id] = gapShare(row.hitRatio[p.id], row.hitRatio.lru, row.hitRatio.opt)
    if (workload.reference) row.reference = { lru: workload.reference.lru[i], opt: workload.reference.opt[i] }
    rows.push(row)
    const h = row.hitRatio
    console.log(`${workload.name} @ ${cap.toLocaleString('en-US')}: ${POLICIES.map((p) => `${p.label} ${fmt.pct(h[p.id])}`).join(', ')} (${((performance.now() - t0) / 1000).toFixed(1)} s)`)
  }
  return { rows, seconds: +((performance.now() - t0) / 1000).toFixed(1) }
}

function checks(result) {
  const problems = []
  let matchedReference = 0
  for (const row of result.rows) {
    const at = `${result.name}@${row.capacity}`
    const h = row.hitRatio
    if (h['moka-lru'].toFixed(2) !== h.lru.toFixed(2)) problems.push(`${at}: moka-js lru ${h['moka-lru'].toFixed(2)} ≠ exact LRU ${h.lru.toFixed(2)}`)
    if (h['lru-cache'].toFixed(2) !== h.lru.toFixed(2)) problems.push(`${at}: lru-cache ${h['lru-cache'].toFixed(2)} ≠ exact LRU ${h.lru.toFixed(2)}`)
    for (const p of POLICIES) if (h[p.id] > h.opt + 1e-9) problems.push(`${at}: ${p.label} ${h[p.id]} above OPT ${h.opt}`)
    if (row.reference) {
      if (h.lru.toFixed(2) !== row.reference.lru.toFixed(2)) problems.push(`${at}: exact LRU ${h.lru.toFixed(2)} ≠ traces README ${row.reference.lru.toFixed(2)}`)
      else if (h.opt.toFixed(2) !== row.reference.opt.toFixed(2)) problems.push(`${at}: OPT ${h.opt.toFixed(2)} ≠ traces README ${row.reference.opt.toFixed(2)}`)
      else matchedReference++
    }
  }
  return { problems, matchedReference }
}

/**
 * Hit ratios other simulators published for a workload, drawn as points on
 * its chart: Caffeine's (W-TinyLFU with its adaptive window) on OLTP, the
 * reference an adaptive policy has to beat.
 */
const PUBLISHED_POINTS = {
  oltp: [{ label: 'Caffeine (published)', source: 'Caffeine (adaptive W-TinyLFU), its published figures for the ARC OLTP trace', caps: [250, 1000, 2000], hitRatio: [24.73, 39.95, 46.07] }],
}

/** The workloads, in order: every trace of benchmark/traces/README.md, then the Zipf streams. */
function workloads() {
  const traces = traceTable().map((t) => ({
    name: t.name,
    kind: 'trace',
    caps: t.caps,
    load() {
      const full = loadTrace(t.name)
      if (!QUICK || full.length <= QUICK_REQUESTS) {
        this.reference = t
        return { trace: full, description: `${full.length.toLocaleString('en-US')} requests` }
      }
      // A prefix has no reference figures: LRU and OPT are computed on it.
      return { trace: full.subarray(0, QUICK_REQUESTS), description: `first ${QUICK_REQUESTS.toLocaleString('en-US')} of ${full.length.toLocaleString('en-US')} requests` }
    },
  }))
  const synthetic = (name, description, make, published = null) => ({
    name,
    kind: 'synthetic',
    caps: [ZIPF_ITEMS / 100, ZIPF_ITEMS / 10],
    published,
    load: () => ({ trace: make(), description: `${description}; ${ZIPF_REQUESTS.toLocaleString('en-US')} requests` }),
  })
  const items = `${ZIPF_ITEMS.toLocaleString('en-US')} items`
  return [
    ...traces,
    synthetic('zipf-0.9', `Zipf(0.9) over ${items}`, () => zipf(0.9, ZIPF_ITEMS, ZIPF_REQUESTS, 42), { caps: [100, 1000], tinyLfu: [38.0, 64.1], lru: [26.1, 55.6] }),
    synthetic('zipf-1.0', `Zipf(1.0) over ${items}`, () => zipf(1.0, ZIPF_ITEMS, ZIPF_REQUESTS, 43)),
    synthetic('phases', `a loop over 1,100 keys, then bursts of 4 reads per key, then Zipf(0.9) over ${items}`, () => phases(46)),
    synthetic('zipf-0.9-scan', `Zipf(0.9) over ${items}, a scan of 2,000 one-time keys every 10,000 requests`, () => zipfWithScans(0.9, ZIPF_ITEMS, ZIPF_REQUESTS, 10_000, 2_000, 44)),
  ]
}

/**
 * A workload in three phases of equal length: a loop over 1,100 keys (only
 * frequency pays), bursts (each new key read 4 times within 200 requests,
 * then never again: only recency pays), then Zipf(0.9) over ZIPF_ITEMS.
 */
function phases(seed) {
  const n = Math.floor(ZIPF_REQUESTS / 3)
  const out = new Int32Array(3 * n)
  for (let i = 0; i < n; i++) out[i] = i % 1100
  for (let i = 0; i < n; i++) out[n + i] = 2000 + (i % 50) + Math.floor(i / 200) * 50
  out.set(zipf(0.9, ZIPF_ITEMS, n, seed).map((k) => k + 2000 + n), 2 * n)
  return out
}

/** Writes the workloads for the Rust replay of the same rows (benches/adaptive_replay.rs). */
function dump(dir, all, only) {
  mkdirSync(dir, { recursive: true })
  const rows = []
  for (const w of all) {
    if (only && !only.includes(w.name)) continue
    const { trace } = w.load()
    writeFileSync(join(dir, `${w.name}.bin`), new Uint8Array(trace.buffer, trace.byteOffset, trace.byteLength))
    rows.push(`${w.name} ${w.caps.join(',')}\n`)
  }
  writeFileSync(join(dir, 'rows.txt'), rows.join(''))
  console.log(`${rows.length} workloads written to ${dir}`)
}

async function main() {
  const all = workloads()
  const only = selection('only', all.map((w) => w.name))
  const dumpDir = option('dump', null)
  if (dumpDir) return dump(dumpDir, all, only)
  await runSuite(
    'hit-ratio',
    {
      peers: ['lru-cache'],
      title: 'moka-js hit ratio',
      describe: ['hit ratio in %; gap closed = (H − H_LRU) / (H_OPT − H_LRU); one line per workload and capacity as it completes'],
      partial: only !== undefined,
    },
    async () => {
      const results = []
      for (const w of all) {
        if (only && !only.includes(w.name)) continue
        const { trace, description } = w.load()
        console.log(`${w.name}: ${description}`)
        const { rows, seconds } = replay(w, trace, w.caps)
        const result = { name: w.name, kind: w.kind, description, requests: trace.length, unique: new Set(trace).size, published: w.published ?? null, publishedPoints: PUBLISHED_POINTS[w.name] ?? [], rows, seconds }
        Object.assign(result, checks(result))
        if (result.problems.length) console.log(`${w.name}: MISMATCHES\n  ${result.problems.join('\n  ')}`)
        results.push(result)
      }
      const matched = results.reduce((n, r) => n + r.matchedReference, 0)
      console.log(`exact LRU and OPT equal the traces README's reference at ${matched} trace/capacity points${QUICK ? ' (quick: only traces replayed in full are compared)' : ''}`)
      return {
        problems: results.flatMap((r) => r.problems),
        data: {
          method: {
            replay: 'get; on a miss, set (value 1); integer keys',
            traces: QUICK ? `each trace's first ${QUICK_REQUESTS.toLocaleString('en-US')} requests (whole when shorter)` : 'every trace in full',
            mokaMaintenance: 'runPendingTasks() after every request, except "moka-tinylfu-amortized" (full profile) which leaves maintenance to moka',
            tinyLfuRepeats: TINYLFU_REPEATS > 1 ? `TinyLFU, adaptive and transitory: median of ${SHORT_TRACE_REPEATS} replays on traces up to ${SHORT_TRACE.toLocaleString('en-US')} requests, of ${TINYLFU_REPEATS} up to ${REPEAT_BELOW.toLocaleString('en-US')} (each cache seeds its hasher randomly); one replay on larger ones` : 'one replay',
            opt: 'Bélády with bypass: evict the resident whose next use is farthest, or skip admitting the new key when its next use is at least as far',
            exactLru: 'Map key → node, doubly linked list over typed arrays',
            gapClosed: '(H − H_LRU) / (H_OPT − H_LRU), H_LRU and H_OPT from this run; null where OPT equals LRU',
            zipf: { items: ZIPF_ITEMS, requests: ZIPF_REQUESTS, prng: 'mulberry32, seeded' },
          },
          policies: POLICIES.map(({ id, label, dash, color, width, opacity }) => ({ id, label, dash, color, width, opacity })),
          results,
        },
      }
    },
  )
}

await main()
