// The generated benchmark blocks (README.md and docs/*.md), as lists of parts (a paragraph,
// or a table { title, header, rows }), from the reference result files.
import { fmt } from './common.mjs'
import { probeCell } from './probe.mjs'
import { tablesOf } from './tables.mjs'

const when = (r) => `${r.date.slice(0, 16).replace('T', ' ')} UTC, commit ${r.build?.commit ?? '?'}`
const probeCells = (p) => `${p.loads.map((l) => l.nsPerLoad).join(' / ')} → ${p.verdict}`
const chart = (r, alt) => `![${alt}](${r.chart})`

function machine(results) {
  const any = Object.values(results)[0]
  const m = any.machine
  const facts = (m.lscpu ?? []).filter((l) => /^(L2|L3|Hypervisor)/.test(l)).join('; ')
  const versions = Object.entries(Object.assign({}, ...Object.values(results).map((r) => r.versions))).map(([k, v]) => `${k} ${v}`)
  const py = results['moka-py']?.python
  return [
    `${m.cpus} vCPUs (${m.model}; ${facts}), ${m.totalMemoryGiB} GiB RAM, ${m.platform}; Node ${any.node} (V8 ${any.v8}); ${versions.join(', ')}${py ? `; moka-py ${py.mokaPy} on ${py.implementation} ${py.python}` : ''}.`,
    {
      header: ['suite', 'measured', 'load average at start', 'probe at start: ns per load, 256 KiB / 4 MiB / 64 MiB', 'probe at end', '4 MiB probe between rounds'],
      rows: Object.values(results).map((r) => [r.suite, when(r), r.machine.loadavg.join(' '), probeCells(r.probe.start), probeCells(r.probe.end), r.probe.rounds ? probeCell(r.probe.rounds) : r.timed ? 'per case, in its tables' : '-']),
    },
  ]
}

const find = (r, id, keys) => r?.suites.find((s) => s.id === id && s.keys === keys)
const ratioOf = (r, id, keys, cache) => find(r, id, keys)?.rows.find((x) => x.cache === cache)?.ratio

/** min–max of the medians of a list of spreads. */
const acrossMedians = (spreads) => {
  const m = spreads.filter(Boolean).map((s) => s.median)
  return m.length ? `${fmt.ratio(Math.min(...m))}–${fmt.ratio(Math.max(...m))}` : null
}

const MOKA = 'moka-js tinyLfu'
const signed = (x) => `${x > 0 ? '+' : x < 0 ? '−' : '±'}${Math.abs(x).toFixed(1)}`

/** Speed, per case: moka-js (tinyLfu) ÷ lru-cache within a round, at each size, and ÷ moka-py. */
function speed(results) {
  const parts = []
  const lat = results.latency
  if (lat) {
    const sizes = [...new Set(lat.suites.map((s) => s.keys))]
    const ids = [...new Set(lat.suites.map((s) => s.id))]
    parts.push({
      title: `Speed: ${MOKA} ÷ ${lat.method.baseline}, ns/op in the same round, median (min–max) over ${lat.method.rounds} rounds; < 1: moka-js is faster`,
      header: ['case', ...sizes.map((n) => `${n.toLocaleString('en-US')} keys`)],
      rows: ids.map((id) => [id, ...sizes.map((n) => fmt.ratioRange(ratioOf(lat, id, n, MOKA)))]),
    })
  }
  const py = results['moka-py']
  if (py) {
    const pick = (re) => py.cases.filter((c) => re.test(c.case)).flatMap((c) => Object.values(c.policies).map((m) => m.jsOverPy))
    parts.push({
      title: 'moka-js ÷ moka-py (the same Rust crate bound to Python): ns/op in the same round, and instructions under callgrind; the range of the per-case medians',
      header: ['operations', 'moka-js ÷ moka-py'],
      rows: [
        ['reads: get, get_with hit', acrossMedians(pick(/^get_(hit|miss)|^get_with_hit/))],
        ['writes: set, remove hit, get_with miss', acrossMedians(pick(/^set_|^remove_hit|^get_with_miss/))],
        ...(results.instructions ? [[`instructions per operation under callgrind (${results.instructions.rows.map((r) => r.case).join(', ')})`, acrossMedians(results.instructions.rows.map((r) => r.jsOverPy && { median: r.jsOverPy }))]] : []),
      ],
    })
  }
  return parts
}

/**
 * What the cache saves, per workload: hit ratio against exact LRU (the
 * whole trace, hit-ratio suite), and backend calls and wall time with a 1 ms
 * backend against lru-cache's fetch (fetch-replay), at the capacities the
 * fetch-replay suite replays, ` / `-separated.
 */
