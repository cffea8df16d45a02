// TieredCache across processes: how many loads a shared Redis tier saves, and
// what it costs per request.
//
//   npm run bench:tiered [-- --quick] [-- --update]     (node benchmark/tiered.mjs)
//
// Workload: Zipf(0.9) over 100,000 keys, one seeded request stream, a 1 ms
// loader. Four processes each replay every fourth request with 16 concurrent
// callers, in four set-ups measured in one run against one redis-server:
//   - one process, L1 only: the same requests through a single Moka (the reference)
//   - 4 processes, L1 only: a Moka each, nothing shared
//   - 4 processes, L2 only: TieredCache with an L1 of 0 entries (every request reads Redis)
//   - 4 processes, L1+L2: TieredCache with the same L1 as the others
// Reported per set-up: loader calls (and the ratio to the reference), request
// latency p50/p99, wall time. Then the latency of an L2 hit (next to a raw
// ioredis GET of the same bytes) and the invalidation propagation delay
// (a write in one process until another sees it), p50/p99.
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'

import Redis from 'ioredis'

import { require as requireTs } from 'tsx/cjs/api'

import api from '../index.js'
import tiered from '../tiered.js'
import { QUICK, environment, fmt, markdownTable, printTable, writeResult } from './lib/common.mjs'
import { zipf } from './lib/workloads.mjs'

const { Moka } = api
const { TieredCache } = tiered
const PROCESSES = 4
const CALLERS = 16
const KEYS = 100_000
const REQUESTS = QUICK ? 40_000 : 200_000
const L1_CAPACITY = 10_000
const LOADER_MS = 1
const SEED = 42
const ROUNDS = QUICK ? 60 : 200
const L2_READS = QUICK ? 5_000 : 20_000
const now = () => performance.timeOrigin + performance.now()

const SETUPS = [
  { name: 'one process, L1 only (reference)', processes: 1, tier: 'none' },
  { name: `${PROCESSES} processes, L1 only`, processes: PROCESSES, tier: 'none' },
  { name: `${PROCESSES} processes, L2 only`, processes: PROCESSES, tier: 'l2' },
  { name: `${PROCESSES} processes, L1+L2`, processes: PROCESSES, tier: 'l1l2' },
]

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
}

// ---- worker side ---------------------------------------------------------

async function replay({ index, processes, tier, url, namespace }) {
  let loads = 0
  const loader = async (key) => {
    loads++
    await sleep(LOADER_MS)
    return { key, payload: 'x'.repeat(64) }
  }
  const cache =
    tier === 'none'
      ? new Moka({ maxCapacity: L1_CAPACITY })
      : new TieredCache({ redis: url, namespace, l1: { maxCapacity: tier === 'l2' ? 0 : L1_CAPACITY }, timeout: 2000 })
  if (tier !== 'none') await cache.ready()
  const stream = zipf(0.9, KEYS, REQUESTS, SEED)
  const mine = []
  for (let i = index; i < stream.length; i += processes) mine.push(`key:${stream[i]}`)
  const latencies = new Float64Array(mine.length)
  let next = 0
  const started = performance.now()
  await Promise.all(
    Array.from({ length: CALLERS * (PROCESSES / processes) }, async () => {
      while (next < mine.length) {
        const i = next++
        const t0 = performance.now()
        await cache.fetch(mine[i], loader)
        latencies[i] = performance.now() - t0
      }
    }),
  )
  const wall = performance.now() - started
  const stats = tier === 'none' ? undefined : cache.stats()
  if (tier !== 'none') await cache.close()
  return { loads, wall, latencies: Array.from(latencies), stats }
}

async function reader({ url, namespace }) {
  const cache = new TieredCache({ redis: url, namespace })
  await cache.ready()
  process.on('message', async (m) => {
    if (m.op === 'hold') {
      await cache.get(m.key)
      await cache.get(m.key)
      process.send({ op: 'held' })
    } else if (m.op === 'watch') {
      process.send({ op: 'watching' })
      for (;;) {
        if ((await cache.get(m.key)) === m.expected) break
        await new Promise((done) => setImmediate(done))
      }
      process.send({ op: 'seen', at: now() })
    } else if (m.op === 'exit') {
      await cache.close()
      process.disconnect()
    }
  })
  process.send({ op: 'ready' })
}

if (process.argv.includes('--worker')) {
  process.once('message', async (task) => {
    if (task.role === 'reader') return reader(task)
    // Exit once the result is written: process.send is asynchronous.
    process.send(await replay(task), () => process.exit(0))
  })
  // A message sent before the listener exists would be lost: the parent waits for this.
  process.send({ op: 'up' })
} else {
  await main()
}

// ---- parent side ---------------------------------------------------------

