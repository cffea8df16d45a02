// One cache for W worker threads, against one cache per worker and against
// one main-thread cache that workers reach over MessagePort.
//
//   node benchmark/shared-workers.mjs [--quick] [--workers=1,2]
//
// Each worker runs CONCURRENCY async clients through OPS operations over a
// Zipf(1.0) key space: 90% get-or-load (a sync `get`, then on a miss an
// awaited load through the contender's single-flight: `fetch`), 10% set of a
// fresh value. The loader is a simulated backend that answers after 1 ms.
// The workers take consecutive slices of one request stream (the same keys
// are popular everywhere), and every cache can hold every key: loads are
// first touches, so one cache for all workers should load what one cache
// serving the whole stream loads, and a cache per worker W times as much.
// Contenders:
//   SharedMoka        one `SharedMoka` (tinyLfu) for the process, values
//                     through its default serializer (v8: structured clone)
//   SharedMoka json   the same with `serializer: 'json'`
//   lru-cache/worker  an lru-cache (`fetchMethod`) in every worker
//   MessagePort       one lru-cache in the main thread; every get and set is
//                     a request over a MessagePort, answered by the main thread
// Reported per contender and W: loader calls (all threads), throughput
// (operations per second of wall time), get latency p50/p99 (µs, every get)
// and hit latency p50/p99 (gets answered without a load). Rounds interleave
// the contenders; figures are medians with their range.
import { availableParallelism } from 'node:os'
import { fileURLToPath } from 'node:url'
import { isMainThread, MessageChannel, parentPort, Worker, workerData } from 'node:worker_threads'
import { setTimeout as sleep } from 'node:timers/promises'
import { QUICK, option } from './lib/common.mjs'
import { quantile } from './lib/memory.mjs'
import { rotate, spread } from './lib/rounds.mjs'
import { runSuite } from './lib/suite.mjs'
import { zipf } from './lib/workloads.mjs'

const KEYS = 100_000
const ZIPF_S = 1.0
const CAPACITY = KEYS
const OPS = QUICK ? 10_000 : 60_000
const CONCURRENCY = 16
const BACKEND_MS = 1
const ROUNDS = QUICK ? 1 : 3
const WORKER_COUNTS = String(option('workers', '1,2')).split(',').map(Number)
const CONTENDERS = ['SharedMoka', 'SharedMoka json', 'lru-cache/worker', 'MessagePort']

const valueOf = (id) => ({ id, name: `user ${id}`, email: `user${id}@example.com`, roles: ['reader'], score: id % 100 })


// ---------------------------------------------------------------- worker side

/** The get and set of one contender, in a worker. `get` resolves to [value, hit]. */
async function client(contender, { name, port }, counters) {
  const load = async (key) => {
    counters.loads++
    await sleep(BACKEND_MS)
    return valueOf(Number(key.slice(5)))
  }
  if (contender.startsWith('SharedMoka')) {
    const { SharedMoka } = await import('../index.mjs')
    const cache = new SharedMoka({ name, maxCapacity: CAPACITY, serializer: contender === 'SharedMoka json' ? 'json' : 'v8' })
    return {
      get: (key) => {
        const value = cache.get(key)
        return value === undefined ? cache.fetch(key, load).then((v) => [v, false]) : [value, true]
      },
      set: (key, value) => cache.set(key, value),
      close: () => cache.close(),
    }
  }
  if (contender === 'lru-cache/worker') {
    const { LRUCache } = await import('lru-cache')
    const cache = new LRUCache({ max: CAPACITY, fetchMethod: load, ignoreFetchAbort: true })
    return {
      get: (key) => {
        const value = cache.get(key)
        return value === undefined ? cache.fetch(key).then((v) => [v, false]) : [value, true]
      },
      set: (key, value) => cache.set(key, value),
      close: () => {},
    }
  }
  // MessagePort: requests to the main thread's cache.
  const pending = new Map()
  let next = 0
  port.on('message', ({ id, value, hit }) => {
    const resolve = pending.get(id)
    pending.delete(id)
    resolve([value, hit])
  })
  const request = (message) =>
    new Promise((resolve) => {
      const id = next++
      pending.set(id, resolve)
      port.postMessage({ id, ...message })
    })
  return {
    get: (key) => request({ op: 'get', key }),
    set: (key, value) => request({ op: 'set', key, value }),
    close: () => port.close(),
  }
}

