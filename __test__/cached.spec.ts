import test from 'ava'
import fc from 'fast-check'
import { defer, lastValueFrom, of, Subject } from 'rxjs'

import { cached, DEFAULT_MAX_CAPACITY, Moka, TimeoutError } from '../index.js'
// Internals, from the same compiled module the public entry uses.
import { argsKey, argsKeyStats } from '../lib/memoize/args.js'
import { failure, Point, sleep, trackUnhandledRejections } from './_helpers'

// Nothing in this file may leave a rejection unhandled.
const unhandled = trackUnhandledRejections()

// ─── synchronous memoization ────────────────────────────────────────────────

test('a sync function is called once per key and its result reused', (t) => {
  let calls = 0
  function square(x: number): number {
    calls++
    return x * x
  }
  const f = cached(square)
  t.is(f(3), 9)
  t.is(f(3), 9)
  t.is(f(4), 16)
  t.is(calls, 2)
  t.is(f.name, 'square')
  t.is(f.length, 1)
  t.is(f.uncached, square)
  t.true(f.cache instanceof Moka)
  const info = f.cacheInfo()
  t.like(info, { hits: 1, misses: 2, loads: 2, size: 2, maxCapacity: DEFAULT_MAX_CAPACITY, inFlight: 0 })
  t.is(info.hitRate, 1 / 3)
})

test('maxCapacity defaults to 1000 and every Moka option reaches the cache', (t) => {
  t.is(DEFAULT_MAX_CAPACITY, 1000)
  const events: [unknown, unknown, string][] = []
  const f = cached((x: number) => 'v'.repeat(x), {
    maxCapacity: 10,
    policy: 'lru',
    weigher: (_key, value) => value.length,
    evictionListener: (key, value, cause) => events.push([key, value, cause]),
  })
  f(4)
  f(4)
  f(5)
  f(6) // 4 + 5 + 6 > 10: the least recent go
  f.cache.runPendingTasks()
  t.true(f.cache.weightedSize <= 10)
  t.true(events.some(([, , cause]) => cause === 'size'))
  t.is(f.cacheInfo().maxCapacity, 10)
})

test('this reaches the wrapped function', (t) => {
  const counter = {
    base: 10,
    add: cached(function (this: { base: number }, x: number) {
      return this.base + x
    }),
  }
  t.is(counter.add(1), 11)
})

test('throws are not cached by default', (t) => {
  let calls = 0
  const f = cached((x: number) => {
    calls++
    if (calls === 1) throw new Error('first')
    return x
  })
  t.throws(() => f(1), { message: 'first' })
  t.is(f(1), 1)
  t.is(calls, 2)
  t.is(f.cacheInfo().errors, 1)
})

// ─── keys from arguments ────────────────────────────────────────────────────

test('no arguments is one key; a single primitive argument is the key itself', (t) => {
  let calls = 0
  const now = cached(() => ++calls)
  t.is(now(), 1)
  t.is(now(), 1)
  t.is(now.cache.size, 1)

  const upper = cached((s: string) => s.toUpperCase())
  upper('abc')
  t.is(upper.cache.get('abc'), 'ABC')
  t.deepEqual([...upper.cache.keys()], ['abc'])
})

test('several arguments are combined without collisions', (t) => {
  const seen: unknown[][] = []
  const f = cached((...args: unknown[]) => {
    seen.push(args)
    return seen.length
  })
  const calls: unknown[][] = [
    [1, '2'],
    ['1', 2],
    ['1,2'],
    ['n1;s1:2'], // what a naive encoding of (1, '2') could look like
    ['s1:1', 's1:2'],
    ['s1:1s1:2'],
    [1, 2],
    [1n, 2],
    [true, 2],
    ['true', 2],
    [null, 2],
    [undefined, 2],
    ['null', 2],
    [1],
    [1, undefined],
    [1, undefined, undefined],
  ]
  const results = calls.map((args) => f(...args))
  t.deepEqual(results, calls.map((_, i) => i + 1), 'every argument list computed once')
  t.deepEqual(calls.map((args) => f(...args)), results, 'and found again')
  t.is(seen.length, calls.length)
})

test('keys follow SameValueZero: -0 is 0, NaN is NaN', (t) => {
  let calls = 0
  const f = cached((..._args: unknown[]) => ++calls)
  f(0)
  f(-0)
  f(NaN)
  f(NaN)
  f(0, NaN)
  f(-0, NaN)
  t.is(calls, 3)
})

