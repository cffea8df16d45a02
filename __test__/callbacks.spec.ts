// User callbacks that throw: weigher, hash and equals options, a value
// object's hashCode and equals. The error propagates unchanged and the cache
// is exactly as before: same contents, same slots, same interned keys.

import test from 'ava'
import type { ExecutionContext } from 'ava'

import { Moka } from '../index.js'
import { assertConsistent, Point } from './_helpers'

/** Runs `action`, expects `error`, then checks the cache did not change. */
function throwsAndLeavesIntact<K, V>(t: ExecutionContext, cache: Moka<K, V>, error: unknown, action: () => unknown, label: string) {
  const before = [...cache.entries()]
  const slots = cache.slotsInUse
  const interned = cache.internedKeys
  const thrown = t.throws(action, { any: true }, label)
  t.is(thrown, error, `${label}: the callback's own error`)
  const after = [...cache.entries()]
  t.is(after.length, before.length, `${label}: same number of entries`)
  before.forEach(([k, v], i) => {
    t.is(after[i][0], k, `${label}: same key`)
    t.is(after[i][1], v, `${label}: same value`)
  })
  t.is(cache.slotsInUse, slots, `${label}: slotsInUse unchanged`)
  t.is(cache.internedKeys, interned, `${label}: internedKeys unchanged`)
}

test('a throwing weigher: set, setMany and getWith throw its error; nothing changes', (t) => {
  const error = new Error('weigher')
  let fail = false
  const cache = new Moka<string, string>({
    maxCapacity: 100,
    weigher: () => {
      if (fail) throw error
      return 1
    },
  })
  cache.set('a', 'A').set('b', 'B')
  fail = true
  throwsAndLeavesIntact(t, cache, error, () => cache.set('c', 'C'), 'set new')
  throwsAndLeavesIntact(t, cache, error, () => cache.set('a', 'A2'), 'set existing')
  throwsAndLeavesIntact(t, cache, error, () => cache.setMany([['d', 'D']]), 'setMany')
  throwsAndLeavesIntact(t, cache, error, () => cache.getWith('e', () => 'E'), 'getWith')
  t.is(cache.get('a'), 'A')
  fail = false
  assertConsistent(t, cache)
})

class Evil {
  constructor(
    readonly id: number,
    readonly fail: 'hashCode' | 'equals' | 'none',
    readonly error: Error,
  ) {}

  equals(other: unknown): boolean {
    if (this.fail === 'equals') throw this.error
    return other instanceof Evil && other.id === this.id
  }

  hashCode(): number {
    if (this.fail === 'hashCode') throw this.error
    return 0 // every Evil collides: equals always runs
  }
}

for (const which of ['hashCode', 'equals'] as const) {
  test(`a value object whose ${which} throws: every method propagates it; nothing changes`, (t) => {
    const error = new Error(which)
    const cache = new Moka<unknown, string>({ maxCapacity: 100 })
    cache.set(new Evil(1, 'none', error), 'one').set(new Point(1, 1), 'point').set('plain', 'p')
    const evil = () => new Evil(2, which, error)
    throwsAndLeavesIntact(t, cache, error, () => cache.set(evil(), 'x'), 'set')
    throwsAndLeavesIntact(t, cache, error, () => cache.get(evil()), 'get')
    throwsAndLeavesIntact(t, cache, error, () => cache.get(evil(), 'fallback'), 'get with fallback')
    throwsAndLeavesIntact(t, cache, error, () => cache.has(evil()), 'has')
    throwsAndLeavesIntact(t, cache, error, () => cache.delete(evil()), 'delete')
    throwsAndLeavesIntact(t, cache, error, () => cache.remove(evil()), 'remove')
    throwsAndLeavesIntact(t, cache, error, () => cache.getWith(evil(), () => 'x'), 'getWith')
    throwsAndLeavesIntact(t, cache, error, () => cache.getMany(['plain', evil()]), 'getMany')
    throwsAndLeavesIntact(
      t,
      cache,
      error,
      () =>
        cache.setMany([
          [new Evil(3, 'none', error), 'a'],
          [new Point(7, 7), 'b'],
          [evil(), 'c'],
          ['d', 'd'],
        ]),
      'setMany with the bad key last but one',
    )
    t.is(cache.get(new Evil(1, 'none', error)), 'one')
    t.is(cache.get(new Point(1, 1)), 'point')
    assertConsistent(t, cache)
  })
}

