// A request stream through a memoized async loader: moka-js `cached(async fn)`
// against lru-cache's `fetch` (fetchMethod), with a simulated backend that
// answers after 1 ms. Both coalesce concurrent loads of one key.
//
//   node benchmark/fetch-replay.mjs [--quick]
//
// Replay: CONCURRENCY workers take the next request from the stream and
// await the memoized call. Reported: backend loads, hit ratio
// (1 − loads / requests), wall time, request latency p50/p99, and the
// hit-path cost of an awaited call whose result is cached.
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { LRUCache } from 'lru-cache'
import api from '../index.js'
import { QUICK, ROOT, environment, fmt, markdownTable, option, printTable, writeResult } from './lib/common.mjs'
import { loadTrace, zipf } from './lib/workloads.mjs'

const { cached } = api
const CONCURRENCY = 64
const BACKEND_MS = 1
const REQUESTS = QUICK ? 40_000 : 150_000
const TRACE_DIR = option('traces', join(ROOT, '..', 'shared', 'traces'))



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

/** Cost of an awaited call answered from the cache (1,000 hot keys, all cached). */
async function hitPath(contender) {
  const backend = async (k) => ({ key: k })
  const call = contender.make(10_000, backend)
  for (let k = 0; k < 1000; k++) await call(k)
  const rounds = QUICK ? 100 : 300
  let best = Infinity
  for (let r = 0; r < 5; r++) {
    const t = performance.now()
    for (let i = 0; i < rounds; i++) for (let k = 0; k < 1000; k++) await call(k)
    best = Math.min(best, ((performance.now() - t) * 1e6) / (rounds * 1000))
  }
  return best
}

async function main() {
  const env = environment(['lru-cache'])
  console.log(`moka-js cached() vs lru-cache fetch — ${env.profile} profile — node ${env.node}`)
  console.log(`backend answers after ${BACKEND_MS} ms; ${CONCURRENCY} concurrent callers\n`)
  const workloads = [
    { name: 'zipf-0.9', trace: zipf(0.9, 10_000, REQUESTS, 42), caps: [100, 1000] },
    { name: 'web12', trace: loadTrace(join(TRACE_DIR, 'web12.trace.gz'), REQUESTS), caps: [512, 2048] },
  ]
  const runs = []
  for (const w of workloads) {
    for (const cap of w.caps) {
      for (const c of CONTENDERS) {
        let r
        try {
          r = await replay(c, w.trace, cap)
        } catch (error) {
          console.log(`  ${w.name}@${cap} ${c.name}: FAILED ${String(error?.message ?? error).slice(0, 200)}`)
          runs.push({ workload: w.name, contender: c.name, capacity: cap, error: String(error?.message ?? error).slice(0, 200) })
          continue
        }
        runs.push({ workload: w.name, ...r })
        console.log(`  ${w.name}@${cap} ${c.name.padEnd(24)} loads ${fmt.int(r.loads)}, hit ${r.hitRatio}%, wall ${fmt.int(r.wallMs)} ms, p99 ${r.p99Ms} ms`)
      }
    }
  }
  const hits = []
  for (const c of CONTENDERS) hits.push({ contender: c.name, nsPerCall: +(await hitPath(c)).toFixed(0) })

  const header = ['workload', 'capacity', 'contender', 'backend loads', 'hit %', 'wall ms', 'p50 ms', 'p99 ms']
  const rows = runs.filter((r) => !r.error).map((r) => [r.workload, r.capacity, r.contender, fmt.int(r.loads), r.hitRatio.toFixed(2), fmt.int(r.wallMs), r.p50Ms.toFixed(3), r.p99Ms.toFixed(3)])
  printTable(header, rows, `Replay through a memoized async loader (${REQUESTS.toLocaleString('en-US')} requests per workload)`)
  const base = hits.find((h) => h.contender === 'lru-cache fetch').nsPerCall
  const hitRows = hits.map((h) => [h.contender, fmt.ns(h.nsPerCall), fmt.ratio(h.nsPerCall / base)])
  printTable(['contender', 'ns per awaited hit', '× lru-cache'], hitRows, 'Hit path: `await f(k)` with the result cached (best of 5)')
  const wrong = runs.filter((r) => r.wrongValues > 0)
  console.log(wrong.length ? `\nCHECK FAILED: wrong values from ${wrong.map((r) => r.contender).join(', ')}` : '\nchecks: every call returned its own key’s value')
  writeResult('fetch-replay', {
    suite: 'fetch-replay',
    ...env,
    method: {
      concurrency: CONCURRENCY,
      backendMs: BACKEND_MS,
      requests: REQUESTS,
      hitRatio: '1 − backend loads / requests',
      lruCache: 'LRUCache({ max, fetchMethod, ignoreFetchAbort: true }) and cache.fetch(k)',
      mokaJs: "cached(async (k) => backend(k), { maxCapacity, policy })",
    },
    runs,
    hitPath: hits,
    markdown: `${markdownTable(header, rows)}\n\n${markdownTable(['contender', 'ns per awaited hit', '× lru-cache'], hitRows)}`,
  })
  if (wrong.length) process.exitCode = 1
}

await main()
