// SharedMoka on one thread: values as bytes, keys, options, errors that
// change nothing, close. Cross-thread behaviour is in shared-workers.spec.ts.

import test from 'ava'

import { SharedMoka } from '../index.js'
import { cacheName } from './_shared'

function open<V = unknown>(extra: Record<string, unknown> = {}): SharedMoka<string | number | bigint | boolean, V> {
  return new SharedMoka<string | number | bigint | boolean, V>({ name: cacheName('basics'), maxCapacity: 1000, ...extra })
}

test('strings, bytes, Buffers and structured-cloneable values round-trip as copies', (t) => {
  const cache = open()
  const object = { n: 1, nested: { list: [1, 'two', 3n] }, when: new Date(5), map: new Map([[1, { x: 2 }]]) }
  const bytes = new Uint8Array([0, 1, 255])
  const buffer = Buffer.from('héllo')
  const values: [string, unknown][] = [
    ['ascii', 'plain text'],
    ['latin1', 'façade ÿ'],
    ['utf16', 'snow ☃ and a lone surrogate \ud800'],
    ['empty', ''],
    ['bytes', bytes],
    ['buffer', buffer],
    ['object', object],
    ['undefined', undefined],
    ['null', null],
    ['number', -0.5],
    ['float64', new Float64Array([1.5, NaN])],
  ]
  for (const [key, value] of values) cache.set(key, value)
  for (const [key, value] of values) t.deepEqual(cache.get(key), value, key)
  t.is(cache.get('object') === object, false, 'a copy, not the stored object')
  t.true(cache.get('buffer') instanceof Buffer, 'a Buffer comes back as a Buffer')
  const copy = cache.get('bytes') as Uint8Array
  t.false(Buffer.isBuffer(copy), 'a Uint8Array comes back as a plain Uint8Array')
  copy[0] = 42
  t.deepEqual(cache.get('bytes'), bytes, 'writing into a result does not change the cache')
  bytes[0] = 7
  t.is((cache.get('bytes') as Uint8Array)[0], 0, 'writing into the stored array does not either')
  t.true(cache.has('undefined'), 'a stored undefined is an entry')
  t.is(cache.get('undefined', 'fallback'), undefined, 'and a hit: no fallback')
  t.is(cache.get('absent', 'fallback'), 'fallback')
  t.is(cache.size, values.length)
})

test('keys follow Map equality: -0 is 0, NaN is NaN, 1, "1", 1n and true are four keys', (t) => {
  const cache = open<string>()
  cache.set(0, 'zero').set(NaN, 'nan').set(1, 'one').set('1', 'string').set(1n, 'bigint').set(true, 'true')
  t.is(cache.get(-0), 'zero')
  t.is(cache.get(Number.NaN), 'nan')
  t.deepEqual([cache.get(1), cache.get('1'), cache.get(1n), cache.get(true)], ['one', 'string', 'bigint', 'true'])
  const big = -(2n ** 200n) + 3n
  cache.set(big, 'big')
  t.is(cache.get(-(2n ** 200n) + 3n), 'big')
  t.is(cache.get(0n), undefined)
  cache.set(0n, 'zero bigint')
  t.is(cache.get(-0n), 'zero bigint')
  const long = 'k'.repeat(10_000) + '☃'
  cache.set(long, 'long')
  t.is(cache.get('k'.repeat(10_000) + '☃'), 'long')
  const keys = new Set(cache.keys())
  for (const key of [0, NaN, 1, '1', 1n, true, big, 0n, long]) t.true(keys.has(key), `iterated key ${String(key).slice(0, 20)}`)
  t.is(keys.size, 9)
})

test('bad keys get a TypeError and change nothing', (t) => {
  const cache = open()
  cache.set('kept', 'v')
  for (const key of [{}, [], null, undefined, Symbol('s'), () => 1]) {
    const error = t.throws(() => cache.set(key as never, 'x'), { instanceOf: TypeError })
    t.regex(error!.message, /key must be a string, number, bigint or boolean/)
    t.throws(() => cache.get(key as never), { instanceOf: TypeError })
    t.throws(() => cache.fetch(key as never, () => 1), { instanceOf: TypeError })
  }
  t.deepEqual([...cache.entries()], [['kept', 'v']])
})

test('unserializable values get a TypeError and change nothing', (t) => {
  const cache = open()
  cache.set('k', 'old')
  for (const value of [() => 1, Symbol('s'), { f: () => 1 }, new WeakMap()]) {
    const error = t.throws(() => cache.set('k', value), { instanceOf: TypeError })
    t.regex(error!.message, /cannot be stored in a SharedMoka/)
  }
  t.is(cache.get('k'), 'old')
  t.is(cache.size, 1)
})

