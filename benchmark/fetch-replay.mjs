// What a cache saves: every trace of benchmark/traces/ and a Zipf stream,
// replayed through each cache's loader (`fetch`, a loading cache, or get and
// set around the load), counting backend calls and the time the replay
// takes with a backend of 0.1, 1 and 10 ms.
//
//   node benchmark/fetch-replay.mjs [--quick] [--only=web12,zipf-0.9]
//
// The backend is simulated on a virtual clock: it counts its calls and
// answers at once, and the replay's wall time for a backend latency L is
// computed as
//
//   wall(L) = cache time + backend calls × L
//
// where the cache time is the measured time of the whole replay (every
// request awaited in turn by one caller, backend answers included, which
// cost a resolved promise). Nothing sleeps, so a replay takes the cache's
// time only, and the three latencies come from one replay. One caller
// awaiting each request in order: no load is ever in flight when another
// request for its key arrives, so coalescing plays no part; with concurrent
// callers the loaders that coalesce (all but the get/set wrappers) would save
// more. The replay yields to the event loop every YIELD_EVERY requests, as a
// server does between requests, so timers a cache relies on may run.
//
// Each trace is cut to its first REQUESTS requests (the replays of every
// contender, workload and capacity fit in a few minutes); capacities are the
// middle two of the trace's reference table in benchmark/traces/README.md.
// Rounds: each round replays every contender once, in rotating order, after
// a memory-latency probe; a contender's ratio to lru-cache is taken within
// each round (lib/rounds.mjs). Also reported: the cost of an awaited call
// whose result is cached, interleaved rounds.
import { setImmediate as yieldToLoop } from 'node:timers/promises'
import { LRUCache } from 'lru-cache'
import { LRUCache as MnemonistLRU } from 'mnemonist'
import { newCache as transitory } from 'transitory'
import { cached } from '../index.mjs'
import { QUICK, fmt, selection } from './lib/common.mjs'
import { ROUNDS, TIMING, figures, interleave, probeSummary, ratioFigures, rotate, sampler, spread } from './lib/rounds.mjs'
import { runSuite } from './lib/suite.mjs'
import { loadTrace, traceTable, zipf } from './lib/workloads.mjs'

const BACKEND_MS = [0.1, 1, 10]
const REQUESTS = QUICK ? 30_000 : 200_000
const REPLAY_ROUNDS = QUICK ? 2 : 3
const YIELD_EVERY = 1024
const BASELINE = 'lru-cache fetch'
const MOKA = 'moka-js cached tinyLfu'
/** Hot keys of the hit path, all cached: one sampled call awaits each once. */
const HOT_KEYS = 1000

/** get and set around the load: the memoizer a cache without a loader gets. */
const aroundLoad = (store, backend) => async (k) => {
  let v = store.get(k)
  if (v === undefined) {
    v = await backend(k)
    store.set(k, v)
  }
  return v
}

/** [{ name, how, make(cap, backend) → (k) => Promise<value> }], in the order of the tables. */
const CONTENDERS = [
  { name: MOKA, how: "cached(async (k) => backend(k), { maxCapacity, policy: 'tinyLfu' })", make: (cap, backend) => cached(async (k) => backend(k), { maxCapacity: cap, policy: 'tinyLfu' }) },
  { name: 'moka-js cached lru', how: "cached(async (k) => backend(k), { maxCapacity, policy: 'lru' })", make: (cap, backend) => cached(async (k) => backend(k), { maxCapacity: cap, policy: 'lru' }) },
  {
    name: BASELINE,
    how: 'new LRUCache({ max, fetchMethod, ignoreFetchAbort: true }).fetch(k)',
    make(cap, backend) {
      // In-flight fetches take cache slots; without ignoreFetchAbort, one
      // evicted while loading rejects its callers with "evicted".
      const cache = new LRUCache({ max: cap, fetchMethod: (k) => backend(k), ignoreFetchAbort: true })
      return (k) => cache.fetch(k)
    },
  },
  {
    name: 'transitory loading',
    how: 'newCache().maxSize(max).withLoader(backend).build().get(k) (W-TinyLFU)',
    make(cap, backend) {
      const cache = transitory().maxSize(cap).withLoader((k) => backend(k)).build()
      return (k) => cache.get(k)
    },
  },
  { name: 'mnemonist LRUCache', how: 'get, and on a miss await the load and set', make: (cap, backend) => aroundLoad(new MnemonistLRU(cap), backend) },
  { name: 'Map (unbounded)', how: 'get, and on a miss await the load and set; never evicts: the floor of backend calls', make: (_, backend) => aroundLoad(new Map(), backend) },
]

/** One replay: { calls, cacheMs, wrong }. */
async function replay(contender, trace, cap) {
  let calls = 0
  const backend = async (k) => {
    calls++
    return { key: k }
  }
  const call = contender.make(cap, backend)
  let wrong = 0
  const t0 = process.hrtime.bigint()
  for (let i = 0; i < trace.length; i++) {
    const v = await call(trace[i])
    if (v?.key !== trace[i]) wrong++
    if (i % YIELD_EVERY === YIELD_EVERY - 1) await yieldToLoop()
  }
  const cacheMs = Number(process.hrtime.bigint() - t0) / 1e6
  return { calls, cacheMs, wrong }
}

const wall = (run, ms) => run.cacheMs + run.calls * ms

