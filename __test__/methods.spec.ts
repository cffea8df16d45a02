// The Map-like surface: set/has/delete/remove/clear/size/weightedSize,
// runPendingTasks, invalidateIf and stats.

import test from 'ava'

import { Moka } from '../index.js'
import { assertConsistent, assertContents, recorder, sleep } from './_helpers'

test('set returns the cache itself, for chaining', (t) => {
  const cache = new Moka<string, number>({ maxCapacity: 10, perEntryExpiry: true })
  t.is(cache.set('a', 1), cache)
  t.is(cache.set('b', 2, { ttl: 60_000 }), cache)
  t.is(cache.set('a', 3).set('c', 4), cache)
  assertContents(t, cache, [
    ['a', 3],
    ['b', 2],
    ['c', 4],
  ])
})

test('has reports live entries only', (t) => {
  const cache = new Moka<string, number>({ maxCapacity: 10 })
  t.false(cache.has('a'))
  cache.set('a', 0)
  t.true(cache.has('a'))
  t.false(cache.has('A'))
  cache.delete('a')
  t.false(cache.has('a'))
})

test('delete returns whether an entry was removed', (t) => {
  const { events, listener } = recorder()
  const cache = new Moka<string, number>({ maxCapacity: 10, evictionListener: listener })
  cache.set('a', 1).set('b', 2)
  t.true(cache.delete('a'))
  t.false(cache.delete('a'))
  t.false(cache.delete('never'))
  t.deepEqual(events, [['a', 1, 'explicit']])
  assertContents(t, cache, [['b', 2]])
  t.is(cache.slotsInUse, 1)
})

test('remove returns the removed value, or undefined', (t) => {
  const { events, listener } = recorder()
  const cache = new Moka<string, object>({ maxCapacity: 10, evictionListener: listener })
  const value = { v: 1 }
  cache.set('a', value)
  t.is(cache.remove('a'), value)
  t.is(cache.remove('a'), undefined)
  t.is(cache.remove('never'), undefined)
  t.false(cache.has('a'))
  t.deepEqual(events, [['a', value, 'explicit']])
  t.is(cache.slotsInUse, 0)
})

test('remove(key, fallback) returns the fallback when nothing was removed, like moka-py', (t) => {
  const { events, listener } = recorder()
  const cache = new Moka<string, string | undefined>({ maxCapacity: 10, evictionListener: listener })
  const fallback = { absent: true }
  cache.set('a', 'x').set('u', undefined)
  t.is(cache.remove('never', fallback), fallback)
  t.is(cache.remove('a', fallback), 'x')
  t.is(cache.remove('a', fallback), fallback)
  t.is(cache.remove('u', fallback), undefined, 'a stored undefined was removed: it is the value, not the fallback')
  t.deepEqual(events, [
    ['a', 'x', 'explicit'],
    ['u', undefined, 'explicit'],
  ])
  t.is(cache.slotsInUse, 0)
})

test('getWith(key, init, { ttl, tti }) stores with per-entry expiry, like set', async (t) => {
  const cache = new Moka<string, string>({ maxCapacity: 10, perEntryExpiry: true })
  let calls = 0
  const init = (key: string) => `${key}:${++calls}`
  t.is(cache.getWith('ttl', init, { ttl: 150 }), 'ttl:1')
  t.is(cache.getWith('tti', init, { tti: '150ms' }), 'tti:2')
  t.is(cache.getWith('forever', init), 'forever:3')
  t.is(cache.getWith('ttl', init, { ttl: 150 }), 'ttl:1', 'a hit: init does not run')
  await sleep(500)
  t.false(cache.has('ttl'))
  t.false(cache.has('tti'))
  t.is(cache.getWith('forever', init, { ttl: 150 }), 'forever:3', 'options apply only to what init computes')
  t.is(cache.getWith('ttl', init), 'ttl:4')
})

