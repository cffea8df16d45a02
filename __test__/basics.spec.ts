import test from 'ava'

import { Moka } from '../index.js'

test('get returns the very object that was set', (t) => {
  const cache = new Moka<string, object>({ maxCapacity: 10 })
  const value = { a: 1 }
  cache.set('k', value)
  t.is(cache.get('k'), value)
  t.is(cache.get('missing'), undefined)
  t.is(cache.get('missing', value), value)
})

test('keys follow SameValueZero', (t) => {
  const cache = new Moka<unknown, string>({ maxCapacity: 100 })
  cache.set(-0, 'zero').set(NaN, 'nan').set(1, 'number').set('1', 'string').set(1n, 'bigint')
  t.is(cache.get(0), 'zero')
  t.is(cache.get(Number('x')), 'nan')
  t.is(cache.get(1.0), 'number')
  t.is(cache.get('1'), 'string')
  t.is(cache.get(1n), 'bigint')
  t.deepEqual([...cache.keys()].filter((k) => k === 0).map((k) => Object.is(k, -0)), [false])
})

test('a replaced value is notified and its slot released', (t) => {
  const seen: [unknown, unknown, string][] = []
  const cache = new Moka<string, number>({ maxCapacity: 10, evictionListener: (k, v, c) => seen.push([k, v, c]) })
  cache.set('a', 1).set('a', 2)
  t.deepEqual(seen, [['a', 1, 'replaced']])
  t.is(cache.get('a'), 2)
  t.is(cache.slotsInUse, 1)
})
