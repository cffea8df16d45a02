// The eviction listener: what it receives, re-entrancy (it may use its own
// cache, which moka's locks would forbid inside moka), and throwing listeners.

import test from 'ava'

import { Moka } from '../index.js'
import { assertConsistent, assertContents, sleep, tally } from './_helpers'

type Op = (cache: Moka<string, string>, key: string) => unknown

// Each runs inside the listener, on the cache that is notifying.
const OPS: Record<string, Op> = {
  get: (c, k) => c.get(k),
  getFallback: (c, k) => c.get(k, 'fallback'),
  getWith: (c, k) => c.getWith(`echo:${k}`, () => 'computed'),
  set: (c, k) => c.set(`echo:${k}`, 'echo'),
  setWithTtl: (c, k) => c.set(`echo:${k}`, 'echo', { ttl: 60_000 }),
  delete: (c) => c.delete('victim'),
  remove: (c) => c.remove('victim'),
  has: (c, k) => c.has(k),
  size: (c) => c.size,
  weightedSize: (c) => c.weightedSize,
  clear: (c) => c.clear(),
  runPendingTasks: (c) => c.runPendingTasks(),
  getMany: (c, k) => c.getMany([k, 'victim', 'x']),
  setMany: (c, k) => c.setMany([[`echo:${k}`, 'echo']]),
  invalidateIf: (c) => c.invalidateIf((key) => key === 'victim'),
  iterate: (c) => [...c.entries()],
  stats: (c) => c.stats(),
}

for (const [name, op] of Object.entries(OPS)) {
  test(`a listener may call ${name} on its own cache: no deadlock, the cache stays consistent`, (t) => {
    const notified: [string, string, string][] = []
    let calls = 0
    const cache: Moka<string, string> = new Moka<string, string>({
      perEntryExpiry: true,
      maxCapacity: 5,
      policy: 'lru',
      evictionListener: (key, value, cause) => {
        notified.push([key, value, cause])
        if (key.startsWith('echo:') || calls >= 50) return // bounded re-entrancy
        calls++
        op(cache, key)
      },
    })
    cache.set('victim', 'v')
    // replaced, explicit and size notifications, each with the op inside
    cache.set('r', 'r1').set('r', 'r2')
    cache.delete('r')
    for (let i = 0; i < 20; i++) cache.set(`k${i}`, `v${i}`)
    cache.runPendingTasks()
    cache.set('victim', 'v2')
    cache.clear()
    for (let i = 0; i < 3; i++) cache.set(`after${i}`, 'a')
    t.true(calls > 0, 'the listener ran')
    assertConsistent(t, cache)
    const counts = tally(notified.map(([k, v]) => `${k}=${v}`))
    t.true([...counts.values()].every((n) => n <= 2), 'no runaway notifications')
    // Every value that was stored and is gone was notified exactly once (echo values can repeat per key).
    for (let i = 0; i < 20; i++) t.is(counts.get(`k${i}=v${i}`), 1, `k${i} notified once`)
    t.is(counts.get('r=r1'), 1)
    t.is(counts.get('r=r2'), 1)
    for (let i = 0; i < 3; i++) t.true(cache.has(`after${i}`), 'the cache still works')
  })
}

test('the listener receives (key, value, cause) with the original objects', (t) => {
  const received: unknown[][] = []
  const cache = new Moka<object, object>({
    maxCapacity: 10,
    evictionListener: (...args) => {
      received.push(args)
    },
  })
  const key = {}
  const value = {}
  cache.set(key, value)
  cache.delete(key)
  t.is(received.length, 1)
  t.is(received[0].length, 3)
  t.is(received[0][0], key)
  t.is(received[0][1], value)
  t.is(received[0][2], 'explicit')
})

test('inside the listener the notified entry is gone, and a replacement is visible', (t) => {
  const seen: [string, unknown, boolean][] = []
  const cache: Moka<string, string> = new Moka<string, string>({
    maxCapacity: 10,
    evictionListener: (key, _value, cause) => seen.push([cause, cache.get(key), cache.has(key)]),
  })
  cache.set('k', 'old').set('k', 'new')
  cache.set('d', 'x')
  cache.delete('d')
  t.deepEqual(seen, [
    ['replaced', 'new', true],
    ['explicit', undefined, false],
  ])
})