function saved(results) {
  const hit = results['hit-ratio']
  const fetch = results['fetch-replay']
  if (!hit && !fetch) return []
  const names = fetch ? [...new Set(fetch.results.map((w) => w.workload))] : hit.results.map((w) => w.name)
  const capsOf = (name) => (fetch ? fetch.results.filter((w) => w.workload === name).map((w) => w.capacity) : hit.results.find((w) => w.name === name).rows.map((r) => r.capacity))
  const rows = names.map((name) => {
    const caps = capsOf(name)
    const hw = hit?.results.find((w) => w.name === name)
    const hitCell = hw
      ? caps.map((c) => hw.rows.find((r) => r.capacity === c)).map((r) => (r ? `${fmt.pct(r.hitRatio['moka-tinylfu'], 1)} vs ${fmt.pct(r.hitRatio.lru, 1)}` : '-')).join(' / ')
      : null
    const fw = fetch?.results.filter((w) => w.workload === name) ?? []
    const mine = (w) => w.rows.find((r) => r.contender === fetch.method.headline && !r.error)
    const base = (w) => w.rows.find((r) => r.contender === fetch.method.baseline && !r.error)
    const calls = fw.length ? fw.map((w) => (mine(w) && base(w) ? `${signed(100 * (mine(w).calls.median / base(w).calls.median - 1))}%` : '-')).join(' / ') : null
    const at1 = fw.length ? fw.map((w) => fmt.ratioRange(mine(w)?.wall[fetch.method.backendMs.indexOf(1)]?.ratio) ?? '-').join(' / ') : null
    return [name, caps.map((c) => c.toLocaleString('en-US')).join(' / '), hitCell, calls, at1]
  })
  return [
    {
      title: `What the cache saves, per workload: ${MOKA}'s hit ratio (%) against exact LRU on the whole trace; backend calls and wall time with a 1 ms backend against ${fetch?.method.baseline ?? 'lru-cache fetch'}, each through its loader${fetch ? ` (traces cut to ${fetch.method.requests.toLocaleString('en-US')} requests; wall time ratio: median (min–max) over ${fetch.method.replayRounds} rounds)` : ''}`,
      header: ['workload', 'capacity', 'hit % moka-js vs LRU', 'backend calls', 'wall time, 1 ms backend'],
      rows,
    },
  ]
}

function summary(results, { details } = {}) {
  const parts = [...speed(results), ...saved(results)]
  if (details) parts.push(`Every table, the charts, the method and the machine: [${details}](${details}).`)
  return parts
}

/** One sentence: where the headline contender makes fewer backend calls than the baseline, and where more. */
function winsAndLosses(r) {
  const { headline, baseline } = r.method
  const wins = []
  const losses = []
  for (const w of r.results) {
    const calls = (name) => w.rows.find((x) => x.contender === name && !x.error)?.calls.median
    if (!calls(headline) || !calls(baseline)) continue
    const d = calls(headline) / calls(baseline) - 1
    const place = `${w.workload} @ ${w.capacity.toLocaleString('en-US')} (${d < 0 ? '−' : '+'}${Math.abs(Math.round(100 * d))}%)`
    if (d <= -0.005) wins.push(place)
    else if (d >= 0.005) losses.push(place)
  }
  const even = r.results.length - wins.length - losses.length
  return `${headline} against ${baseline}: fewer backend calls on ${wins.length} of ${r.results.length} workloads and capacities${wins.length ? ` (${wins.join(', ')})` : ''}; more on ${losses.length}${losses.length ? ` (${losses.join(', ')})` : ''}${even ? `; even (within 0.5%) on ${even}` : ''}.`
}

const tablesWithChart = (alt) => (r) => [...tablesOf(r), chart(r, alt)]

/** The hit-ratio tables, then how the workloads with published figures compare, then the chart. */
function hitRatio(r) {
  const published = r.results
    .filter((w) => w.published)
    .map((w) => {
      const at = (id) => w.published.caps.map((c) => w.rows.find((row) => row.capacity === c)?.hitRatio[id]?.toFixed(2)).join(' / ')
      return `${w.name} at ${w.published.caps.join(' / ')}: published (other harnesses) moka TinyLFU ${w.published.tinyLfu.join(' / ')}, LRU ${w.published.lru.join(' / ')}; here moka-js tinyLfu ${at('moka-tinylfu')}, LRU ${at('lru')}.`
    })
  return [...tablesOf(r), ...published, chart(r, 'hit ratio against cache size, one panel per workload')]
}

const BLOCKS = {
  latency: tablesWithChart('latency: ratio to lru-cache per case'),
  'moka-py': (r, results) => {
    // Ratios, then instructions per operation when counted, then absolute ns.
    const tables = tablesOf(r)
    if (results.instructions) tables.splice(-1, 0, ...tablesOf(results.instructions))
    return [...tables, chart(r, 'moka-js ÷ moka-py per case'), ...(results.instructions ? [chart(results.instructions, 'instructions per operation, moka-js and moka-py')] : [])]
  },
  'hit-ratio': hitRatio,
  memory: tablesWithChart('memory and GC per cache'),
  'fetch-replay': (r) => [winsAndLosses(r), ...tablesOf(r), chart(r, 'backend calls and wall time per contender against lru-cache fetch')],
  cached: tablesWithChart('memoization overhead per memoizer'),
  'shared-workers': tablesWithChart('SharedMoka against a cache per worker and a main-thread cache over MessagePort'),
  'shared-memory': tablesWithChart('SharedMoka, Moka and lru-cache: heap, native bytes and GC pauses'),
}

/** What stands in a block whose suite has no reference result yet. */
const PENDING = (suite) => `No reference result yet: \`npm run bench -- --update --only=${suite}\`, then \`npm run bench:readme\`.`

/**
 * { blockName: parts }: the machine and the summary, one block per suite
 * with a result, and a notice for each `pending` suite. `details`: the file
 * (from the repository's root) holding the suites' blocks, which the
 * summary links to.
 */
export function blocksOf(results, pending = [], { details } = {}) {
  const blocks = {}
  if (Object.keys(results).length) {
    blocks.summary = summary(results, { details })
    if (pending.length) blocks.summary.push(`No reference result yet: ${pending.join(', ')}.`)
    blocks.machine = machine(results)
  }
  for (const [suite, r] of Object.entries(results)) if (BLOCKS[suite]) blocks[suite] = BLOCKS[suite](r, results)
  for (const suite of pending) blocks[suite] = [PENDING(suite)]
  return blocks
}
