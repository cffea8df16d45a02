'use strict'
// The memcheck workload of SharedMoka (VALGRIND_WORKLOAD=scripts/valgrind-shared.js
// scripts/test-valgrind.sh): one cache used from the main thread and two
// workers; every method, every key and value kind, loads across threads that
// succeed, fail, and whose loading worker is terminated mid-load; removals
// delivered to listeners on two threads; handles closed, collected and
// dropped with their thread. Plain Node: it must run under valgrind.

const assert = require('node:assert')
const path = require('node:path')
const { Worker } = require('node:worker_threads')

const root = path.resolve(__dirname, '..')
const { SharedMoka } = require(root)
if (process.env.NAPI_RS_NATIVE_LIBRARY_PATH) {
  assert.ok(require.cache[path.resolve(process.env.NAPI_RS_NATIVE_LIBRARY_PATH)], 'the NAPI_RS_NATIVE_LIBRARY_PATH addon is loaded')
}

const N = Number(process.env.VALGRIND_OPS || 600)
const OPTIONS = { name: 'valgrind', maxCapacity: 200, perEntryExpiry: true }

const keyOf = (i) => [`k${i % 150}`, i % 120, BigInt(i % 90) << 70n, i % 2 === 0, '😀é'.repeat(i % 30)][i % 5]
const valueOf = (i) => [`v${i}`, new Uint8Array([i & 255, 1, 2]), Buffer.from(`b${i}`), { i, list: [i, `${i}`] }, '☃'.repeat(i % 50)][i % 5]

/** A worker that writes, reads and loads through the same cache, then waits to be told to end. */
const WORKER = `
const { SharedMoka } = require(${JSON.stringify(root)})
const { parentPort, workerData } = require('node:worker_threads')
const keyOf = ${keyOf}
const valueOf = ${valueOf}
const cache = new SharedMoka({ ...${JSON.stringify(OPTIONS)}, evictionListener: () => {} })
let removals = 0
const listening = new SharedMoka({ ...${JSON.stringify(OPTIONS)}, evictionListener: () => removals++ })
;(async () => {
  for (let i = 0; i < workerData.n; i++) {
    cache.set(keyOf(i), valueOf(i), i % 7 === 0 ? { ttl: 5 } : undefined)
    cache.get(keyOf(i * 3))
    if (i % 11 === 0) cache.delete(keyOf(i + 1))
    if (i % 13 === 0) await cache.fetch('load' + (i % 5), async (k) => k + ' by ' + workerData.id)
  }
  if (workerData.hang) cache.fetch('hung', () => new Promise(() => {})) // loads forever: terminated mid-load
  parentPort.postMessage({ done: true })
})()
`

async function main() {
  const events = []
  const cache = new SharedMoka({ ...OPTIONS, evictionListener: (k, v, c) => events.push(c) })
  const workers = [0, 1].map((id) => new Worker(WORKER, { eval: true, workerData: { id, n: N, hang: id === 0 } }))
  await Promise.all(workers.map((w) => new Promise((resolve) => w.once('message', resolve))))

  for (let i = 0; i < N; i++) {
    cache.set(keyOf(i), valueOf(i))
    assert.notStrictEqual(cache.get(keyOf(i)), undefined)
    cache.has(keyOf(i + 7))
    if (i % 17 === 0) cache.remove(keyOf(i))
    if (i % 19 === 0) cache.getWith(keyOf(i + 3), () => valueOf(i), { tti: 20 })
  }
  // A load that fails, one that succeeds, and one whose loader (worker 0) is terminated while it waits.
  await assert.rejects(cache.fetch('failing', async () => {
    throw new RangeError('no')
  }))
  assert.strictEqual(await cache.fetch('fine', () => 'ok'), 'ok')
  const waiting = cache.fetch('hung', () => 'loaded by main after the worker went away')
  await workers[0].terminate()
  assert.strictEqual(await waiting, 'loaded by main after the worker went away')

  // Errors that change nothing.
  assert.throws(() => cache.set({}, 1), TypeError)
  assert.throws(() => cache.set('f', () => 1), TypeError)
  assert.throws(() => new SharedMoka({ ...OPTIONS, maxCapacity: 1 }), TypeError)

  // Iteration, conditional removal, clear, maintenance, statistics.
  let n = 0
  for (const [k] of cache) n += typeof k === 'bigint' ? 2 : 1
  assert.ok(n > 0)
  cache.invalidateIf((k) => typeof k === 'number')
  cache.runPendingTasks()
  assert.ok(cache.size <= OPTIONS.maxCapacity)
  assert.ok(cache.weightedSize >= 0)
  cache.stats()
  cache.clear()
  await new Promise((resolve) => setTimeout(resolve, 100))
  assert.ok(events.length > 0, 'removals were delivered to the main thread')

  // Handles closed, collected, and dropped with their thread.
  const extra = new SharedMoka(OPTIONS)
  extra.set('x', 'y')
  extra.close()
  for (let i = 0; i < 20; i++) new SharedMoka({ ...OPTIONS, name: `gone${i}` }).set('k', 'v'.repeat(i))
  globalThis.gc()
  await new Promise((resolve) => setImmediate(resolve))
  globalThis.gc()
  await workers[1].terminate()
  cache.close()
  console.log('valgrind-shared: done')
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
