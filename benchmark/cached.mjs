// Memoization overhead of `cached` against p-memoize and memoizee on hot paths
// (every call a hit), every peer measured in the same process run (benny).
//
//   node benchmark/cached.mjs            full profile → results/cached.json
//   node benchmark/cached.mjs --quick    shorter samples → results/cached.quick.json
//
// One benchmark call performs OPS calls of the memoized function over KEYS
// keys (all cached beforehand); ns/call is the median sample time divided by
// OPS. Ratios are against memoizee (sync) and p-memoize (async) in the same
// run. p-memoize memoizes promise-returning functions only, so it has no
// synchronous row. Rows marked "bounded" keep at most 1000 entries, like
// `cached`'s default; the others grow without limit.
import b from 'benny'
import { LRUCache } from 'lru-cache'
import memoizee from 'memoizee'
import pMemoize from 'p-memoize'
import { cached } from '../index.mjs'
import { QUICK, environment, fmt, markdownTable, option, printTable, settle, writeResult } from './lib/common.mjs'

const PEERS = ['p-memoize', 'memoizee', 'lru-cache', 'benny']
const KEYS = 100
const ROUNDS = QUICK ? 2 : 3
const timing = QUICK ? { minSamples: 5, minTime: 0.02, maxTime: 0.15 } : { minSamples: 8, minTime: 0.05, maxTime: 0.4 }

const ids = Array.from({ length: KEYS }, (_, i) => i)
const names = Array.from({ length: KEYS }, (_, i) => `user:${i}`)

const work1 = (x) => x * 2 + 1
const work2 = (a, b) => `${a}/${b}`
const asyncWork = async (x) => x * 2 + 1

let sink = 0

function median(xs) {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

/** A sync case: `call(fn, i)` performs one memoized call. */
function syncCase(id, title, baseline, entries, call) {
  const OPS = 1000
  return {
    id,
    title,
    baseline,
    ops: OPS,
    entries: entries.map(([name, make]) => {
      const fn = make()
      for (let i = 0; i < KEYS; i++) call(fn, i)
      return {
        name,
        run: () => {
          let s = 0
          for (let i = 0; i < OPS; i++) s += call(fn, i % KEYS) === undefined ? 0 : 1
          sink += s
        },
      }
    }),
  }
}

/** An async case: each op awaits one memoized call. */
function asyncCase(id, title, baseline, entries) {
  const OPS = 200
  return {
    id,
    title,
    baseline,
    ops: OPS,
    async prepare() {
      for (const e of this.entries) for (let i = 0; i < KEYS; i++) await e.fn(ids[i])
    },
    entries: entries.map(([name, make]) => {
      const fn = make()
      return {
        name,
        fn,
        run: async () => {
          let s = 0
          for (let i = 0; i < OPS; i++) s += await fn(ids[i % KEYS])
          sink += s
        },
      }
    }),
  }
}

const CASES = [
  syncCase(
    'sync-1',
    'sync, one number argument (hits)',
    'memoizee',
    [
      ['moka-js cached (bounded)', () => cached(work1)],
      ['memoizee', () => memoizee(work1, { primitive: true })],
      ['memoizee (bounded)', () => memoizee(work1, { primitive: true, max: 1000 })],
      ['(uncached call)', () => work1],
    ],
    (fn, i) => fn(ids[i]),
  ),
  syncCase(
    'sync-2',
    'sync, two arguments: string and number (hits)',
    'memoizee',
    [
      ['moka-js cached (bounded)', () => cached(work2)],
      ['memoizee', () => memoizee(work2, { primitive: true })],
      ['memoizee (bounded)', () => memoizee(work2, { primitive: true, max: 1000 })],
      ['(uncached call)', () => work2],
    ],
    (fn, i) => fn(names[i], i),
  ),
  asyncCase('async-1', 'async, one number argument (hits, awaited)', 'p-memoize', [
    ['moka-js cached (bounded)', () => cached(asyncWork)],
    ['p-memoize', () => pMemoize(asyncWork)],
    ['p-memoize + lru-cache (bounded)', () => pMemoize(asyncWork, { cache: new LRUCache({ max: 1000 }) })],
    ['memoizee', () => memoizee(asyncWork, { promise: true, primitive: true })],
    ['memoizee (bounded)', () => memoizee(asyncWork, { promise: true, primitive: true, max: 1000 })],
    ['(uncached call)', () => asyncWork],
  ]),
]

async function runCase(kase) {
  if (kase.prepare) await kase.prepare()
  settle()
  const samples = new Map(kase.entries.map((e) => [e.name, []]))
  const margins = new Map(kase.entries.map((e) => [e.name, []]))
  for (let round = 0; round < ROUNDS; round++) {
    // Rotating order: a burst of machine noise lands on every entry alike.
    const shift = round % kase.entries.length
    const order = [...kase.entries.slice(shift), ...kase.entries.slice(0, shift)]
    if (round % 2 === 1) order.reverse()
    const line = []
    await b.suite(
      kase.title,
      ...order.map((e) => b.add(e.name, () => e.run)),
      b.configure({ cases: timing }),
      b.cycle((r) => {
        samples.get(r.name).push(...r.details.sampleResults)
        margins.get(r.name).push(r.margin)
        line.push(`${r.name}=${fmt.ns((r.details.median * 1e9) / kase.ops)}`)
      }),
    )
    console.log(`  round ${round + 1}/${ROUNDS} ns/call: ${line.join(', ')}`)
  }
  const rows = kase.entries.map((e) => {
    const all = samples.get(e.name)
    return {
      name: e.name,
      nsPerCall: +((median(all) * 1e9) / kase.ops).toFixed(1),
      nsPerCallMin: +((Math.min(...all) * 1e9) / kase.ops).toFixed(1),
      rmePerRound: margins.get(e.name),
      samples: all.length,
    }
  })
  const base = rows.find((r) => r.name === kase.baseline)?.nsPerCall
  for (const row of rows) row.ratio = base ? +(row.nsPerCall / base).toFixed(3) : null
  return { id: kase.id, title: kase.title, baseline: kase.baseline, keys: KEYS, callsPerSample: kase.ops, rows }
}

async function main() {
  const only = option('case', null)
  const env = environment(PEERS)
  console.log(`moka-js cached — ${env.profile} profile — node ${env.node}, ${env.machine.cpus} × ${env.machine.model}`)
  console.log(`ns/call = median of all samples over ${ROUNDS} rounds / calls per sample; ratio = ns/call ÷ the baseline's in this run\n`)
  const suites = []
  for (const kase of CASES) {
    if (only !== null && kase.id !== only) continue
    suites.push(await runCase(kase))
  }
  const markdown = []
  for (const s of suites) {
    const header = ['memoizer', 'ns/call', `vs ${s.baseline}`]
    const rows = s.rows.map((r) => [r.name, fmt.ns(r.nsPerCall), fmt.ratio(r.ratio)])
    printTable(header, rows, `${s.title} — ${s.keys} keys`)
    markdown.push(`**${s.title}**\n\n${markdownTable(header, rows)}`)
  }
  if (sink === 0) console.log('(sink)')
  writeResult('cached', { suite: 'cached', ...env, suites, markdown: markdown.join('\n\n') })
}

await main()
