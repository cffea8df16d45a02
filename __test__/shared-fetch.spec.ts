// SharedMoka#fetch across threads: one loader per key for the whole process,
// waiters that do not block their event loop, failures that reach every
// waiter, and loaders that go away.

import test from 'ava'

import { SharedMoka } from '../index.js'
import { failure, PACKAGE, runNodeScript, sleep, trackUnhandledRejections } from './_helpers'
import { cacheName, marked, release, workers } from './_shared'

const unhandled = trackUnhandledRejections()

/** Every worker fetches every key at once; the loader counts its calls in shared memory and takes 20 ms. */
const RACE = async (cache: any, keys: string[], env: any) => {
  const values = await Promise.all(
    keys.map((k: string) =>
      cache.fetch(k, async (key: string) => {
        Atomics.add(env.calls, 0, 1)
        await new Promise((resolve) => setTimeout(resolve, 20))
        return { key, by: env.calls.length }
      }),
    ),
  )
  return values.map((v: { key: string }) => v.key)
}

for (const n of [2, 4, 8]) {
  test(`${n} workers racing for the same keys run one loader per key`, async (t) => {
    const name = cacheName(`race${n}`)
    const ws = await workers(t, n)
    await Promise.all(ws.map((w) => w.open({ name, maxCapacity: 10_000 })))
    const keys = Array.from({ length: 50 }, (_, i) => `key${i}`)
    // Each worker takes the keys in its own order, so loads start everywhere.
    const results = await Promise.all(
      ws.map((w, i) => w.run(RACE, [...keys.slice(i * 7), ...keys.slice(0, i * 7)])),
    )
    for (const [i, result] of results.entries()) {
      t.deepEqual(result, [...keys.slice(i * 7), ...keys.slice(0, i * 7)], `worker ${i} got every value`)
    }
    const calls = new Int32Array(ws[0].calls)
    t.is(calls[0], keys.length, `${keys.length} loads for ${n} workers × ${keys.length} keys`)
    const main = new SharedMoka<string, { key: string }>({ name, maxCapacity: 10_000 })
    t.is(main.size, keys.length)
    t.is(main.loadsInFlight, 0)
  })
}

// Slots of the shared `calls` array: 0 and 1 count loader calls; the others are gates.
const LOADS = 0
const OTHER_LOADS = 1
const RELEASE = 2
const REGISTERED = 3

test('a failed load rejects the waiters of every thread with a copy of its error, and is not cached', async (t) => {
  const name = cacheName('fail')
  const [loader, waiter] = await workers(t, 2)
  await loader.open({ name, maxCapacity: 10 })
  await waiter.open({ name, maxCapacity: 10 })
  const main = new SharedMoka<string, string>({ name, maxCapacity: 10 })
  const failing = loader.run(async (cache, _arg, env) => {
    try {
      await cache.fetch('k', async () => {
        Atomics.add(env.calls, 0, 1)
        await env.until(2)
        throw Object.assign(new RangeError('backend said no', { cause: 'quota' }), { code: 'E_QUOTA' })
      })
      return 'resolved'
    } catch (error) {
      return `${(error as Error).name}: ${(error as Error).message}`
    }
  })
  while (main.loadsInFlight === 0) await sleep(2)
  const waiting = waiter.run(async (cache, _arg, env) => {
    const pending = cache.fetch('k', () => {
      Atomics.add(env.calls, 1, 1)
      return 'should not run'
    })
    env.mark(3) // registered: fetch acquires synchronously
    try {
      await pending
      return 'resolved'
    } catch (error) {
      const e = error as Error & { code: string }
      return `${e.name}: ${e.message} (${error instanceof RangeError}, ${e.code}, ${e.cause})`
    }
  })
  await marked(loader.calls, REGISTERED)
  const mainError = failure(main.fetch('k', () => 'should not run either'))
  release(loader.calls, RELEASE)
  t.is(await failing, 'RangeError: backend said no')
  t.is(await waiting, 'RangeError: backend said no (true, E_QUOTA, quota)', 'class, code and cause cross the thread')
  t.true((await mainError) instanceof RangeError)
  t.is((await mainError).message, 'backend said no')
  t.is((await mainError as Error & { code: string }).code, 'E_QUOTA')
  const calls = new Int32Array(loader.calls)
  t.deepEqual([calls[LOADS], calls[OTHER_LOADS]], [1, 0], 'one load; the waiters ran nothing')
  t.false(main.has('k'))
  t.is(await main.fetch('k', () => 'second try'), 'second try', 'a failure is not cached')
})

