// Every eviction cause ('size', 'expired', 'explicit', 'replaced'), capacity
// policies and the weigher.

import test from 'ava'

import { Moka } from '../index.js'
import { assertConsistent, assertContents, recorder, sleep, tally } from './_helpers'

test("'size': an LRU cache evicts the least recently used entry", (t) => {
  const { events, listener } = recorder()
  const cache = new Moka<string, { v: string }>({ maxCapacity: 3, policy: 'lru', evictionListener: listener })
  const values = { a: { v: 'a' }, b: { v: 'b' }, c: { v: 'c' }, d: { v: 'd' } }
  cache.set('a', values.a).set('b', values.b).set('c', values.c)
  cache.runPendingTasks()
  t.is(cache.get('a'), values.a) // a becomes the most recent
  cache.set('d', values.d)
  cache.runPendingTasks()
  t.deepEqual(events, [['b', values.b, 'size']])
  t.is(events[0][1], values.b, 'the listener gets the very value object')
  assertContents(t, cache, [
    ['a', values.a],
    ['c', values.c],
    ['d', values.d],
  ])
  t.is(cache.stats().evictions!.size, 1)
  assertConsistent(t, cache)
})

test("'size': overfilling an LRU cache keeps the newest entries and notifies the rest once", (t) => {
  const { events, listener } = recorder<number, number>()
  const cache = new Moka<number, number>({ maxCapacity: 100, policy: 'lru', evictionListener: listener })
  for (let i = 0; i < 1_000; i++) cache.set(i, i)
  cache.runPendingTasks()
  t.is(cache.size, 100)
  t.deepEqual(
    [...cache.keys()].sort((a, b) => a - b),
    Array.from({ length: 100 }, (_, i) => 900 + i),
  )
  t.is(events.length, 900)
  t.deepEqual(
    events.map(([k]) => k).sort((a, b) => a - b),
    Array.from({ length: 900 }, (_, i) => i),
  )
  t.true(events.every(([k, v, c]) => k === v && c === 'size'))
  t.is(cache.stats().evictions!.size, 900)
  assertConsistent(t, cache)
})

test("'size': a TinyLFU cache stays within capacity; every key is either live or notified, once", (t) => {
  const { events, listener } = recorder<number, number>()
  const cache = new Moka<number, number>({ maxCapacity: 100, evictionListener: listener })
  for (let i = 0; i < 1_000; i++) cache.set(i, i)
  cache.runPendingTasks()
  const live = [...cache.keys()]
  t.true(cache.size <= 100 && cache.size > 0, `size ${cache.size}`)
  t.is(live.length + events.length, 1_000)
  const notified = tally(events.map(([k]) => k))
  t.true([...notified.values()].every((n) => n === 1), 'no entry notified twice')
  t.true(
    live.every((k) => !notified.has(k)),
    'no live entry was notified',
  )
  t.true(events.every(([, , c]) => c === 'size'))
  assertConsistent(t, cache)
})

test("'size': TinyLFU admission keeps popular entries against a scan of one-time keys", (t) => {
  const { events, listener } = recorder<string, number>()
  const cache = new Moka<string, number>({ maxCapacity: 10, evictionListener: listener })
  for (let i = 0; i < 10; i++) cache.set(`hot${i}`, i)
  for (let round = 0; round < 20; round++) for (let i = 0; i < 10; i++) cache.get(`hot${i}`)
  cache.runPendingTasks()
  for (let i = 0; i < 200; i++) cache.set(`cold${i}`, i)
  cache.runPendingTasks()
  for (let i = 0; i < 10; i++) t.true(cache.has(`hot${i}`), `hot${i} survived`)
  t.is(cache.size, 10)
  t.is(events.length, 200, 'every rejected newcomer is notified')
  t.true(events.every(([k, , c]) => k.startsWith('cold') && c === 'size'))
  assertConsistent(t, cache)
})

