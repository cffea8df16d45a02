// The README's generated benchmark blocks, as lists of parts (a paragraph,
// or a table { title, header, rows }), from the reference result files.
import { fmt } from './common.mjs'
import { tablesOf } from './tables.mjs'

const when = (r) => `${r.date.slice(0, 16).replace('T', ' ')} UTC, commit ${r.build?.commit ?? '?'}`
const probeCell = (p) => `${p.loads.map((l) => l.nsPerLoad).join(' / ')} → ${p.verdict}`
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
      header: ['suite', 'measured', 'load average at start', 'probe at start: ns per load, 256 KiB / 4 MiB / 64 MiB', 'probe at end'],
      rows: Object.values(results).map((r) => [r.suite, when(r), r.machine.loadavg.join(' '), probeCell(r.probe.start), probeCell(r.probe.end)]),
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

function summary(results) {
  const rows = []
  const lat = results.latency
  if (lat) {
    for (const [id, keys, what] of [
      ['get-hit', 100_000, 'get, hit, 100k keys'],
      ['get-hit', 10_000, 'get, hit, 10k keys'],
      ['get-hit-fresh-key', 100_000, 'get, hit, key built in the loop, 100k keys'],
      ['set-update', 100_000, 'set, existing key, 100k keys'],
      ['set-evict', 100_000, 'set, new key into a full cache, 100k keys'],
    ]) {
      rows.push([`${what}: moka-js tinyLfu ÷ lru-cache`, fmt.ratioRange(ratioOf(lat, id, keys, 'moka-js tinyLfu')), 'latency'])
    }
  }
  const py = results['moka-py']
  if (py) {
    const pick = (re) => py.cases.filter((c) => re.test(c.case)).flatMap((c) => Object.values(c.policies).map((m) => m.jsOverPy))
    rows.push(['reads (get, get_with hit): moka-js ÷ moka-py, medians per case', acrossMedians(pick(/^get_(hit|miss)|^get_with_hit/)), 'moka-py'])
    rows.push(['writes (set, remove hit, get_with miss): moka-js ÷ moka-py, medians per case', acrossMedians(pick(/^set_|^remove_hit|^get_with_miss/)), 'moka-py'])
  }
  const hit = results['hit-ratio']
  if (hit) {
    const skewed = hit.results.filter((w) => /^(zipf|loop|gli|multi2)/.test(w.name)).flatMap((w) => w.rows.map((r) => r.gapClosed['moka-tinylfu'])).filter((g) => g !== null)
    rows.push(['LRU→OPT gap closed by TinyLFU on frequency-skewed workloads (Zipf, loop, gli, multi2)', `${Math.round(100 * Math.min(...skewed))}–${Math.round(100 * Math.max(...skewed))}%`, 'hit-ratio'])
  }
  const fetch = results['fetch-replay']
  if (fetch) {
    const fewer = []
    for (const r of fetch.runs.filter((x) => x.contender === 'moka-js cached tinyLfu' && !x.error)) {
      const base = fetch.runs.find((x) => x.contender === fetch.method.baseline && x.workload === r.workload && x.capacity === r.capacity && !x.error)
      if (base) fewer.push(100 * (1 - r.loads / base.loads))
    }
    if (fewer.length) rows.push(['backend calls saved by `cached` (tinyLfu) against lru-cache `fetch`, 1 ms backend', `${Math.round(Math.min(...fewer))}–${Math.round(Math.max(...fewer))}%`, 'fetch-replay'])
  }
  const memo = results.cached
  if (memo) {
    const row = (id, name) => memo.suites.find((s) => s.id === id)?.rows.find((r) => r.name === name)
    const a = row('async-1', 'moka-js cached (bounded)')
    if (a) rows.push(['awaited `cached` hit ÷ p-memoize', fmt.ratioRange(a.ratio), 'cached'])
    const s = row('sync-1', 'moka-js cached (bounded)')
    const bounded = row('sync-1', 'memoizee (bounded)')
    if (s && bounded) rows.push(['sync `cached` hit, one argument: ns/call against memoizee (bounded)', `${fmt.ns(s.ns.median)} against ${fmt.ns(bounded.ns.median)}`, 'cached'])
  }
  const mem = results.memory
  if (mem) {
    const rss = (cache) => mem.rows.find((r) => r.cache === cache && r.values === 'object' && !r.error)?.rssBytesPerEntry.median
    if (rss('moka-js') && rss('lru-cache')) rows.push([`RSS per entry, ${mem.method.entries.toLocaleString('en-US')} small objects: moka-js against lru-cache`, `${fmt.int(rss('moka-js'))} B against ${fmt.int(rss('lru-cache'))} B`, 'memory'])
  }
  return [{ header: ['figure', 'value', 'suite'], rows }]
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
  'moka-py': tablesWithChart('moka-js ÷ moka-py per case'),
  'hit-ratio': hitRatio,
  memory: tablesWithChart('memory and GC per cache'),
  'fetch-replay': tablesWithChart('backend loads and awaited-hit cost per contender'),
  cached: tablesWithChart('memoization overhead per memoizer'),
  'shared-workers': tablesWithChart('SharedMoka against a cache per worker and a main-thread cache over MessagePort'),
  'shared-memory': tablesWithChart('SharedMoka, Moka and lru-cache: heap, native bytes and GC pauses'),
}

/** What stands in a block whose suite has no reference result yet. */
const PENDING =
  'No reference result yet: this suite publishes timings only from a run whose memory-latency probe was normal (see [How the suites measure](#how-the-suites-measure)). On a quiet machine: `npm run bench -- --update`, then `npm run bench:readme`.'

/**
 * { blockName: parts }: the machine and the summary, one block per suite
 * with a result, and a notice for each `pending` suite.
 */
export function blocksOf(results, pending = []) {
  const blocks = {}
  if (Object.keys(results).length) {
    blocks.summary = summary(results)
    if (pending.length) blocks.summary.push(`No reference result yet (none from a run whose probe was normal): ${pending.join(', ')}.`)
    blocks.machine = machine(results)
  }
  for (const [suite, r] of Object.entries(results)) blocks[suite] = BLOCKS[suite](r)
  for (const suite of pending) blocks[suite] = [PENDING]
  return blocks
}