for (const which of ['hash', 'equals'] as const) {
  test(`a throwing ${which} option: every method propagates it; nothing changes`, (t) => {
    const error = new Error(which)
    let fail = false
    const cache = new Moka<{ id: number }, string>({
      maxCapacity: 100,
      hash: (k) => {
        if (fail && which === 'hash' && k.id === 3) throw error
        return k.id % 2
      },
      equals: (a, b) => {
        if (fail && which === 'equals' && (a.id === 3 || b.id === 3)) throw error
        return a.id === b.id
      },
    })
    cache.set({ id: 1 }, 'one').set({ id: 2 }, 'two')
    fail = true
    const key = { id: 3 } // the one that fails; collides with id 1, so equals runs
    throwsAndLeavesIntact(t, cache, error, () => cache.set(key, 'x'), 'set')
    throwsAndLeavesIntact(t, cache, error, () => cache.get(key), 'get')
    throwsAndLeavesIntact(t, cache, error, () => cache.has(key), 'has')
    throwsAndLeavesIntact(t, cache, error, () => cache.delete(key), 'delete')
    throwsAndLeavesIntact(t, cache, error, () => cache.remove(key), 'remove')
    throwsAndLeavesIntact(t, cache, error, () => cache.getWith(key, () => 'x'), 'getWith')
    throwsAndLeavesIntact(t, cache, error, () => cache.getMany([key]), 'getMany')
    throwsAndLeavesIntact(
      t,
      cache,
      error,
      () =>
        cache.setMany([
          [{ id: 4 }, 'a'],
          [{ id: 6 }, 'a'],
          [key, 'b'],
          [{ id: 8 }, 'c'],
        ]),
      'setMany with good keys before the bad one',
    )
    fail = false
    t.is(cache.get({ id: 1 }), 'one')
    t.is(cache.get({ id: 2 }), 'two')
    t.is(cache.get({ id: 4 }), undefined)
    t.is(cache.internedKeys, 2)
    assertConsistent(t, cache)
  })
}

test('hash returning an object, or hashCode returning one, is a TypeError naming it', (t) => {
  const cache = new Moka<{ id: number }, string>({ maxCapacity: 10, hash: (k) => ({ id: k.id }), equals: () => true })
  t.throws(() => cache.set({ id: 1 }, 'x'), { instanceOf: TypeError, message: /hash/ })
  t.is(cache.slotsInUse, 0)
  t.is(cache.internedKeys, 0)

  const plain = new Moka<object, string>({ maxCapacity: 10 })
  const weird = { equals: () => true, hashCode: () => ({}) }
  t.throws(() => plain.set(weird, 'x'), { instanceOf: TypeError, message: /hashCode/ })
  t.throws(() => plain.get(weird), { instanceOf: TypeError, message: /hashCode/ })
  t.is(plain.slotsInUse, 0)
  t.is(plain.internedKeys, 0)
})

test('a throwing init in getWith leaves slots and interned keys as they were', (t) => {
  const cache = new Moka<Point, string>({ maxCapacity: 10 })
  cache.set(new Point(1, 1), 'kept')
  const error = new Error('init')
  throwsAndLeavesIntact(
    t,
    cache,
    error,
    () =>
      cache.getWith(new Point(2, 2), () => {
        throw error
      }),
    'getWith',
  )
  t.is(cache.internedKeys, 1)
})
