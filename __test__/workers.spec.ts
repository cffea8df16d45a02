// Threads and process exit: caches inside worker_threads (one per thread),
// workers terminated with live caches mid-operation, and a process that
// exits with live caches and notifications still pending.

import { Worker } from 'node:worker_threads'

import test from 'ava'

import { Moka } from '../index.js'
import { PACKAGE, runNodeScript } from './_helpers'

function runWorker(source: string, workerData: unknown = undefined): Worker {
  return new Worker(`const { Moka } = require(${JSON.stringify(PACKAGE)});\n${source}`, { eval: true, workerData })
}

function result<T>(worker: Worker): Promise<{ message: T; code: number }> {
  return new Promise((resolve, reject) => {
    let message: T
    worker.on('message', (m: T) => (message = m))
    worker.on('error', reject)
    worker.on('exit', (code) => resolve({ message, code }))
  })
}

const CACHE_WORK = `
const { parentPort, workerData } = require('node:worker_threads')
const { tag } = workerData
const notified = { size: 0, replaced: 0, explicit: 0, expired: 0 }
const cache = new Moka({
  maxCapacity: 500,
  policy: 'lru',
  evictionListener: (key, value, cause) => {
    notified[cause]++
    if (cause === 'size') cache.get(key) // re-entrant, inside the worker
  },
})
for (let i = 0; i < 20000; i++) cache.set('k' + i, { tag, i })
cache.set('k19999', { tag, i: -1 })
cache.delete('k19998')
cache.runPendingTasks()
const sample = cache.get('k19990')
parentPort.postMessage({
  size: cache.size,
  slotsInUse: cache.slotsInUse,
  notified,
  sample,
  shared: cache.get('shared'),
})
`

test('caches work inside worker threads, one per thread, independent of the main thread', async (t) => {
  const main = new Moka<string, string>({ maxCapacity: 10 })
  main.set('shared', 'main thread')
  const workers = ['a', 'b'].map((tag) => result<Record<string, unknown>>(runWorker(CACHE_WORK, { tag })))
  const results = await Promise.all(workers)
  for (const [i, { message, code }] of results.entries()) {
    const tag = ['a', 'b'][i]
    t.is(code, 0)
    t.is(message.size, 500)
    t.is(message.slotsInUse, 500)
    t.deepEqual(message.notified, { size: 19_500 - 1, replaced: 1, explicit: 1, expired: 0 })
    t.deepEqual(message.sample, { tag, i: 19_990 }, 'each worker sees its own values')
    t.is(message.shared, undefined, 'a worker does not see the main thread cache')
  }
  t.is(main.get('shared'), 'main thread')
  t.is(main.size, 1)
})

test('terminating workers with live caches mid-operation is clean', async (t) => {
  const source = `
const { parentPort } = require('node:worker_threads')
const caches = []
for (let c = 0; c < 5; c++) {
  caches.push(new Moka({ maxCapacity: 1000, ttl: 5, evictionListener: (k) => { caches[0].get(k) } }))
}
let i = 0
let announced = false
for (;;) {
  const cache = caches[i % caches.length]
  cache.set('k' + (i % 5000), { i })
  cache.get('k' + ((i * 7) % 5000))
  if (i % 1000 === 0) cache.setMany([[i, i], [i + 1, i]])
  if (i % 5000 === 0) cache.invalidateIf((k) => typeof k === 'number')
  if (++i === 20000 && !announced) { announced = true; parentPort.postMessage('busy') }
}
`
  for (let round = 0; round < 3; round++) {
    const pair = [runWorker(source), runWorker(source)]
    await Promise.all(pair.map((w) => new Promise((resolve) => w.once('message', resolve))))
    await new Promise((resolve) => setTimeout(resolve, 30 * round))
    const codes = await Promise.all(pair.map((w) => w.terminate()))
    t.deepEqual(codes, [1, 1], 'terminated (exit code 1), not crashed')
  }
  // the main thread is unaffected
  const cache = new Moka<string, number>({ maxCapacity: 10 })
  cache.set('after', 1)
  t.is(cache.get('after'), 1)
})

test('a worker that ends with live caches exits cleanly', async (t) => {
  const { code, message } = await result<string>(
    runWorker(`
const { parentPort } = require('node:worker_threads')
const caches = Array.from({ length: 20 }, () => new Moka({ maxCapacity: 100, evictionListener: () => {} }))
caches.forEach((c, n) => { for (let i = 0; i < 1000; i++) c.set(i, { n, i }) })
parentPort.postMessage('done')
`),
  )
  t.is(code, 0)
  t.is(message, 'done')
})


test('process.exit with live caches and pending notifications: exit code 0, no crash output', (t) => {
  const child = runNodeScript(t, `
const caches = []
for (let c = 0; c < 10; c++) {
  const cache = new Moka({ maxCapacity: 100, ttl: 1, evictionListener: () => {} })
  for (let i = 0; i < 5000; i++) cache.set(i, { c, i }) // far over capacity, maintenance pending
  caches.push(cache)
}
const started = Date.now()
while (Date.now() - started < 20) {} // let every entry expire, unnotified
process.stdout.write('exiting')
process.exit(0)
`)
  t.is(child.status, 0)
  t.is(child.stdout, 'exiting')
  t.is(child.stderr, '')
})

test('process.exit from inside an eviction listener, in the middle of a large batch', (t) => {
  const child = runNodeScript(t, `
let notified = 0
const cache = new Moka({
  maxCapacity: 100000,
  evictionListener: () => {
    if (++notified === 1500) { process.stdout.write('exiting at ' + notified); process.exit(0) }
  },
})
for (let i = 0; i < 5000; i++) cache.set(i, { i })
cache.clear() // 5000 notifications: more than one shared-buffer batch
process.stdout.write('not reached')
`)
  t.is(child.status, 0)
  t.is(child.stdout, 'exiting at 1500')
  t.is(child.stderr, '')
})

test('process.exit while worker threads hold live caches', (t) => {
  const child = runNodeScript(t, `
const { Worker } = require('node:worker_threads')
const pkg = ${JSON.stringify(PACKAGE)}
const workers = [0, 1].map(() => new Worker(
  'const { Moka } = require(' + JSON.stringify(pkg) + ');' +
  'const { parentPort } = require("node:worker_threads");' +
  'const c = new Moka({ maxCapacity: 100, evictionListener: () => {} });' +
  'let i = 0; parentPort.postMessage("up");' +
  'for (;;) { c.set(i % 1000, { i }); c.get(i++ % 777) }',
  { eval: true },
))
let up = 0
for (const w of workers) w.on('message', () => {
  if (++up === 2) {
    const cache = new Moka({ maxCapacity: 10 })
    for (let i = 0; i < 100; i++) cache.set(i, i)
    process.stdout.write('exiting')
    process.exit(0)
  }
})
`)
  t.is(child.status, 0)
  t.is(child.stdout, 'exiting')
  t.is(child.stderr, '')
})
