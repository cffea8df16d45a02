// policy: 'adaptive': the cache switches between TinyLFU and LRU on
// workloads that favour one of them, and a switch neither loses nor repeats
// a notification, nor miscounts the entries. The policy watch samples keys
// with a fixed hash, so the switches of a given request sequence are the
// same on every run.

import test, { ExecutionContext } from 'ava'

import { cached, Moka, MokaOptions, SetOptions, SharedMoka } from '../index.js'
import { assertConsistent, collectGarbage, recorder, tally } from './_helpers'

/** Each key read four times in a row, then never again: only recency pays. */
const shifting = (i: number) => (Math.floor(i / 4) % 500) + Math.floor(i / 2000) * 500
/** A loop over 1.1 × a capacity of 1000: LRU never hits, TinyLFU keeps most. */
const looping = (i: number) => 1e9 + (i % 1100)

interface Value {
  n: number
}

/** Replays get, then set on a miss; every value written is a new object. */
function replay(cache: Moka<number, Value>, requests: number, keyOf: (i: number) => number, written: Value[]): number {
  let hits = 0
  for (let i = 0; i < requests; i++) {
    const k = keyOf(i)
    if (cache.get(k) !== undefined) hits++
    else {
      const value = { n: written.length }
      written.push(value)
      cache.set(k, value)
    }
  }
  return hits
}

test('a recency workload switches to LRU, a frequency workload back to TinyLFU', (t) => {
  const cache = new Moka<number, Value>({ maxCapacity: 1000, policy: 'adaptive' })
  t.is(cache.policy, 'adaptive')
  t.like(cache.stats().adaptive, { policy: 'tinyLfu', switches: 0, migrating: false, sampled: 0 })
  const written: Value[] = []
  const recencyHits = replay(cache, 60_000, shifting, written)
  let info = cache.stats().adaptive!
  t.is(info.policy, 'lru')
  t.is(info.switches, 1)
  t.true(info.shadowHitRate.lru > info.shadowHitRate.tinyLfu + 0.2, JSON.stringify(info))
  // LRU hits 3 of each key's 4 reads; TinyLFU's admission would keep most out.
  t.true(recencyHits > 0.6 * 60_000, `hits ${recencyHits}`)
  replay(cache, 200_000, looping, written)
  info = cache.stats().adaptive!
  t.is(info.policy, 'tinyLfu')
  t.is(info.switches, 2)
  t.true(info.sampled > 0)
  assertConsistent(t, cache)
})

test('a frequency workload stays on TinyLFU', (t) => {
  const cache = new Moka<number, Value>({ maxCapacity: 1000, policy: 'adaptive' })
  const hits = replay(cache, 200_000, looping, [])
  t.like(cache.stats().adaptive, { policy: 'tinyLfu', switches: 0 })
  t.true(hits > 100_000, `hits ${hits}`)
})

test('across switches every value written is notified once, and none that moved', (t) => {
  const { events, listener } = recorder<number, Value>()
  const cache = new Moka<number, Value>({ maxCapacity: 1000, policy: 'adaptive', evictionListener: listener })
  const written: Value[] = []
  let sawMigration = false
  for (let round = 0; round < 30; round++) {
    replay(cache, 2000, (i) => shifting(round * 2000 + i), written)
    const info = cache.stats().adaptive!
    if (info.migrating) {
      sawMigration = true
      // Mid-migration: the count spans both builds, and matches iteration
      // (\`size\` runs maintenance, which may empty part of the old build).
      const size = cache.size
      const entries = [...cache.entries()]
      t.is(size, entries.length)
      t.is(cache.slotsInUse, entries.length)
      if (cache.stats().adaptive!.migrating) t.true(size > 1000, `both builds counted: ${size}`)
    }
  }
  replay(cache, 200_000, looping, written)
  t.is(cache.stats().adaptive!.switches, 2)
  t.true(sawMigration, 'a migration was observed')
  assertConsistent(t, cache)
  const live = new Set([...cache.values()])
  const notified = new Map<Value, number>()
  for (const [, value] of events) notified.set(value, (notified.get(value) ?? 0) + 1)
  t.true([...notified.values()].every((n) => n === 1), 'no value notified twice')
  for (const value of written) {
    t.true(live.has(value) !== notified.has(value), `value ${value.n}: live or notified, not both, not neither`)
  }
  t.true(
    events.every(([, , cause]) => cause === 'size'),
    'only evictions: nothing moved was notified',
  )
  const before = events.length
  cache.clear()
  t.is(events.length - before, live.size, 'clear notifies what was live')
  t.is(cache.size, 0)
  t.is(cache.slotsInUse, 0)
})