test('maxCapacity 0 stores nothing and releases every value', (t) => {
  const { events, listener } = recorder()
  const cache = new Moka<string, object>({ maxCapacity: 0, evictionListener: listener })
  const value = {}
  cache.set('a', value)
  cache.setMany([
    ['b', {}],
    ['c', {}],
  ])
  cache.runPendingTasks()
  t.false(cache.has('a'))
  t.is(cache.get('a'), undefined)
  t.is(cache.size, 0)
  t.is(cache.slotsInUse, 0)
  t.deepEqual(
    events.map(([k, , c]) => [k, c]),
    [
      ['a', 'size'],
      ['b', 'size'],
      ['c', 'size'],
    ],
  )
  t.is(events[0][1], value)
})

test("'expired': entries past their ttl are notified once maintenance runs", async (t) => {
  const { events, listener } = recorder()
  const cache = new Moka<string, string>({ maxCapacity: 100, ttl: 100, evictionListener: listener })
  cache.set('a', 'A').set('b', 'B')
  await sleep(400)
  cache.runPendingTasks()
  t.deepEqual(
    events.sort(([a], [b]) => String(a).localeCompare(String(b))),
    [
      ['a', 'A', 'expired'],
      ['b', 'B', 'expired'],
    ],
  )
  t.is(cache.size, 0)
  t.is(cache.slotsInUse, 0)
  t.is(cache.stats().evictions!.expired, 2)
})

test("'explicit': delete, remove, clear and invalidateIf", (t) => {
  const { events, listener } = recorder()
  const cache = new Moka<string, string>({ maxCapacity: 100, evictionListener: listener })
  cache.setMany([
    ['d', 'D'],
    ['r', 'R'],
    ['i', 'I'],
    ['c', 'C'],
  ])
  cache.delete('d')
  t.deepEqual(events.splice(0), [['d', 'D', 'explicit']])
  cache.remove('r')
  t.deepEqual(events.splice(0), [['r', 'R', 'explicit']])
  cache.invalidateIf((k) => k === 'i')
  t.deepEqual(events.splice(0), [['i', 'I', 'explicit']])
  cache.clear()
  t.deepEqual(events.splice(0), [['c', 'C', 'explicit']])
  cache.delete('absent')
  cache.remove('absent')
  t.deepEqual(events, [], 'nothing removed, nothing notified')
  t.is(cache.stats().evictions!.explicit, 4)
  t.is(cache.slotsInUse, 0)
})

test("'replaced': set and setMany on an existing key; getWith never replaces", (t) => {
  const { events, listener } = recorder()
  const cache = new Moka<string, object>({ maxCapacity: 100, evictionListener: listener })
  const v1 = { n: 1 }
  const v2 = { n: 2 }
  const v3 = { n: 3 }
  cache.set('k', v1).set('k', v2)
  cache.setMany([['k', v3]])
  cache.getWith('k', () => ({ n: 4 }))
  t.deepEqual(events, [
    ['k', v1, 'replaced'],
    ['k', v2, 'replaced'],
  ])
  t.is(events[0][1], v1)
  t.is(cache.get('k'), v3)
  t.is(cache.stats().evictions!.replaced, 2)
  t.is(cache.slotsInUse, 1)
})

test('a value stored again under its own key is notified as replaced, then still readable', (t) => {
  const { events, listener } = recorder()
  const cache = new Moka<string, object>({ maxCapacity: 100, evictionListener: listener })
  const v = {}
  cache.set('k', v).set('k', v)
  t.deepEqual(events, [['k', v, 'replaced']])
  t.is(cache.get('k'), v)
  t.is(cache.slotsInUse, 1)
})