test('object arguments count by identity', (t) => {
  let calls = 0
  const f = cached((..._args: unknown[]) => ++calls)
  const a = { id: 1 }
  f(a)
  f(a)
  f({ id: 1 })
  f(a, 'x')
  f(a, 'x')
  f({ id: 1 }, 'x')
  const sym = Symbol('s')
  f(sym, 1)
  f(sym, 1)
  f(Symbol('s'), 1)
  t.is(calls, 6)
})

test('a single value-object argument follows the cache: equal keys are one entry', (t) => {
  let calls = 0
  const f = cached((p: Point) => ++calls + p.x)
  f(new Point(1, 2))
  f(new Point(1, 2))
  f(new Point(2, 1))
  t.is(calls, 2)
})

test('object arguments among several are not kept alive by the cache', async (t) => {
  const f = cached((o: object, n: number) => n)
  const ref = (() => {
    const o = {}
    f(o, 1)
    return new WeakRef(o)
  })()
  let gone = false
  for (let i = 0; i < 100 && !gone; i++) {
    // A WeakRef keeps its target for the rest of the job that created or read it.
    await sleep(i < 10 ? 1 : 20)
    globalThis.gc!()
    gone = ref.deref() === undefined
  }
  t.true(gone)
  t.is(f.cache.size, 1)
})

test('keys of several arguments are released with their entries', async (t) => {
  const f = cached((o: object, a: string, b: number) => `${a}${b}`)
  const before = argsKeyStats()
  const objects = [{}, {}, () => 0]
  for (let i = 0; i < 60; i++) f(objects[i % 3], 'k', i)
  t.true(argsKeyStats().keys >= before.keys + 60)
  t.is(f(objects[1], 'k', 7), 'k7')
  t.is(f.cacheInfo().hits, 1)
  f.cacheClear()
  let released = false
  for (let i = 0; i < 100 && !released; i++) {
    await sleep(i < 10 ? 1 : 20)
    globalThis.gc!()
    const now = argsKeyStats()
    released = now.keys <= before.keys && now.nodes <= before.nodes
  }
  t.true(released, JSON.stringify({ before, after: argsKeyStats() }))
})

test('argument lists give the same key exactly when they are equal (SameValueZero, identity)', (t) => {
  const pool = [{}, {}, Symbol('a'), Symbol.for('moka-js.test'), () => 1]
  const arg = fc.oneof(
    fc.constantFrom<unknown>(0, -0, NaN, 1, '1', '', 'n1;', 's1:1', 1n, true, 'true', null, undefined, 'u', 'l'),
    fc.string({ maxLength: 4 }),
    fc.integer({ min: -3, max: 3 }),
    fc.constantFrom(...pool),
  )
  const list = fc.array(arg, { minLength: 2, maxLength: 4 })
  const same = (a: unknown[], b: unknown[]) =>
    a.length === b.length && a.every((x, i) => x === b[i] || (Number.isNaN(x) && Number.isNaN(b[i])))
  fc.assert(
    fc.property(list, list, (a, b) => {
      const ka = argsKey(a)
      const kb = argsKey(b)
      return (ka === kb) === same(a, b) && (ka === argsKey([...a]))
    }),
    { numRuns: 2000 },
  )
  t.pass()
})

test('key: the cache key of a call, used by invalidate too', (t) => {
  let calls = 0
  const byId = cached((user: { id: number; name: string }) => `${user.name}#${++calls}`, { key: (user) => user.id })
  t.is(byId({ id: 1, name: 'ann' }), 'ann#1')
  t.is(byId({ id: 1, name: 'other' }), 'ann#1')
  t.is(byId.cache.get(1), 'ann#1')
  t.true(byId.invalidate({ id: 1, name: 'x' }))
  t.is(byId({ id: 1, name: 'bob' }), 'bob#2')
})

test('invalidate, cacheClear and cacheInfo', (t) => {
  let calls = 0
  const f = cached((a: number, b: number) => a + b + ++calls * 0)
  f(1, 2)
  f(1, 2)
  f(2, 3)
  t.true(f.invalidate(1, 2))
  t.false(f.invalidate(1, 2))
  f(1, 2)
  t.is(calls, 3)
  t.like(f.cacheInfo(), { hits: 1, misses: 3, size: 2 })
  f.cacheClear()
  t.like(f.cacheInfo(), { hits: 0, misses: 0, size: 0 })
  f(1, 2)
  t.is(calls, 4)
})

