// Key semantics: Map's SameValueZero for primitives, identity for objects and
// symbols, structural equality for value objects and for caches with
// `hash`/`equals` options. Every test checks against a `Map` where one applies.

import test from 'ava'

import { Moka } from '../index.js'
import { assertConsistent, Point, recorder, sleep } from './_helpers'

/** Stores every key under its index and checks the cache agrees with a Map. */
function agreesWithMap(t: import('ava').ExecutionContext, keys: unknown[]) {
  const cache = new Moka<unknown, number>({ maxCapacity: keys.length * 2 + 10 })
  const map = new Map<unknown, number>()
  keys.forEach((key, i) => {
    cache.set(key, i)
    map.set(key, i)
  })
  t.is(cache.size, map.size, 'as many entries as a Map has')
  for (const [key, i] of map) {
    t.is(cache.get(key), i, `get(${describeKey(key)})`)
    t.true(cache.has(key), `has(${describeKey(key)})`)
  }
  const iterated = [...cache.keys()]
  t.is(iterated.length, map.size)
  for (const key of iterated) t.true(map.has(key), `iterated key ${describeKey(key)} is one that was set`)
  return cache
}

function describeKey(key: unknown): string {
  if (typeof key === 'string') return JSON.stringify(key.length > 20 ? `${key.slice(0, 20)}… (${key.length})` : key)
  if (typeof key === 'symbol') return key.toString()
  if (typeof key === 'bigint') return `${key}n`
  return String(key)
}

test('-0 is 0, and a -0 key iterates as 0 (like Map)', (t) => {
  const cache = new Moka<number, string>({ maxCapacity: 10 })
  cache.set(-0, 'negative zero')
  t.is(cache.get(0), 'negative zero')
  t.is(cache.get(-0), 'negative zero')
  cache.set(0, 'zero')
  t.is(cache.size, 1)
  t.is(cache.get(-0), 'zero')
  const [key] = [...cache.keys()]
  t.true(Object.is(key, 0))
  t.true(cache.delete(-0))
  t.false(cache.has(0))
})

test('NaN is NaN, whatever its bit pattern', (t) => {
  const cache = new Moka<number, string>({ maxCapacity: 10 })
  const payloadNaN = new Float64Array(new BigUint64Array([0x7ff8_0000_dead_beefn]).buffer)[0]
  const negativeNaN = new Float64Array(new BigUint64Array([0xfff8_0000_0000_0001n]).buffer)[0]
  t.true(Number.isNaN(payloadNaN) && Number.isNaN(negativeNaN))
  cache.set(NaN, 'nan')
  for (const nan of [0 / 0, Number('x'), Math.sqrt(-1), payloadNaN, negativeNaN, Infinity - Infinity]) {
    t.is(cache.get(nan), 'nan')
  }
  cache.set(payloadNaN, 'replaced')
  t.is(cache.size, 1)
  t.is(cache.get(NaN), 'replaced')
})

test('numbers by value: 1 is 1.0; neighbours, infinities and extremes are distinct keys', (t) => {
  const keys = [
    1,
    1.0000000000000002,
    0.1 + 0.2,
    0.3,
    Infinity,
    -Infinity,
    Number.MAX_VALUE,
    -Number.MAX_VALUE,
    Number.MIN_VALUE,
    -Number.MIN_VALUE,
    Number.MAX_SAFE_INTEGER,
    2 ** 53,
    2 ** 32,
    -1,
  ]
  const cache = agreesWithMap(t, keys)
  t.is(cache.get(1.0), 0)
  t.is(cache.get(2 ** 53 + 1), keys.indexOf(2 ** 53), '2^53 + 1 rounds to 2^53, as in a Map')
})

test("1, '1' and 1n are three keys", (t) => {
  const cache = new Moka<unknown, string>({ maxCapacity: 10 })
  cache.set(1, 'number').set('1', 'string').set(1n, 'bigint')
  t.is(cache.size, 3)
  t.is(cache.get(1), 'number')
  t.is(cache.get('1'), 'string')
  t.is(cache.get(1n), 'bigint')
  t.true(cache.delete('1'))
  t.is(cache.get(1), 'number')
  t.is(cache.get(1n), 'bigint')
  t.is(cache.get('1'), undefined)
})

