import test from 'ava'

import { AbortError, cached, Moka, TimeoutError } from '../index.js'
import { failure, Point, sleep, trackUnhandledRejections } from './_helpers'

// Nothing in this file may leave a rejection unhandled.
const unhandled = trackUnhandledRejections()

/** A loader whose calls are counted and whose results are released by hand. */
function gate<V>() {
  const calls: { key: unknown; signal: AbortSignal; resolve: (v: V) => void; reject: (e: unknown) => void }[] = []
  const loader = (key: unknown, { signal }: { signal: AbortSignal }) =>
    new Promise<V>((resolve, reject) => calls.push({ key, signal, resolve, reject }))
  return { calls, loader }
}

test('a hit returns the stored value; a miss loads, stores and returns', async (t) => {
  const cache = new Moka<string, { name: string }>({ maxCapacity: 100 })
  const ann = { name: 'ann' }
  cache.set('ann', ann)
  let calls = 0
  const loader = async (key: string) => {
    calls++
    return { name: key }
  }
  t.is(await cache.fetch('ann', loader), ann)
  const bob = await cache.fetch('bob', loader)
  t.deepEqual(bob, { name: 'bob' })
  t.is(cache.get('bob'), bob)
  t.is(await cache.fetch('bob', loader), bob)
  t.is(calls, 1)
})

test('the loader gets the key and a signal; sync loaders and sync throws work', async (t) => {
  const cache = new Moka<number, number>({ maxCapacity: 10 })
  let seen: [number, boolean] | undefined
  t.is(
    await cache.fetch(2, (key, { signal }) => {
      seen = [key, signal instanceof AbortSignal]
      return key * 10
    }),
    20,
  )
  t.deepEqual(seen, [2, true])
  const error = await failure(
    cache.fetch(3, () => {
      throw new Error('sync throw')
    }),
  )
  t.is(error.message, 'sync throw')
  t.false(cache.has(3))
})

test('single-flight: concurrent fetches share one load and get the same object', async (t) => {
  const cache = new Moka<string, object>({ maxCapacity: 10 })
  const { calls, loader } = gate<object>()
  const pending = [cache.fetch('k', loader), cache.fetch('k', loader), cache.fetch('k', loader), cache.fetch('j', loader)]
  t.is(calls.length, 2)
  const value = { v: 1 }
  calls[0].resolve(value)
  calls[1].resolve({ v: 2 })
  const results = await Promise.all(pending)
  t.is(results[0], value)
  t.is(results[1], value)
  t.is(results[2], value)
  t.is(cache.get('k'), value)
})

test('single-flight: a rejection reaches every waiter and is not stored', async (t) => {
  const cache = new Moka<string, number>({ maxCapacity: 10 })
  const { calls, loader } = gate<number>()
  const pending = [cache.fetch('k', loader), cache.fetch('k', loader)].map(failure)
  const boom = new Error('boom')
  calls[0].reject(boom)
  const [a, b] = await Promise.all(pending)
  t.is(a, boom)
  t.is(b, boom)
  t.false(cache.has('k'))
  const next = cache.fetch('k', loader)
  t.is(calls.length, 2, 'the next fetch loads again')
  calls[1].resolve(7)
  t.is(await next, 7)
})

test('single-flight follows the cache keys: value objects and custom hash/equals', async (t) => {
  const points = new Moka<Point, string>({ maxCapacity: 10 })
  const { calls, loader } = gate<string>()
  const a = points.fetch(new Point(1, 2), loader)
  const b = points.fetch(new Point(1, 2), loader)
  const c = points.fetch(new Point(2, 1), loader)
  t.is(calls.length, 2)
  calls[0].resolve('p12')
  calls[1].resolve('p21')
  t.deepEqual(await Promise.all([a, b, c]), ['p12', 'p12', 'p21'])

  const folded = new Moka<string, string>({
    maxCapacity: 10,
    hash: (k) => k.toLowerCase(),
    equals: (x, y) => x.toLowerCase() === y.toLowerCase(),
  })
  const g = gate<string>()
  const d = folded.fetch('Hello', g.loader)
  const e = folded.fetch('HELLO', g.loader)
  t.is(g.calls.length, 1)
  g.calls[0].resolve('hi')
  t.deepEqual(await Promise.all([d, e]), ['hi', 'hi'])
  t.is(folded.internedKeys, 1, 'the key held during the load was released')
})

