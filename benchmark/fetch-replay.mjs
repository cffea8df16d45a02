// A request stream through a memoized async loader: moka-js `cached(async fn)`
// against lru-cache's `fetch` (fetchMethod), with a simulated backend that
// answers after 1 ms. Both coalesce concurrent loads of one key.
//
//   node benchmark/fetch-replay.mjs [--quick]
//
// Replay: CONCURRENCY workers take the next request from the stream and
// await the memoized call. Reported: backend loads, hit ratio
// (1 − loads / requests), wall time, request latency p50/p99 (one replay
// per contender, workload and capacity), and the hit-path cost of an
// awaited call whose result is cached (interleaved rounds, lib/rounds.mjs).
import { setTimeout as sleep } from 'node:timers/promises'
import { LRUCache } from 'lru-cache'
import { cached } from '../index.mjs'
import { QUICK, fmt } from './lib/common.mjs'
import { ROUNDS, TIMING, interleave, ratioSpread, sampler, spread } from './lib/rounds.mjs'
import { runSuite } from './lib/suite.mjs'
import { loadTrace, zipf } from './lib/workloads.mjs'

const CONCURRENCY = 64
const BACKEND_MS = 1
const REQUESTS = QUICK ? 20_000 : 150_000
const BASELINE = 'lru-cache fetch'
/** Hot keys of the hit path, all cached: one sampled call awaits each once. */
const HOT_KEYS = 1000

const CONTENDERS = [
  {
    name: 'moka-js cached tinyLfu',
    make(cap, backend) {
      const fn = cached(async (k) => backend(k), { maxCapacity: cap, policy: 'tinyLfu' })
      return (k) => fn(k)
    },
  },
  {
    name: 'moka-js cached lru',
    make(cap, backend) {
      const fn = cached(async (k) => backend(k), { maxCapacity: cap, policy: 'lru' })
      return (k) => fn(k)
    },
  },
  {
    name: 'lru-cache fetch',
    make(cap, backend) {
      // In-flight fetches take cache slots; without ignoreFetchAbort, one
      // evicted while loading rejects its callers with "evicted".
      const cache = new LRUCache({ max: cap, fetchMethod: (k) => backend(k), ignoreFetchAbort: true })
      return (k) => cache.fetch(k)
    },
  },
]

async function replay(contender, trace, cap) {
  let loads = 0
  const backend = async (k) => {
    loads++
    await sleep(BACKEND_MS)
    return { key: k }
  }
  const call = contender.make(cap, backend)
  const latencies = new Float64Array(trace.length)
  let next = 0
  let wrong = 0
  const worker = async () => {
    while (next < trace.length) {
      const i = next++
      const t = performance.now()
      const v = await call(trace[i])
      latencies[i] = performance.now() - t
      if (v?.key !== trace[i]) wrong++
    }
  }
  const t0 = performance.now()
  await Promise.all(Array.from({ length: CONCURRENCY }, worker))
  const wallMs = performance.now() - t0
  latencies.sort()
  const q = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]
  return {
    contender: contender.name,
    capacity: cap,
    requests: trace.length,
    loads,
    hitRatio: +(100 * (1 - loads / trace.length)).toFixed(2),
    wallMs: +wallMs.toFixed(0),
    p50Ms: +q(0.5).toFixed(3),
    p99Ms: +q(0.99).toFixed(3),
    wrongValues: wrong,
  }
}

/** Cost of an awaited call answered from the cache ({ contender, ns, rounds, ratio }). */
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
  const rounds = await interleave(contenders, ROUNDS)
  return CONTENDERS.map((c) => ({ contender: c.name, ns: spread(rounds.get(c.name)), rounds: rounds.get(c.name), ratio: ratioSpread(rounds.get(c.name), rounds.get(BASELINE)) }))
}

async function main() {
  await runSuite(
    'fetch-replay',
    {
      peers: ['lru-cache'],
      title: 'moka-js cached() vs lru-cache fetch',
      describe: [`backend answers after ${BACKEND_MS} ms; ${CONCURRENCY} concurrent callers; ${REQUESTS.toLocaleString('en-US')} requests per workload`],
    },
    async () => {
      const workloads = [
        { name: 'zipf-0.9', trace: zipf(0.9, 10_000, REQUESTS, 42), caps: [100, 1000] },
        { name: 'web12', trace: loadTrace('web12', REQUESTS), caps: [512, 2048] },
      ]
      const runs = []
      for (const w of workloads) {
        for (const [i, cap] of w.caps.entries()) {
          // Rotating order, as in the timed suites.
          for (const c of [...CONTENDERS.slice(i % CONTENDERS.length), ...CONTENDERS.slice(0, i % CONTENDERS.length)]) {
            try {
              const r = await replay(c, w.trace, cap)
              runs.push({ workload: w.name, ...r })
              console.log(`${w.name} @ ${cap} ${c.name.padEnd(24)} loads ${fmt.int(r.loads)}, hit ${r.hitRatio}%, wall ${fmt.int(r.wallMs)} ms, p99 ${r.p99Ms} ms`)
            } catch (error) {
              const message = String(error?.message ?? error).slice(0, 200)
              console.log(`${w.name} @ ${cap} ${c.name}: FAILED ${message}`)
              runs.push({ workload: w.name, contender: c.name, capacity: cap, error: message })
            }
          }
        }
      }
      const rank = (r) => CONTENDERS.findIndex((c) => c.name === r.contender)
      runs.sort((a, b) => workloads.findIndex((w) => w.name === a.workload) - workloads.findIndex((w) => w.name === b.workload) || a.capacity - b.capacity || rank(a) - rank(b))
      const hits = await hitPath()
      console.log(`awaited hit, ns: ${hits.map((h) => `${h.contender} ${fmt.ns(h.ns.median)} (${fmt.ratio(h.ratio.median)})`).join(', ')}`)
      const problems = [
        ...runs.filter((r) => r.error).map((r) => `${r.workload}@${r.capacity} ${r.contender}: ${r.error}`),
        ...runs.filter((r) => r.wrongValues > 0).map((r) => `${r.workload}@${r.capacity} ${r.contender}: ${r.wrongValues} calls returned another key's value`),
      ]
      return {
        problems,
        data: {
          method: {
            concurrency: CONCURRENCY,
            backendMs: BACKEND_MS,
            requests: REQUESTS,
            rounds: ROUNDS,
            baseline: BASELINE,
            hitRatio: '1 − backend loads / requests; one replay per contender, workload and capacity',
            hitPath: `${HOT_KEYS} hot keys, all cached; ns per awaited call; per round the median of \`samples\` timed batches of about \`sampleMs\``,
            ...TIMING,
            lruCache: 'LRUCache({ max, fetchMethod, ignoreFetchAbort: true }) and cache.fetch(k)',
            mokaJs: 'cached(async (k) => backend(k), { maxCapacity, policy })',
          },
          runs,
          hitPath: hits,
        },
      }
    },
  )
}

await main()
