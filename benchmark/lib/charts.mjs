// One SVG chart per suite, drawn from its result file (lib/svg.mjs does
// the drawing): what a reader should take in at a glance.
import { SHARED_CHARTS } from './shared-reports.mjs'
import { lineCharts, rangeChart, ratioPanel } from './svg.mjs'
import { STANDALONE_CHARTS } from './charts-standalone.mjs'
import { probeNote } from './probe.mjs'

function latency(result) {
  const sizes = [...new Set(result.suites.map((s) => s.keys))]
  const names = [...new Set(result.suites.flatMap((s) => s.rows.map((r) => r.cache)))].filter((n) => n !== result.method.baseline)
  return rangeChart({
    title: `Latency: ratio to ${result.method.baseline} (log scale; left of 1× is faster)`,
    subtitle: `bar: median over ${result.method.rounds} interleaved rounds; whisker: min–max; Node ${result.node}; ${probeNote(result)}`,
    sharedAxis: true,
    series: names.map((name) => ({ name })),
    panels: sizes.map((n) => {
      const mine = result.suites.filter((s) => s.keys === n)
      return ratioPanel(
        `${n.toLocaleString('en-US')} keys`,
        mine.map((s) => s.id),
        mine.map((s) => names.map((name) => s.rows.find((r) => r.cache === name)?.ratio ?? null)),
      )
    }),
  })
}

function mokaPy(result) {
  const policies = result.method.policies
  return rangeChart({
    title: 'moka-js ÷ moka-py, ns/op (log scale; left of 1× is moka-js faster)',
    subtitle: `bar: median over ${result.method.rounds} interleaved rounds; whisker: min–max; ${probeNote(result)}`,
    series: policies.map((p) => ({ name: `policy ${p.js}` })),
    panels: [ratioPanel("moka-py's benchmark matrix", result.cases.map((c) => c.case), result.cases.map((c) => policies.map((p) => c.policies[p.js].jsOverPy)))],
  })
}

function hitRatio(result) {
  // Figures other simulators published (Caffeine's on OLTP) join as markers, one series per source.
  const published = [...new Set(result.results.flatMap((w) => (w.publishedPoints ?? []).map((p) => p.label)))]
  const pointsAt = (w, label) => {
    const p = w.publishedPoints?.find((x) => x.label === label)
    return w.rows.map((r) => (p && p.caps.includes(r.capacity) ? p.hitRatio[p.caps.indexOf(r.capacity)] : null))
  }
  return lineCharts({
    title: 'Hit ratio against cache size',
    subtitle: `replay: get, and set on a miss; the three LRUs coincide when correct (drawn wide to thin)${published.length ? '; diamonds: figures published by other simulators' : ''}`,
    series: [
      ...result.policies.map((p) => ({ name: p.label, dash: p.dash, color: p.color, width: p.width, opacity: p.opacity })),
      ...published.map((name, k) => ({ name, points: true, color: ['#e377c2', '#17becf', '#bcbd22'][k % 3] })),
    ],
    panels: result.results.map((w) => ({
      title: `${w.name} (${w.requests.toLocaleString('en-US')} requests)`,
      x: w.rows.map((r) => r.capacity),
      values: [...result.policies.map((p) => w.rows.map((r) => r.hitRatio[p.id])), ...published.map((label) => pointsAt(w, label))],
    })),
  })
}

function memory(result) {
  const caches = [...new Set(result.rows.map((r) => r.cache))].filter((c) => c !== result.baseline)
  const kinds = [...new Set(result.rows.map((r) => r.values))]
  const panel = (title, key) =>
    ratioPanel(
      `${title} ÷ ${result.baseline}'s`,
      kinds.map((k) => `values: ${k}`),
      kinds.map((k) => caches.map((c) => result.rows.find((r) => r.values === k && r.cache === c && !r.error)?.ratio?.[key] ?? null)),
    )
  return rangeChart({
    title: `Memory and GC: ${result.method.entries.toLocaleString('en-US')} entries, ${result.method.churnOps.toLocaleString('en-US')} churn operations, against ${result.baseline} (log scale; left of 1× is less)`,
    subtitle: `bar: median over ${result.method.rounds} rounds (one child process each) of the ratio within a round; whisker: min–max; ${probeNote(result)}`,
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
    subtitle: `bar: median over ${m.replayRounds} rounds; whisker: min–max; virtual backend: wall = cache time + calls × latency; ${probeNote(result)}`,
    series: contenders.map((name) => ({ name })),
    panels: [
      ratioPanel(`backend calls ÷ ${m.baseline}'s`, places, result.results.map((w) => contenders.map((c) => row(w, c)?.callsVsBaseline ?? null))),
      ...m.backendMs.map((ms, i) => ratioPanel(`wall time with a ${ms} ms backend ÷ ${m.baseline}'s`, places, result.results.map((w) => contenders.map((c) => row(w, c)?.wall[i].ratio ?? null)))),
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
  const names = [...new Set(result.suites.flatMap((s) => s.rows.filter((r) => r.name !== s.baseline).map((r) => r.name)))]
  return rangeChart({
    title: 'Memoization overhead on hits: ns per call ÷ the baseline\'s in the same round (log scale)',
    subtitle: `bar: median over ${result.method.rounds} interleaved rounds; whisker: min–max; baseline per panel row: ${[...new Set(result.suites.map((s) => s.baseline))].join(', ')}; ${probeNote(result)}`,
    series: names.map((name) => ({ name })),
    panels: [
      ratioPanel(
        'memoized call answered from the cache',
        result.suites.map((s) => `${s.title} (÷ ${s.baseline})`),
        result.suites.map((s) => names.map((n) => s.rows.find((r) => r.name === n)?.ratio ?? null)),
      ),
    ],
  })
}

/** Instructions per operation under callgrind, each side's runs as a range. */
function instructions(result) {
  const sides = result.method.sides
  return rangeChart({
    title: 'Instructions per operation under callgrind (machine-independent)',
    subtitle: `bar: median of ${result.method.repeats} runs; whisker: min–max; capacity ${result.method.capacity.toLocaleString('en-US')}; moka-js ÷ moka-py: ${result.rows.filter((r) => r.jsOverPy).map((r) => `${r.case} ${r.jsOverPy.toFixed(2)}×`).join(', ')}`,
    series: sides.map((name) => ({ name })),
    panels: [{ title: 'instructions per operation', rows: result.rows.map((r) => r.case), values: result.rows.map((r) => sides.map((side) => r.sides[side] ?? null)) }],
  })
}

const BY_SUITE = { latency, 'moka-py': mokaPy, 'hit-ratio': hitRatio, memory, 'fetch-replay': fetchReplay, cached, instructions, ...SHARED_CHARTS, ...STANDALONE_CHARTS }

/** Suites outside `npm run bench` whose committed result gets a chart (and no generated block). */
export const STANDALONE_SUITES = Object.keys(STANDALONE_CHARTS)

/** The SVG chart of a result file. */
export function chartOf(result) {
  const chart = BY_SUITE[result.suite]
  if (!chart) throw new Error(`no chart for suite ${result.suite}`)
  return chart(result)
}
