// Hit ratio of moka-js's two policies against lru-cache, an exact LRU and
// Bélády's OPT, on the traces in ../shared/traces and on synthetic Zipf
// workloads. Replay: for each key, get; on a miss, set.
//
//   node benchmark/hit-ratio.mjs            every trace, Zipf with 500k requests
//   node benchmark/hit-ratio.mjs --quick    skips the three largest traces (scarab, oltp, loop); Zipf with 200k requests
//   node benchmark/hit-ratio.mjs --traces=DIR --only=loop,gli
//
// moka-js replays call runPendingTasks() after every request, which makes
// its LRU exact (it must equal the exact LRU to the hundredth) and its
// TinyLFU replay free of maintenance-timing effects. The full profile also
// replays TinyLFU without that call (maintenance when moka runs it itself),
// which is how an application uses the cache. moka's frequency sketch hashes
// with the cache's randomly seeded hasher, so TinyLFU figures move between
// runs (by whole points on small traces): on traces up to REPEAT_BELOW
// requests TinyLFU is replayed several times and the median reported, with
// the range.
import { existsSync, readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { LRUCache } from 'lru-cache'
import { Moka } from '../index.mjs'
import { QUICK, RESULTS_DIR, ROOT, environment, fmt, markdownTable, option, printTable, writeResult } from './lib/common.mjs'
import { lineChart } from './lib/svg.mjs'
import { loadTrace, zipf } from './lib/workloads.mjs'

const TRACE_DIR = option('traces', join(ROOT, '..', 'shared', 'traces'))
const ONLY = option('only', null)?.split(',')
// Traces the quick profile leaves out (the three with the most requests).
const LARGE = new Set(['oltp', 'scarab', 'loop'])
const ZIPF_REQUESTS = QUICK ? 200_000 : 500_000
const ZIPF_ITEMS = 10_000

// ---------------------------------------------------------------------------
// Workloads


/** The reference table of the traces README: { trace: { caps, lru, opt } }. */
function loadReference() {
  const file = join(TRACE_DIR, 'README.md')
  if (!existsSync(file)) return {}
  const ref = {}
  const section = readFileSync(file, 'utf8').split('## Reference hit ratios')[1] ?? ''
  for (const line of section.split('\n')) {
    const cells = line.split('|').map((c) => c.trim())
    if (cells.length < 6 || !/^[a-z0-9]+$/.test(cells[1]) || cells[1] === 'trace') continue
    const caps = cells[2].split('/').map((c) => Number(c.trim()))
    const values = (cell) => {
      const every = cell.match(/^([\d.]+) at every size$/)
      if (every) return caps.map(() => Number(every[1]))
      return cell.split('/').map((c) => Number(c.trim()))
    }
    ref[cells[1]] = { caps, lru: values(cells[3]), opt: values(cells[4]) }
  }
  return ref
}


/**
 * Zipf traffic interrupted by scans: after every `every` Zipf requests, a run
 * of `scan` keys that are never requested again (a batch job, a crawler).
 */
function zipfWithScans(s, items, requests, every, scan, seed) {
  const base = zipf(s, items, requests, seed)
  const out = new Int32Array(requests)
  let next = items
  let b = 0
  for (let r = 0; r < requests; ) {
    for (let i = 0; i < every && r < requests; i++) out[r++] = base[b++]
    for (let i = 0; i < scan && r < requests; i++) out[r++] = next++
  }
  return out
}

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

function lruCacheReplay(trace, cap) {
  const c = new LRUCache({ max: cap })
  let hits = 0
  for (let i = 0; i < trace.length; i++) {
    const k = trace[i]
    if (c.get(k) !== undefined) hits++
    else c.set(k, 1)
  }
  return hits
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
  { id: 'moka-tinylfu', label: 'moka-js tinyLfu', run: mokaReplay('tinyLfu', true) },
  ...(QUICK ? [] : [{ id: 'moka-tinylfu-amortized', label: 'moka-js tinyLfu, batched maint.', run: mokaReplay('tinyLfu', false), dash: '6 3' }]),
  // The three LRUs coincide when correct: drawn wide-to-thin so all stay visible.
  { id: 'moka-lru', label: 'moka-js lru', run: mokaReplay('lru', true), width: 7, opacity: 0.45 },
  { id: 'lru-cache', label: 'lru-cache', run: lruCacheReplay, dash: '7 4', width: 3 },
  { id: 'lru', label: 'exact LRU', run: exactLru, dash: '2 2', width: 1.5 },
  { id: 'opt', label: 'Bélády OPT (bypass)', run: belady, color: '#222222' },
]

// ---------------------------------------------------------------------------

/** TinyLFU replays are repeated on traces up to this many requests; the median is reported. */
const REPEAT_BELOW = 150_000
const TINYLFU_REPEATS = 3
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : r2((s[m - 1] + s[m]) / 2)
}
const pct = (hits, n) => (100 * hits) / n
const r2 = (x) => Math.round(x * 100) / 100
const gapShare = (h, lru, opt) => (Math.abs(opt - lru) < 1e-9 ? null : (h - lru) / (opt - lru))