test("weigher 'bytes' bounds keys + values in bytes; an oversized value is a RangeError that changes nothing", (t) => {
  const cache = open<string | Uint8Array>({ maxCapacity: 1000, weigher: 'bytes', policy: 'lru' })
  cache.set('a', 'x'.repeat(100)) // 2 + 100 bytes: a one-byte tag and one byte per Latin-1 character
  t.is(cache.weightedSize, 102)
  cache.set('b', new Uint8Array(200))
  t.is(cache.weightedSize, 102 + 202)
  cache.set('c', '☃'.repeat(100)) // stored as UTF-16: 200 bytes
  t.is(cache.weightedSize, 102 + 202 + 202)
  const error = t.throws(() => cache.set('a', new Uint8Array(999)), { instanceOf: RangeError })
  t.regex(error!.message, /value too large: 1001 bytes .* more than 1000/)
  t.is((cache.get('a') as string).length, 100, 'the old value stays')
  for (let i = 0; i < 20; i++) cache.set(`fill${i}`, new Uint8Array(100))
  t.true(cache.weightedSize <= 1000, `weightedSize ${cache.weightedSize} after maintenance`)
})

test('a custom serializer handles everything that is not a string or bytes', (t) => {
  const seen: unknown[] = []
  const cache = open<unknown>({
    serializer: {
      serialize: (v: unknown) => {
        seen.push(v)
        return Buffer.from(JSON.stringify(v))
      },
      deserialize: (b: Uint8Array) => JSON.parse(Buffer.from(b).toString()),
    },
  })
  cache.set('o', { a: [1, 2] }).set('s', 'text').set('b', Buffer.from('raw'))
  t.deepEqual(cache.get('o'), { a: [1, 2] })
  t.is(cache.get('s'), 'text')
  t.deepEqual(cache.get('b'), Buffer.from('raw'))
  t.deepEqual(seen, [{ a: [1, 2] }], 'strings and bytes skip the serializer')
  const bad = open<unknown>({ serializer: { serialize: () => 42, deserialize: () => 1 } })
  t.throws(() => bad.set('k', {}), { instanceOf: TypeError, message: /serializer.serialize must return a string or a Uint8Array/ })
  t.false(bad.has('k'))
  const json = open<unknown>({ serializer: 'json' })
  json.set('o', { when: new Date(0), n: 1 })
  t.deepEqual(json.get('o'), { when: '1970-01-01T00:00:00.000Z', n: 1 }, "'json' stores what JSON.stringify gives")
  t.throws(() => json.set('u', undefined), { instanceOf: TypeError, message: /cannot be stored in a SharedMoka: the JSON serializer cannot encode/ })
})

test('options are checked and named', (t) => {
  const cases: [Record<string, unknown>, typeof TypeError | typeof RangeError, RegExp][] = [
    [{ maxCapacity: 10 }, TypeError, /name must be a non-empty string/],
    [{ name: '', maxCapacity: 10 }, TypeError, /name must be a non-empty string/],
    [{ name: 'x' }, TypeError, /maxCapacity is required/],
    [{ name: 'x', maxCapacity: -1 }, RangeError, /maxCapacity/],
    [{ name: 'x', maxCapacity: 10, ttl: 0 }, RangeError, /ttl/],
    [{ name: 'x', maxCapacity: 10, tti: '1001 years' }, RangeError, /tti/],
    [{ name: 'x', maxCapacity: 10, weigher: () => 1 }, TypeError, /weigher must be 'bytes'/],
    [{ name: 'x', maxCapacity: 10, serializer: JSON }, TypeError, /serializer must be 'json', 'v8' or an object with serialize and deserialize/],
    [{ name: 'x', maxCapacity: 10, policy: 'fifo' }, RangeError, /policy/],
    [{ name: 'x', maxCapacity: 10, evictionListener: 1 }, TypeError, /evictionListener must be a function/],
    [{ name: 'x', maxCapacity: 10, nmae: 'y' }, TypeError, /unknown option "nmae" \(did you mean "name"\?\)/],
    [{ name: 'x', maxCapacity: 10, hash: (k: unknown) => k }, TypeError, /unknown option "hash"/],
  ]
  for (const [options, type, message] of cases) {
    t.throws(() => new SharedMoka(options as never), { instanceOf: type, message }, JSON.stringify(options))
  }
  const cache = open({ perEntryExpiry: true })
  t.throws(() => cache.set('k', 1, { ttl: -5 }), { instanceOf: RangeError, message: /ttl/ })
  t.throws(() => cache.set('k', 1, { ttl: 1e20 }), { instanceOf: RangeError, message: /ttl/ })
  t.false(cache.has('k'))
  const plain = open()
  for (const call of [() => plain.set('k', 1, { ttl: 5 }), () => plain.getWith('k', () => 1, { tti: 5 }), () => plain.fetch('k', () => 1, { ttl: 5 })]) {
    t.throws(call, { instanceOf: TypeError, message: /per-entry ttl\/tti need a cache created with perEntryExpiry: true/ })
  }
  t.false(plain.has('k'))
})