test('true, false, null and undefined are keys, distinct from their look-alikes', (t) => {
  const keys = [true, false, null, undefined, 'true', 'false', 'null', 'undefined', '', 0, 1, 0n, 1n, NaN, '0']
  const cache = agreesWithMap(t, keys)
  t.is(cache.size, keys.length)
  t.true(cache.delete(undefined))
  t.false(cache.has(undefined))
  t.true(cache.has(null))
  t.is(cache.get(null), keys.indexOf(null))
})

test('objects are keys by identity, whatever their contents', (t) => {
  const cache = new Moka<object, string>({ maxCapacity: 10 })
  const a = { id: 1 }
  const b = { id: 1 }
  const list = [1, 2]
  const fn = () => 1
  cache.set(a, 'a').set(b, 'b').set(list, 'list').set(fn, 'fn')
  t.is(cache.size, 4)
  t.is(cache.get(a), 'a')
  t.is(cache.get(b), 'b')
  t.is(cache.get({ id: 1 }), undefined)
  t.is(cache.get([1, 2]), undefined)
  t.is(cache.get(fn), 'fn')
  a.id = 99 // identity, not contents
  t.is(cache.get(a), 'a')
  t.true(new Set(cache.keys()).has(a), 'iteration yields the very key object')
  t.false(cache.delete({ id: 99 }))
  t.true(cache.delete(a))
  t.is(cache.get(b), 'b')
})

test('symbols are keys by identity; Symbol.for returns the same key', (t) => {
  const cache = new Moka<unknown, string>({ maxCapacity: 20 })
  const s1 = Symbol('s')
  const s2 = Symbol('s')
  cache.set(s1, 'one').set(s2, 'two').set(Symbol.for('app.key'), 'registered').set(Symbol.iterator, 'well-known')
  cache.set('s', 'string').set('Symbol(s)', 'string2')
  t.is(cache.get(s1), 'one')
  t.is(cache.get(s2), 'two')
  t.is(cache.get(Symbol('s')), undefined)
  t.is(cache.get(Symbol.for('app.key')), 'registered')
  t.is(cache.get(Symbol('app.key')), undefined, 'an unregistered symbol of the same name is another key')
  t.is(cache.get(Symbol.iterator), 'well-known')
  t.is(cache.size, 6)
  t.true(cache.delete(Symbol.for('app.key')))
  t.false(cache.has(Symbol.for('app.key')))
  t.true(new Set(cache.keys()).has(s1))
})

test('non-Latin-1 strings: emoji, CJK, combining marks, lone surrogates, NULs', (t) => {
  const keys = [
    '😀',
    '😁', // differs in the low surrogate only
    '\uD83D', // lone high surrogate
    '\uDE00', // lone low surrogate
    '\uDE00\uD83D', // reversed pair
    '\uD800',
    '\uD801',
    '\uDFFF',
    'a\uD800b',
    'a\uD801b',
    '中文',
    '文中',
    '日本語のキー',
    'é',
    'e\u0301',
    'ÿ', // U+00FF, the last Latin-1 unit
    'Ā', // U+0100, the first beyond it
    '\u0000',
    '\u0000\u0000',
    'a\u0000b',
    'a\u0000c',
    '',
    ' ',
    '\uFFFF',
    '\uFFFE',
    '👨‍👩‍👧‍👦',
  ]
  const cache = agreesWithMap(t, keys)
  t.is(cache.size, keys.length)
  t.is(cache.get('\uD83D\uDE00'), keys.indexOf('😀'), 'an escaped pair is the same string')
  t.deepEqual([...cache.keys()].sort(), [...keys].sort(), 'strings come back exactly, lone surrogates included')
})

test('10,000-character strings are compared in full', (t) => {
  const base = 'x'.repeat(10_000)
  const keys = [
    base,
    'y' + base.slice(1),
    base.slice(0, 5_000) + 'y' + base.slice(5_001),
    base.slice(0, -1) + 'y',
    base.slice(0, -1),
    base + 'x',
    '中'.repeat(10_000),
    '中'.repeat(9_999) + '文',
    '😀'.repeat(5_000),
    '😀'.repeat(4_999) + '😁',
  ]
  const cache = agreesWithMap(t, keys)
  t.is(cache.get('x'.repeat(10_000)), 0, 'a freshly built equal string finds the entry')
  t.true(cache.delete(base.slice(0, -1) + 'y'))
  t.is(cache.get(base), 0)
})