/** A workload at one capacity, every contender replayed in REPLAY_ROUNDS interleaved rounds. */
async function measureWorkload(w, cap) {
  const perRound = new Map(CONTENDERS.map((c) => [c.name, []]))
  const errors = {}
  const probes = await rotate(CONTENDERS, REPLAY_ROUNDS, async (c) => {
    if (errors[c.name]) return
    try {
      perRound.get(c.name).push(await replay(c, w.trace, cap))
    } catch (error) {
      errors[c.name] = String(error?.message ?? error).slice(0, 200)
    }
  })
  const base = perRound.get(BASELINE)
  const rows = CONTENDERS.map((c) => {
    if (errors[c.name]) return { contender: c.name, error: errors[c.name] }
    const runs = perRound.get(c.name)
    const calls = spread(runs.map((x) => x.calls))
    const row = {
      contender: c.name,
      calls,
      hitRatio: +(100 * (1 - calls.median / w.trace.length)).toFixed(2),
      callsVsBaseline: base?.length ? ratioFigures(runs.map((x) => x.calls), base.map((x) => x.calls), probes).ratio : null,
      cacheNsPerRequest: spread(runs.map((x) => (x.cacheMs * 1e6) / w.trace.length)),
      wrongValues: Math.max(...runs.map((x) => x.wrong)),
      wall: BACKEND_MS.map((ms) => {
        const mine = runs.map((x) => wall(x, ms))
        return { backendMs: ms, ms: spread(mine), ...(base?.length ? ratioFigures(mine, base.map((x) => wall(x, ms)), probes) : {}) }
      }),
      runs,
    }
    return row
  })
  const line = rows.map((x) => (x.error ? `${x.contender} FAILED` : `${x.contender} ${fmt.int(x.calls.median)} calls, ${fmt.ratio(x.wall[1].ratio?.median)} wall@1ms`)).join('; ')
  console.log(`${w.name} @ ${cap.toLocaleString('en-US')} (${w.trace.length.toLocaleString('en-US')} requests): ${line}`)
  return { workload: w.name, capacity: cap, requests: w.trace.length, uniqueKeys: new Set(w.trace).size, probes, probe: probeSummary(probes), rows }
}

/** Cost of an awaited call answered from the cache. */
async function hitPath() {
  const contenders = []
  for (const c of CONTENDERS) {
    const call = c.make(10 * HOT_KEYS, async (k) => ({ key: k }))
    for (let k = 0; k < HOT_KEYS; k++) await call(k)
    const run = async () => {
      for (let k = 0; k < HOT_KEYS; k++) await call(k)
    }
    contenders.push({ name: c.name, sample: sampler(run, { opsPerCall: HOT_KEYS, async: true }) })
  }
  const { perRound, probes } = await interleave(contenders, ROUNDS)
  return {
    probes,
    probe: probeSummary(probes),
    rows: CONTENDERS.map((c) => ({ contender: c.name, ...figures(perRound.get(c.name), perRound.get(BASELINE), probes) })),
  }
}

/** The replayed workloads: every trace at the middle two capacities of its reference table, and Zipf(0.9). */
function workloads() {
  const middle = (caps) => caps.slice(Math.max(0, (caps.length >> 1) - 1), (caps.length >> 1) + 1)
  return [
    { name: 'zipf-0.9', make: () => zipf(0.9, 10_000, REQUESTS, 42), caps: [100, 1000] },
    ...traceTable().map((t) => ({ name: t.name, make: () => loadTrace(t.name, REQUESTS), caps: middle(t.caps) })),
  ]
}

async function main() {
  const all = workloads()
  const only = selection('only', all.map((w) => w.name))
  await runSuite(
    'fetch-replay',
    {
      peers: ['lru-cache', 'transitory', 'mnemonist'],
      title: 'backend calls and time saved: each cache behind a loader',
      describe: [
        `traces cut to ${REQUESTS.toLocaleString('en-US')} requests; one caller; virtual backend of ${BACKEND_MS.join(', ')} ms: wall = measured cache time + backend calls × latency; ${REPLAY_ROUNDS} rounds`,
      ],
      partial: only !== undefined,
    },
    async () => {
      const results = []
      for (const w of all.filter((x) => !only || only.includes(x.name))) {
        const trace = w.make()
        for (const cap of w.caps) results.push(await measureWorkload({ name: w.name, trace }, cap))
      }
      const hits = await hitPath()
      console.log(`awaited hit, ns: ${hits.rows.map((h) => `${h.contender} ${fmt.ns(h.ns.median)} (${fmt.ratio(h.ratio.median)})`).join(', ')}`)
      const problems = results.flatMap((w) => [
        ...w.rows.filter((r) => r.error).map((r) => `${w.workload}@${w.capacity} ${r.contender}: ${r.error}`),
        ...w.rows.filter((r) => r.wrongValues > 0).map((r) => `${w.workload}@${w.capacity} ${r.contender}: ${r.wrongValues} calls returned another key's value`),
      ])
      return {
        problems,
        data: {
          method: {
            backendMs: BACKEND_MS,
            clock:
              'virtual: the backend counts calls and answers with a resolved promise; wall(L) = measured time of the replay + backend calls × L. One caller awaits each request in order (no concurrency, so no coalescing); the replay yields to the event loop every ' +
              `${YIELD_EVERY} requests`,
            requests: REQUESTS,
            capacities: 'the middle two of each trace reference table (benchmark/traces/README.md); Zipf(0.9) over 10,000 keys at 100 and 1,000',
            replayRounds: REPLAY_ROUNDS,
            rounds: ROUNDS,
            baseline: BASELINE,
            headline: MOKA,
            contenders: Object.fromEntries(CONTENDERS.map((c) => [c.name, c.how])),
            hitPath: `${HOT_KEYS} hot keys, all cached; ns per awaited call; per round the median of \`samples\` timed batches of about \`sampleMs\``,
            ...TIMING,
          },
          results,
          hitPath: hits,
        },
      }
    },
  )
}

await main()