test('enabled: false calls straight through; a function is asked on every call', (t) => {
  let calls = 0
  const off = cached(() => ++calls, { enabled: false })
  off()
  off()
  t.is(calls, 2)
  t.is(off.cache.size, 0)
  let on = false
  const toggled = cached(() => ++calls, { enabled: () => on })
  toggled()
  toggled()
  t.is(calls, 4)
  on = true
  toggled()
  toggled()
  t.is(calls, 5)
})

// ─── async ──────────────────────────────────────────────────────────────────

test('async: concurrent calls share one load and get the same object', async (t) => {
  let calls = 0
  const load = cached(async (id: number) => {
    calls++
    await sleep(20)
    return { id }
  })
  const results = await Promise.all([load(1), load(1), load(1), load(2)])
  t.is(calls, 2)
  t.is(results[0], results[1])
  t.is(results[1], results[2])
  t.not(results[0], results[3])
  t.is(await load(1), results[0])
  t.like(load.cacheInfo(), { misses: 4, coalesced: 2, hits: 1, loads: 2 })
  t.is(load.cache.get(1), results[0], 'the cache holds resolved values')
})

test('async: a rejection reaches every concurrent caller and is not cached', async (t) => {
  let calls = 0
  const load = cached(async (id: number) => {
    calls++
    await sleep(10)
    if (calls === 1) throw new Error(`down ${id}`)
    return id
  })
  const errors = await Promise.all([failure(load(1)), failure(load(1)), failure(load(1))])
  t.is(errors[0].message, 'down 1')
  t.is(errors[0], errors[1])
  t.is(errors[1], errors[2])
  t.is(await load(1), 1)
  t.is(calls, 2)
})

test('a function returning a promise without async is cached as async', async (t) => {
  let calls = 0
  const load = cached((x: number) => {
    calls++
    return new Promise<number>((resolve) => setTimeout(() => resolve(x * 2), 5))
  })
  t.is(await load(2), 4)
  const again = load(2)
  t.true(again instanceof Promise)
  t.is(await again, 4)
  t.is(calls, 1)
})

test('waitConcurrent: false lets each concurrent miss call the function', async (t) => {
  let calls = 0
  const load = cached(
    async () => {
      calls++
      await sleep(10)
      return calls
    },
    { waitConcurrent: false },
  )
  await Promise.all([load(), load(), load()])
  t.is(calls, 3)
  await load()
  t.is(calls, 3)
})

test('cacheErrors: a failure is remembered for its own ttl', async (t) => {
  let calls = 0
  const load = cached(
    async (id: string) => {
      calls++
      throw new Error(`${id} failed (${calls})`)
    },
    { ttl: '1m', cacheErrors: { ttl: 300 } },
  )
  const first = await failure(load('a'))
  const second = await failure(load('a'))
  t.is(first, second)
  t.is(calls, 1)
  t.like(load.cacheInfo(), { hits: 1, misses: 1, errors: 1 })
  await sleep(400)
  const third = await failure(load('a'))
  t.is(third.message, 'a failed (2)')
  t.true(load.invalidate('a'))
  await failure(load('a'))
  t.is(calls, 3)
})

test('cacheErrors also applies to sync throws', (t) => {
  let calls = 0
  const f = cached(
    (): number => {
      calls++
      throw new RangeError('nope')
    },
    { cacheErrors: { ttl: '1m' } },
  )
  const a = t.throws(() => f())
  const b = t.throws(() => f())
  t.is(a, b)
  t.is(calls, 1)
})

test('timeout: every waiter gets a TimeoutError; the late result still fills the cache', async (t) => {
  let calls = 0
  const slow = cached(
    async (k: string) => {
      calls++
      await sleep(120)
      return `late ${k}`
    },
    { timeout: 30 },
  )
  const errors = await Promise.all([failure(slow('a')), failure(slow('a')), failure(slow('a'))])
  for (const error of errors) {
    t.is(error.name, 'TimeoutError')
    t.true(error instanceof TimeoutError)
  }
  t.is(errors[0], errors[1])
  t.is(slow.cacheInfo().timeouts, 1)
  await sleep(150)
  t.is(slow.cache.get('a'), 'late a')
  t.is(await slow('a'), 'late a')
  t.is(calls, 1)
})

