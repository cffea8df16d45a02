// Memory: long churn keeps heap and RSS flat, every stored value is released
// exactly once, and dropped caches give their memory back. ava runs node with
// --expose-gc. Serial: each test measures this process's memory alone.

import { getHeapStatistics } from 'node:v8'

import test from 'ava'

import { Moka } from '../index.js'
import { binding, protocol } from '../ts/core/native'
import { collectGarbage, Point, tally } from './_helpers'

const MB = 1024 * 1024
const mb = (bytes: number) => `${(bytes / MB).toFixed(1)} MB`

interface Sample {
  heapUsed: number
  heapTotal: number
  rss: number
  /** RSS outside V8's heap pages: native memory (moka, the addon, malloc). */
  native: number
}

async function sample(): Promise<Sample> {
  await collectGarbage()
  const { heapUsed, heapTotal, rss } = process.memoryUsage()
  return { heapUsed, heapTotal, rss, native: rss - getHeapStatistics().total_physical_size }
}

for (const policy of ['lru', 'tinyLfu'] as const) {
  test.serial(`churn: 1,250,000 evicting inserts (${policy}) keep heap and RSS flat`, async (t) => {
    let notified = 0
    const cache = new Moka<string, { i: number }>({
      maxCapacity: 1_000,
      policy,
      evictionListener: () => {
        notified++
      },
    })
    let next = 0
    const churn = (n: number) => {
      for (const end = next + n; next < end; next++) cache.set(`key:${next}`, { i: next })
    }
    churn(250_000) // warm-up: slot tables, moka's structures and V8's heap reach their working size
    cache.runPendingTasks()
    const before = await sample()
    churn(1_000_000)
    cache.runPendingTasks()
    const after = await sample()

    const growth = {
      heapUsed: after.heapUsed - before.heapUsed,
      rss: after.rss - before.rss,
      native: after.native - before.native,
    }
    t.log(
      `${policy}: heapUsed ${mb(before.heapUsed)} -> ${mb(after.heapUsed)}, ` +
        `heapTotal ${mb(before.heapTotal)} -> ${mb(after.heapTotal)}, ` +
        `rss ${mb(before.rss)} -> ${mb(after.rss)}, outside the JS heap ${mb(before.native)} -> ${mb(after.native)}`,
    )
    t.true(growth.heapUsed < 20 * MB, `heapUsed grew ${mb(growth.heapUsed)}`)
    t.true(growth.native < 20 * MB, `RSS outside the JS heap grew ${mb(growth.native)}`)
    // V8 may grow its young generation during a run (pages of free space, not retained objects).
    t.true(growth.rss < 40 * MB, `RSS grew ${mb(growth.rss)}`)

    t.is(cache.size, 1_000)
    t.is(cache.slotsInUse, cache.size, 'every evicted value was released')
    t.is(notified + cache.size, next, 'every insert is either live or notified')
    // the survivors still map to their own values (no slot mix-up under churn)
    for (const [key, value] of cache) t.is(key, `key:${value.i}`)
  })
}

test.serial('every stored value is released exactly once, whatever removed it', async (t) => {
  const refs: WeakRef<object>[] = []
  const notifications: number[] = []
  let cache: Moka<number, { id: number }> | undefined = new Moka({
    maxCapacity: 100,
    policy: 'lru',
    ttl: 60_000,
    perEntryExpiry: true,
    evictionListener: (_k, v) => notifications.push(v.id),
  })
  const n = 20_000
  let id = 0
  const store = (key: number, options?: { ttl: number }) => {
    const value = { id: id++ }
    refs.push(new WeakRef(value))
    cache!.set(key, value, options)
  }
  for (let i = 0; i < n; i++) {
    store(i % 300) // size evictions and replacements
    if (i % 7 === 0) cache.delete((i * 13) % 300) // explicit
    if (i % 11 === 0) cache.remove((i * 17) % 300)
  }
  cache.invalidateIf((k) => k % 5 === 0)
  for (let i = 0; i < 50; i++) store(1_000 + i, { ttl: 1 }) // expired
  await new Promise((resolve) => setTimeout(resolve, 50))
  cache.runPendingTasks()
  const live = cache.size
  t.is(cache.slotsInUse, live)
  cache.clear()
  t.is(cache.slotsInUse, 0)

  const counts = tally(notifications)
  t.is(counts.size, id, 'every value was notified')
  t.true([...counts.values()].every((c) => c === 1), 'and only once')
  t.true(live > 0)

  await collectGarbage()
  t.is(refs.filter((r) => r.deref() !== undefined).length, 0, 'no value is retained by the cache after its removal')
  t.is(refs.length, id)
  cache = undefined
})

