// Time to live / time to idle, cache-wide and per entry. Margins are wide
// (deadlines of 150+ ms checked well before and well after); nothing here
// asserts how fast anything runs.

import test from 'ava'

import { Moka } from '../index.js'
import { recorder, sleep, until } from './_helpers'

test('cache-wide ttl: there before the deadline, never returned after it, even before maintenance', async (t) => {
  const { events, listener } = recorder()
  const cache = new Moka<string, object>({ maxCapacity: 100, ttl: 200, evictionListener: listener })
  const value = {}
  cache.set('k', value)
  await sleep(10)
  t.is(cache.get('k'), value)
  t.true(cache.has('k'))
  await sleep(600)
  // has and iteration first: they never run maintenance
  t.false(cache.has('k'))
  t.deepEqual([...cache.keys()], [])
  t.is(cache.slotsInUse, 1, 'still held: no maintenance has run yet')
  t.is(cache.get('k'), undefined)
  t.is(cache.get('k', value), value, 'the fallback, not the stored value')
  t.deepEqual(cache.getMany(['k']), [undefined])
  cache.runPendingTasks()
  t.deepEqual(events, [['k', value, 'expired']])
  t.is(cache.slotsInUse, 0)
  t.is(cache.size, 0)
  t.is(cache.stats().evictions!.expired, 1)
})

test('delete and remove of an expired entry report nothing removed; it is notified as expired', async (t) => {
  const { events, listener } = recorder()
  const cache = new Moka<string, string>({ maxCapacity: 100, ttl: 150, evictionListener: listener })
  const perEntry = new Moka<string, string>({ perEntryExpiry: true, maxCapacity: 100, evictionListener: listener })
  cache.set('k', 'v')
  perEntry.set('p', 'v', { ttl: 150 })
  await sleep(500)
  t.false(cache.delete('k'))
  t.is(cache.remove('k'), undefined)
  t.false(perEntry.delete('p'))
  t.is(perEntry.remove('p'), undefined)
  cache.runPendingTasks()
  t.true(
    await until(() => {
      perEntry.runPendingTasks()
      return events.length === 2
    }, 5_000),
  )
  t.deepEqual(events.map(([k, , c]) => [k, c]).sort(), [
    ['k', 'expired'],
    ['p', 'expired'],
  ])
  t.is(cache.slotsInUse + perEntry.slotsInUse, 0)
})

test('getWith recomputes an expired entry', async (t) => {
  const cache = new Moka<string, number>({ maxCapacity: 100, ttl: 150 })
  let calls = 0
  t.is(
    cache.getWith('k', () => ++calls),
    1,
  )
  t.is(
    cache.getWith('k', () => ++calls),
    1,
  )
  await sleep(500)
  t.is(
    cache.getWith('k', () => ++calls),
    2,
  )
  t.is(cache.get('k'), 2)
})

test("durations as strings: '150ms', '1s', '5s', '1m'", async (t) => {
  const cache = new Moka<string, string>({ perEntryExpiry: true, maxCapacity: 100, ttl: '5s' })
  cache.set('plain', 'p')
  cache.set('ms', 'x', { ttl: '150ms' })
  cache.set('second', 'x', { ttl: '1s' })
  const minute = new Moka<string, string>({ maxCapacity: 10, ttl: '1m', tti: '1m' })
  minute.set('m', 'x')
  await sleep(450)
  t.false(cache.has('ms'), "'150ms' is 150 milliseconds")
  t.true(cache.has('second'), "'1s' is more than 450 milliseconds")
  t.true(cache.has('plain'))
  t.true(minute.has('m'))
  await sleep(1_500)
  t.false(cache.has('second'), "'1s' is less than 1.95 seconds")
  t.true(cache.has('plain'), "'5s' is more than 1.95 seconds")
})

test('a write restarts the ttl', async (t) => {
  const cache = new Moka<string, number>({ maxCapacity: 100, ttl: 500 })
  cache.set('k', 1)
  cache.set('other', 1)
  await sleep(300)
  cache.set('k', 2)
  await sleep(300)
  t.is(cache.get('k'), 2, 'written 300 ms ago, ttl 500')
  t.false(cache.has('other'), 'written 600 ms ago')
})

test('cache-wide tti: reads keep an entry alive, idleness expires it; has() is not a read', async (t) => {
  const cache = new Moka<string, string>({ maxCapacity: 100, tti: 400 })
  cache.set('read', 'r').set('polled', 'p')
  const until = Date.now() + 1_000
  while (Date.now() < until) {
    t.is(cache.get('read'), 'r')
    cache.has('polled')
    await sleep(30)
  }
  t.true(cache.has('read'), 'read every 30 ms: still alive after 1 s with a 400 ms tti')
  t.false(cache.has('polled'), 'has() did not reset the idle timer')
  await sleep(1_000)
  t.false(cache.has('read'), 'idle for 1 s')
  t.is(cache.get('read'), undefined)
})