test('retry: a failing load is retried with exponential backoff', async (t) => {
  let attempts = 0
  const flaky = cached(
    async () => {
      attempts++
      if (attempts < 3) throw new Error(`flaky ${attempts}`)
      return 'ok'
    },
    { retry: { retries: 3, backoff: 20 } },
  )
  const started = performance.now()
  t.is(await flaky(), 'ok')
  t.is(attempts, 3)
  // Waits of 20 then 40 ms: a lower bound only.
  t.true(performance.now() - started >= 50)
  t.like(flaky.cacheInfo(), { loads: 3, errors: 0 })
})

test('retry: gives up after its retries with the last error; backoff may be a function', async (t) => {
  let attempts = 0
  const waits: [number, string][] = []
  const broken = cached(
    async () => {
      attempts++
      throw new Error(`broken ${attempts}`)
    },
    {
      retry: {
        retries: 2,
        backoff: (n, error) => {
          waits.push([n, (error as Error).message])
          return 1
        },
      },
    },
  )
  const [a, b] = await Promise.all([failure(broken()), failure(broken())])
  t.is(a.message, 'broken 3')
  t.is(a, b)
  t.deepEqual(waits, [
    [1, 'broken 1'],
    [2, 'broken 2'],
  ])
  await failure(broken())
  t.is(attempts, 6, 'a failure is not cached')
})

test('retry: a number is a number of retries', async (t) => {
  let attempts = 0
  const f = cached(
    async () => {
      if (++attempts < 2) throw new Error('once')
      return attempts
    },
    { retry: { retries: 1, backoff: 1 } },
  )
  t.is(await f(), 2)
  const g = cached(async () => 1, { retry: 2 })
  t.is(await g(), 1)
})

test('ttl as a function of the result: each entry lives as long as its value says', async (t) => {
  let issued = 0
  const token = cached(async (user: string) => ({ user, n: ++issued, expiresIn: user === 'short' ? 300 : 60_000 }), {
    ttl: (tok) => tok.expiresIn,
  })
  const short = await token('short')
  const long = await token('long')
  t.is(await token('short'), short)
  await sleep(400)
  t.not(await token('short'), short)
  t.is(await token('long'), long)
  t.is(issued, 3)
})

test('ttl function returning ≤ 0 leaves the result uncached', (t) => {
  let calls = 0
  const f = cached((x: number) => ({ x, n: ++calls }), { ttl: (v) => (v.x < 0 ? 0 : '1m') })
  f(-1)
  f(-1)
  f(1)
  f(1)
  t.is(calls, 3)
})

// ─── refresh-ahead ──────────────────────────────────────────────────────────

test('refreshAfter: an old entry is returned at once while one background refresh runs', async (t) => {
  let version = 0
  const get = cached(
    async (k: string) => {
      version++
      await sleep(20)
      return `${k}@${version}`
    },
    { ttl: 10_000, refreshAfter: 300 },
  )
  t.is(await get('a'), 'a@1')
  t.is(await get('a'), 'a@1')
  await sleep(350)
  const stale = await Promise.all([get('a'), get('a'), get('a')])
  t.deepEqual(stale, ['a@1', 'a@1', 'a@1'], 'served at once, before the refresh completes')
  t.is(get.cacheInfo().refreshes, 1, 'one refresh for all of them')
  let value = stale[0]
  for (let i = 0; i < 200 && value === 'a@1'; i++) {
    await sleep(5)
    value = await get('a')
  }
  t.is(value, 'a@2', 'the refreshed value replaced it')
  t.is(version, 2)
  t.like(get.cacheInfo(), { refreshes: 1, loads: 2, misses: 1 })
  t.deepEqual(unhandled, [])
})

test('refreshAfter works for sync functions too, after the call returns', async (t) => {
  let version = 0
  const f = cached(() => ++version, { refreshAfter: 100 })
  t.is(f(), 1)
  await sleep(150)
  t.is(f(), 1)
  t.is(version, 1, 'the refresh runs after the call has returned')
  await sleep(0)
  t.is(version, 2)
  t.is(f(), 2)
})

