// dispose(): the native side is freed at once, deterministically.
import test from 'ava'

import { Moka } from '../ts/index'
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