test('clear removes everything now and notifies each entry as explicit', (t) => {
  const { events, listener } = recorder()
  const cache = new Moka<number, number>({ maxCapacity: 100, evictionListener: listener })
  for (let i = 0; i < 50; i++) cache.set(i, i * 10)
  cache.clear()
  t.is(cache.size, 0)
  t.is(cache.slotsInUse, 0)
  t.deepEqual([...cache.keys()], [])
  t.is(cache.get(1), undefined)
  t.is(events.length, 50)
  t.true(events.every(([k, v, cause]) => v === (k as number) * 10 && cause === 'explicit'))
  t.deepEqual(new Set(events.map(([k]) => k)).size, 50)
  cache.set(1, 1)
  t.is(cache.get(1), 1, 'the cache works after clear')
  cache.clear()
  cache.clear()
  t.is(events.length, 51)
})

test('clear of a large cache removes and notifies every entry', (t) => {
  let notified = 0
  const cache = new Moka<number, number>({ maxCapacity: 1_000_000, evictionListener: () => notified++ })
  const n = 300_000
  for (let i = 0; i < n; i++) cache.set(i, i)
  cache.clear()
  t.is(notified, n)
  t.is(cache.size, 0)
  t.is(cache.slotsInUse, 0)
  t.is(cache.stats().evictions!.explicit, n)
})

test('size and weightedSize count live entries after pending maintenance', (t) => {
  const cache = new Moka<string, string>({ maxCapacity: 100 })
  t.is(cache.size, 0)
  t.is(cache.weightedSize, 0)
  cache.set('a', 'x').set('b', 'y').set('a', 'z')
  t.is(cache.size, 2)
  t.is(cache.weightedSize, 2, 'without a weigher each entry weighs 1')
  cache.delete('a')
  t.is(cache.size, 1)
})

test('runPendingTasks settles the cache back to its capacity', (t) => {
  const { events, listener } = recorder()
  const cache = new Moka<number, number>({ maxCapacity: 1_000, policy: 'lru', evictionListener: listener })
  cache.setMany(Array.from({ length: 200_000 }, (_, i) => [i, i] as const))
  cache.runPendingTasks()
  t.is(cache.size, 1_000)
  t.is(cache.slotsInUse, 1_000)
  t.is(events.length, 199_000)
  t.true(events.every(([, , cause]) => cause === 'size'))
})

test('invalidateIf removes what the predicate selects and returns how many', (t) => {
  const { events, listener } = recorder()
  const cache = new Moka<number, string>({ maxCapacity: 100, evictionListener: listener })
  for (let i = 0; i < 20; i++) cache.set(i, `v${i}`)
  const seen: [number, string][] = []
  const removed = cache.invalidateIf((k, v) => {
    seen.push([k, v])
    return k % 3 === 0
  })
  t.is(removed, 7)
  t.is(seen.length, 20, 'the predicate saw every entry once')
  t.true(seen.every(([k, v]) => v === `v${k}`))
  t.is(cache.size, 13)
  for (let i = 0; i < 20; i++) t.is(cache.has(i), i % 3 !== 0)
  t.deepEqual(
    events.map(([k, , cause]) => [k, cause]).sort((a, b) => (a[0] as number) - (b[0] as number)),
    [0, 3, 6, 9, 12, 15, 18].map((k) => [k, 'explicit']),
  )
  t.is(cache.invalidateIf(() => false), 0)
  t.is(cache.invalidateIf(() => true), 13)
  t.is(cache.size, 0)
  t.is(cache.slotsInUse, 0)
})

test('invalidateIf skips entries the predicate replaced or deleted meanwhile', (t) => {
  for (let round = 0; round < 6; round++) {
    // Several rounds: the snapshot order decides which entries are visited first.
    const cache = new Moka<string, number>({ maxCapacity: 100 })
    cache.set('a', 1).set('b', 2).set('c', 3)
    const seen: [string, number][] = []
    const removed = cache.invalidateIf((k, v) => {
      seen.push([k, v])
      if (seen.length === 1) {
        cache.set(k === 'b' ? 'a' : 'b', 20) // replaced before (or after) its turn
        cache.delete(k === 'c' ? 'a' : 'c')
        cache.set('new', 99) // may reuse a released slot
      }
      return true
    })
    const first = seen[0][0]
    const replaced = first === 'b' ? 'a' : 'b'
    const deleted = first === 'c' ? 'a' : 'c'
    t.true(
      seen.every(([k, v]) => (k === first && v === { a: 1, b: 2, c: 3 }[first]) || (k === replaced && v === 20)),
      `the predicate only saw the first entry and maybe the replacement, got ${JSON.stringify(seen)}`,
    )
    t.false(
      seen.some(([k]) => k === deleted || k === 'new'),
      'never a deleted entry, nor one added after the snapshot',
    )
    t.false(cache.has(first))
    t.false(cache.has(deleted))
    t.is(cache.get('new'), 99)
    t.is(removed, seen.length)
    t.is(cache.get(replaced), seen.some(([k]) => k === replaced) ? undefined : 20)
    assertConsistent(t, cache)
  }
})

