// One SVG chart per suite, drawn from its result file (lib/svg.mjs does
// the drawing): what a reader should take in at a glance.
import { SHARED_CHARTS } from './shared-reports.mjs'
import { lineCharts, rangeChart } from './svg.mjs'
import { probeNote } from './probe.mjs'


function latency(result) {
  const sizes = [...new Set(result.suites.map((s) => s.keys))]
  const names = [...new Set(result.suites.flatMap((s) => s.rows.map((r) => r.cache)))].filter((n) => n !== result.method.baseline)
  return rangeChart({
    title: `Latency: ratio to ${result.method.baseline} (log scale; left of 1× is faster)`,
    subtitle: `dot: median over ${result.method.rounds} interleaved rounds; whisker: min–max; Node ${result.node}; ${probeNote(result)}`,
    sharedAxis: true,
    series: names.map((name) => ({ name })),
    panels: sizes.map((n) => {
      const mine = result.suites.filter((s) => s.keys === n)
      return {
        title: `${n.toLocaleString('en-US')} keys`,
        rows: mine.map((s) => s.id),
        values: mine.map((s) => names.map((name) => s.rows.find((r) => r.cache === name)?.ratio ?? null)),
        log: true,
        reference: 1,
        unit: '×',
      }
    }),
  })
}

function mokaPy(result) {
  const policies = result.method.policies
  return rangeChart({
    title: 'moka-js ÷ moka-py, ns/op (log scale; left of 1× is moka-js faster)',
    subtitle: `dot: median over ${result.method.rounds} interleaved rounds; whisker: min–max; ${probeNote(result)}`,
    series: policies.map((p) => ({ name: `policy ${p.js}` })),
    panels: [
      {
        title: "moka-py's benchmark matrix",
        rows: result.cases.map((c) => c.case),
        values: result.cases.map((c) => policies.map((p) => c.policies[p.js].jsOverPy)),
        log: true,
        reference: 1,
        unit: '×',
      },
    ],
  })
}

function hitRatio(result) {
  return lineCharts({
    title: 'Hit ratio against cache size',
    subtitle: 'replay: get, and set on a miss; the three LRUs coincide when correct (drawn wide to thin)',
    series: result.policies.map((p) => ({ name: p.label, dash: p.dash, color: p.color, width: p.width, opacity: p.opacity })),
    panels: result.results.map((w) => ({
      title: `${w.name} (${w.requests.toLocaleString('en-US')} requests)`,
      x: w.rows.map((r) => r.capacity),
      values: result.policies.map((p) => w.rows.map((r) => r.hitRatio[p.id])),
    })),
  })
}

function memory(result) {
  const caches = [...new Set(result.rows.map((r) => r.cache))]
  const kinds = [...new Set(result.rows.map((r) => r.values))]
  const panel = (title, key, unit = '') => ({
    title,
    rows: kinds.map((k) => `values: ${k}`),
    values: kinds.map((k) => caches.map((c) => result.rows.find((r) => r.values === k && r.cache === c && !r.error)?.[key] ?? null)),
    unit,
  })
  return rangeChart({
    title: `Memory and GC: ${result.method.entries.toLocaleString('en-US')} entries, ${result.method.churnOps.toLocaleString('en-US')} churn operations`,
    subtitle: `dot: median over ${result.method.rounds} rounds (one child process each); whisker: min–max; ${probeNote(result)}`,
    series: caches.map((name) => ({ name })),
    panels: [
      panel('JS heap, bytes per entry', 'heapBytesPerEntry'),
      panel('RSS (native memory included), bytes per entry', 'rssBytesPerEntry'),
      panel('churn, ns per operation', 'churnNsPerOp'),
      panel('GC pauses during the churn, total ms', 'churnGcMs'),
    ],
  })
}

function fetchReplay(result) {
  const m = result.method
  const contenders = Object.keys(m.contenders)
  const places = result.results.map((w) => `${w.workload} @ ${w.capacity}`)
  const row = (w, c) => w.rows.find((r) => r.contender === c && !r.error)
  return rangeChart({
    title: `Backend calls and wall time, each cache behind a loader, against ${m.baseline} (log scale; left of 1× is better)`,
    subtitle: `dot: median over ${m.replayRounds} rounds; whisker: min–max; virtual backend: wall = cache time + calls × latency; ${probeNote(result)}`,
    series: contenders.map((name) => ({ name })),
    panels: [
      { title: `backend calls ÷ ${m.baseline}'s`, rows: places, values: result.results.map((w) => contenders.map((c) => row(w, c)?.callsVsBaseline ?? null)), log: true, reference: 1, unit: '×' },
      ...m.backendMs.map((ms, i) => ({
        title: `wall time with a ${ms} ms backend ÷ ${m.baseline}'s`,
        rows: places,
        values: result.results.map((w) => contenders.map((c) => row(w, c)?.wall[i].ratio ?? null)),
        log: true,
        reference: 1,
        unit: '×',
      })),
      {
        title: `awaited hit, ns (median and min–max over ${m.rounds} rounds)`,
        rows: ['await f(k), cached'],
        values: [contenders.map((c) => result.hitPath.rows.find((h) => h.contender === c)?.ns ?? null)],
        unit: ' ns',
      },
    ],
  })
}

function cached(result) {
  const names = [...new Set(result.suites.flatMap((s) => s.rows.map((r) => r.name)))]
  return rangeChart({
    title: 'Memoization overhead: ns per call on hits (log scale)',
    subtitle: `dot: median over ${result.method.rounds} interleaved rounds; whisker: min–max; ${probeNote(result)}`,
    series: names.map((name) => ({ name })),
    panels: [
      {
        title: 'memoized call answered from the cache',
        rows: result.suites.map((s) => s.title),
        values: result.suites.map((s) => names.map((n) => s.rows.find((r) => r.name === n)?.ns ?? null)),
        log: true,
        unit: ' ns',
      },
    ],
  })
}

const BY_SUITE = { latency, 'moka-py': mokaPy, 'hit-ratio': hitRatio, memory, 'fetch-replay': fetchReplay, cached, ...SHARED_CHARTS }

/** The SVG chart of a result file. */
export function chartOf(result) {
  if (result.suite === 'instructions') return null // its figures join the moka-py tables
  const chart = BY_SUITE[result.suite]
  if (!chart) throw new Error(`no chart for suite ${result.suite}`)
  return chart(result)
}