test('per-entry ttl shortens the cache-wide one', async (t) => {
  const cache = new Moka<string, string>({ perEntryExpiry: true, maxCapacity: 100, ttl: 60_000 })
  cache.set('short', 's', { ttl: 150 }).set('default', 'd')
  t.true(cache.has('short'))
  await sleep(500)
  t.false(cache.has('short'))
  t.is(cache.get('short'), undefined)
  t.is(cache.get('default'), 'd')
})

test('per-entry ttl in a cache without ttl', async (t) => {
  const cache = new Moka<string, string>({ perEntryExpiry: true, maxCapacity: 100 })
  cache.set('short', 's', { ttl: 150 }).set('forever', 'f')
  await sleep(10)
  t.is(cache.get('short'), 's')
  await sleep(500)
  t.is(cache.get('short'), undefined)
  t.deepEqual([...cache.keys()], ['forever'])
})

test('a per-entry ttl cannot extend the cache-wide one: the earliest deadline wins', async (t) => {
  const cache = new Moka<string, string>({ perEntryExpiry: true, maxCapacity: 100, ttl: 150 })
  cache.set('longer', 'l', { ttl: '10s' })
  await sleep(500)
  t.false(cache.has('longer'))
})

test('per-entry tti: reads keep it alive, an unread sibling expires', async (t) => {
  const cache = new Moka<string, string>({ perEntryExpiry: true, maxCapacity: 100 })
  cache.set('read', 'r', { tti: 400 }).set('unread', 'u', { tti: 400 }).set('plain', 'p')
  const until = Date.now() + 1_000
  while (Date.now() < until) {
    t.is(cache.get('read'), 'r')
    await sleep(30)
  }
  t.true(cache.has('read'))
  t.false(cache.has('unread'))
  await sleep(1_000)
  t.false(cache.has('read'))
  t.true(cache.has('plain'))
})

test('per-entry tti shortens the cache-wide tti', async (t) => {
  const cache = new Moka<string, string>({ perEntryExpiry: true, maxCapacity: 100, tti: 60_000 })
  cache.set('short', 's', { tti: 150 }).set('default', 'd')
  await sleep(500)
  t.false(cache.has('short'))
  t.true(cache.has('default'))
})

test('per-entry ttl bounds a per-entry tti: reading does not extend past the ttl', async (t) => {
  const cache = new Moka<string, string>({ perEntryExpiry: true, maxCapacity: 100 })
  cache.set('k', 'v', { ttl: 500, tti: 60_000 })
  const end = Date.now() + 1_000
  let lastSeen = 0
  const start = Date.now()
  while (Date.now() < end) {
    if (cache.get('k') === 'v') lastSeen = Date.now() - start
    await sleep(30)
  }
  t.false(cache.has('k'))
  t.true(lastSeen > 0, 'it was there at first')
})

test('a new write replaces the per-entry deadlines', async (t) => {
  const cache = new Moka<string, number>({ perEntryExpiry: true, maxCapacity: 100 })
  cache.set('k', 1, { ttl: 300 }).set('j', 1, { ttl: 300 })
  await sleep(100)
  cache.set('k', 2, { ttl: 5_000 })
  cache.set('j', 2) // no deadline of its own any more
  await sleep(500)
  t.is(cache.get('k'), 2)
  t.is(cache.get('j'), 2)
})

test('expired entries with per-entry deadlines are removed and notified by maintenance', async (t) => {
  const { events, listener } = recorder()
  const cache = new Moka<string, string>({ perEntryExpiry: true, maxCapacity: 100, evictionListener: listener })
  cache.set('a', 'A', { ttl: 100 }).set('b', 'B', { tti: 100 }).set('c', 'C')
  await sleep(300)
  t.false(cache.has('a'))
  t.false(cache.has('b'))
  t.true(
    await until(() => {
      cache.runPendingTasks()
      return events.length === 2
    }, 5_000),
    'notified within a few seconds (timer wheel granularity)',
  )
  t.deepEqual(events.sort(), [
    ['a', 'A', 'expired'],
    ['b', 'B', 'expired'],
  ])
  t.is(cache.size, 1)
  t.is(cache.slotsInUse, 1)
  t.is(cache.stats().evictions!.expired, 2)
})

// Serial: ava runs serial tests before the concurrent ones, so this long
// synchronous loop cannot delay the timers of the tests above.
test.serial('many entries expiring at once are all removed and notified', async (t) => {
  let notified = 0
  const cache = new Moka<number, number>({ maxCapacity: 1_000_000, ttl: 200, evictionListener: () => notified++ })
  for (let i = 0; i < 200_000; i++) cache.set(i, i)
  await sleep(600)
  t.is(cache.size, 0)
  t.is(notified, 200_000)
  t.is(cache.slotsInUse, 0)
})
