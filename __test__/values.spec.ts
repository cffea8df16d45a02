// Values: any JS value, kept by reference; get with a fallback; getWith.

import test from 'ava'

import { Moka } from '../index.js'
import { assertConsistent, Point, recorder } from './_helpers'

test('values of every type come back as the very same value', (t) => {
  const object = { nested: { deep: [1, 2, 3] } }
  const array = [object]
  const fn = function named() {}
  const sym = Symbol('value')
  const map = new Map([[1, 2]])
  const buffer = Buffer.from('bytes')
  const values: unknown[] = [
    undefined,
    null,
    0,
    -0,
    NaN,
    '',
    'text',
    false,
    true,
    sym,
    10n ** 30n,
    fn,
    object,
    array,
    map,
    buffer,
    new Date(0),
    Promise.resolve(1),
    new WeakMap(),
  ]
  const cache = new Moka<number, unknown>({ maxCapacity: 100 })
  values.forEach((v, i) => cache.set(i, v))
  values.forEach((v, i) => {
    t.true(Object.is(cache.get(i), v), `value #${i}`)
    t.true(cache.has(i), `has #${i}`)
  })
  t.is(cache.size, values.length)
  const iterated = new Map(cache.entries())
  values.forEach((v, i) => t.true(Object.is(iterated.get(i), v), `iterated value #${i}`))
  // by reference: later mutation is visible, nothing was copied
  object.nested.deep.push(4)
  t.deepEqual((cache.get(12) as typeof object).nested.deep, [1, 2, 3, 4])
})

test('an undefined or null value is an entry, not a miss', (t) => {
  const cache = new Moka<string, unknown>({ maxCapacity: 10 })
  cache.set('u', undefined).set('n', null)
  t.true(cache.has('u'))
  t.is(cache.get('u', 'fallback'), undefined, 'the fallback is for absent keys only')
  t.is(cache.get('n', 'fallback'), null)
  t.is(cache.get('missing', 'fallback'), 'fallback')
  t.is(cache.size, 2)
  let calls = 0
  t.is(
    cache.getWith('u', () => {
      calls++
      return 'computed'
    }),
    undefined,
  )
  t.is(calls, 0, 'a stored undefined is a hit for getWith')
  t.true(cache.delete('u'))
  t.false(cache.delete('u'))
})

test('get(key, fallback) returns the fallback object itself on a miss', (t) => {
  const cache = new Moka<string, object>({ maxCapacity: 10 })
  const fallback = { fallback: true }
  t.is(cache.get('absent', fallback), fallback)
  t.false(cache.has('absent'), 'the fallback is not stored')
  const stored = { stored: true }
  cache.set('present', stored)
  t.is(cache.get('present', fallback), stored)
})

test('getWith runs init once per key, caches and returns its value', (t) => {
  const cache = new Moka<string, { n: number }>({ maxCapacity: 10 })
  const calls: string[] = []
  const init = (key: string) => {
    calls.push(key)
    return { n: calls.length }
  }
  const first = cache.getWith('a', init)
  t.deepEqual(first, { n: 1 })
  t.is(cache.getWith('a', init), first)
  t.is(cache.getWith('a', init), first)
  t.is(cache.get('a'), first)
  t.deepEqual(calls, ['a'], 'init ran once and received the key')
  const second = cache.getWith('b', init)
  t.not(second, first)
  t.deepEqual(calls, ['a', 'b'])
  t.is(cache.size, 2)
})

test('getWith with object and value-object keys', (t) => {
  const cache = new Moka<object, string>({ maxCapacity: 10 })
  const key = {}
  let calls = 0
  const init = () => `v${++calls}`
  t.is(cache.getWith(key, init), 'v1')
  t.is(cache.getWith(key, init), 'v1')
  t.is(cache.getWith({}, init), 'v2', 'another object is another key')
  t.is(cache.getWith(new Point(3, 4), init), 'v3')
  t.is(cache.getWith(new Point(3, 4), init), 'v3', 'an equal value object hits')
  t.is(calls, 3)
  t.is(cache.internedKeys, 1)
})

test('getWith: if init throws, nothing is cached and the error reaches the caller', (t) => {
  const { events, listener } = recorder()
  const cache = new Moka<string, string>({ maxCapacity: 10, evictionListener: listener })
  cache.set('other', 'kept')
  const error = new Error('init failed')
  const thrown = t.throws(() =>
    cache.getWith('k', () => {
      throw error
    }),
  )
  t.is(thrown, error, 'the very error object')
  t.false(cache.has('k'))
  t.is(cache.size, 1)
  t.is(cache.slotsInUse, 1)
  t.deepEqual(events, [])
  t.is(cache.getWith('k', () => 'second try'), 'second try', 'a later call runs init again')
  t.is(cache.get('k'), 'second try')
  t.is(cache.get('other'), 'kept')
  // non-Error throwables too
  t.throws(
    () =>
      cache.getWith('z', () => {
        throw 'plain string' // eslint-disable-line no-throw-literal
      }),
    { any: true, is: 'plain string' as unknown as Error },
  )
  t.false(cache.has('z'))
  assertConsistent(t, cache)
})

test('getWith: an init that stores the key itself still returns its own value', (t) => {
  const { events, listener } = recorder()
  const cache = new Moka<string, string>({ maxCapacity: 10, evictionListener: listener })
  const result = cache.getWith('k', (key) => {
    cache.set(key, 'set inside init')
    return 'returned by init'
  })
  t.is(result, 'returned by init')
  t.is(cache.get('k'), 'returned by init', 'what init returned is what is cached')
  t.deepEqual(events, [['k', 'set inside init', 'replaced']])
  assertConsistent(t, cache)
})