function replay(name, trace, caps, reference) {
  const uses = nextUses(trace)
  const rows = []
  const seconds = {}
  const t0 = performance.now()
  for (const cap of caps) {
    const row = { capacity: cap, hitRatio: {} }
    for (const p of POLICIES) {
      const t = performance.now()
      // TinyLFU's sketch is seeded randomly per cache: repeat it where cheap.
      const repeats = p.id.startsWith('moka-tinylfu') ? (trace.length <= REPEAT_BELOW ? TINYLFU_REPEATS : 1) : 1
      const runs = []
      for (let r = 0; r < repeats; r++) runs.push(r2(pct(p.id === 'opt' ? belady(trace, cap, uses) : p.run(trace, cap), trace.length)))
      seconds[p.id] = (seconds[p.id] ?? 0) + (performance.now() - t) / 1000
      row.hitRatio[p.id] = median(runs)
      if (repeats > 1) (row.runs ??= {})[p.id] = runs
    }
    const { lru, opt } = row.hitRatio
    row.gapClosed = {}
    for (const p of POLICIES) if (p.id.startsWith('moka-tinylfu')) row.gapClosed[p.id] = gapShare(row.hitRatio[p.id], lru, opt)
    const ri = reference?.caps.indexOf(cap) ?? -1
    if (ri >= 0) row.reference = { lru: reference.lru[ri], opt: reference.opt[ri] }
    rows.push(row)
  }
  return { name, requests: trace.length, unique: uses.maxKey + 1, rows, seconds: Object.fromEntries(Object.entries(seconds).map(([k, v]) => [k, +v.toFixed(2)])), totalSeconds: +((performance.now() - t0) / 1000).toFixed(1) }
}

function checks(result) {
  const problems = []
  const notes = []
  for (const row of result.rows) {
    const at = `${result.name}@${row.capacity}`
    const h = row.hitRatio
    if (h['moka-lru'].toFixed(2) !== h.lru.toFixed(2)) problems.push(`${at}: moka-js lru ${h['moka-lru'].toFixed(2)} ≠ exact LRU ${h.lru.toFixed(2)}`)
    if (h['lru-cache'].toFixed(2) !== h.lru.toFixed(2)) problems.push(`${at}: lru-cache ${h['lru-cache'].toFixed(2)} ≠ exact LRU ${h.lru.toFixed(2)}`)
    for (const p of POLICIES) if (h[p.id] > h.opt + 1e-9) problems.push(`${at}: ${p.label} ${h[p.id]} above OPT ${h.opt}`)
    if (row.reference) {
      if (h.lru.toFixed(2) !== row.reference.lru.toFixed(2)) problems.push(`${at}: exact LRU ${h.lru.toFixed(2)} ≠ README ${row.reference.lru.toFixed(2)}`)
      if (h.opt.toFixed(2) !== row.reference.opt.toFixed(2)) problems.push(`${at}: OPT ${h.opt.toFixed(2)} ≠ README ${row.reference.opt.toFixed(2)}`)
      else notes.push(at)
    }
  }
  return { problems, matchedReference: notes }
}