test('rejections of any kind reach other threads: custom error classes keep their name and fields, non-errors their value', async (t) => {
  const name = cacheName('reasons')
  const [w] = await workers(t, 1)
  await w.open({ name, maxCapacity: 10 })
  const main = new SharedMoka<string, string>({ name, maxCapacity: 10 })
  class BackendError extends Error {
    readonly status = 503
    constructor(message: string) {
      super(message)
      this.name = 'BackendError'
    }
  }
  const reasons: unknown[] = [new BackendError('down'), 'a plain string', { code: 42 }, Object.assign(new Error('odd'), { handler: () => 1 })]
  for (const [i, reason] of reasons.entries()) {
    const loading = failure(
      main.fetch(`k${i}`, async () => {
        await marked(w.calls, 10 + i)
        throw reason
      }),
    )
    const seen = w.run(async (cache, i, env) => {
      const pending = cache.fetch(`k${i}`, () => 'not run')
      env.mark(10 + i)
      try {
        await pending
        return 'resolved'
      } catch (error) {
        return error instanceof Error ? { name: error.name, message: error.message, status: (error as { status?: number }).status } : { value: error }
      }
    }, i)
    await loading
    const expected = [
      { name: 'BackendError', message: 'down', status: 503 },
      { value: 'a plain string' },
      { value: { code: 42 } },
      { name: 'Error', message: 'odd', status: undefined },
    ][i]
    t.deepEqual(await seen, expected)
  }
})

test('waiting does not block the event loop: timers run while another thread loads', async (t) => {
  const name = cacheName('nonblocking')
  const [w] = await workers(t, 1)
  await w.open({ name, maxCapacity: 10 })
  const loading = w.run(async (cache, _arg, env) =>
    cache.fetch('slow', async () => {
      await env.until(2)
      return 'from the worker'
    }),
  )
  const main = new SharedMoka<string, string>({ name, maxCapacity: 10 })
  while (main.loadsInFlight === 0) await sleep(2)
  let settled = false
  const value = main.fetch('slow', () => 'from main').finally(() => (settled = true))
  await sleep(30)
  t.false(settled, 'a timer ran while the fetch was waiting')
  release(w.calls, RELEASE)
  t.is(await value, 'from the worker')
  t.is(await loading, 'from the worker')
})

test('a loading thread that is terminated mid-load: a waiter loads instead, nobody hangs', async (t) => {
  const name = cacheName('terminated')
  const [doomed, survivor] = await workers(t, 2)
  await doomed.open({ name, maxCapacity: 10 })
  await survivor.open({ name, maxCapacity: 10 })
  doomed
    .run(async (cache, _arg, env) => {
      await cache.fetch('k', async () => {
        Atomics.add(env.calls, 0, 1)
        return new Promise(() => {}) // never settles
      })
    })
    .catch(() => {})
  const main = new SharedMoka<string, string>({ name, maxCapacity: 10 })
  while (main.loadsInFlight === 0) await sleep(2)
  const waiting = survivor.run(async (cache, _arg, env) => {
    const pending = cache.fetch('k', () => {
      Atomics.add(env.calls, 1, 1)
      return 'loaded by the survivor'
    })
    env.mark(3)
    return pending
  })
  const mainWaiting = main.fetch('k', () => 'loaded by main')
  await marked(doomed.calls, REGISTERED)
  t.is(await doomed.terminate(), 1)
  const results = [await waiting, await mainWaiting]
  t.is(new Int32Array(doomed.calls)[LOADS], 1, 'the doomed loader ran once')
  t.true(
    results[0] === results[1] && (results[0] === 'loaded by the survivor' || results[0] === 'loaded by main'),
    `one of the waiters loaded, the other got its value: ${JSON.stringify(results)}`,
  )
  t.is(main.get('k'), results[0] as string)
  t.is(main.loadsInFlight, 0)
})

test('a loading thread that stops waiting (timeout) lets another thread load; its late value fills the cache only if empty', async (t) => {
  const name = cacheName('timeout')
  const main = new SharedMoka<string, string>({ name, maxCapacity: 10 })
  let release!: (v: string) => void
  const timedOut = await failure(main.fetch('k', () => new Promise<string>((resolve) => (release = resolve)), { timeout: 50 }))
  t.is(timedOut.name, 'TimeoutError')
  t.is(main.loadsInFlight, 0, 'the load was given up at once')
  const [w] = await workers(t, 1)
  await w.open({ name, maxCapacity: 10 })
  t.is(await w.run((cache) => cache.fetch('k', () => 'loaded by the worker')), 'loaded by the worker')
  release('late value')
  await sleep(20)
  t.is(main.get('k'), 'loaded by the worker', 'the late value did not overwrite')
  const again = await failure(main.fetch('j', () => new Promise<string>((resolve) => (release = resolve)), { timeout: 20 }))
  t.is(again.name, 'TimeoutError')
  release('late j')
  await sleep(20)
  t.is(main.get('j'), 'late j', 'a late value fills an empty entry')
})

