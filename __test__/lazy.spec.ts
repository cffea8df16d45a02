// `cached` and `@cached()` build their native caches on the first stored
// result, not when a function is wrapped or an instance first calls a
// method: a request-scoped service that never stores anything must not pay
// for a native cache per instance. Counted by watching the Moka constructor
// the compiled layer uses; every test here is synchronous, so none overlaps.

import test, { ExecutionContext } from 'ava'

import { cached, CachedFunction, cacheOf, Moka } from '../index.js'
// The module object whose `Moka` property the compiled layer calls `new` on.
import mokaModule = require('../lib/core/moka.js')

/** Runs `fn` while counting the Moka instances built, and returns that count. */
function mokasBuiltBy(fn: () => void): number {
  const original = mokaModule.Moka
  let built = 0
  ;(mokaModule as { Moka: unknown }).Moka = new Proxy(original, {
    construct(target, args, newTarget) {
      built++
      return Reflect.construct(target, args, newTarget) as object
    },
  })
  try {
    fn()
  } finally {
    ;(mokaModule as { Moka: unknown }).Moka = original
  }
  return built
}

function assertBuilt(t: ExecutionContext, expected: number, fn: () => void, what: string): void {
  t.is(mokasBuiltBy(fn), expected, what)
}

test('the counter sees a Moka being built', (t) => {
  assertBuilt(t, 1, () => new Moka({ maxCapacity: 1 }), 'new Moka')
})

test('cached(fn): no native cache until a result is stored', (t) => {
  let fail = true
  const options = { ttl: 60_000, refreshAfter: 1_000, staleIfError: 5_000, cacheErrors: { ttl: 1_000 } }
  let f!: CachedFunction<(x: number) => number>
  assertBuilt(t, 0, () => {
    f = cached((x: number) => {
      if (fail) throw new Error('down')
      return x
    }, options)
  }, 'wrapping')
  assertBuilt(t, 0, () => {
    t.deepEqual(f.cacheInfo().size, 0)
    t.false(f.invalidate(1))
    f.cacheClear()
  }, 'asking and clearing')
  // The remembered error is stored: its cache, and only it, is built.
  assertBuilt(t, 1, () => t.throws(() => f(1), { message: 'down' }), 'a failure remembered by cacheErrors')
  fail = false
  // A stored result: the main cache and the refreshAfter bookkeeping.
  assertBuilt(t, 2, () => t.is(f(2), 2), 'the first stored result')
  assertBuilt(t, 0, () => t.is(f(2), 2), 'a hit')
})

test('nothing stored, nothing built: throws, enabled: false, a ttl function refusing the result', (t) => {
  assertBuilt(t, 0, () => {
    const throws = cached((x: number): number => {
      throw new Error(`no ${x}`)
    })
    for (let i = 0; i < 100; i++) t.throws(() => throws(i))
    const off = cached((x: number) => x, { enabled: false })
    t.is(off(1), 1)
    const refused = cached((x: number) => ({ x }), { ttl: () => 0 })
    t.deepEqual(refused(1), { x: 1 })
  }, 'none of these stores a result')
})

test('fn.cache builds the cache when asked for it', (t) => {
  const f = cached((x: number) => x * 2)
  assertBuilt(t, 1, () => t.is(f.cache.size, 0), 'fn.cache')
  assertBuilt(t, 0, () => t.is(f(2), 4), 'then stores into that one')
  t.is(f.cache.get(2), 4)
})

test('@cached(): instances whose calls store nothing build no cache', (t) => {
  class Handler {
    constructor(readonly id: number) {}
    @cached()
    load(key: string): string {
      throw new Error(`${key} not found for ${this.id}`)
    }
    @cached()
    label(): string {
      return `handler ${this.id}`
    }
  }
  assertBuilt(t, 0, () => {
    for (let i = 0; i < 1_000; i++) {
      const h = new Handler(i)
      t.throws(() => h.load('k'))
      t.is(cacheOf(h, 'load').cacheInfo().misses, 1)
    }
  }, '1000 instances, each called once without storing')
  assertBuilt(t, 3, () => {
    for (let i = 0; i < 3; i++) new Handler(i).label()
  }, 'one per instance that stores')
})