test('strings of 50..80 UTF-16 units, across the inline key buffer boundary', (t) => {
  const keys: string[] = []
  for (let n = 50; n <= 80; n++) {
    const same = 'a'.repeat(n)
    keys.push(
      same,
      'a'.repeat(n - 1) + 'b', // differs in the last unit only
      'b' + 'a'.repeat(n - 1), // differs in the first unit only
      '中'.repeat(n),
      '中'.repeat(n - 1) + '文',
      'a'.repeat(n - 2) + '😀', // a surrogate pair in the last two units
      'a'.repeat(n - 1) + '\uD800', // a lone surrogate last
    )
  }
  const cache = agreesWithMap(t, keys)
  t.is(cache.size, new Set(keys).size)
  for (let n = 50; n <= 80; n++) {
    t.is(cache.get('a'.repeat(n)), keys.indexOf('a'.repeat(n)), `freshly built key of ${n} units`)
  }
})

test('bigint keys by value: 0n, negatives, beyond 2^64', (t) => {
  const keys = [
    0n,
    1n,
    -1n,
    2n ** 63n,
    2n ** 64n - 1n,
    2n ** 64n,
    2n ** 64n + 1n,
    -(2n ** 64n),
    -(2n ** 64n - 1n),
    2n ** 128n,
    -(2n ** 128n),
    2n ** 1000n,
    0,
    '0',
    false,
    1,
    '18446744073709551616',
  ]
  const cache = agreesWithMap(t, keys)
  t.is(cache.size, keys.length)
  t.is(cache.get(-0n), keys.indexOf(0n), '-0n is 0n')
  t.is(cache.get(BigInt('18446744073709551616')), keys.indexOf(2n ** 64n))
  t.is(cache.get(BigInt.asUintN(64, -1n)), keys.indexOf(2n ** 64n - 1n))
  t.is(cache.get(2n ** 128n + 5n - 2n ** 128n), undefined)
  cache.set(5n, 99)
  t.is(cache.get(2n ** 128n + 5n - 2n ** 128n), 99, 'a bigint computed through wide values equals its narrow twin')
  t.is(cache.get(BigInt(Number.MAX_SAFE_INTEGER) * 2n ** 64n), undefined)
})

test('value objects (equals + hashCode) are keys by structure', (t) => {
  const { events, listener } = recorder<Point, string>()
  const cache = new Moka<Point, string>({ maxCapacity: 10, evictionListener: listener })
  const first = new Point(1, 2)
  cache.set(first, 'p12')
  t.is(cache.get(new Point(1, 2)), 'p12')
  t.true(cache.has(new Point(1, 2)))
  t.is(cache.get(new Point(2, 1)), undefined, 'same hash (x + y), not equal')
  cache.set(new Point(2, 1), 'p21')
  t.is(cache.size, 2)
  t.is(cache.get(new Point(1, 2)), 'p12')
  t.is(cache.get(new Point(2, 1)), 'p21')
  t.is(cache.internedKeys, 2)

  const second = new Point(1, 2)
  cache.set(second, 'p12 again')
  t.is(cache.size, 2)
  t.deepEqual(events, [[first, 'p12', 'replaced']])
  t.is(events[0][0], first, 'the listener gets the key object the entry was stored with')
  t.true([...cache.keys()].includes(second), 'the latest key object is the one iterated')
  t.false([...cache.keys()].includes(first))

  t.is(cache.remove(new Point(1, 2)), 'p12 again')
  t.true(cache.delete(new Point(2, 1)))
  t.is(cache.size, 0)
  t.is(cache.internedKeys, 0, 'interned keys are dropped with their entries')
  t.is(cache.slotsInUse, 0)
})

test('objects without both equals and hashCode stay identity keys', (t) => {
  const cache = new Moka<object, string>({ maxCapacity: 10 })
  const onlyEquals = { equals: () => true }
  const onlyHash = { hashCode: () => 1 }
  cache.set(onlyEquals, 'e').set(onlyHash, 'h')
  t.is(cache.get({ equals: () => true }), undefined)
  t.is(cache.get({ hashCode: () => 1 }), undefined)
  t.is(cache.get(onlyEquals), 'e')
  t.is(cache.internedKeys, 0)
})