test('a listener that re-inserts the evicted key keeps the cache consistent', (t) => {
  let reinserted = 0
  const cache: Moka<string, number> = new Moka<string, number>({
    maxCapacity: 3,
    policy: 'lru',
    evictionListener: (key, value, cause) => {
      if (cause === 'size' && reinserted < 10) {
        reinserted++
        cache.set(key, value + 1000)
      }
    },
  })
  for (let i = 0; i < 10; i++) cache.set(`k${i}`, i)
  cache.runPendingTasks()
  cache.runPendingTasks()
  t.true(reinserted > 0)
  t.true(cache.size <= 3)
  assertConsistent(t, cache)
})

test('a listener that clears the cache during a large clear', (t) => {
  let notified = 0
  const cache: Moka<number, number> = new Moka<number, number>({
    maxCapacity: 10_000,
    evictionListener: () => {
      notified++
      if (notified % 100 === 0) cache.clear()
      if (notified % 7 === 0) cache.get(notified)
    },
  })
  for (let i = 0; i < 5_000; i++) cache.set(i, i)
  cache.clear()
  t.is(notified, 5_000, 'every entry notified once, across the shared buffer refills')
  t.is(cache.size, 0)
  t.is(cache.slotsInUse, 0)
})

test('a batch is delivered whole when its listener delivers other batches meanwhile', (t) => {
  // Each drain copies its batch out before the listener runs: a nested
  // drain (this cache's or another's) must copy into memory of its own.
  const log: string[] = []
  const other: Moka<string, string> = new Moka<string, string>({
    maxCapacity: 100,
    evictionListener: (key, _value, cause) => log.push(`other ${key}:${cause}`),
  })
  const cache: Moka<string, string> = new Moka<string, string>({
    maxCapacity: 100,
    evictionListener: (key, _value, cause) => {
      log.push(`${key}:${cause}`)
      if (key === 'a0') {
        other.clear()
        for (let i = 0; i < 5; i++) cache.set(`n${i}`, 'new')
        cache.clear()
      }
    },
  })
  for (let i = 0; i < 5; i++) {
    cache.set(`a${i}`, 'a')
    other.set(`b${i}`, 'b')
  }
  cache.clear()
  t.deepEqual(log.filter((e) => e.startsWith('other')).sort(), ['b0', 'b1', 'b2', 'b3', 'b4'].map((k) => `other ${k}:explicit`))
  const own = log.filter((e) => !e.startsWith('other'))
  t.deepEqual(own.filter((e) => e.startsWith('a')).sort(), ['a0', 'a1', 'a2', 'a3', 'a4'].map((k) => `${k}:explicit`))
  t.deepEqual(own.filter((e) => e.startsWith('n')).sort(), ['n0', 'n1', 'n2', 'n3', 'n4'].map((k) => `${k}:explicit`))
  t.is(own.length, 10, 'each entry notified once')
  t.is(cache.slotsInUse, 0)
  t.is(other.slotsInUse, 0)
})

// --- throwing listeners -------------------------------------------------------

function throwingOn(keys: Set<string>, log: string[]) {
  const errors = new Map<string, Error>()
  const listener = (key: string, _value: unknown, cause: string) => {
    log.push(`${key}:${cause}`)
    if (keys.has(key)) {
      const error = new Error(`listener failed on ${key}`)
      errors.set(key, error)
      throw error
    }
  }
  return { listener, errors }
}

test('a throwing listener: the rest of the batch is delivered and the error surfaces from clear', (t) => {
  const log: string[] = []
  const { listener, errors } = throwingOn(new Set(['b']), log)
  const cache = new Moka<string, number>({ maxCapacity: 100, evictionListener: listener })
  cache.set('a', 1).set('b', 2).set('c', 3)
  const thrown = t.throws(() => cache.clear())
  t.is<unknown, unknown>(thrown, errors.get('b'), 'the very error the listener threw')
  t.deepEqual(log.sort(), ['a:explicit', 'b:explicit', 'c:explicit'])
  t.is(cache.size, 0)
  t.is(cache.slotsInUse, 0)
  cache.set('d', 4)
  t.is(cache.get('d'), 4, 'the cache works afterwards, and the error is not thrown again')
})

