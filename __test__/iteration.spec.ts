// keys() / values() / entries() / forEach / [Symbol.iterator].

import test from 'ava'

import { Moka } from '../index.js'
import { assertContents, Point, sleep } from './_helpers'

function filled() {
  const cache = new Moka<unknown, unknown>({ maxCapacity: 100 })
  const objKey = { k: 1 }
  const objValue = { v: 1 }
  const sym = Symbol('s')
  const point = new Point(4, 5)
  const pairs: [unknown, unknown][] = [
    ['str', 1],
    [objKey, objValue],
    [sym, 'symbol'],
    [point, [1, 2]],
    [undefined, null],
    [12n, 'big'],
  ]
  for (const [k, v] of pairs) cache.set(k, v)
  return { cache, pairs }
}

test('entries() and [Symbol.iterator] yield the original key and value objects', (t) => {
  const { cache, pairs } = filled()
  assertContents(t, cache, pairs)
  const viaIterator = new Map(cache)
  t.is(viaIterator.size, pairs.length)
  for (const [k, v] of pairs) t.is(viaIterator.get(k), v)
  t.is(cache[Symbol.iterator]().next().done, false)
})

test('keys() and values() yield the originals, in matching order', (t) => {
  const { cache, pairs } = filled()
  const keys = [...cache.keys()]
  const values = [...cache.values()]
  const entries = [...cache.entries()]
  t.is(keys.length, pairs.length)
  t.deepEqual(
    keys.map((k, i) => [k, values[i]]),
    entries,
  )
  for (const [k, v] of pairs) {
    t.true(keys.includes(k))
    t.true(values.includes(v))
  }
})

test('forEach calls (value, key, cache) with thisArg', (t) => {
  const { cache, pairs } = filled()
  const seen = new Map<unknown, unknown>()
  const self = { me: true }
  cache.forEach(function (this: unknown, value, key, c) {
    t.is(this, self)
    t.is(c, cache)
    seen.set(key, value)
  }, self)
  t.is(seen.size, pairs.length)
  for (const [k, v] of pairs) t.is(seen.get(k), v)
})

test('an empty cache iterates nothing', (t) => {
  const cache = new Moka({ maxCapacity: 10 })
  t.deepEqual([...cache], [])
  t.deepEqual([...cache.keys()], [])
  t.deepEqual([...cache.values()], [])
  let calls = 0
  cache.forEach(() => calls++)
  t.is(calls, 0)
})

test('removed and replaced entries are not iterated', (t) => {
  const cache = new Moka<string, number>({ maxCapacity: 100 })
  cache.set('a', 1).set('b', 2).set('c', 3)
  cache.delete('b')
  cache.set('c', 30)
  t.deepEqual([...cache].sort(), [
    ['a', 1],
    ['c', 30],
  ])
})

test('iteration is a snapshot: changing the cache meanwhile is safe', (t) => {
  const cache = new Moka<number, number>({ maxCapacity: 1_000 })
  for (let i = 0; i < 100; i++) cache.set(i, i)
  const seen: number[] = []
  for (const [k, v] of cache) {
    t.is(k, v)
    seen.push(k)
    cache.delete(k)
    cache.set(k + 1_000, k)
  }
  t.is(seen.length, 100)
  t.deepEqual(
    seen.sort((a, b) => a - b),
    Array.from({ length: 100 }, (_, i) => i),
  )
  t.is(cache.size, 100)
  t.true([...cache.keys()].every((k) => k >= 1_000))
})

test('many entries iterate exactly once each', (t) => {
  const cache = new Moka<number, { i: number }>({ maxCapacity: 20_000 })
  const values = Array.from({ length: 10_000 }, (_, i) => ({ i }))
  values.forEach((v, i) => cache.set(i, v))
  const seen = new Map(cache)
  t.is(seen.size, 10_000)
  t.true(values.every((v, i) => seen.get(i) === v))
})

test('expired entries are never iterated, even before maintenance', async (t) => {
  const wide = new Moka<string, string>({ maxCapacity: 100, ttl: 100 })
  const perEntry = new Moka<string, string>({ perEntryExpiry: true, maxCapacity: 100 })
  wide.set('short', 'gone soon')
  perEntry.set('short', 'gone soon', { ttl: 100 })
  perEntry.set('long', 'stays')
  t.deepEqual([...wide.keys()], ['short'])
  t.deepEqual([...perEntry.keys()].sort(), ['long', 'short'])
  await sleep(400)
  t.is(wide.slotsInUse, 1, 'not yet released: no maintenance has run')
  t.deepEqual([...wide.keys()], [])
  t.deepEqual([...wide.values()], [])
  t.deepEqual([...perEntry.keys()], ['long'])
  t.deepEqual([...perEntry], [['long', 'stays']])
  const visited: string[] = []
  perEntry.forEach((_, key) => visited.push(key))
  t.deepEqual(visited, ['long'])
})
