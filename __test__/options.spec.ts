// Bad input: every invalid option or argument throws a TypeError or
// RangeError whose message names it, and a cache stays intact after any such
// error.

import test from 'ava'

import { Moka } from '../index.js'
import { assertContents } from './_helpers'

type Ctor = new (options: unknown) => Moka<unknown, unknown>
const M = Moka as unknown as Ctor

function rejects(
  t: import('ava').ExecutionContext,
  options: unknown,
  kind: typeof TypeError | typeof RangeError | 'either',
  names: RegExp,
) {
  const error = t.throws(() => new M(options), { any: true }, `options ${describeOptions(options)}`) as Error | undefined
  if (error === undefined) return
  if (kind === 'either') {
    t.true(error instanceof TypeError || error instanceof RangeError, `${error.name}: ${error.message}`)
  } else {
    t.true(error instanceof kind, `expected ${kind.name}, got ${error.name}: ${error.message}`)
  }
  t.regex(error.message, names)
}

function describeOptions(options: unknown): string {
  try {
    return JSON.stringify(options, (_, v) =>
      typeof v === 'number' && !Number.isFinite(v) ? String(v) : typeof v === 'function' ? 'fn' : v,
    )
  } catch {
    return String(options)
  }
}

test('options must be an object', (t) => {
  for (const options of [undefined, null, 10, 'maxCapacity', true]) rejects(t, options, TypeError, /options|maxCapacity/)
})

test('maxCapacity: missing, wrong type, negative, fractional, not finite', (t) => {
  rejects(t, {}, TypeError, /maxCapacity/)
  rejects(t, { maxCapacity: undefined }, TypeError, /maxCapacity/)
  rejects(t, { ttl: 1000 }, TypeError, /maxCapacity/)
  rejects(t, { maxCapacity: '10' }, TypeError, /maxCapacity/)
  rejects(t, { maxCapacity: null }, TypeError, /maxCapacity/)
  rejects(t, { maxCapacity: 10n }, TypeError, /maxCapacity/)
  rejects(t, { maxCapacity: -1 }, RangeError, /maxCapacity/)
  rejects(t, { maxCapacity: 1.5 }, RangeError, /maxCapacity/)
  rejects(t, { maxCapacity: NaN }, RangeError, /maxCapacity/)
  rejects(t, { maxCapacity: Infinity }, RangeError, /maxCapacity/)
  rejects(t, { maxCapacity: -Infinity }, RangeError, /maxCapacity/)
  t.notThrows(() => new Moka({ maxCapacity: 0 }))
  t.notThrows(() => new Moka({ maxCapacity: Number.MAX_SAFE_INTEGER }))
})

for (const name of ['ttl', 'tti'] as const) {
  test(`${name}: NaN, negative, zero, Infinity, unparseable strings, objects`, (t) => {
    const names = new RegExp(`\\b${name}\\b`)
    for (const value of [NaN, -1, -0.5, 0, -0, Infinity, -Infinity]) {
      rejects(t, { maxCapacity: 10, [name]: value }, RangeError, names)
    }
    for (const value of ['', 'abc', 'soon', '-5s', '0ms', '1 fortnight', 'NaN', 'Infinity']) {
      rejects(t, { maxCapacity: 10, [name]: value }, RangeError, names)
    }
    for (const value of [{}, { ms: 5 }, [], [100], null, true, 10n, () => 5, Symbol('x')]) {
      rejects(t, { maxCapacity: 10, [name]: value }, TypeError, names)
    }
    t.notThrows(() => new Moka({ maxCapacity: 10, [name]: 1 }))
    t.notThrows(() => new Moka({ maxCapacity: 10, [name]: 0.5 }))
    t.notThrows(() => new Moka({ maxCapacity: 10, [name]: '250ms' }))
    t.notThrows(() => new Moka({ maxCapacity: 10, [name]: '1h' }))
    t.notThrows(() => new Moka({ maxCapacity: 10, [name]: undefined }))
  })
}

test('policy must be tinyLfu or lru', (t) => {
  for (const policy of ['LRU', 'fifo', 'tinylfu', '', 1, null, {}]) {
    rejects(t, { maxCapacity: 10, policy }, 'either', /policy/)
  }
  t.notThrows(() => new Moka({ maxCapacity: 10, policy: 'lru' }))
  t.notThrows(() => new Moka({ maxCapacity: 10, policy: 'tinyLfu' }))
})

for (const name of ['evictionListener', 'weigher'] as const) {
  test(`${name} must be a function`, (t) => {
    for (const value of [1, 'fn', {}, [], null, true, Symbol('f')]) {
      rejects(t, { maxCapacity: 10, [name]: value }, TypeError, new RegExp(name))
    }
  })
}

test('hash and equals must be functions, and come together', (t) => {
  const fn = () => 0
  for (const value of [1, 'fn', {}, null]) {
    rejects(t, { maxCapacity: 10, hash: value, equals: fn }, TypeError, /hash/)
    rejects(t, { maxCapacity: 10, hash: fn, equals: value }, TypeError, /equals/)
  }
  rejects(t, { maxCapacity: 10, hash: fn }, TypeError, /equals/)
  rejects(t, { maxCapacity: 10, equals: fn }, TypeError, /hash/)
})