test('invalidateIf: a throwing listener does not stop the scan', (t) => {
  const notified: string[] = []
  const cache = new Moka<string, number>({
    maxCapacity: 100,
    evictionListener: (k) => {
      notified.push(k)
      throw new Error(`listener ${k}`)
    },
  })
  for (const k of ['a', 'b', 'c', 'd']) cache.set(k, 0)
  const error = t.throws(() => cache.invalidateIf((k) => k !== 'd'), { instanceOf: AggregateError })
  t.is((error as unknown as AggregateError).errors.length, 3)
  t.deepEqual(notified.sort(), ['a', 'b', 'c'])
  t.deepEqual([...cache.keys()], ['d'])
  t.is(cache.slotsInUse, 1)
})

test('invalidateIf: a throwing predicate propagates and leaves the rest intact', (t) => {
  const cache = new Moka<number, number>({ maxCapacity: 100 })
  for (let i = 0; i < 10; i++) cache.set(i, i)
  const error = new Error('predicate')
  let calls = 0
  t.is(
    t.throws(() =>
      cache.invalidateIf(() => {
        if (++calls === 3) throw error
        return true
      }),
    ),
    error,
  )
  t.is(cache.size, 8, 'the two entries selected before the throw were removed, no more')
  assertConsistent(t, cache)
})

for (const withListener of [true, false]) {
  test(`stats count hits, misses and removals${withListener ? ', by cause with a listener' : ''}`, (t) => {
    const cache = new Moka<string, number>({
      maxCapacity: 2,
      policy: 'lru',
      ...(withListener ? { evictionListener: () => {} } : {}),
    })
    t.deepEqual(cache.stats(), {
      hits: 0,
      misses: 0,
      hitRate: 0,
      removed: 0,
      evictions: withListener ? { expired: 0, explicit: 0, replaced: 0, size: 0 } : undefined,
    })
    cache.set('a', 1).set('b', 2)
    cache.get('a')
    cache.get('a')
    cache.get('zz')
    cache.getMany(['a', 'b', 'yy'])
    cache.getWith('b', () => 0) // hit
    cache.getWith('c', () => 3) // miss, stores c
    cache.has('a') // not a read
    cache.has('nope')
    cache.set('a', 10) // replaced
    cache.delete('b') // explicit
    cache.runPendingTasks()
    cache.set('d', 4)
    cache.set('e', 5)
    cache.runPendingTasks() // size evictions
    const stats = cache.stats()
    t.is(stats.hits, 5)
    t.is(stats.misses, 3)
    t.is(stats.hitRate, 5 / 8)
    t.is(stats.removed, 4)
    if (withListener) t.deepEqual(stats.evictions, { replaced: 1, explicit: 1, expired: 0, size: 2 })
    else t.is(stats.evictions, undefined)
    t.is(cache.size, 2)
    t.is(cache.slotsInUse, 2, 'every removed value was released')
  })
}

test('Symbol.toStringTag names the class', (t) => {
  const cache = new Moka({ maxCapacity: 1 })
  t.is(Object.prototype.toString.call(cache), '[object Moka]')
})

test('per-entry ttl/tti need perEntryExpiry: set, getWith and fetch say so and store nothing', async (t) => {
  const cache = new Moka<string, number>({ maxCapacity: 10 })
  const message = /perEntryExpiry: true/
  t.throws(() => cache.set('a', 1, { ttl: 100 }), { instanceOf: TypeError, message })
  t.throws(() => cache.getWith('b', () => 2, { tti: 100 }), { instanceOf: TypeError, message })
  await t.throwsAsync(() => cache.fetch('c', async () => 3, { ttl: 100 }), { instanceOf: TypeError, message })
  t.is(cache.size, 0)
  t.is(cache.slotsInUse, 0)
  t.is(cache.set('d', 4, {}).get('d'), 4, 'empty options are fine')
})