test('concurrent fetches of one thread share its load; a caller aborting leaves the others waiting', async (t) => {
  const name = cacheName('local')
  const [w] = await workers(t, 1)
  await w.open({ name, maxCapacity: 10 })
  const worker = w.run(async (cache, _arg, env) =>
    cache.fetch('k', async () => {
      await env.until(2)
      return 'v'
    }),
  )
  const main = new SharedMoka<string, string>({ name, maxCapacity: 10 })
  while (main.loadsInFlight === 0) await sleep(2)
  const controller = new AbortController()
  const aborted = main.fetch('k', () => 'x', { signal: controller.signal })
  const staying = [main.fetch('k', () => 'x'), main.fetch('k', () => 'y')]
  controller.abort()
  t.is((await failure(aborted)).name, 'AbortError')
  release(w.calls, RELEASE)
  t.deepEqual(await Promise.all(staying), ['v', 'v'])
  t.is(await worker, 'v')
})

test('a value that cannot be stored rejects the loading caller and every waiter', async (t) => {
  const name = cacheName('unstorable')
  const [w] = await workers(t, 1)
  await w.open({ name, maxCapacity: 10 })
  const main = new SharedMoka<string, unknown>({ name, maxCapacity: 10 })
  const loading = failure(
    main.fetch('k', async () => {
      await marked(w.calls, REGISTERED)
      return { fn: () => 1 }
    }),
  )
  const waited = await w.run(async (cache, _arg, env) => {
    const pending = cache.fetch('k', () => 'not run')
    env.mark(3)
    try {
      return await pending
    } catch (error) {
      return (error as Error).name
    }
  })
  const error = await loading
  t.is(error.name, 'TypeError')
  t.regex(error.message, /cannot be stored in a SharedMoka/)
  t.is(waited, 'TypeError')
  t.false(main.has('k'))
})

test('a thread waiting for another thread’s load stays alive until it ends', (t) => {
  const child = runNodeScript(
    t,
    `
const { SharedMoka } = require(${JSON.stringify(PACKAGE)})
const { Worker } = require('node:worker_threads')
const worker = new Worker(
  'const { SharedMoka } = require(' + JSON.stringify(${JSON.stringify(PACKAGE)}) + ');' +
  'const { parentPort } = require("node:worker_threads");' +
  'const c = new SharedMoka({ name: "alive", maxCapacity: 10 });' +
  'c.fetch("k", () => { parentPort.postMessage("loading"); return new Promise((r) => setTimeout(() => r("from worker"), 300)) });',
  { eval: true },
)
worker.once('message', () => {
  worker.unref() // from now on only the pending fetch keeps this thread alive
  const c = new SharedMoka({ name: 'alive', maxCapacity: 10 })
  c.fetch('k', () => 'from main').then((v) => process.stdout.write(v))
})
`,
  )
  t.is(child.status, 0)
  t.is(child.stdout, 'from worker')
})

test('process exit with live handles, loads in flight and waiters is clean', (t) => {
  const child = runNodeScript(
    t,
    `
const { SharedMoka } = require(${JSON.stringify(PACKAGE)})
const { Worker } = require('node:worker_threads')
const source = 'const { SharedMoka } = require(' + JSON.stringify(${JSON.stringify(PACKAGE)}) + ');' +
  'const { parentPort } = require("node:worker_threads");' +
  'const c = new SharedMoka({ name: "exit", maxCapacity: 1000, evictionListener: () => {} });' +
  'for (let i = 0; i < 100; i++) c.fetch("load" + (i % 10), () => new Promise(() => {}));' +
  'parentPort.postMessage("up");' +
  'let i = 0; setInterval(() => { for (let j = 0; j < 1000; j++) c.set(i++ % 5000, "v" + i) }, 0);'
const workers = [0, 1, 2].map(() => new Worker(source, { eval: true }))
const c = new SharedMoka({ name: 'exit', maxCapacity: 1000, evictionListener: () => {} })
let up = 0
for (const w of workers) w.on('message', () => {
  if (++up < 3) return
  for (let i = 0; i < 10; i++) c.fetch('load' + i, () => 'main')
  setTimeout(() => { process.stdout.write('exiting'); process.exit(0) }, 50)
})
`,
  )
  t.is(child.status, 0)
  t.is(child.stdout, 'exiting')
  t.is(child.stderr, '')
})

test.after('no test left a rejection unhandled', (t) => {
  t.deepEqual(unhandled, [])
})