test.serial('a dropped cache lets its keys and values be collected', async (t) => {
  const refs = { keys: [] as WeakRef<object>[], values: [] as WeakRef<object>[], cache: [] as WeakRef<object>[] }
  const n = 10_000
  ;(() => {
    const cache = new Moka<object, object>({ maxCapacity: n * 2, evictionListener: () => {} })
    refs.cache.push(new WeakRef(cache))
    for (let i = 0; i < n; i++) {
      const key = { k: i }
      const value = { v: i }
      refs.keys.push(new WeakRef(key))
      refs.values.push(new WeakRef(value))
      cache.set(key, value)
    }
    t.is(cache.size, n)
  })()
  await collectGarbage()
  const alive = (list: WeakRef<object>[]) => list.filter((r) => r.deref() !== undefined).length
  t.deepEqual({ keys: alive(refs.keys), values: alive(refs.values), cache: alive(refs.cache) }, { keys: 0, values: 0, cache: 0 })
})

test.serial('evicted values, object keys and value-object keys are not retained', async (t) => {
  const refs: WeakRef<object>[] = []
  const byIdentity = new Moka<object, object>({ maxCapacity: 100, policy: 'lru' })
  const byValue = new Moka<Point, object>({ maxCapacity: 100, policy: 'lru' })
  const n = 50_000
  for (let i = 0; i < n; i++) {
    const key = { i }
    const point = new Point(i, 0)
    const value = { i }
    refs.push(new WeakRef(key), new WeakRef(point), new WeakRef(value))
    byIdentity.set(key, value)
    byValue.set(point, value)
  }
  byIdentity.runPendingTasks()
  byValue.runPendingTasks()
  t.is(byValue.internedKeys, byValue.size)
  t.true(byValue.internedKeys <= 100)
  await collectGarbage()
  const alive = refs.filter((r) => r.deref() !== undefined).length
  t.log(`${alive} of ${refs.length} keys and values still reachable`)
  t.true(alive <= 3 * 100, `${alive} reachable, at most 300 expected (the live entries)`)
  t.true(alive >= 100, 'the live entries are held')
})

test.serial('dropping many caches returns their memory', async (t) => {
  const caches: WeakRef<object>[] = []
  let created = 0
  const round = () => {
    for (let c = 0; c < 10; c++) {
      const cache = new Moka<string, { i: number }>({ maxCapacity: 5_000, ttl: 60_000 })
      caches.push(new WeakRef(cache))
      created++
      for (let i = 0; i < 3_000; i++) cache.set(`k${i}`, { i })
    }
  }
  for (let r = 0; r < 5; r++) round()
  const before = await sample()
  for (let r = 0; r < 25; r++) {
    round()
    if (r % 5 === 4) await collectGarbage(2)
  }
  const after = await sample()
  const collected = caches.filter((r) => r.deref() === undefined).length
  t.log(
    `${created} caches of 3,000 entries: heapUsed ${mb(before.heapUsed)} -> ${mb(after.heapUsed)}, ` +
      `rss ${mb(before.rss)} -> ${mb(after.rss)}, outside the JS heap ${mb(before.native)} -> ${mb(after.native)}, ` +
      `${collected} collected`,
  )
  t.true(after.heapUsed - before.heapUsed < 20 * MB, 'heap flat')
  t.true(after.native - before.native < 20 * MB, 'native memory flat')
  t.true(after.rss - before.rss < 40 * MB, 'RSS flat')
  t.true(collected >= created - 10, `${collected} of ${created} caches collected`)
})

test.serial('dropped caches give back their state arrays', async (t) => {
  // Each state array is 4 KiB of the addon's memory, freed once both the
  // cache and the array's buffer are collected: 100,000 kept would be 400 MB.
  const { STATE_LENGTH } = protocol
  const before = await sample()
  for (let round = 0; round < 20; round++) {
    for (let i = 0; i < 5_000; i++) binding.createCache(10, undefined, undefined, false, false, true, false, false)
    await collectGarbage(2)
  }
  const after = await sample()
  const kept = 100_000 * STATE_LENGTH * 4
  t.log(`100,000 caches created and dropped: native ${mb(before.native)} -> ${mb(after.native)}, rss ${mb(before.rss)} -> ${mb(after.rss)}`)
  t.true(after.rss - before.rss < kept / 4, `RSS grew ${mb(after.rss - before.rss)}, a quarter of what keeping the arrays would take (${mb(kept)})`)
})