function printResult(result) {
  const header = ['capacity', ...POLICIES.map((p) => p.label), 'tinyLfu gap closed', ...(QUICK ? [] : ['batched gap']), 'tinyLfu runs min–max', 'README LRU / OPT']
  const rows = result.rows.map((row) => [
    row.capacity,
    ...POLICIES.map((p) => fmt.pct(row.hitRatio[p.id])),
    row.gapClosed['moka-tinylfu'] === null ? '-' : `${(100 * row.gapClosed['moka-tinylfu']).toFixed(1)}%`,
    ...(QUICK ? [] : [row.gapClosed['moka-tinylfu-amortized'] === null ? '-' : `${(100 * row.gapClosed['moka-tinylfu-amortized']).toFixed(1)}%`]),
    row.runs?.['moka-tinylfu'] ? `${Math.min(...row.runs['moka-tinylfu']).toFixed(2)}–${Math.max(...row.runs['moka-tinylfu']).toFixed(2)} (${row.runs['moka-tinylfu'].length})` : 'one run',
    row.reference ? `${row.reference.lru.toFixed(2)} / ${row.reference.opt.toFixed(2)}` : null,
  ])
  printTable(header, rows, `${result.name} — ${result.requests.toLocaleString('en-US')} requests, ${result.unique.toLocaleString('en-US')} keys (${result.totalSeconds}s)`)
  return markdownTable(header, rows)
}

function chart(result, subtitle) {
  const svg = lineChart({
    title: `Hit ratio — ${result.name}`,
    subtitle,
    x: result.rows.map((r) => r.capacity),
    series: POLICIES.map((p) => ({ name: p.label, values: result.rows.map((r) => r.hitRatio[p.id]), dash: p.dash, color: p.color, width: p.width, opacity: p.opacity })),
  })
  mkdirSync(RESULTS_DIR, { recursive: true })
  const file = join(RESULTS_DIR, `hit-ratio-${result.name}${QUICK ? '.quick' : ''}.svg`)
  writeFileSync(file, svg)
  return file
}