test.serial('without a listener, across switches every slot is live or released once, and moved values keep theirs', async (t) => {
  // No build has moka's listener then: a moved entry's slot passes to the new
  // build. A slot released while its entry lives would be reused by a later
  // write, and the entry would read another key's value; one never released
  // would stay in use.
  const cache = new Moka<number, Value>({ maxCapacity: 1000, policy: 'adaptive' })
  const keyOf = new WeakMap<Value, number>()
  const refs: WeakRef<Value>[] = []
  const request = (k: number) => {
    if (cache.get(k) !== undefined) return
    const value = { n: refs.length }
    keyOf.set(value, k)
    refs.push(new WeakRef(value))
    cache.set(k, value)
  }
  const check = (when: string) => {
    // Releases without a listener follow moka's drops; maintenance settles them.
    cache.runPendingTasks()
    const entries = [...cache.entries()]
    t.is(cache.slotsInUse, entries.length, `${when}: the slots in use are the live entries`)
    t.true(
      entries.every(([k, value]) => keyOf.get(value) === k),
      `${when}: every key reads its own value`,
    )
  }
  let migrations = 0
  for (let round = 0; round < 30; round++) {
    for (let i = 0; i < 2000; i++) request(shifting(round * 2000 + i))
    if (cache.stats().adaptive!.migrating) {
      migrations++
      check(`round ${round}, migrating`)
    }
  }
  for (let i = 0; i < 200_000; i++) request(looping(i))
  t.like(cache.stats().adaptive, { switches: 2, migrating: false })
  t.true(migrations > 0, 'a migration was observed')
  check('after two switches')
  cache.clear()
  t.is(cache.slotsInUse, 0)
  await collectGarbage()
  t.is(refs.filter((r) => r.deref() !== undefined).length, 0, 'no value is retained after clear')
})

test('a write over an entry of the old build notifies it as replaced', (t) => {
  const { events, listener } = recorder<number, Value>()
  const cache = new Moka<number, Value>({ maxCapacity: 1000, policy: 'adaptive', evictionListener: listener })
  const written: Value[] = []
  let i = 0
  while (cache.stats().adaptive!.switches === 0) {
    replay(cache, 1, () => shifting(i), written)
    i++
  }
  t.true(cache.stats().adaptive!.migrating)
  // The newest keys of the recency phase are still in the old build.
  const k = shifting(i - 1)
  const old = new Map(cache.entries()).get(k)
  t.not(old, undefined)
  const fresh = { n: -1 }
  cache.set(k, fresh)
  t.deepEqual(
    events.filter(([key]) => key === k),
    [[k, old!, 'replaced']],
  )
  t.is(cache.get(k), fresh)
  t.true(cache.delete(k))
  t.deepEqual(events.at(-1), [k, fresh, 'explicit'])
  assertConsistent(t, cache)
})

test('weights are carried over: weightedSize spans both builds', (t) => {
  const cache = new Moka<number, Value>({ maxCapacity: 3000, policy: 'adaptive', weigher: () => 3 })
  replay(cache, 60_000, shifting, [])
  t.is(cache.stats().adaptive!.switches, 1)
  cache.runPendingTasks()
  t.is(cache.weightedSize, cache.size * 3)
  t.true(cache.weightedSize <= 3000)
})

test("'adaptive' is refused by SharedMoka, naming why", (t) => {
  t.throws(() => new SharedMoka({ name: 'adaptive-refused', maxCapacity: 10, policy: 'adaptive' as 'lru' }), {
    instanceOf: TypeError,
    message: /'adaptive' is not supported by SharedMoka/,
  })
  t.is(new Moka({ maxCapacity: 10 }).stats().adaptive, undefined)
})

/** How long the marked entries of the expiry specs live, and the margin either side of a deadline. */
const LIFE = 4000
const MARGIN = 500
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)))

/**
 * 100 marked entries (negative keys) written, then kept by TinyLFU through a
 * recency phase (read every 2000 requests) until the cache switches; half
 * move on a read right away, the rest, a second later, when the drain walks
 * the old build. Checks that each lives until its deadline and no longer
 * (counted from its write, or with `idle` from its last read, never from
 * the move), and that each is notified once, as expired.
 */