test('hashCode may return a string; a value object and a plain object never meet', (t) => {
  class Name {
    constructor(readonly name: string) {}
    equals(o: unknown) {
      return o instanceof Name && o.name === this.name
    }
    hashCode() {
      return `name:${this.name}`
    }
  }
  const cache = new Moka<unknown, number>({ maxCapacity: 10 })
  cache.set(new Name('ada'), 1)
  t.is(cache.get(new Name('ada')), 1)
  t.is(cache.get('name:ada'), undefined, 'the hash is not the key')
  t.is(cache.get({ name: 'ada' }), undefined)
})

test('hash/equals options make a whole cache structural', (t) => {
  type Id = { id: number; label?: string }
  let equalsCalls = 0
  const cache = new Moka<Id, string>({
    maxCapacity: 10,
    hash: (k) => k.id % 3, // collisions on purpose: equals must decide
    equals: (a, b) => {
      equalsCalls++
      return a.id === b.id
    },
  })
  const key = { id: 1, label: 'first' }
  cache.set(key, 'one').set({ id: 4 }, 'four').set({ id: 2 }, 'two')
  t.is(cache.get({ id: 1 }), 'one')
  t.is(cache.get({ id: 4 }), 'four')
  t.is(cache.get({ id: 7 }), undefined)
  t.true(cache.has({ id: 2 }))
  t.true(equalsCalls > 0)
  cache.set({ id: 1, label: 'second' }, 'one again')
  t.is(cache.size, 3)
  t.is(cache.get(key), 'one again')
  t.deepEqual(cache.getMany([{ id: 1 }, { id: 2 }, { id: 3 }]), ['one again', 'two', undefined])
  t.is(cache.internedKeys, 3)
  t.true(cache.delete({ id: 4 }))
  t.is(cache.remove({ id: 2 }), 'two')
  cache.clear()
  t.is(cache.internedKeys, 0)
  t.is(cache.slotsInUse, 0)
})

test('hash/equals options apply to primitive keys too', (t) => {
  const cache = new Moka<string, number>({
    maxCapacity: 10,
    hash: (s) => s.toLowerCase(),
    equals: (a, b) => a.toLowerCase() === b.toLowerCase(),
  })
  cache.set('Hello', 1)
  t.is(cache.get('HELLO'), 1)
  t.is(cache.get('hello'), 1)
  cache.set('hello', 2)
  t.is(cache.size, 1)
  t.deepEqual([...cache.keys()], ['hello'])
})

test('interned keys are dropped whatever removes the entry', async (t) => {
  const cache = new Moka<Point, number>({ maxCapacity: 3, policy: 'lru', ttl: 150 })
  // replaced, then explicit
  cache.set(new Point(0, 0), 1).set(new Point(0, 0), 2)
  t.is(cache.internedKeys, 1)
  cache.delete(new Point(0, 0))
  cache.runPendingTasks() // without a listener, released when moka drops the entry
  t.is(cache.internedKeys, 0)
  // size
  for (let i = 0; i < 20; i++) cache.set(new Point(i, 100), i)
  cache.runPendingTasks()
  t.is(cache.internedKeys, cache.size)
  t.true(cache.size <= 3)
  // invalidateIf, remove
  cache.invalidateIf((p) => p.x % 2 === 0)
  for (const p of [...cache.keys()].slice(1)) cache.remove(new Point(p.x, p.y))
  cache.runPendingTasks()
  t.is(cache.internedKeys, cache.size)
  // clear
  cache.set(new Point(5, 5), 5)
  cache.clear()
  t.is(cache.internedKeys, 0)
  // expired
  cache.set(new Point(7, 7), 7).set(new Point(8, 8), 8)
  t.is(cache.internedKeys, 2)
  await sleep(450)
  cache.runPendingTasks()
  t.is(cache.size, 0)
  t.is(cache.internedKeys, 0)
  t.is(cache.slotsInUse, 0)
})

test('interned keys of a hash/equals cache are dropped after eviction and expiry', async (t) => {
  const cache = new Moka<{ id: number }, number>({
    maxCapacity: 5,
    policy: 'lru',
    ttl: 150,
    hash: (k) => k.id,
    equals: (a, b) => a.id === b.id,
  })
  for (let i = 0; i < 50; i++) cache.set({ id: i }, i)
  assertConsistent(t, cache)
  t.is(cache.internedKeys, cache.size)
  await sleep(450)
  cache.runPendingTasks()
  t.is(cache.size, 0)
  t.is(cache.internedKeys, 0)
  t.is(cache.slotsInUse, 0)
})