async function main() {
  const env = environment(['lru-cache'])
  console.log(`moka-js hit ratio — ${env.profile} profile — node ${env.node}, moka ${env.versions.moka}`)
  console.log(`hit ratio in %; gap closed = (H − H_LRU) / (H_OPT − H_LRU); traces from ${TRACE_DIR}`)
  const reference = loadReference()
  const results = []
  const skipped = []
  const markdown = []

  const traceFiles = existsSync(TRACE_DIR) ? readdirSync(TRACE_DIR).filter((f) => f.endsWith('.trace.gz')) : []
  if (traceFiles.length === 0) skipped.push(`no traces found in ${TRACE_DIR}`)
  const order = Object.keys(reference)
  traceFiles.sort((a, b) => ((order.indexOf(a.split('.')[0]) + 1 || 99) - (order.indexOf(b.split('.')[0]) + 1 || 99)))
  for (const file of traceFiles) {
    const name = file.replace('.trace.gz', '')
    if (ONLY && !ONLY.includes(name)) continue
    if (QUICK && LARGE.has(name)) {
      skipped.push(`${name} (large; full profile only)`)
      continue
    }
    const ref = reference[name]
    const caps = ref?.caps ?? [256, 1024, 4096]
    const trace = loadTrace(join(TRACE_DIR, file))
    const result = replay(name, trace, caps, ref)
    Object.assign(result, { kind: 'trace' }, checks(result))
    markdown.push(`#### ${name}\n\n${printResult(result)}`)
    result.svg = chart(result, `${result.requests.toLocaleString('en-US')} requests, ${result.unique.toLocaleString('en-US')} keys`)
    results.push(result)
  }

  const synthetic = [
    { name: 'zipf-0.9', make: () => zipf(0.9, ZIPF_ITEMS, ZIPF_REQUESTS, 42), published: { caps: [100, 1000], tinyLfu: [38.0, 64.1], lru: [26.1, 55.6] } },
    { name: 'zipf-1.0', make: () => zipf(1.0, ZIPF_ITEMS, ZIPF_REQUESTS, 43) },
    { name: 'zipf-0.9-scan', make: () => zipfWithScans(0.9, ZIPF_ITEMS, ZIPF_REQUESTS, 10_000, 2_000, 44), describe: 'every 10,000 Zipf(0.9) requests, a scan of 2,000 one-time keys' },
  ]
  for (const w of synthetic) {
    if (ONLY && !ONLY.includes(w.name)) continue
    const trace = w.make()
    const caps = [ZIPF_ITEMS / 100, ZIPF_ITEMS / 10]
    const result = replay(w.name, trace, caps, null)
    Object.assign(result, { kind: 'synthetic', description: w.describe ?? `Zipf over ${ZIPF_ITEMS.toLocaleString('en-US')} items, seeded`, published: w.published ?? null }, checks(result))
    markdown.push(`#### ${w.name} (${result.description}; caches at 1% and 10% of ${ZIPF_ITEMS.toLocaleString('en-US')} items)\n\n${printResult(result)}`)
    if (w.published) {
      console.log(`published (other harnesses): moka TinyLFU ${w.published.tinyLfu.join(' / ')}, LRU ${w.published.lru.join(' / ')} at ${w.published.caps.join(' / ')}`)
    }
    result.svg = chart(result, `${result.description}; ${result.requests.toLocaleString('en-US')} requests`)
    results.push(result)
  }

  const problems = results.flatMap((r) => r.problems)
  const oltp = results.find((r) => r.name === 'oltp')?.rows.find((r) => r.capacity === 1000)
  console.log('\nChecks')
  if (oltp) console.log(`  oltp@1000: moka-js lru ${oltp.hitRatio['moka-lru'].toFixed(2)}, exact LRU ${oltp.hitRatio.lru.toFixed(2)}, expected 32.83 → ${oltp.hitRatio['moka-lru'].toFixed(2) === '32.83' ? 'OK' : 'MISMATCH'}`)
  const matched = results.flatMap((r) => r.matchedReference)
  console.log(`  exact LRU and OPT equal the README reference at ${matched.length} trace/capacity points`)
  console.log(`  moka-js lru and lru-cache equal exact LRU everywhere: ${problems.some((p) => /moka-js lru|lru-cache/.test(p)) ? 'NO' : 'yes'}`)
  console.log(problems.length ? `  MISMATCHES:\n    ${problems.join('\n    ')}` : '  no mismatches')
  if (skipped.length) console.log(`  skipped: ${skipped.join('; ')}`)
  for (const r of results) console.log(`  chart: ${r.svg}`)

  writeResult('hit-ratio', {
    suite: 'hit-ratio',
    ...env,
    method: {
      replay: 'get; on a miss, set (value 1); integer keys',
      mokaMaintenance: 'runPendingTasks() after every request, except "moka-tinylfu-amortized" (full profile) which leaves maintenance to moka',
      tinyLfuRepeats: `median of ${TINYLFU_REPEATS} replays on traces up to ${REPEAT_BELOW} requests (each cache seeds its hasher randomly); one replay on larger ones`,
      opt: "Bélády with bypass: evict the resident whose next use is farthest, or skip admitting the new key when its next use is at least as far",
      exactLru: 'Map key → node, doubly linked list over typed arrays',
      gapClosed: '(H − H_LRU) / (H_OPT − H_LRU), H_LRU and H_OPT from this run; null where OPT equals LRU',
      zipf: { items: ZIPF_ITEMS, requests: ZIPF_REQUESTS, prng: 'mulberry32, seeded' },
    },
    policies: POLICIES.map(({ id, label }) => ({ id, label })),
    results: results.map(({ svg, ...r }) => ({ ...r, svg: svg.slice(ROOT.length + 1) })),
    skipped,
    problems,
    markdown: markdown.join('\n\n'),
  }, { partial: ONLY !== undefined && ONLY !== null })
  if (problems.length) process.exitCode = 1
}

await main()