test('timeout: every waiter is rejected with a TimeoutError, the loader signal aborts, a late result fills the cache', async (t) => {
  const cache = new Moka<string, string>({ maxCapacity: 10 })
  const { calls, loader } = gate<string>()
  const pending = [cache.fetch('k', loader, { timeout: 30 }), cache.fetch('k', loader)].map(failure)
  const [a, b] = await Promise.all(pending)
  t.is(a.name, 'TimeoutError')
  t.true(a instanceof TimeoutError)
  t.is(a, b)
  t.true(calls[0].signal.aborted)
  t.is((calls[0].signal.reason as Error).name, 'TimeoutError')
  calls[0].resolve('late')
  await sleep(0)
  t.is(cache.get('k'), 'late')
})

test('timeout: a late result does not overwrite a newer value', async (t) => {
  const cache = new Moka<string, string>({ maxCapacity: 10 })
  const { calls, loader } = gate<string>()
  const first = failure(cache.fetch('k', loader, { timeout: 20 }))
  t.is((await first).name, 'TimeoutError')
  const second = cache.fetch('k', loader)
  t.is(calls.length, 2, 'a timed-out load is no longer joined')
  calls[1].resolve('new')
  t.is(await second, 'new')
  calls[0].resolve('old')
  await sleep(0)
  t.is(cache.get('k'), 'new')
})

test("a joiner's timeout limits only its own wait", async (t) => {
  const cache = new Moka<string, string>({ maxCapacity: 10 })
  const { calls, loader } = gate<string>()
  const patient = cache.fetch('k', loader)
  const hasty = failure(cache.fetch('k', loader, { timeout: 20 }))
  t.is((await hasty).name, 'TimeoutError')
  t.false(calls[0].signal.aborted)
  calls[0].resolve('v')
  t.is(await patient, 'v')
})

test("abort: a caller's signal rejects that caller alone with an AbortError", async (t) => {
  const cache = new Moka<string, string>({ maxCapacity: 10 })
  const { calls, loader } = gate<string>()
  const controller = new AbortController()
  const leaving = failure(cache.fetch('k', loader, { signal: controller.signal }))
  const staying = cache.fetch('k', loader)
  controller.abort()
  const error = await leaving
  t.is(error.name, 'AbortError')
  t.false(calls[0].signal.aborted, 'the load goes on for the others')
  calls[0].resolve('v')
  t.is(await staying, 'v')
  t.is(cache.get('k'), 'v')
})

test('abort: the loader signal aborts once every waiter has gone', async (t) => {
  const cache = new Moka<string, string>({ maxCapacity: 10 })
  const { calls, loader } = gate<string>()
  const one = new AbortController()
  const two = new AbortController()
  const a = failure(cache.fetch('k', loader, { signal: one.signal }))
  const b = failure(cache.fetch('k', loader, { signal: two.signal }))
  one.abort()
  await a
  t.false(calls[0].signal.aborted)
  two.abort()
  t.is((await b).name, 'AbortError')
  t.true(calls[0].signal.aborted)
  t.is((calls[0].signal.reason as Error).name, 'AbortError')
  // A new caller starts a new load; the abandoned one may still fill the cache.
  const c = cache.fetch('k', loader)
  t.is(calls.length, 2)
  calls[0].reject(new Error('aborted late'))
  calls[1].resolve('fresh')
  t.is(await c, 'fresh')
  await sleep(0)
  t.deepEqual(unhandled, [])
})

test('abort: a custom reason is kept; a non-error reason becomes the cause of an AbortError', async (t) => {
  const cache = new Moka<string, string>({ maxCapacity: 10 })
  const { calls, loader } = gate<string>()
  const reason = new Error('user navigated away')
  const c1 = new AbortController()
  const c2 = new AbortController()
  const a = failure(cache.fetch('k', loader, { signal: c1.signal }))
  const b = failure(cache.fetch('k', loader, { signal: c2.signal }))
  c1.abort(reason)
  c2.abort('bye')
  t.is(await a, reason)
  const error = await b
  t.true(error instanceof AbortError)
  t.is(error.cause, 'bye')
  calls[0].resolve('x')
})