test('per-entry ttl expires the entry; an expired value is never returned', async (t) => {
  const cache = open<string>({ perEntryExpiry: true })
  cache.set('short', 'v', { ttl: 30 })
  cache.getWith('idle', () => 'v', { tti: 30 })
  cache.set('long', 'v')
  t.is(cache.get('short'), 'v')
  await new Promise((resolve) => setTimeout(resolve, 60))
  t.is(cache.get('short'), undefined)
  t.false(cache.has('short'))
  t.is(cache.get('idle'), undefined)
  t.is(cache.get('long'), 'v')
})

test('delete, remove, getWith, clear and stats', (t) => {
  const cache = open<string | number>()
  cache.set('a', 'A').set('b', 'B')
  t.true(cache.delete('a'))
  t.false(cache.delete('a'))
  t.is(cache.remove('b'), 'B')
  t.is(cache.remove('b'), undefined)
  let runs = 0
  t.is(cache.getWith('c', (k) => `${k}${++runs}`), 'c1')
  t.is(cache.getWith('c', (k) => `${k}${++runs}`), 'c1')
  t.is(runs, 1)
  for (let i = 0; i < 100; i++) cache.set(i, i)
  cache.clear()
  t.is(cache.size, 0)
  t.deepEqual([...cache.keys()], [])
  const stats = cache.stats()
  t.true(stats.hits >= 1 && stats.misses >= 1)
  t.is(stats.evictions, undefined, 'removals are counted only with an evictionListener')
})

test('close drops the handle: methods throw naming themselves, fetch rejects, other handles keep the cache', async (t) => {
  const name = cacheName('close')
  const a = new SharedMoka<string, string>({ name, maxCapacity: 10 })
  const b = new SharedMoka<string, string>({ name, maxCapacity: 10 })
  a.set('k', 'v')
  a.close()
  t.true(a.closed)
  const closed = (use: string) => `SharedMoka "${name}": this handle was closed; ${use} after close()`
  t.throws(() => a.get('k'), { message: closed('get() cannot be called') })
  t.throws(() => a.set('k', 'w'), { message: closed('set() cannot be called') })
  t.throws(() => a.size, { message: closed('size cannot be read') })
  t.throws(() => [...a], { message: closed('it cannot be iterated') })
  const fetching = a.fetch('k', () => 'loaded')
  t.true(fetching instanceof Promise, 'fetch rejects rather than throws')
  await t.throwsAsync(fetching, { message: closed('fetch() cannot be called') })
  t.is(a.name, name, 'what needs no native cache still answers')
  t.is(b.get('k'), 'v', 'the cache lives while another handle does')
  b[Symbol.dispose]()
  const c = new SharedMoka<string, string>({ name, maxCapacity: 20 })
  t.is(c.get('k'), undefined, 'every handle closed: a new cache, with new options')
  c.close()
  c.close()
})

test('attaching with different options is a TypeError naming the option', (t) => {
  const name = cacheName('options')
  const first = new SharedMoka({ name, maxCapacity: 100, ttl: '1m' })
  first.set('k', 'v')
  const differs: [Record<string, unknown>, RegExp][] = [
    [{ maxCapacity: 200, ttl: '1m' }, /maxCapacity 100; this handle asked for 200/],
    [{ maxCapacity: 100 }, /ttl 60000 ms; this handle asked for none/],
    [{ maxCapacity: 100, ttl: '1m', tti: 5 }, /tti none/],
    [{ maxCapacity: 100, ttl: '1m', policy: 'lru' }, /policy 'tinyLfu'/],
    [{ maxCapacity: 100, ttl: '1m', weigher: 'bytes' }, /weigher none/],
    [{ maxCapacity: 100, ttl: '1m', serializer: { serialize: () => new Uint8Array(), deserialize: () => 1 } }, /serializer 'v8'; this handle asked for a custom one/],
    [{ maxCapacity: 100, ttl: '1m', serializer: 'json' }, /serializer 'v8'; this handle asked for 'json'/],
    [{ maxCapacity: 100, ttl: '1m', perEntryExpiry: true }, /perEntryExpiry false; this handle asked for true/],
    [{ maxCapacity: 100, ttl: '1m', evictionListener: () => {} }, /evictionListener false.*created with one/],
  ]
  for (const [options, message] of differs) {
    t.throws(() => new SharedMoka({ name, ...options } as never), { instanceOf: TypeError, message })
  }
  const same = new SharedMoka({ name, maxCapacity: 100, ttl: 60_000 })
  t.is(same.get('k'), 'v', 'equal options (60000 ms is 1m) attach')
  t.is(first.get('k'), 'v')
})
