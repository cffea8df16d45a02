// A result file as tables ([{ title, header, rows }]): what a suite prints at
// the end of its run and what benchmark/report.mjs puts in the README, from
// one function per suite.
import { fmt } from './common.mjs'
import { MIN_NORMAL_ROUNDS } from './rounds.mjs'
import { probeCell } from './probe.mjs'
import { SHARED_TABLES } from './shared-reports.mjs'

const sizeLabel = (n) => `${n.toLocaleString('en-US')} keys`

/** A ratio over the normal rounds, marked ≠ when it disagrees with the other rounds'. */
const normalCell = (r) => (r?.ratioNormal ? `${fmt.ratioRange(r.ratioNormal)}${r.disagree ? ' ≠' : ''}` : null)
const NORMAL_NOTE = `over the rounds whose probe read normal, where at least ${MIN_NORMAL_ROUNDS} did; ≠: the normal rounds' range and the other rounds' do not overlap`

/**
 * A suite's tables in the order the figures are published: the ratio to the
 * baseline within each round (median, range); the same over the rounds whose
 * probe read normal, when any case has enough of them; then absolute ns
 * beside the probe of the rounds that took them. `groups`: [{ label, cases:
 * [{ id, probe, rows }] }]; `names`: the columns; `find(case, name)`: a row.
 */
function ratioFirst({ groups, names, find, baseline, rounds, unit }) {
  const tables = []
  for (const { label, cases } of groups) {
    const cells = (format) => cases.map((c) => [c.id, ...names.map((name) => format(find(c, name)))])
    tables.push({ title: `${label}: ${unit} ÷ ${baseline}'s in the same round, median (min–max) over ${rounds} rounds`, header: ['case', ...names], rows: cells((r) => r && fmt.ratioRange(r.ratio)) })
    if (cases.some((c) => names.some((name) => find(c, name)?.ratioNormal))) {
      tables.push({ title: `${label}: the same ratio ${NORMAL_NOTE}`, header: ['case', ...names], rows: cells(normalCell) })
    }
  }
  for (const { label, cases } of groups) {
    const rows = cases.map((c) => [c.id, ...names.map((name) => fmt.range(find(c, name)?.ns, fmt.ns)), probeCell(c.probe)])
    tables.push({ title: `${label}: ${unit}, median (min–max) over ${rounds} rounds, beside the 4 MiB probe of those rounds (ns per load)`, header: ['case', ...names, 'probe'], rows })
  }
  return tables
}

function latency(result) {
  const sizes = [...new Set(result.suites.map((s) => s.keys))]
  const names = [...new Set(result.suites.flatMap((s) => s.rows.map((r) => r.cache)))]
  return ratioFirst({
    groups: sizes.map((n) => ({ label: sizeLabel(n), cases: result.suites.filter((s) => s.keys === n) })),
    names,
    find: (c, name) => c.rows.find((r) => r.cache === name),
    baseline: result.method.baseline,
    rounds: result.method.rounds,
    unit: 'ns/op',
  })
}

