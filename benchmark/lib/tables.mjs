// A result file as tables ([{ title, header, rows }]): what a suite prints at
// the end of its run and what benchmark/report.mjs puts in the README, from
// one function per suite.
import { fmt } from './common.mjs'
import { SHARED_TABLES } from './shared-reports.mjs'

const sizeLabel = (n) => `${n.toLocaleString('en-US')} keys`

function latency(result) {
  const tables = []
  const sizes = [...new Set(result.suites.map((s) => s.keys))]
  for (const n of sizes) {
    const mine = result.suites.filter((s) => s.keys === n)
    const names = [...new Set(mine.flatMap((s) => s.rows.map((r) => r.cache)))]
    const cells = (format) => mine.map((s) => [s.id, ...names.map((name) => format(s.rows.find((r) => r.cache === name)))])
    tables.push({ title: `${sizeLabel(n)}: ns/op, median (min–max) over ${result.method.rounds} rounds`, header: ['case', ...names], rows: cells((r) => r && fmt.range(r.ns, fmt.ns)) })
    tables.push({ title: `${sizeLabel(n)}: ratio to ${result.method.baseline} in the same round, median (min–max)`, header: ['case', ...names], rows: cells((r) => r && fmt.ratioRange(r.ratio)) })
  }
  return tables
}

function mokaPy(result) {
  const policies = result.method.policies
  const header = ['case', ...policies.flatMap((p) => [`moka-py ${p.py}`, `moka-js ${p.js}`, `js/py ${p.js}`])]
  const rows = result.cases.map((c) => [
    c.case,
    ...policies.flatMap((p) => {
      const m = c.policies[p.js]
      return [fmt.range(m.py, fmt.ns), fmt.range(m.js, fmt.ns), fmt.ratioRange(m.jsOverPy)]
    }),
  ])
  rows.push(['(the loop alone)', fmt.range(result.loop.py, fmt.ns), fmt.range(result.loop.js, fmt.ns), ...Array(header.length - 3).fill(null)])
  return [{ title: `ns/op, median (min–max) over ${result.method.rounds} rounds; js/py < 1: moka-js is faster`, header, rows }]
}

/** `12.34`, or `12.34 (10.86–15.06)` when the repeated replays spread by more than half a point. */
function hitCell(row, id) {
  const runs = row.runs?.[id]
  const v = fmt.pct(row.hitRatio[id])
  if (!runs || Math.max(...runs) - Math.min(...runs) <= 0.5) return v
  return `${v} (${fmt.pct(Math.min(...runs))}–${fmt.pct(Math.max(...runs))})`
}

const gap = (g) => (g === null || g === undefined ? '-' : `${Math.round(100 * g)}%`)

function hitRatio(result) {
  const ids = result.policies.map((p) => p.id)
  const batched = ids.includes('moka-tinylfu-amortized')
  // The three LRUs share a column when they agree, as the suite checks.
  const lrusAgree = !result.problems.some((p) => /moka-js lru|lru-cache/.test(p))
  const header = [
    'workload @ capacity',
    ...(lrusAgree ? ['exact LRU (= moka-js lru = lru-cache)'] : ['exact LRU', 'moka-js lru', 'lru-cache']),
    'moka-js tinyLfu, settled',
    ...(batched ? ['moka-js tinyLfu, batched maint.'] : []),
    'Bélády OPT',
    `gap closed, settled${batched ? ' / batched' : ''}`,
  ]
  const rows = result.results.flatMap((w) =>
    w.rows.map((row) => [
      `${w.name} @ ${row.capacity.toLocaleString('en-US')}`,
      ...(lrusAgree ? [fmt.pct(row.hitRatio.lru)] : ['lru', 'moka-lru', 'lru-cache'].map((id) => fmt.pct(row.hitRatio[id]))),
      hitCell(row, 'moka-tinylfu'),
      ...(batched ? [hitCell(row, 'moka-tinylfu-amortized')] : []),
      fmt.pct(row.hitRatio.opt),
      batched ? `${gap(row.gapClosed['moka-tinylfu'])} / ${gap(row.gapClosed['moka-tinylfu-amortized'])}` : gap(row.gapClosed['moka-tinylfu']),
    ]),
  )
  return [{ title: 'hit ratio (%); gap closed = (H − H_LRU) / (H_OPT − H_LRU)', header, rows }]
}

function memory(result) {
  const header = ['values', 'cache', 'heap B/entry', 'RSS B/entry', 'fill ns/entry', 'churn ns/op', 'churn GC ms', 'GC count', 'GC max ms']
  const rows = result.rows.map((r) =>
    r.error
      ? [r.values, r.cache, `FAILED: ${r.error}`, null, null, null, null, null, null]
      : [
          r.values,
          r.cache,
          fmt.range(r.heapBytesPerEntry, fmt.int),
          fmt.range(r.rssBytesPerEntry, fmt.int),
          fmt.range(r.fillNsPerEntry, fmt.int),
          fmt.range(r.churnNsPerOp, fmt.int),
          fmt.range(r.churnGcMs, fmt.int),
          fmt.range(r.gcCount, fmt.int),
          fmt.range(r.gcMaxMs, (x) => x.toFixed(1)),
        ],
  )
  return [{ title: `${result.method.entries.toLocaleString('en-US')} entries, churn of ${result.method.churnOps.toLocaleString('en-US')} operations; median (min–max) over ${result.method.rounds} rounds`, header, rows }]
}

function fetchReplay(result) {
  const runs = result.runs.filter((r) => !r.error)
  const replay = {
    title: `replay through a memoized async loader: ${result.method.requests.toLocaleString('en-US')} requests per workload, one run each`,
    header: ['workload', 'capacity', 'contender', 'backend loads', 'hit %', 'wall ms', 'p50 ms', 'p99 ms'],
    rows: runs.map((r) => [r.workload, r.capacity, r.contender, fmt.int(r.loads), r.hitRatio.toFixed(2), fmt.int(r.wallMs), r.p50Ms.toFixed(3), r.p99Ms.toFixed(3)]),
  }
  const hit = {
    title: `awaited hit: \`await f(k)\` with the result cached; median (min–max) over ${result.method.rounds} rounds`,
    header: ['contender', 'ns per awaited hit', `× ${result.method.baseline}`],
    rows: result.hitPath.map((h) => [h.contender, fmt.range(h.ns, fmt.ns), fmt.ratioRange(h.ratio)]),
  }
  return [replay, hit]
}

function cached(result) {
  return result.suites.map((s) => ({
    title: `${s.title}: ns/call, median (min–max) over ${result.method.rounds} rounds`,
    header: ['memoizer', 'ns/call', `× ${s.baseline}`],
    rows: s.rows.map((r) => [r.name, fmt.range(r.ns, fmt.ns), fmt.ratioRange(r.ratio)]),
  }))
}

const BY_SUITE = { latency, 'moka-py': mokaPy, 'hit-ratio': hitRatio, memory, 'fetch-replay': fetchReplay, cached, ...SHARED_TABLES }

/** The tables of a result file. */
export function tablesOf(result) {
  const tables = BY_SUITE[result.suite]
  if (!tables) throw new Error(`no tables for suite ${result.suite}`)
  return tables(result)
}