test('an already aborted signal rejects at once without loading', async (t) => {
  const cache = new Moka<string, string>({ maxCapacity: 10 })
  let calls = 0
  const error = await failure(
    cache.fetch(
      'k',
      () => {
        calls++
        return 'v'
      },
      { signal: AbortSignal.abort() },
    ),
  )
  t.is(error.name, 'AbortError')
  t.is(calls, 0)
})

test('ttl: a duration or a function of the value sets the entry lifetime', async (t) => {
  const cache = new Moka<string, { expiresIn: number }>({ perEntryExpiry: true, maxCapacity: 10 })
  const started = Date.now()
  await cache.fetch('short', () => ({ expiresIn: 300 }), { ttl: (v) => v.expiresIn })
  await cache.fetch('long', () => ({ expiresIn: 60_000 }), { ttl: (v) => v.expiresIn })
  await cache.fetch('fixed', () => ({ expiresIn: 0 }), { ttl: '300ms' })
  await cache.fetch('never', () => ({ expiresIn: -5 }), { ttl: (v) => v.expiresIn })
  if (Date.now() - started < 250) {
    t.true(cache.has('short'))
    t.true(cache.has('fixed'))
  }
  t.false(cache.has('never'), 'a ttl ≤ 0 stores nothing')
  await sleep(400)
  t.false(cache.has('short'))
  t.false(cache.has('fixed'))
  t.true(cache.has('long'))
})

test('tti: the fetched entry expires once it was not read for that long', async (t) => {
  const cache = new Moka<string, string>({ maxCapacity: 10, perEntryExpiry: true })
  await cache.fetch('idle', () => 'v', { tti: 300 })
  await cache.fetch('both', () => 'v', { tti: 300, ttl: (v) => (v === 'v' ? 60_000 : undefined) })
  for (let i = 0; i < 8; i++) {
    await sleep(50)
    t.is(cache.get('idle'), 'v', 'each read resets the idle timer')
  }
  await sleep(900)
  t.false(cache.has('idle'))
  t.false(cache.has('both'), 'tti applies beside a ttl function')
})

test('bad arguments throw, naming the option', (t) => {
  const cache = new Moka<string, number>({ maxCapacity: 10 })
  t.throws(() => cache.fetch('k', 'load' as never), { instanceOf: TypeError, message: /loader/ })
  t.throws(() => cache.fetch('k', () => 1, { timeout: -1 }), { instanceOf: RangeError, message: /timeout/ })
  t.throws(() => cache.fetch('k', () => 1, { signal: {} as never }), { instanceOf: TypeError, message: /signal/ })
  t.throws(() => cache.fetch('k', () => 1, { ttl: 'later' }), { instanceOf: RangeError, message: /ttl/ })
  t.throws(() => cache.fetch('k', () => 1, { tti: 0 }), { instanceOf: RangeError, message: /^tti/ })
  t.throws(() => cache.fetch('k', () => 1, { tiemout: 5 } as never), { instanceOf: TypeError, message: /tiemout/ })
})

test('fetch and a cached function share one single-flight table', async (t) => {
  let calls = 0
  const load = cached(async (id: number) => {
    calls++
    await sleep(20)
    return { id }
  })
  const viaFunction = load(1)
  const viaFetch = load.cache.fetch(1, () => {
    throw new Error('not called: the load in flight is joined')
  })
  t.is(await viaFetch, await viaFunction)
  t.is(calls, 1)
})

test('fetch is typed by the cache value type', async (t) => {
  const cache = new Moka<string, number>({ maxCapacity: 10 })
  const n: number = await cache.fetch('a', async () => 1)
  // @ts-expect-error the loader must produce the cache's value type
  const typeCheckOnly = () => cache.fetch('a', async () => 'one')
  t.is(n, 1)
  t.is(typeof typeCheckOnly, 'function')
})

test('no unhandled rejections from abandoned or failing loads', async (t) => {
  const cache = new Moka<string, string>({ maxCapacity: 10 })
  const controller = new AbortController()
  const abandoned = failure(
    cache.fetch(
      'a',
      async () => {
        await sleep(20)
        throw new Error('after everyone left')
      },
      { signal: controller.signal },
    ),
  )
  controller.abort()
  await abandoned
  await failure(
    cache.fetch(
      'b',
      async () => {
        await sleep(40)
        throw new Error('after the timeout')
      },
      { timeout: 10 },
    ),
  )
  await sleep(80)
  t.deepEqual(unhandled, [])
})