function mokaPy(result) {
  const policies = result.method.policies
  const rounds = result.method.rounds
  const ratios = (format) => result.cases.map((c) => [c.case, ...policies.map((p) => format(c.policies[p.js]))])
  const tables = [{ title: `moka-js ÷ moka-py, ns/op in the same round, median (min–max) over ${rounds} rounds; < 1: moka-js is faster`, header: ['case', ...policies.map((p) => p.js)], rows: ratios((m) => fmt.ratioRange(m.jsOverPy)) }]
  if (result.cases.some((c) => policies.some((p) => c.policies[p.js].ratioNormal))) {
    tables.push({ title: `moka-js ÷ moka-py ${NORMAL_NOTE}`, header: ['case', ...policies.map((p) => p.js)], rows: ratios(normalCell) })
  }
  const header = ['case', ...policies.flatMap((p) => [`moka-py ${p.py}`, `moka-js ${p.js}`]), 'probe']
  const rows = result.cases.map((c) => [c.case, ...policies.flatMap((p) => [fmt.range(c.policies[p.js].py, fmt.ns), fmt.range(c.policies[p.js].js, fmt.ns)]), probeCell(c.probe)])
  rows.push(['(the loop alone)', fmt.range(result.loop.py, fmt.ns), fmt.range(result.loop.js, fmt.ns), ...Array(header.length - 3).fill(null)])
  tables.push({ title: `ns/op, median (min–max) over ${rounds} rounds, beside the 4 MiB probe of those rounds (ns per load)`, header, rows })
  return tables
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
  const transitory = ids.includes('transitory')
  const adaptive = ids.includes('moka-adaptive')
  // The three LRUs share a column when they agree, as the suite checks.
  const lrusAgree = !result.problems.some((p) => /moka-js lru|lru-cache/.test(p))
  const header = [
    'workload @ capacity',
    ...(lrusAgree ? ['exact LRU (= moka-js lru = lru-cache)'] : ['exact LRU', 'moka-js lru', 'lru-cache']),
    'moka-js tinyLfu, settled',
    ...(batched ? ['moka-js tinyLfu, batched maint.'] : []),
    ...(adaptive ? ['moka-js adaptive'] : []),
    ...(transitory ? ['transitory (W-TinyLFU)'] : []),
    'Bélády OPT',
    `gap closed, settled${batched ? ' / batched' : ''}`,
  ]
  const rows = result.results.flatMap((w) =>
    w.rows.map((row) => [
      `${w.name} @ ${row.capacity.toLocaleString('en-US')}`,
      ...(lrusAgree ? [fmt.pct(row.hitRatio.lru)] : ['lru', 'moka-lru', 'lru-cache'].map((id) => fmt.pct(row.hitRatio[id]))),
      hitCell(row, 'moka-tinylfu'),
      ...(batched ? [hitCell(row, 'moka-tinylfu-amortized')] : []),
      ...(adaptive ? [hitCell(row, 'moka-adaptive')] : []),
      ...(transitory ? [hitCell(row, 'transitory')] : []),
      fmt.pct(row.hitRatio.opt),
      batched ? `${gap(row.gapClosed['moka-tinylfu'])} / ${gap(row.gapClosed['moka-tinylfu-amortized'])}` : gap(row.gapClosed['moka-tinylfu']),
    ]),
  )
  return [{ title: 'hit ratio (%); gap closed = (H − H_LRU) / (H_OPT − H_LRU)', header, rows }]
}

function memory(result) {
  const m = result.method
  const tables = []
  if (result.rows.some((r) => r.ratio)) {
    const keys = ['heapBytesPerEntry', 'rssBytesPerEntry', 'fillNsPerEntry', 'churnNsPerOp', 'churnGcMs']
    tables.push({
      title: `each figure ÷ ${result.baseline}'s for the same values in the same round, median (min–max) over ${m.rounds} rounds`,
      header: ['values', 'cache', 'heap B/entry', 'RSS B/entry', 'fill ns/entry', 'churn ns/op', 'churn GC ms'],
      rows: result.rows.filter((r) => r.ratio).map((r) => [r.values, r.cache, ...keys.map((k) => fmt.ratioRange(r.ratio[k]))]),
    })
  }
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
  const probe = result.probe?.rounds ? `; 4 MiB probe between rounds: ${probeCell(result.probe.rounds)}` : ''
  tables.push({ title: `${m.entries.toLocaleString('en-US')} entries, churn of ${m.churnOps.toLocaleString('en-US')} operations; median (min–max) over ${m.rounds} rounds${probe}`, header, rows })
  return tables
}

/** Where the headline contender wins and loses against the baseline on backend calls (±0.5% is even). */
function verdictOf(calls, base) {
  const d = calls / base - 1
  return Math.abs(d) < 0.005 ? 'even' : d < 0 ? `wins, ${Math.round(-100 * d)}% fewer calls` : `loses, ${Math.round(100 * d)}% more calls`
}