async function workerMain() {
  const { contender, seed, slice, slices } = workerData
  const counters = { loads: 0 }
  const cache = await client(contender, workerData, counters)
  const ids = zipf(ZIPF_S, KEYS, OPS * slices, seed).subarray(slice * OPS, (slice + 1) * OPS)
  const latency = new Float64Array(OPS)
  const hit = new Uint8Array(OPS)
  const isGet = new Uint8Array(OPS)
  parentPort.postMessage({ ready: true })
  await new Promise((resolve) => parentPort.once('message', resolve))
  const started = performance.now()
  let nextOp = 0
  const run = async () => {
    while (nextOp < OPS) {
      const i = nextOp++
      const key = `user:${ids[i]}`
      if (i % 10 === 9) {
        await cache.set(key, valueOf(ids[i]))
        continue
      }
      const t0 = performance.now()
      const got = cache.get(key)
      const [value, wasHit] = Array.isArray(got) ? got : await got
      latency[i] = (performance.now() - t0) * 1000
      hit[i] = wasHit ? 1 : 0
      isGet[i] = 1
      if (value.id !== ids[i]) throw new Error(`wrong value for ${key}`)
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, run))
  const elapsedMs = performance.now() - started
  cache.close()
  parentPort.postMessage({ loads: counters.loads, elapsedMs, latency, hit, isGet }, [latency.buffer, hit.buffer, isGet.buffer])
}

// ---------------------------------------------------------------- main side

/** The main thread's cache for the MessagePort contender: serves get (loading on a miss) and set. */
async function serveOverPorts(ports, counters) {
  const { LRUCache } = await import('lru-cache')
  const load = async (key) => {
    counters.loads++
    await sleep(BACKEND_MS)
    return valueOf(Number(key.slice(5)))
  }
  const cache = new LRUCache({ max: CAPACITY, fetchMethod: load, ignoreFetchAbort: true })
  for (const port of ports) {
    port.on('message', async ({ id, op, key, value }) => {
      if (op === 'set') {
        cache.set(key, value)
        port.postMessage({ id })
        return
      }
      let found = cache.get(key)
      const wasHit = found !== undefined
      if (!wasHit) found = await cache.fetch(key)
      port.postMessage({ id, value: found, hit: wasHit })
    })
  }
}

let runNumber = 0

/** One run of `contender` with `w` workers over the stream of `seed`: the figures of every thread together. */
async function measure(contender, w, seed) {
  const name = `bench-${process.pid}-${++runNumber}`
  const counters = { loads: 0 }
  const channels = contender === 'MessagePort' ? Array.from({ length: w }, () => new MessageChannel()) : []
  if (channels.length) await serveOverPorts(channels.map((c) => c.port1), counters)
  const script = fileURLToPath(import.meta.url)
  const workers = Array.from({ length: w }, (_, i) => {
    const port = channels[i]?.port2
    return new Worker(script, {
      workerData: { contender, name, seed, slice: i, slices: w, port },
      transferList: port ? [port] : [],
      argv: process.argv.slice(2),
    })
  })
  const messages = workers.map((worker) => {
    const queue = []
    const waiters = []
    worker.on('message', (m) => (waiters.length ? waiters.shift()(m) : queue.push(m)))
    worker.on('error', (e) => {
      throw e
    })
    return () => new Promise((resolve) => (queue.length ? resolve(queue.shift()) : waiters.push(resolve)))
  })
  await Promise.all(messages.map((next) => next()))
  const started = performance.now()
  for (const worker of workers) worker.postMessage('go')
  const results = await Promise.all(messages.map((next) => next()))
  const wallMs = performance.now() - started
  await Promise.all(workers.map((worker) => worker.terminate()))
  for (const c of channels) c.port1.close()
  const gets = []
  const hits = []
  for (const r of results) {
    for (let i = 0; i < r.latency.length; i++) {
      if (!r.isGet[i]) continue
      gets.push(r.latency[i])
      if (r.hit[i]) hits.push(r.latency[i])
    }
  }
  gets.sort((a, b) => a - b)
  hits.sort((a, b) => a - b)
  return {
    loads: counters.loads + results.reduce((sum, r) => sum + r.loads, 0),
    opsPerSec: (w * OPS) / (wallMs / 1000),
    wallMs,
    getP50Us: quantile(gets, 0.5),
    getP99Us: quantile(gets, 0.99),
    hitP50Us: quantile(hits, 0.5),
    hitP99Us: quantile(hits, 0.99),
    hitRatio: hits.length / gets.length,
  }
}

