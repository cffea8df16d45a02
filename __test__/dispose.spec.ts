// dispose(): the native side is freed at once, deterministically.
import test from 'ava'

import { cached, Moka } from '../ts/index'
import { Point } from './_helpers'

test('dispose frees the cache; later calls throw a clear Error; twice is a no-op', (t) => {
  const cache = new Moka<string, object>({ maxCapacity: 100 })
  for (let i = 0; i < 50; i++) cache.set(`k${i}`, { i })
  cache.dispose()
  t.true(cache.disposed)
  t.notThrows(() => cache.dispose())
  t.is(cache.slotsInUse, 0)
  for (const call of [() => cache.get('k1'), () => cache.set('k', {}), () => cache.size, () => cache.clear(), () => [...cache]]) {
    t.throws(call, { instanceOf: Error, message: /this cache was disposed/ })
  }
})

test('Symbol.dispose disposes (using declarations)', (t) => {
  const cache = new Moka<number, number>({ maxCapacity: 10 })
  cache.set(1, 1)
  cache[Symbol.dispose]()
  t.true(cache.disposed)
  t.throws(() => cache.get(1), { message: /disposed/ })
})

test('dispose drops interned keys and values, and notifies nobody', (t) => {
  let notified = 0
  const cache = new Moka<Point, object>({ maxCapacity: 10, evictionListener: () => notified++ })
  cache.set(new Point(1, 2), {}).set(new Point(3, 4), {})
  t.is(cache.internedKeys, 2)
  cache.dispose()
  t.is(cache.internedKeys, 0)
  t.is(notified, 0)
})

test('an interned key is released even when its object later loses equals', (t) => {
  const cache = new Moka<Point, number>({ maxCapacity: 10, evictionListener: () => {} })
  const key = new Point(5, 5) as Point & { equals?: unknown }
  cache.set(key, 1)
  t.is(cache.internedKeys, 1)
  Object.defineProperty(key, 'equals', { value: undefined })
  cache.clear()
  t.is(cache.internedKeys, 0)
  t.is(cache.slotsInUse, 0)
})

test('after dispose, each method that needs the entries fails naming itself: sync ones throw, fetch rejects', async (t) => {
  const cache = new Moka<string, number>({ maxCapacity: 10, ttl: '1m' })
  cache.set('a', 1)
  cache.dispose()
  const calls: [string, () => unknown][] = [
    ['get()', () => cache.get('a')],
    ['getWith()', () => cache.getWith('a', () => 1)],
    ['has()', () => cache.has('a')],
    ['set()', () => cache.set('a', 2)],
    ['delete()', () => cache.delete('a')],
    ['remove()', () => cache.remove('a')],
    ['clear()', () => cache.clear()],
    ['runPendingTasks()', () => cache.runPendingTasks()],
    ['getMany()', () => cache.getMany(['a'])],
    ['setMany()', () => cache.setMany([['a', 1]])],
    ['invalidateIf()', () => cache.invalidateIf(() => true)],
    ['entries()', () => cache.entries()],
    ['keys()', () => cache.keys()],
    ['values()', () => cache.values()],
    ['forEach()', () => cache.forEach(() => {})],
    ['stats()', () => cache.stats()],
    ['size cannot be read', () => cache.size],
    ['weightedSize cannot be read', () => cache.weightedSize],
    ['it cannot be iterated', () => [...cache]],
  ]
  for (const [name, call] of calls) {
    const error = t.throws(call, { instanceOf: Error }, name)
    t.true(error?.message.startsWith('Moka: this cache was disposed; ') && error.message.includes(name), error?.message)
    t.false(/native|slots/.test(error?.message ?? ''), error?.message)
  }
  let fetched: Promise<number> | undefined
  t.notThrows(() => {
    fetched = cache.fetch('a', () => 1)
  })
  await t.throwsAsync(fetched!, { message: 'Moka: this cache was disposed; fetch() cannot be called after dispose()' })
  // What needs no native cache still answers.
  t.is(cache.maxCapacity, 10)
  t.is(cache.policy, 'tinyLfu')
  t.is(cache.ttl, 60_000)
  t.deepEqual(cache.toJSON(), { disposed: true, maxCapacity: 10, policy: 'tinyLfu' })
  t.is(cache.slotsInUse, 0)
})

test('a fetch in flight when the cache is disposed resolves with the loaded value, stored nowhere', async (t) => {
  const cache = new Moka<string, number>({ maxCapacity: 10 })
  let finish!: (value: number) => void
  const pending = cache.fetch('k', () => new Promise<number>((resolve) => (finish = resolve)))
  cache.dispose()
  finish(7)
  t.is(await pending, 7)
})

test('a cached function whose cache was disposed: async calls reject and sync calls throw, naming the function; its methods name themselves', async (t) => {
  const load = cached(async function loadUser(id: number) {
    return { id }
  })
  const square = cached(function square(n: number) {
    return n * n
  })
  t.deepEqual(await load(1), { id: 1 })
  t.is(square(3), 9)
  load.cache.dispose()
  square.cache.dispose()
  let called: Promise<unknown> | undefined
  t.notThrows(() => {
    called = load(1)
  })
  await t.throwsAsync(called!, { message: 'Moka: this cache was disposed; loadUser() cannot be called after dispose()' })
  t.throws(() => square(3), { message: 'Moka: this cache was disposed; square() cannot be called after dispose()' })
  t.throws(() => load.cacheClear(), { message: /; loadUser\.cacheClear\(\) cannot be called after dispose\(\)$/ })
  t.throws(() => load.invalidate(1), { message: /; loadUser\.invalidate\(\) cannot be called after dispose\(\)$/ })
  t.is(load.cacheInfo().size, 0, 'cacheInfo still answers')
})

test('a cached load in flight when its cache is disposed still resolves its callers', async (t) => {
  let finish!: (value: string) => void
  const slow = cached(async function slow(_key: string) {
    return new Promise<string>((resolve) => (finish = resolve))
  })
  slow.cache.set('warm', 'up')
  const pending = slow('k')
  slow.cache.dispose()
  finish('done')
  t.is(await pending, 'done')
})