test('a failed refresh drops the entry unless staleIfError asks to keep it', async (t) => {
  let fail = false
  let calls = 0
  const get = cached(
    async () => {
      calls++
      if (fail) throw new Error('backend down')
      return calls
    },
    { ttl: '1m', refreshAfter: 30 },
  )
  t.is(await get(), 1)
  fail = true
  await sleep(50)
  t.is(await get(), 1, 'stale value, refresh started')
  await sleep(20)
  t.is((await failure(get())).message, 'backend down')
  t.deepEqual(unhandled, [])
})

test('staleIfError: the old value is served for that long after a refresh failed', async (t) => {
  let fail = false
  let calls = 0
  const started = Date.now()
  const at = (what: string) => t.log(`${what} at ${Date.now() - started} ms`)
  const get = cached(
    async (k: string) => {
      calls++
      at(`call ${calls}${fail ? ' (failing)' : ''}`)
      if (fail) throw new Error('backend down')
      return `${k}#${calls}`
    },
    { ttl: 1_500, refreshAfter: 100, staleIfError: 4_000 },
  )
  t.is(await get('a'), 'a#1')
  fail = true
  await sleep(150)
  at('stale call')
  t.is(await get('a'), 'a#1', 'stale: a refresh starts and fails')
  await sleep(Math.max(0, started + 1_700 - Date.now()))
  // Past the ttl, inside the grace: still served, refreshes still tried.
  at('grace call')
  t.is(await get('a'), 'a#1')
  await sleep(150)
  at('grace call')
  t.is(await get('a'), 'a#1')
  t.true(Date.now() - started < 4_000, 'still inside the grace window')
  await sleep(Math.max(0, started + 5_500 - Date.now()))
  at('after the grace')
  t.is((await failure(get('a'))).message, 'backend down', 'grace over: the error surfaces')
  t.true(calls >= 3)
  fail = false
  t.regex(await get('a'), /^a#\d+$/)
  t.deepEqual(unhandled, [])
})

test('staleIfError: a refresh that succeeds later replaces the stale value', async (t) => {
  let fail = false
  let calls = 0
  const get = cached(
    async () => {
      calls++
      if (fail) throw new Error('down')
      return calls
    },
    { ttl: 5_000, refreshAfter: 40, staleIfError: 5_000 },
  )
  t.is(await get(), 1)
  fail = true
  await sleep(60)
  t.is(await get(), 1, 'stale: a refresh starts and fails')
  await sleep(10)
  t.is(await get(), 1, 'still served after the failure')
  fail = false
  // The next refresh is tried once refreshAfter has passed again; until then
  // and while it runs, the stale value is served, never an error.
  const seen: number[] = []
  const deadline = Date.now() + 2_000
  while (Date.now() < deadline) {
    const value = await get()
    seen.push(value)
    if (value !== 1) break
    await sleep(10)
  }
  const last = seen[seen.length - 1]
  t.true(last > 1, `refreshed: ${seen.join(',')}`)
  t.true(seen.slice(0, -1).every((v) => v === 1))
  t.is(await get(), last)
  t.deepEqual(unhandled, [])
})

test('invalidate keeps a load in flight from storing its result', async (t) => {
  let calls = 0
  const load = cached(async () => {
    calls++
    await sleep(30)
    return calls
  })
  const pending = load()
  await sleep(5)
  load.invalidate()
  t.is(await pending, 1, 'the waiters still get the result')
  t.is(load.cache.size, 0)
  t.is(await load(), 2)
})

// ─── the dog-piling scenario ────────────────────────────────────────────────

test('dog-piling: 50 batches of 5 concurrent calls make about one backend call per TTL window', async (t) => {
  let backend = 0
  const lookup = cached(
    async (id: string) => {
      backend++
      await sleep(10)
      return { id, at: Date.now() }
    },
    { ttl: 200 },
  )
  const started = Date.now()
  let last = started
  let longestGap = 0
  for (let batch = 0; batch < 50; batch++) {
    await sleep(Math.max(0, started + batch * 70 - Date.now()))
    longestGap = Math.max(longestGap, Date.now() - last)
    last = Date.now()
    const results = await Promise.all(Array.from({ length: 5 }, () => lookup('hot')))
    // One shared load per batch; a batch that straddles the expiry may also see the old value.
    t.true(new Set(results).size <= 2)
  }
  const elapsed = Date.now() - started
  t.log(`${backend} backend calls for 250 calls over ${elapsed} ms (longest gap between batches ${longestGap} ms)`)
  // An entry lives 200 ms and the next load starts with the first batch after
  // that, so loads are at least elapsed / (ttl + load + longest gap): a
  // stalled machine lengthens gaps, and the bound with them.
  const atLeast = Math.floor(elapsed / (200 + 10 + longestGap)) - 1
  t.true(backend >= Math.max(2, atLeast) && backend <= 25, `${backend} backend calls, expected ${Math.max(2, atLeast)} to 25`)
})

// ─── options are checked when wrapping ──────────────────────────────────────

test('bad options throw at wrap time, naming the option', (t) => {
  const fn = async (x: number) => x
  t.throws(() => cached(fn, { timeout: -1 }), { instanceOf: RangeError, message: /timeout/ })
  t.throws(() => cached(fn, { timeout: 'soon' }), { instanceOf: RangeError, message: /timeout/ })
  t.throws(() => cached(fn, { retry: { retries: 'x' as unknown as number } }), {
    instanceOf: TypeError,
    message: /retry\.retries/,
  })
  t.throws(() => cached(fn, { retry: -1 }), { instanceOf: RangeError, message: /retry\.retries/ })
  t.throws(() => cached(fn, { retry: { retries: 1, backof: 10 } as never }), { instanceOf: TypeError, message: /backof/ })
  t.throws(() => cached(fn, { key: 'id' as never }), { instanceOf: TypeError, message: /key must be a function/ })
  t.throws(() => cached(fn, { ttll: 10 } as never), { instanceOf: TypeError, message: /unknown option "ttll".*"ttl"/ })
  t.throws(() => cached(fn, { refreshAfterr: 10 } as never), { instanceOf: TypeError, message: /"refreshAfter"/ })
  t.throws(() => cached(fn, { maxCapacity: -1 }), { instanceOf: RangeError, message: /maxCapacity/ })
  t.throws(() => cached(fn, { ttl: NaN }), { instanceOf: RangeError, message: /ttl/ })
  t.throws(() => cached(fn, { cacheErrors: {} as never }), { instanceOf: TypeError, message: /cacheErrors\.ttl/ })
  t.throws(() => cached(fn, { cacheErrors: { ttl: 0 } }), { instanceOf: RangeError, message: /cacheErrors\.ttl/ })
  t.throws(() => cached(fn, { staleIfError: 10 }), { instanceOf: TypeError, message: /staleIfError.*refreshAfter/ })
  t.throws(() => cached(fn, { ttl: 100, refreshAfter: 100 }), { instanceOf: RangeError, message: /refreshAfter/ })
  t.throws(() => cached(fn, { waitConcurrent: 1 as never }), { instanceOf: TypeError, message: /waitConcurrent/ })
  t.throws(() => cached(fn, { enabled: 'yes' as never }), { instanceOf: TypeError, message: /enabled/ })
  t.throws(() => cached(fn, { evictionListener: {} as never }), { instanceOf: TypeError, message: /evictionListener/ })
  t.throws(() => cached(fn, 'fast' as never), { instanceOf: TypeError, message: /options must be an object/ })
  t.throws(() => cached({ timeout: -1 }), { instanceOf: RangeError, message: /timeout/ }, 'the decorator form checks too')
})

test('cached(options)(fn) is cached(fn, options): one call for two equal calls, a hit counted', (t) => {
  let calls = 0
  function square(x: number): number {
    calls++
    return x * x
  }
  const f = cached({ maxCapacity: 7, key: (x: number) => `n${x}` })(square)
  t.is(f(3), 9)
  t.is(f(3), 9)
  t.is(calls, 1)
  t.like(f.cacheInfo(), { hits: 1, misses: 1, loads: 1, size: 1, maxCapacity: 7 })
  // Typed as cached(fn, options) is: square's parameters, the key option's keys.
  const cache: Moka<string, number> = f.cache
  t.true(cache instanceof Moka)
  t.is(cache.get('n3'), 9)
  // @ts-expect-error the keys are the key option's strings
  t.is(f.cache.get(3), undefined)
  // @ts-expect-error square takes a number
  t.false(f.invalidate('x'))
  t.is(f.uncached, square)
  t.is(f.name, 'square')
  f.cacheClear()
  t.is(f.cache.size, 0)
  t.is(f.cacheInfo().hits, 0)
  t.is(f(3), 9)
  t.is(calls, 2, 'cacheClear emptied the cache')

  // Each function passed to one decorator gets a cache of its own.
  const memoize = cached({ ttl: '1m' })
  const g = memoize(square)
  const h = memoize(square)
  t.is(g(4), 16)
  t.false(h.cache.has(4))
  t.is(h(4), 16)
  t.is(calls, 4)
})

test('cached(options, fn) and a decorator called with anything but one function say what to write instead', (t) => {
  const fn = (x: number) => x
  t.throws(() => (cached as (...args: unknown[]) => unknown)({ ttl: '1m' }, fn), {
    instanceOf: TypeError,
    message: 'cached(fn, options) takes the function first; this call passed the options first, cached(options, fn)',
  })
  const decorator = cached({ ttl: '1m' }) as unknown as (...args: unknown[]) => unknown
  t.throws(() => decorator(fn, 0), {
    instanceOf: TypeError,
    message:
      'cached(options) returns a method decorator, to write @cached(options) above a method; it was called with function, number 0. ' +
      'To memoize a function, call cached(fn, options) or cached(options)(fn).',
  })
  t.throws(() => decorator(42), { instanceOf: TypeError, message: /it was called with number 42\. To memoize a function/ })
  // A class alone is how a legacy class decorator is called, not a function to memoize.
  t.throws(() => decorator(class Service {}), { instanceOf: TypeError, message: /it was called with function\. To memoize a function/ })
  t.throws(() => decorator(), { instanceOf: TypeError, message: /it was called with nothing\. To memoize a function/ })
})

// ─── Observables (rxjs) ──────────────────────────────────────────────────────

test('a function returning an Observable is refused: the stream would run again on every subscription', async (t) => {
  let requests = 0
  const request = (id: number) =>
    defer(() => {
      requests++
      return of({ id })
    })
  const refusal = { instanceOf: TypeError, message: /^getUser returned an Observable, which moka-js does not cache.*lastValueFrom/ }
  const getUser = cached(function getUser(id: number) {
    return request(id)
  })
  t.throws(() => getUser(1), refusal)
  t.throws(() => getUser(1), refusal, 'refused again: nothing was stored')
  const getUserAsync = cached(async function getUser(id: number) {
    return request(id)
  })
  const error = await failure(getUserAsync(1))
  t.true(error instanceof TypeError)
  t.regex(error.message, refusal.message)
  t.is(getUser.cacheInfo().size + getUserAsync.cacheInfo().size, 0)
  t.is(requests, 0, 'nothing subscribed')
  // What the error suggests: cache the data.
  const getData = cached(async (id: number) => lastValueFrom(request(id)))
  t.is(await getData(1), await getData(1))
  t.is(requests, 1)
})

test('Observables are recognized by shape; other subscribables are plain values', (t) => {
  const subscribe = () => ({ unsubscribe() {} })
  const interop = { subscribe, ['@@observable']() {
    return this
  } }
  t.throws(() => cached(() => interop)(), { instanceOf: TypeError, message: /returned an Observable/ })
  t.throws(() => cached(() => new Subject<number>())(), { instanceOf: TypeError, message: /returned an Observable/ })
  // A store-like object with only `subscribe` (Svelte stores, event sources) is cached as is.
  const store = { subscribe, value: 1 }
  const getStore = cached(() => store)
  t.is(getStore(), store)
  t.is(getStore(), store)
  t.is(getStore.cacheInfo().hits, 1)
})

test('fn.cache.fetch joins a load that started before the cache existed', async (t) => {
  let release!: (value: object) => void
  const f = cached((_id: number) => new Promise<object>((resolve) => (release = resolve)))
  const first = f(1)
  const joined = f.cache.fetch(1, () => {
    throw new Error('a second load')
  })
  const value = {}
  release(value)
  t.is(await first, value)
  t.is(await joined, value)
  t.is(f.cache.get(1), value)
})

test('durations may be strings', async (t) => {
  const f = cached(async (x: number) => x, { ttl: '1m', tti: '30s', timeout: '2s', refreshAfter: '10s', retry: { retries: 1, backoff: '50ms' } })
  t.is(await f(1), 1)
})
