// getMany / setMany: many keys in one native call, same semantics as one by one.

import test from 'ava'

import { Moka } from '../index.js'
import { assertConsistent, assertContents, Point, recorder } from './_helpers'

test('getMany returns values in key order, undefined for misses', (t) => {
  const cache = new Moka<unknown, unknown>({ maxCapacity: 100 })
  const obj = {}
  const value = { v: 1 }
  cache.set('a', 1).set(2, 'two').set(obj, value).set(new Point(1, 1), 'point').set(null, 'null')
  t.deepEqual(cache.getMany(['a', 'missing', 2, obj, {}, new Point(1, 1), new Point(9, 9), null, undefined, -0]), [
    1,
    undefined,
    'two',
    value,
    undefined,
    'point',
    undefined,
    'null',
    undefined,
    undefined,
  ])
  t.is(cache.getMany([obj])[0], value, 'the very object')
  t.deepEqual(cache.getMany([]), [])
})

test('getMany accepts any iterable and counts each key as a read', (t) => {
  const cache = new Moka<string, number>({ maxCapacity: 100 })
  cache.set('a', 1).set('b', 2)
  t.deepEqual(cache.getMany(new Set(['b', 'a', 'c'])), [2, 1, undefined])
  function* keys() {
    yield 'a'
    yield 'a'
  }
  t.deepEqual(cache.getMany(keys()), [1, 1])
  const stats = cache.stats()
  t.is(stats.hits, 4)
  t.is(stats.misses, 1)
})

test('getMany with a hash/equals cache', (t) => {
  const cache = new Moka<{ id: number }, string>({ maxCapacity: 10, hash: (k) => k.id, equals: (a, b) => a.id === b.id })
  cache.set({ id: 1 }, 'one')
  t.deepEqual(cache.getMany([{ id: 1 }, { id: 2 }]), ['one', undefined])
})

test('setMany stores every pair and returns the cache', (t) => {
  const cache = new Moka<unknown, unknown>({ maxCapacity: 100 })
  const obj = {}
  const value = { v: 1 }
  t.is(
    cache.setMany([
      ['a', 1],
      [obj, value],
      [new Point(2, 3), 'p'],
      [Symbol.for('s'), 's'],
      [10n, 'big'],
    ]),
    cache,
  )
  assertContents(t, cache, [
    ['a', 1],
    [obj, value],
    [[...cache.keys()].find((k) => k instanceof Point), 'p'],
    [Symbol.for('s'), 's'],
    [10n, 'big'],
  ])
  t.is(cache.get(new Point(2, 3)), 'p')
  t.is(cache.internedKeys, 1)
  assertConsistent(t, cache)
})

test('setMany accepts Maps and generators', (t) => {
  const cache = new Moka<string, number>({ maxCapacity: 100 })
  cache.setMany(
    new Map([
      ['a', 1],
      ['b', 2],
    ]),
  )
  function* pairs(): Generator<[string, number]> {
    yield ['c', 3]
    yield ['d', 4]
  }
  cache.setMany(pairs())
  cache.setMany([])
  assertContents(t, cache, [
    ['a', 1],
    ['b', 2],
    ['c', 3],
    ['d', 4],
  ])
})

test('setMany replaces existing entries and duplicate keys: last one wins, each replacement notified', (t) => {
  const { events, listener } = recorder()
  const cache = new Moka<unknown, string>({ maxCapacity: 100, evictionListener: listener })
  cache.set('a', 'old')
  cache.setMany([
    ['a', 'first'],
    ['b', 'b1'],
    ['a', 'second'],
    [new Point(1, 0), 'p1'],
    [new Point(1, 0), 'p2'],
  ])
  t.is(cache.get('a'), 'second')
  t.is(cache.get('b'), 'b1')
  t.is(cache.get(new Point(1, 0)), 'p2')
  t.is(cache.size, 3)
  t.deepEqual(
    events.map(([k, v, c]) => [k instanceof Point ? 'point' : k, v, c]),
    [
      ['a', 'old', 'replaced'],
      ['a', 'first', 'replaced'],
      ['point', 'p1', 'replaced'],
    ],
  )
  t.is(cache.internedKeys, 1)
  t.is(cache.stats().evictions!.replaced, 3)
  assertConsistent(t, cache)
})

test('setMany with a weigher weighs every entry', (t) => {
  const weighed: [string, string][] = []
  const cache = new Moka<string, string>({
    maxCapacity: 100,
    weigher: (k, v) => {
      weighed.push([k, v])
      return v.length
    },
  })
  cache.setMany([
    ['a', 'xxx'],
    ['b', 'yyyyy'],
  ])
  t.deepEqual(weighed, [
    ['a', 'xxx'],
    ['b', 'yyyyy'],
  ])
  t.is(cache.weightedSize, 8)
})

test('setMany beyond capacity evicts down to it', (t) => {
  const { events, listener } = recorder<number, number>()
  const cache = new Moka<number, number>({ maxCapacity: 1_000, policy: 'lru', evictionListener: listener })
  cache.setMany(Array.from({ length: 5_000 }, (_, i): [number, number] => [i, i]))
  cache.runPendingTasks()
  t.is(cache.size, 1_000)
  t.is(events.length, 4_000)
  t.true(events.every(([k, v, c]) => k === v && c === 'size'))
  t.is(new Set(events.map(([k]) => k)).size, 4_000, 'each evicted entry notified once')
  for (const [k] of events) t.false(cache.has(k))
  assertConsistent(t, cache)
})

test('setMany with a malformed pair inserts nothing', (t) => {
  const cache = new Moka<unknown, unknown>({ maxCapacity: 100 })
  cache.set('keep', 1)
  const bad: unknown[] = [['x', 1], 'not a pair', ['y', 2]]
  t.throws(() => cache.setMany(bad as [unknown, unknown][]), { instanceOf: TypeError })
  t.throws(() => cache.setMany([['only key']] as unknown as [unknown, unknown][]), { instanceOf: TypeError })
  t.throws(() => cache.setMany(null as unknown as [unknown, unknown][]), { instanceOf: TypeError })
  t.false(cache.has('x'))
  t.false(cache.has('y'))
  assertContents(t, cache, [['keep', 1]])
  t.is(cache.slotsInUse, 1)
})

test('getMany and setMany reject a non-iterable, naming the argument', (t) => {
  const cache = new Moka<unknown, unknown>({ maxCapacity: 100 })
  cache.set('k', 'v')
  for (const bad of [null, undefined, 7, { length: 2, 0: 'k', 1: 'x' }, {}]) {
    t.throws(() => cache.getMany(bad as unknown as unknown[]), { instanceOf: TypeError, message: /keys/ })
    t.throws(() => cache.setMany(bad as unknown as [unknown, unknown][]), { instanceOf: TypeError, message: /entries/ })
  }
  assertContents(t, cache, [['k', 'v']])
  t.is(cache.stats().misses + cache.stats().hits, 0)
})