test('weigher: weightedSize sums the weights; replace and delete update it', (t) => {
  const calls: [string, string][] = []
  const cache = new Moka<string, string>({
    maxCapacity: 1_000,
    weigher: (k, v) => {
      calls.push([k, v])
      return v.length
    },
  })
  cache.set('a', 'xxx').set('b', 'yyyyy').set('z', '')
  t.deepEqual(calls, [
    ['a', 'xxx'],
    ['b', 'yyyyy'],
    ['z', ''],
  ])
  t.is(cache.weightedSize, 8)
  t.is(cache.size, 3)
  cache.set('a', 'x')
  t.is(cache.weightedSize, 6)
  cache.delete('b')
  t.is(cache.weightedSize, 1)
})

test('weigher: capacity counts weight; LRU evicts until the total fits', (t) => {
  const { events, listener } = recorder()
  const cache = new Moka<string, number>({
    maxCapacity: 10,
    policy: 'lru',
    weigher: (_, w) => w,
    evictionListener: listener,
  })
  cache.set('a', 4).set('b', 4)
  cache.runPendingTasks()
  cache.set('c', 4)
  cache.runPendingTasks()
  t.deepEqual(events, [['a', 4, 'size']])
  t.is(cache.weightedSize, 8)
  t.is(cache.size, 2)
  cache.set('big', 11) // heavier than the whole cache
  cache.runPendingTasks()
  t.false(cache.has('big'))
  t.true(events.some(([k, , c]) => k === 'big' && c === 'size'))
  t.true(cache.weightedSize <= 10)
  assertConsistent(t, cache)
})

for (const [label, weight, expected, said] of [
  ['-1', -1, RangeError, /integer in \[0, 2\^32\), got number -1/],
  ['1.5', 1.5, RangeError, /got number 1\.5/],
  ['NaN', NaN, RangeError, /got number NaN/],
  ['Infinity', Infinity, RangeError, /got number Infinity/],
  ['2^32', 2 ** 32, RangeError, /got number 4294967296/],
  ["'3'", '3', TypeError, /must return a number, got string "3"/],
  ['undefined', undefined, TypeError, /must return a number, got undefined/],
  ['null', null, TypeError, /must return a number, got null/],
  ['3n', 3n, TypeError, /must return a number, got bigint 3/],
  ['true', true, TypeError, /must return a number, got boolean true/],
] as const) {
  test(`weigher returning ${label}: ${expected.name}, nothing inserted, cache intact`, (t) => {
    const { events, listener } = recorder()
    let bad = false
    const cache = new Moka<string, string>({
      maxCapacity: 100,
      weigher: () => (bad ? (weight as unknown as number) : 1),
      evictionListener: listener,
    })
    cache.set('keep', 'K').set('k', 'old')
    bad = true
    const error = t.throws(() => cache.set('new', 'N'), { instanceOf: expected })
    t.regex(error!.message, /^weigher /)
    t.regex(error!.message, said)
    t.throws(() => cache.set('k', 'replacement'), { instanceOf: expected })
    t.throws(
      () =>
        cache.setMany([
          ['m1', 'x'],
          ['m2', 'y'],
        ]),
      { instanceOf: expected },
    )
    bad = false
    t.false(cache.has('new'))
    t.false(cache.has('m1'))
    t.false(cache.has('m2'))
    assertContents(t, cache, [
      ['keep', 'K'],
      ['k', 'old'],
    ])
    t.deepEqual(events, [], 'nothing was notified')
    t.is(cache.slotsInUse, 2)
    t.is(cache.weightedSize, 2)
    cache.set('new', 'N')
    t.is(cache.get('new'), 'N', 'the cache still works')
  })
}

test('setMany with one bad weight in the middle inserts nothing', (t) => {
  const cache = new Moka<string, number>({ maxCapacity: 100, weigher: (_, v) => v })
  cache.set('keep', 1)
  t.throws(
    () =>
      cache.setMany([
        ['a', 1],
        ['b', -5],
        ['c', 1],
      ]),
    { instanceOf: RangeError, message: /weigher/ },
  )
  assertContents(t, cache, [['keep', 1]])
  t.is(cache.slotsInUse, 1)
})