test('an unknown option is named, with the closest known one suggested', (t) => {
  rejects(t, { maxCapactiy: 10 }, TypeError, /maxCapactiy.*maxCapacity/)
  rejects(t, { maxCapacity: 10, maxCapactiy: 10 }, TypeError, /maxCapactiy.*maxCapacity/)
  rejects(t, { maxCapacity: 10, TTL: 5 }, TypeError, /TTL.*ttl/)
  rejects(t, { maxCapacity: 10, evictionListner: () => {} }, TypeError, /evictionListner.*evictionListener/)
  rejects(t, { maxCapacity: 10, polcy: 'lru' }, TypeError, /polcy.*policy/)
  rejects(t, { maxCapacity: 10, somethingElse: 1 }, TypeError, /somethingElse/)
})

test('bad set options throw before anything is stored', (t) => {
  const cache = new Moka<string, string>({ maxCapacity: 10 })
  cache.set('k', 'old')
  const bad: [unknown, typeof TypeError | typeof RangeError, RegExp][] = [
    [{ ttl: -1 }, RangeError, /\bttl\b/],
    [{ ttl: NaN }, RangeError, /\bttl\b/],
    [{ ttl: 0 }, RangeError, /\bttl\b/],
    [{ ttl: Infinity }, RangeError, /\bttl\b/],
    [{ ttl: 'later' }, RangeError, /\bttl\b/],
    [{ ttl: {} }, TypeError, /\bttl\b/],
    [{ tti: -5 }, RangeError, /\btti\b/],
    [{ tti: 'x' }, RangeError, /\btti\b/],
    [{ tti: null }, TypeError, /\btti\b/],
    [{ ttl: 100, tti: -1 }, RangeError, /\btti\b/],
    [{ tll: 100 }, TypeError, /tll/],
    [{ weight: 3 }, TypeError, /weight/],
    [null, TypeError, /options/],
    [5, TypeError, /options/],
    ['1s', TypeError, /options/],
  ]
  for (const [options, kind, names] of bad) {
    const error = t.throws(() => cache.set('k', 'new', options as { ttl?: number }), { any: true }) as Error | undefined
    t.true(error instanceof kind, `${describeOptions(options)}: ${error?.name} ${error?.message}`)
    t.regex(error!.message, names)
    t.throws(() => cache.set('fresh', 'x', options as { ttl?: number }), { any: true })
  }
  assertContents(t, cache, [['k', 'old']])
  t.is(cache.slotsInUse, 1)
  t.notThrows(() => cache.set('k', 'ok', {}))
  t.notThrows(() => cache.set('k', 'ok', undefined))
  t.notThrows(() => cache.set('k', 'ok', { ttl: undefined, tti: undefined }))
  t.is(cache.get('k'), 'ok')
})

test('getWith and invalidateIf need functions', (t) => {
  const cache = new Moka<string, string>({ maxCapacity: 10 })
  cache.set('k', 'v')
  for (const bad of [undefined, null, 'init', 1, {}]) {
    t.throws(() => cache.getWith('x', bad as unknown as () => string), { instanceOf: TypeError, message: /init/ })
    t.throws(() => cache.getWith('k', bad as unknown as () => string), { instanceOf: TypeError, message: /init/ })
    t.throws(() => cache.invalidateIf(bad as unknown as () => boolean), {
      instanceOf: TypeError,
      message: /predicate/,
    })
  }
  assertContents(t, cache, [['k', 'v']])
  t.false(cache.has('x'))
  t.deepEqual(cache.stats().misses, 0, 'a rejected getWith did not even look up')
})

test('a cache stays intact after every kind of rejected call', (t) => {
  const cache = new Moka<unknown, unknown>({ maxCapacity: 100, weigher: (_, v) => (v === 'heavy' ? -1 : 1) })
  const obj = {}
  cache.set('a', 1).set(obj, 'object').set(2n, 'big')
  const attempts: (() => unknown)[] = [
    () => cache.set('a', 'heavy'),
    () => cache.set('b', 2, { ttl: -1 }),
    () => cache.setMany([['c', 3], 'nope'] as unknown as [unknown, unknown][]),
    () => cache.setMany([['c', 3], ['d', 'heavy']]),
    () => cache.getWith('e', 5 as unknown as () => unknown),
    () => cache.getWith('e', () => 'e', { ttl: -1 }),
    () => cache.getWith('a', () => 'e', { tti: 'soon' }),
    () => cache.invalidateIf(null as unknown as () => boolean),
    () => cache.getMany(7 as unknown as unknown[]),
  ]
  for (const attempt of attempts) {
    t.throws(attempt, { any: true })
    assertContents(t, cache, [
      ['a', 1],
      [obj, 'object'],
      [2n, 'big'],
    ])
    t.is(cache.slotsInUse, 3)
    t.is(cache.weightedSize, 3)
  }
})

test('getWith checks its ttl/tti like set, on a hit too, before calling init', (t) => {
  const cache = new Moka<string, string>({ maxCapacity: 10 })
  cache.set('hit', 'v')
  let calls = 0
  const init = () => {
    calls++
    return 'computed'
  }
  for (const key of ['hit', 'miss']) {
    t.throws(() => cache.getWith(key, init, { ttl: -1 }), { instanceOf: RangeError, message: /^ttl must be a positive duration/ })
    t.throws(() => cache.getWith(key, init, { tti: NaN }), { instanceOf: RangeError, message: /^tti must be a positive duration/ })
    t.throws(() => cache.getWith(key, init, { tll: 5 } as never), { instanceOf: TypeError, message: /unknown set option "tll"/ })
    t.throws(() => cache.getWith(key, init, 5000 as never), { instanceOf: TypeError, message: /set options must be an object/ })
  }
  t.is(calls, 0)
  assertContents(t, cache, [['hit', 'v']])
})