async function markedAcrossASwitch(
  t: ExecutionContext,
  options: Partial<MokaOptions<number, Value>>,
  idle: boolean,
  setOptions?: SetOptions,
): Promise<void> {
  const { events, listener } = recorder<number, Value>()
  const cache = new Moka<number, Value>({ maxCapacity: 1000, policy: 'adaptive', evictionListener: listener, ...options })
  const marked = Array.from({ length: 100 }, (_, i) => -1 - i)
  const written: Value[] = []
  const writtenAt = performance.now()
  for (const k of marked) {
    const value = { n: written.length }
    written.push(value)
    cache.set(k, value, setOptions)
  }
  let lastRead = writtenAt
  let i = 0
  while (cache.stats().adaptive!.switches === 0) {
    if (i % 2000 === 0) {
      for (const k of marked) t.not(cache.get(k), undefined, `marked ${k} kept before the switch`)
      lastRead = performance.now()
    }
    replay(cache, 100, (j) => shifting(i + j), written)
    i += 100
  }
  const switchedAt = performance.now()
  t.true(cache.stats().adaptive!.migrating)
  for (const k of marked.slice(0, 50)) t.not(cache.get(k), undefined, `marked ${k} moves on a read`)
  await sleep(1000)
  // Make room, then end the first step of the migration with a capacity of
  // writes: the drain moves the rest of the marked entries.
  for (const k of [...cache.keys()]) if (k >= 0) cache.delete(k)
  for (let w = 0; w < 1000; w++) {
    const value = { n: written.length }
    written.push(value)
    cache.set(1e9, value)
  }
  cache.runPendingTasks()
  t.false(cache.stats().adaptive!.migrating, 'every marked entry moved')

  const deadlineOf = (k: number) => (idle ? (marked.indexOf(k) < 50 ? switchedAt : lastRead) : writtenAt) + LIFE
  const checkedAt = performance.now()
  t.true(checkedAt < Math.min(...marked.map(deadlineOf)) - MARGIN, `checked before any deadline: ${checkedAt - writtenAt} ms after the writes`)
  for (const k of marked) t.true(cache.has(k), `marked ${k} moved, not expired early`)
  await sleep(Math.max(...marked.map(deadlineOf)) + MARGIN - performance.now())
  // A clock restarted by the move would keep the drained half until a second after this.
  for (const k of marked) t.is(cache.get(k), undefined, `marked ${k} expired at its deadline`)

  const markedValues = new Set(marked.map((_, m) => written[m]))
  const notifiedMarked = () => events.filter(([, value]) => markedValues.has(value))
  for (let waited = 0; notifiedMarked().length < marked.length && waited < 10_000; waited += 100) {
    await sleep(100)
    cache.runPendingTasks()
  }
  t.deepEqual(
    notifiedMarked()
      .map(([key, , cause]) => [key, cause])
      .sort(([a], [b]) => Number(b) - Number(a)),
    marked.map((k) => [k, 'expired']),
    'each marked entry notified once, as expired',
  )
  cache.clear()
  const notified = tally(events.map(([, value]) => value))
  t.true([...notified.values()].every((n) => n === 1), 'no value notified twice')
  t.is(notified.size, written.length, 'every value written was notified: none lost')
}

test('across a switch, a ttl counts from the write', async (t) => {
  await markedAcrossASwitch(t, { ttl: LIFE }, false)
})

test('across a switch, a tti counts from the last read', async (t) => {
  await markedAcrossASwitch(t, { tti: LIFE }, true)
})

test('across a switch, a per-entry ttl counts from the write', async (t) => {
  await markedAcrossASwitch(t, { perEntryExpiry: true }, false, { ttl: LIFE })
})

test("cached passes policy 'adaptive' to its cache, which switches as a Moka's does", (t) => {
  const square = cached((x: number) => x * x, { maxCapacity: 1000, policy: 'adaptive' })
  t.is(square(3), 9)
  t.is(square.cache.policy, 'adaptive')
  t.like(square.cache.stats().adaptive, { policy: 'tinyLfu', switches: 0 })
  // The recency-heavy phase that makes a Moka switch to LRU (see the spec above), through the function.
  for (let i = 0; i < 60_000; i++) square(shifting(i))
  t.is(square.cache.stats().adaptive!.policy, 'lru')
  t.is(square(3), 9)
})

test("cached with policy 'adaptive' takes a ttl function and staleIfError", async (t) => {
  let calls = 0
  const count = cached((x: number) => `${x}#${++calls}`, { policy: 'adaptive', ttl: (result) => (result.startsWith('1#') ? 50 : 60_000) })
  t.is(count(1), '1#1')
  t.is(count(2), '2#2')
  await sleep(120)
  t.is(count(1), '1#3', 'its own ttl ran out')
  t.is(count(2), '2#2')
  let fail = false
  const stale = cached(
    async (x: number) => {
      if (fail) throw new Error('backend down')
      return x
    },
    { policy: 'adaptive', ttl: 60_000, refreshAfter: 20, staleIfError: 60_000 },
  )
  t.is(await stale(7), 7)
  fail = true
  await sleep(40)
  t.is(await stale(7), 7, 'served stale while its refresh fails')
})
