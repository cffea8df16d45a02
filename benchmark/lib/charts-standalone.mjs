// Charts of the suites `npm run bench` does not run (they need Redis,
// valgrind, 1 GiB of RSS or another build): their results are committed by
// hand with `--update`, and benchmark/report.mjs draws these charts from them.
import { rangeChart, ratioPanel } from './svg.mjs'
import { ratioSpread, spread } from './rounds.mjs'

/** A single figure drawn as a range of no width (one run). */
const point = (x) => (x === null || x === undefined ? null : { median: x, min: x, max: x })

function tiered(result) {
  const reference = result.setups[0]
  return rangeChart({
    title: 'TieredCache: four processes sharing a Redis tier against one process alone',
    subtitle: `one run (no whiskers): ${result.setups[0].requests.toLocaleString('en-US')} requests, Zipf(0.9), 1 ms loader; Redis ${result.redis}; ${result.date.slice(0, 10)}`,
    series: [{ name: 'one run' }],
    panels: [
      ratioPanel(`loader calls ÷ ${reference.setup}'s`, result.setups.map((s) => s.setup), result.setups.map((s) => [point(s.loads / reference.loads)])),
      { title: 'request latency p99, ms (log scale)', rows: result.setups.map((s) => s.setup), values: result.setups.map((s) => [point(s.p99)]), log: true, unit: ' ms' },
      {
        title: 'L2 hit and invalidation, ms (log scale)',
        rows: [...result.l2Hit.flatMap((h) => [`${h.path}, p50`, `${h.path}, p99`]), 'invalidation reaching another process, p50', 'invalidation, p99'],
        values: [...result.l2Hit.flatMap((h) => [[point(h.p50)], [point(h.p99)]]), [point(result.propagation.p50)], [point(result.propagation.p99)]],
        log: true,
        unit: ' ms',
      },
    ],
  })
}

function scoped(result) {
  const [baseline, ...rows] = Object.keys(result.runs)
  const figure = (row, key) => result.runs[row].map((run) => run[key])
  return rangeChart({
    title: `What a memoized method costs per instance (${result.method.instances.toLocaleString('en-US')} instances per run)`,
    subtitle: `bar: median over ${result.method.rounds} rounds (one child process each); whisker: min–max; ${result.date.slice(0, 10)}`,
    series: rows.map((name) => ({ name })),
    panels: [
      ratioPanel(`construct and call, ns per instance ÷ ${baseline}'s in the same round`, ['time'], [rows.map((row) => ratioSpread(figure(row, 'nsPerInstance'), figure(baseline, 'nsPerInstance')))]),
      {
        title: `bytes per instance alive (${baseline}: heap ${Math.round(spread(figure(baseline, 'heapBytesPerInstance')).median)} B, RSS ${Math.round(spread(figure(baseline, 'rssBytesPerInstance')).median)} B)`,
        rows: ['V8 heap', 'RSS'],
        values: [rows.map((row) => spread(figure(row, 'heapBytesPerInstance'))), rows.map((row) => spread(figure(row, 'rssBytesPerInstance')))],
        unit: ' B',
      },
    ],
  })
}

function coreSpeed(result) {
  const names = [...new Set(result.rows.map((r) => r.contender))].filter((n) => n !== 'moka')
  const sizes = [...new Set(result.rows.map((r) => r.keys))]
  const cases = [...new Set(result.rows.map((r) => r.case))]
  return rangeChart({
    title: "The native core: ns/op ÷ moka-js's in the same round (log scale; left of 1× is faster)",
    subtitle: `bar: median over ${result.method.rounds} interleaved rounds; whisker: min–max; ${result.date.slice(0, 10)}, probe ${result.probe.verdict}`,
    sharedAxis: true,
    series: names.map((name) => ({ name })),
    panels: sizes.map((n) =>
      ratioPanel(
        `${n.toLocaleString('en-US')} keys`,
        cases,
        cases.map((c) => names.map((name) => result.rows.find((r) => r.keys === n && r.case === c && r.contender === name)?.ratio ?? null)),
      ),
    ),
  })
}

function manyCaches(result) {
  return rangeChart({
    title: 'Instructions per get hit with calls spread over several caches (callgrind)',
    subtitle: `bar: median of ${result.method.repeats} counts; whisker: min–max; machine-independent; ${result.date.slice(0, 10)}`,
    series: [{ name: 'moka-js get hit' }],
    panels: [{ title: 'instructions per get hit', rows: result.rows.map((r) => `${r.caches} cache${r.caches === 1 ? '' : 's'}`), values: result.rows.map((r) => [r.instructionsPerGet]) }],
  })
}

export const STANDALONE_CHARTS = { tiered, scoped, 'core-speed': coreSpeed, 'many-caches': manyCaches }