async function parent() {
  await runSuite(
    'shared-workers',
    {
      peers: ['lru-cache'],
      title: 'SharedMoka across worker threads',
      describe: [
        `${WORKER_COUNTS.join(' and ')} workers (this machine: ${availableParallelism()} CPUs) × ${OPS.toLocaleString('en-US')} operations, ${CONCURRENCY} clients each; Zipf(${ZIPF_S}) over ${KEYS.toLocaleString('en-US')} keys; capacity ${CAPACITY.toLocaleString('en-US')}; 90% get-or-load, 10% set; ${BACKEND_MS} ms loader; ${ROUNDS} rounds`,
      ],
    },
    async () => {
      const cases = WORKER_COUNTS.flatMap((workers) => CONTENDERS.map((contender) => ({ contender, workers, runs: [] })))
      const probes = await rotate(cases, ROUNDS, async (c, round) => {
        const run = await measure(c.contender, c.workers, 7 + round)
        c.runs.push(run)
        console.log(
          `round ${round + 1}/${ROUNDS} W=${c.workers} ${c.contender.padEnd(16)} loads ${run.loads}, ${Math.round(run.opsPerSec).toLocaleString('en-US')} ops/s, get p50 ${run.getP50Us.toFixed(1)} µs p99 ${run.getP99Us.toFixed(1)} µs, hit p50 ${run.hitP50Us.toFixed(1)} µs p99 ${run.hitP99Us.toFixed(1)} µs`,
        )
      })
      const FIGURES = ['loads', 'opsPerSec', 'getP50Us', 'getP99Us', 'hitP50Us', 'hitP99Us', 'hitRatio']
      const rows = cases.map(({ contender, workers, runs }) => ({
        contender,
        workers,
        ...Object.fromEntries(FIGURES.map((f) => [f, spread(runs.map((r) => r[f]))])),
        runs,
      }))
      // One cache is one cache: SharedMoka must load what the main-thread cache loads for the same stream.
      const problems = []
      for (const w of WORKER_COUNTS) {
        const loads = (name) => rows.find((r) => r.contender === name && r.workers === w).loads.median
        for (const shared of ['SharedMoka', 'SharedMoka json']) {
          if (loads(shared) > 1.02 * loads('MessagePort')) {
            problems.push(`W=${w}: ${shared} made ${loads(shared)} loads, more than the ${loads('MessagePort')} of one main-thread cache`)
          }
        }
      }
      return {
        problems,
        data: {
          probes,
          method: {
            keys: KEYS,
            zipf: ZIPF_S,
            capacity: CAPACITY,
            opsPerWorker: OPS,
            clientsPerWorker: CONCURRENCY,
            backendMs: BACKEND_MS,
            rounds: ROUNDS,
            workers: WORKER_COUNTS,
            cpus: availableParallelism(),
            mix: '90% get (sync get, then on a miss an awaited single-flight load), 10% set of a fresh value',
            values: '{ id, name, email, roles, score } objects',
            contenders: {
              SharedMoka: 'one SharedMoka (tinyLfu) shared by the workers: get, then fetch on a miss; v8 serializer (default)',
              'SharedMoka json': "the same with serializer: 'json'",
              'lru-cache/worker': 'an lru-cache with fetchMethod in each worker: get, then fetch on a miss',
              MessagePort: 'one lru-cache with fetchMethod in the main thread; each get/set is a MessagePort round trip',
            },
          },
          rows,
        },
      }
    },
  )
}

if (isMainThread) await parent()
else await workerMain()