function fetchReplay(result) {
  const m = result.method
  const names = m.headline ? Object.keys(m.contenders) : []
  const label = (w) => `${w.workload} @ ${w.capacity.toLocaleString('en-US')}`
  const row = (w, name) => w.rows.find((r) => r.contender === name && !r.error)
  const pct = (r, base) => (r && base && r !== base ? ` (${r.calls.median <= base.calls.median ? '−' : '+'}${Math.abs(Math.round(100 * (r.calls.median / base.calls.median - 1)))}%)` : '')
  const calls = {
    title: `backend calls per replay (median over ${m.replayRounds} rounds; in brackets: against ${m.baseline}); requests cut to ${m.requests.toLocaleString('en-US')} per trace`,
    header: ['workload @ capacity', 'requests / keys', ...names, `${m.headline} against ${m.baseline}`],
    rows: result.results.map((w) => {
      const base = row(w, m.baseline)
      const mine = row(w, m.headline)
      return [label(w), `${fmt.int(w.requests)} / ${fmt.int(w.uniqueKeys)}`, ...names.map((n) => (row(w, n) ? `${fmt.int(row(w, n).calls.median)}${pct(row(w, n), base)}` : 'FAILED')), mine && base ? verdictOf(mine.calls.median, base.calls.median) : null]
    }),
  }
  const walls = m.backendMs.map((ms, i) => ({
    title: `wall time with a ${ms} ms backend (cache time + calls × ${ms} ms) ÷ ${m.baseline}'s, same round, median (min–max) over ${m.replayRounds} rounds; ${m.baseline}: seconds`,
    header: ['workload @ capacity', ...names],
    rows: result.results.map((w) => [label(w), ...names.map((n) => {
      const r = row(w, n)
      if (!r) return null
      return n === m.baseline ? `${(r.wall[i].ms.median / 1000).toFixed(2)} s` : fmt.ratioRange(r.wall[i].ratio)
    })]),
  }))
  const cacheTime = {
    title: 'cache time per request (ns: the replay with an instant backend, divided by its requests), median (min–max), beside the 4 MiB probe of those rounds (ns per load)',
    header: ['workload @ capacity', ...names, 'probe'],
    rows: result.results.map((w) => [label(w), ...names.map((n) => fmt.range(row(w, n)?.cacheNsPerRequest, fmt.int)), probeCell(w.probe)]),
  }
  const hit = againstBaseline(
    `awaited hit, \`await f(k)\` with the result cached: ratio to ${m.baseline} in the same round, then ns; median (min–max) over ${m.rounds} rounds; 4 MiB probe of those rounds: ${probeCell(result.hitPath.probe)}`,
    result.hitPath.rows,
    (h) => h.contender,
    m.baseline,
    'ns per awaited hit',
  )
  return [calls, ...walls, cacheTime, hit]
}

/**
 * One table of contenders (`name(row)`) against a baseline: the same-round
 * ratio, the ratio over normal rounds when any row has one, then ns.
 */
function againstBaseline(title, rows, name, baseline, nsLabel) {
  const normal = rows.some((r) => r.ratioNormal)
  return {
    title,
    header: ['contender', `× ${baseline}`, ...(normal ? [`× ${baseline}, normal rounds`] : []), nsLabel],
    rows: rows.map((r) => [name(r), fmt.ratioRange(r.ratio), ...(normal ? [normalCell(r)] : []), fmt.range(r.ns, fmt.ns)]),
  }
}

function cached(result) {
  return result.suites.map((s) =>
    againstBaseline(
      `${s.title}: ratio to ${s.baseline} in the same round, then ns/call; median (min–max) over ${result.method.rounds} rounds; 4 MiB probe of those rounds: ${probeCell(s.probe)}`,
      s.rows,
      (r) => r.name,
      s.baseline,
      'ns/call',
    ),
  )
}

/** Instructions per operation under callgrind, moka-js and moka-py (and their ratio). */
export function instructions(result) {
  const names = result.method.sides
  const cell = (s) => `${fmt.int(s.median)} (${fmt.int(s.min)}–${fmt.int(s.max)})`
  return [
    {
      title: `instructions per operation under callgrind (machine-independent), capacity ${result.method.capacity.toLocaleString('en-US')}, median (min–max) of ${result.method.repeats} runs`,
      header: ['case', ...names, ...(result.rows.some((r) => r.jsOverPy) ? ['moka-js ÷ moka-py'] : [])],
      rows: result.rows.map((r) => [r.case, ...names.map((n) => cell(r.sides[n])), ...(r.jsOverPy ? [fmt.ratio(r.jsOverPy)] : [])]),
    },
  ]
}

const BY_SUITE = { instructions, latency, 'moka-py': mokaPy, 'hit-ratio': hitRatio, memory, 'fetch-replay': fetchReplay, cached, ...SHARED_TABLES }

/** The tables of a result file. */
export function tablesOf(result) {
  const tables = BY_SUITE[result.suite]
  if (!tables) throw new Error(`no tables for suite ${result.suite}`)
  return tables(result)
}