async function spawnWorker() {
  const child = fork(fileURLToPath(import.meta.url), ['--worker', ...(QUICK ? ['--quick'] : [])], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  await next(child, 'up')
  return child
}

function next(child, op) {
  return new Promise((done) => {
    const on = (m) => {
      if (op === undefined || m.op === op) {
        child.off('message', on)
        done(m)
      }
    }
    child.on('message', on)
  })
}

async function runSetup(setup, server, raw) {
  await raw.flushall()
  const workers = await Promise.all(Array.from({ length: setup.processes }, () => spawnWorker()))
  const started = performance.now()
  const results = await Promise.all(
    workers.map((child, index) => {
      const reply = next(child)
      child.send({ index, processes: setup.processes, tier: setup.tier, url: server.url, namespace: 'bench' })
      return reply
    }),
  )
  const wall = performance.now() - started
  const latencies = results.flatMap((r) => r.latencies).sort((a, b) => a - b)
  return {
    setup: setup.name,
    processes: setup.processes,
    loads: results.reduce((sum, r) => sum + r.loads, 0),
    requests: latencies.length,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    wallMs: wall,
    l2Errors: results.reduce((sum, r) => sum + (r.stats?.l2.errors ?? 0), 0),
  }
}

async function l2HitLatency(server, raw) {
  await raw.flushall()
  const cache = new TieredCache({ redis: server.url, namespace: 'hit', l1: { maxCapacity: 0 } })
  await cache.ready()
  const value = { payload: 'x'.repeat(64) }
  for (let i = 0; i < 1000; i++) await cache.set(`k${i}`, value)
  const bytes = await raw.getBuffer('hit:d:k0')
  await raw.set('raw:k', bytes)
  const tiered = []
  const plain = []
  // Interleaved, so both see the same machine.
  for (let i = 0; i < L2_READS; i++) {
    let t0 = performance.now()
    await cache.get(`k${i % 1000}`)
    tiered.push(performance.now() - t0)
    t0 = performance.now()
    await raw.getBuffer('raw:k')
    plain.push(performance.now() - t0)
  }
  if (cache.stats().l2.hits < L2_READS) throw new Error('expected every read to hit Redis')
  await cache.close()
  tiered.sort((a, b) => a - b)
  plain.sort((a, b) => a - b)
  return [
    { path: 'TieredCache get, L2 hit (Lua GET + PTTL, envelope check, JSON.parse)', p50: percentile(tiered, 50), p99: percentile(tiered, 99) },
    { path: 'ioredis getBuffer of the same bytes (no decode)', p50: percentile(plain, 50), p99: percentile(plain, 99) },
  ]
}

async function propagation(server, raw) {
  await raw.flushall()
  const writer = new TieredCache({ redis: server.url, namespace: 'prop' })
  await writer.ready()
  const child = await spawnWorker()
  const ready = next(child, 'ready')
  child.send({ role: 'reader', url: server.url, namespace: 'prop' })
  await ready
  const delays = []
  for (let round = 0; round < ROUNDS; round++) {
    const key = `k${round}`
    await writer.set(key, 'old')
    child.send({ op: 'hold', key })
    await next(child, 'held')
    const watching = next(child, 'watching')
    const seen = next(child, 'seen')
    child.send({ op: 'watch', key, expected: 'new' })
    await watching
    const at = now()
    await writer.set(key, 'new')
    delays.push((await seen).at - at)
  }
  child.send({ op: 'exit' })
  await writer.close()
  delays.sort((a, b) => a - b)
  return { rounds: ROUNDS, p50: percentile(delays, 50), p99: percentile(delays, 99), max: delays[delays.length - 1] }
}

async function main() {
  // The specs' server helper (TypeScript) starts redis-server: one way to run it.
  const { RedisServer } = requireTs('../__test__/_redis.ts', import.meta.url)
  const env = environment(['ioredis'])
  const server = await RedisServer.start()
  const raw = new Redis(server.url)
  try {
    console.log(`TieredCache: Zipf(0.9) over ${KEYS} keys, ${REQUESTS} requests, ${LOADER_MS} ms loader, L1 ${L1_CAPACITY} entries per process`)
    const setups = []
    for (const setup of SETUPS) {
      const result = await runSetup(setup, server, raw)
      setups.push(result)
      console.log(`  ${setup.name}: ${result.loads} loads, p50 ${result.p50.toFixed(3)} ms, p99 ${result.p99.toFixed(3)} ms`)
    }
    const reference = setups[0].loads
    const header = ['set-up', 'loader calls', '× one process', 'p50 ms', 'p99 ms', 'wall ms']
    const rows = setups.map((r) => [r.setup, fmt.int(r.loads), `${(r.loads / reference).toFixed(2)}x`, r.p50.toFixed(3), r.p99.toFixed(3), fmt.int(r.wallMs)])
    printTable(header, rows, 'Loader calls and request latency')
    const hits = await l2HitLatency(server, raw)
    const hitRows = hits.map((h) => [h.path, h.p50.toFixed(3), h.p99.toFixed(3)])
    printTable(['path', 'p50 ms', 'p99 ms'], hitRows, `L2 hit latency (${L2_READS} sequential reads)`)
    const prop = await propagation(server, raw)
    printTable(['rounds', 'p50 ms', 'p99 ms', 'max ms'], [[prop.rounds, prop.p50.toFixed(2), prop.p99.toFixed(2), prop.max.toFixed(2)]], 'Invalidation propagation (set in one process → seen in another)')
    console.log('\n' + markdownTable(header, rows))
    console.log('\n' + markdownTable(['path', 'p50 ms', 'p99 ms'], hitRows))
    writeResult('tiered', { ...env, redis: (await raw.info('server')).match(/redis_version:(\S+)/)?.[1], setups, l2Hit: hits, propagation: prop })
  } finally {
    raw.disconnect()
    await server.stop()
  }
}
