// Tables and charts of the SharedMoka suites (shared-workers, shared-memory),
// registered with the others in lib/tables.mjs and lib/charts.mjs.
import { fmt } from './common.mjs'
import { rangeChart } from './svg.mjs'
import { probeCell, probeNote } from './probe.mjs'
import { ratioSpread } from './rounds.mjs'

/** The round probes of a result without per-case rounds, for a table's title. */
const probeOf = (result) => (result.probe.rounds ? `; 4 MiB probe between rounds: ${probeCell(result.probe.rounds)}` : '')

const us = (x) => (x === null || x === undefined || !Number.isFinite(x) ? null : x < 10 ? x.toFixed(1) : Math.round(x).toLocaleString('en-US'))

function sharedWorkersTables(result) {
  const m = result.method
  const rows = result.rows.map((r) => [
    `${r.contender}, W=${r.workers}`,
    fmt.range(r.loads, fmt.int),
    fmt.range(r.opsPerSec, fmt.int),
    fmt.range(r.getP50Us, us),
    fmt.range(r.getP99Us, us),
    fmt.range(r.hitP50Us, us),
    fmt.range(r.hitP99Us, us),
  ])
  // Get latency of the MessagePort design against SharedMoka, within each round.
  const ratios = m.workers.map((w) => {
    const pick = (name) => result.rows.find((r) => r.contender === name && r.workers === w)
    const [port, shared] = [pick('MessagePort'), pick('SharedMoka')]
    const per = (f) => ratioSpread(port.runs.map((run) => run[f]), shared.runs.map((run) => run[f]))
    return [`W=${w}`, fmt.ratioRange(per('hitP50Us')), fmt.ratioRange(per('hitP99Us')), fmt.ratioRange(per('getP50Us'))]
  })
  return [
    { title: `MessagePort ÷ SharedMoka, latency, within each round, median (min–max) over ${m.rounds} rounds`, header: ['workers', 'hit p50', 'hit p99', 'get p50'], rows: ratios },
    {
      title: `${m.opsPerWorker.toLocaleString('en-US')} operations per worker (${m.clientsPerWorker} clients), Zipf(${m.zipf}) over ${m.keys.toLocaleString('en-US')} keys, ${m.backendMs} ms loader; median (min–max) over ${m.rounds} rounds; ${m.cpus} CPUs${probeOf(result)}`,
      header: ['contender', 'loader calls (all threads)', 'ops/s', 'get p50 µs', 'get p99 µs', 'hit p50 µs', 'hit p99 µs'],
      rows,
    },
  ]
}

function sharedWorkersChart(result) {
  const contenders = [...new Set(result.rows.map((r) => r.contender))]
  const ws = result.method.workers
  const panel = (title, key, unit = '', log = false) => ({
    title,
    rows: ws.map((w) => `W=${w}`),
    values: ws.map((w) => contenders.map((c) => result.rows.find((r) => r.contender === c && r.workers === w)?.[key] ?? null)),
    unit,
    log,
  })
  return rangeChart({
    title: 'One cache for every worker: loader calls, throughput, hit latency',
    subtitle: `bar: median over ${result.method.rounds} rounds; whisker: min–max; ${probeNote(result)}`,
    series: contenders.map((name) => ({ name })),
    panels: [panel('loader calls, all threads (fewer is better)', 'loads'), panel('operations per second', 'opsPerSec'), panel('hit latency p99, µs (log scale)', 'hitP99Us', ' µs', true)],
  })
}

function sharedMemoryTables(result) {
  const m = result.method
  const ms = (x) => (x === null || x === undefined || !Number.isFinite(x) ? null : x.toFixed(x < 10 ? 2 : 0))
  const rows = result.rows.map((r) =>
    r.error
      ? [`${r.cache}, ${r.entries.toLocaleString('en-US')}`, `FAILED: ${r.error}`, null, null, null, null, null, null, null, null]
      : [
          `${r.cache}, ${r.entries.toLocaleString('en-US')}`,
          fmt.range(r.heapBytesPerEntry, fmt.int),
          fmt.range(r.nativeBytesPerEntry, fmt.int),
          fmt.range(r.rssBytesPerEntry, fmt.int),
          fmt.range(r.rssMB, fmt.int),
          fmt.range(r.fillNsPerEntry, fmt.int),
          fmt.range(r.churnNsPerOp, fmt.int),
          fmt.range(r.churnGc.count, fmt.int),
          fmt.range(r.churnGc.p99Ms, ms),
          fmt.range(r.churnGc.maxMs, ms),
        ],
  )
  const keys = ['heapBytesPerEntry', 'rssBytesPerEntry', 'fillNsPerEntry', 'churnNsPerOp', 'gcP99Ms']
  const ratios = result.rows.filter((r) => r.ratio)
  return [
    ...(ratios.length
      ? [
          {
            title: `each figure ÷ ${result.baseline}'s at the same size in the same round, median (min–max) over the rounds`,
            header: ['cache, entries', 'heap B/entry', 'RSS B/entry', 'fill ns/entry', 'churn ns/op', 'GC p99 ms'],
            rows: ratios.map((r) => [`${r.cache}, ${r.entries.toLocaleString('en-US')}`, ...keys.map((k) => fmt.ratioRange(r.ratio[k]))]),
          },
        ]
      : []),
    {
      title: `${m.valueBytes}-byte string values; bytes per entry from heapUsed and RSS growth (native = RSS − heap); churn of ${m.churnOps.toLocaleString('en-US')} ops (90% get, 10% set); median (min–max) over ${m.rounds} rounds up to 1M entries, one run above${probeOf(result)}`,
      header: ['cache, entries', 'heap B/entry', 'native B/entry', 'RSS B/entry', 'RSS MB', 'fill ns/entry', 'churn ns/op', 'GC pauses', 'GC p99 ms', 'GC max ms'],
      rows,
    },
  ]
}

function sharedMemoryChart(result) {
  const caches = [...new Set(result.rows.map((r) => r.cache))]
  const sizes = [...new Set(result.rows.map((r) => r.entries))]
  const panel = (title, pick, unit = '', log = false) => ({
    title,
    rows: sizes.map((n) => `${n.toLocaleString('en-US')} entries`),
    values: sizes.map((n) => caches.map((c) => {
      const row = result.rows.find((r) => r.cache === c && r.entries === n && !r.error)
      return row ? pick(row) : null
    })),
    unit,
    log,
  })
  return rangeChart({
    title: `Values off the V8 heap: ${result.method.valueBytes}-byte strings`,
    subtitle: `bar: median; whisker: min–max; ${probeNote(result)}`,
    series: caches.map((name) => ({ name })),
    panels: [
      panel('JS heap, bytes per entry', (r) => r.heapBytesPerEntry),
      panel('native (RSS − heap), bytes per entry', (r) => r.nativeBytesPerEntry),
      panel('GC pause p99 during churn, ms (log scale)', (r) => r.churnGc.p99Ms, ' ms', true),
    ],
  })
}

export const SHARED_TABLES = { 'shared-workers': sharedWorkersTables, 'shared-memory': sharedMemoryTables }
export const SHARED_CHARTS = { 'shared-workers': sharedWorkersChart, 'shared-memory': sharedMemoryChart }
