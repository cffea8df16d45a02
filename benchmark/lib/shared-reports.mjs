// Tables and charts of the SharedMoka suites (shared-workers, shared-memory),
// registered with the others in lib/tables.mjs and lib/charts.mjs.
import { fmt } from './common.mjs'
import { rangeChart } from './svg.mjs'

const probeNote = (result) => `memory-latency probe: ${result.probe.verdict}`
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
    const per = (f) => port.runs.map((run, i) => run[f] / shared.runs[i][f])
    const range = (xs) => {
      const s = [...xs].sort((a, b) => a - b)
      return { median: s[s.length >> 1], min: s[0], max: s.at(-1) }
    }
    return [`W=${w}`, fmt.ratioRange(range(per('hitP50Us'))), fmt.ratioRange(range(per('hitP99Us'))), fmt.ratioRange(range(per('getP50Us')))]
  })
  return [
    {
      title: `${m.opsPerWorker.toLocaleString('en-US')} operations per worker (${m.clientsPerWorker} clients), Zipf(${m.zipf}) over ${m.keys.toLocaleString('en-US')} keys, ${m.backendMs} ms loader; median (min–max) over ${m.rounds} rounds; ${m.cpus} CPUs`,
      header: ['contender', 'loader calls (all threads)', 'ops/s', 'get p50 µs', 'get p99 µs', 'hit p50 µs', 'hit p99 µs'],
      rows,
    },
    { title: 'MessagePort ÷ SharedMoka, latency, within each round', header: ['workers', 'hit p50', 'hit p99', 'get p50'], rows: ratios },
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
    subtitle: `dot: median over ${result.method.rounds} rounds; whisker: min–max; ${probeNote(result)}`,
    series: contenders.map((name) => ({ name })),
    panels: [panel('loader calls, all threads (fewer is better)', 'loads'), panel('operations per second', 'opsPerSec'), panel('hit latency p99, µs (log scale)', 'hitP99Us', ' µs', true)],
  })
}

export const SHARED_TABLES = { 'shared-workers': sharedWorkersTables }
export const SHARED_CHARTS = { 'shared-workers': sharedWorkersChart }