test('several throwing listeners in one batch: an AggregateError with every error', (t) => {
  const log: string[] = []
  const { listener, errors } = throwingOn(new Set(['a', 'c', 'e']), log)
  const cache = new Moka<string, number>({ maxCapacity: 100, evictionListener: listener })
  for (const k of ['a', 'b', 'c', 'd', 'e']) cache.set(k, 0)
  const thrown = t.throws(() => cache.clear(), { instanceOf: AggregateError })
  const aggregate = thrown as unknown as AggregateError
  t.is(aggregate.errors.length, 3)
  t.deepEqual(new Set(aggregate.errors), new Set(errors.values()))
  t.regex(aggregate.message, /3/)
  t.is(log.length, 5)
  t.is(cache.size, 0)
  t.is(cache.slotsInUse, 0)
})

test('the error surfaces from the method whose call delivered the batch, after it did its work', async (t) => {
  const log: string[] = []
  const { listener } = throwingOn(new Set(['x']), log)
  const cache = new Moka<string, string>({
    maxCapacity: 3,
    policy: 'lru',
    ttl: 100,
    evictionListener: listener,
  })

  // set replacing: the new value is stored
  cache.set('x', 'old')
  t.throws(() => cache.set('x', 'new'), { message: 'listener failed on x' })
  t.is(cache.get('x'), 'new')

  // delete: the entry is gone
  t.throws(() => cache.delete('x'), { message: 'listener failed on x' })
  t.false(cache.has('x'))

  // remove
  cache.set('x', 'again')
  t.throws(() => cache.remove('x'), { message: 'listener failed on x' })
  t.false(cache.has('x'))

  // setMany replacing: every pair is stored
  cache.set('x', '1')
  t.throws(
    () =>
      cache.setMany([
        ['x', '2'],
        ['y', 'Y'],
      ]),
    { message: 'listener failed on x' },
  )
  t.is(cache.get('x'), '2')
  t.is(cache.get('y'), 'Y')

  // invalidateIf: the count is lost with the throw, but the entries are removed
  t.throws(() => cache.invalidateIf(() => true), { message: 'listener failed on x' })
  t.is(cache.size, 0)

  // runPendingTasks delivering 'size' evictions
  cache.set('x', 'lru victim')
  cache.runPendingTasks()
  cache.set('p', 'p').set('q', 'q').set('r', 'r')
  t.throws(() => cache.runPendingTasks(), { message: 'listener failed on x' })
  t.false(cache.has('x'))
  t.is(cache.size, 3)

  // size delivering expirations
  cache.clear()
  cache.set('x', 'expiring')
  await sleep(400)
  t.throws(() => cache.size, { message: 'listener failed on x' })
  t.is(cache.size, 0)
  t.is(cache.slotsInUse, 0)
  t.true(log.includes('x:expired'))
})

test('getWith still computes and stores when its lookup delivered a throwing notification', async (t) => {
  const log: string[] = []
  const { listener } = throwingOn(new Set(['x']), log)
  const cache = new Moka<string, string>({ maxCapacity: 100, ttl: 150, evictionListener: listener })
  cache.set('x', 'expiring')
  await sleep(500) // x expired, and moka's own maintenance interval (300 ms) has passed
  let calls = 0
  const error = t.throws(() =>
    cache.getWith('k', () => {
      calls++
      return 'computed'
    }),
  )
  // moka runs its maintenance inside a read once 300 ms passed since the last
  // run: the lookup itself removed x and delivered that removal.
  t.is(error?.message, 'listener failed on x')
  t.is(calls, 1, 'init ran')
  t.is(cache.get('k'), 'computed', 'and its value was stored')
  t.true(log.includes('x:expired'))
})

test('a listener error does not leak into later calls, nor skip releasing slots', (t) => {
  let fail = true
  const cache = new Moka<number, number>({
    maxCapacity: 10,
    evictionListener: () => {
      if (fail) throw new Error('listener')
    },
  })
  for (let i = 0; i < 10; i++) cache.set(i, i)
  for (let i = 0; i < 10; i++) t.throws(() => cache.delete(i))
  t.is(cache.slotsInUse, 0)
  fail = false
  t.notThrows(() => cache.set(1, 1))
  t.notThrows(() => cache.get(1))
  assertContents(t, cache, [[1, 1]])
})
