// Memoization overhead of `cached` against p-memoize and memoizee on hot paths
// (every call a hit), every peer measured in the same process, interleaved.
//
//   node benchmark/cached.mjs [--quick] [--case=sync-1]
//
// One benchmark call performs OPS calls of the memoized function over KEYS
// keys (all cached beforehand). Each case runs ROUNDS rounds, each taking
// one figure from every memoizer in rotating order (lib/rounds.mjs); ns/call
// is the median over the rounds with its range. Ratios are against memoizee
// (sync) and p-memoize (async), taken within each round. p-memoize memoizes promise-returning functions only, so it has no
// synchronous row. Rows marked "bounded" keep at most 1000 entries, like
// `cached`'s default; the others grow without limit.
import { LRUCache } from 'lru-cache'
import memoizee from 'memoizee'
import pMemoize from 'p-memoize'
import { cached } from '../index.mjs'
import { ensureGc, fmt, selection, settle } from './lib/common.mjs'
import { ROUNDS, TIMING, figures, interleave, probeSummary, sampler } from './lib/rounds.mjs'
import { runSuite } from './lib/suite.mjs'

const PEERS = ['p-memoize', 'memoizee', 'lru-cache']
const KEYS = 100

const ids = Array.from({ length: KEYS }, (_, i) => i)
const names = Array.from({ length: KEYS }, (_, i) => `user:${i}`)

const work1 = (x) => x * 2 + 1
const work2 = (a, b) => `${a}/${b}`
const asyncWork = async (x) => x * 2 + 1

let sink = 0

/** A sync case: `call(fn, i)` performs one memoized call. */
function syncCase(id, title, baseline, entries, call) {
  const OPS = 1000
  return {
    id,
    title,
    baseline,
    ops: OPS,
    async: false,
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
    async: true,
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
  const { perRound, probes } = await interleave(
    kase.entries.map((e) => ({ name: e.name, sample: sampler(e.run, { opsPerCall: kase.ops, async: kase.async }) })),
    ROUNDS,
  )
  const base = perRound.get(kase.baseline)
  const rows = kase.entries.map((e) => {
    const rounds = perRound.get(e.name)
    return { name: e.name, ...figures(rounds, base, probes) }
  })
  console.log(`${kase.id}, ns/call: ${rows.map((r) => `${r.name} ${fmt.ns(r.ns.median)} (${fmt.ratio(r.ratio.median)})`).join(', ')}`)
  return { id: kase.id, title: kase.title, baseline: kase.baseline, keys: KEYS, callsPerSample: kase.ops, probes, probe: probeSummary(probes), rows }
}

async function main() {
  const only = selection('case', CASES.map((k) => k.id))
  await runSuite(
    'cached',
    {
      peers: PEERS,
      title: 'moka-js cached',
      describe: [`ns/call: median over ${ROUNDS} interleaved rounds (min–max); ratio: ns/call ÷ the baseline's in the same round`],
      partial: only !== undefined,
    },
    async () => {
      const suites = []
      for (const kase of CASES) if (!only || only.includes(kase.id)) suites.push(await runCase(kase))
      return {
        data: {
          method: { keys: KEYS, rounds: ROUNDS, ...TIMING, statistic: 'per round: the median of `samples` timed batches of about `sampleMs`; reported: median and min–max over the rounds; ratios taken within each round' },
          suites,
          sink: sink & 0,
        },
      }
    },
  )
}

if (await ensureGc()) await main()
