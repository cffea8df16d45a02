// SharedMoka under concurrent use: clear, invalidateIf and iteration while
// other threads write; workers terminated at random moments in the middle
// of sets and fetches. Nothing may hang, crash, or leave the cache
// inconsistent.

import test from 'ava'

import { SharedMoka } from '../index.js'
import { sleep } from './_helpers'
import { cacheName, CacheWorker, workers } from './_shared'

/** Writes `key -> "key:n"` (and deletes) until slot 2 of `env.calls` is set. Values always name their key. */
const WRITE = async (cache: any, id: number, env: any) => {
  let n = 0
  while (Atomics.load(env.calls as Int32Array, 2) === 0) {
    for (let i = 0; i < 500; i++, n++) {
      const key = `k${(n * 7919 + id) % 2000}`
      if (n % 10 === 9) cache.delete(key)
      else cache.set(key, n % 3 === 0 ? { key, n } : `${key}:${n}`)
    }
    await new Promise((resolve) => setImmediate(resolve))
  }
  return n
}

const namesItsKey = (key: unknown, value: unknown): boolean =>
  typeof value === 'string' ? value.startsWith(`${String(key)}:`) : (value as { key: unknown }).key === key

test('clear, invalidateIf and iteration are safe while other threads write', async (t) => {
  const name = cacheName('concurrent')
  const ws = await workers(t, 3)
  await Promise.all(ws.map((w) => w.open({ name, maxCapacity: 1500, evictionListener: undefined })))
  const cache = new SharedMoka<string, unknown>({ name, maxCapacity: 1500 })
  const writing = ws.map((w, id) => w.run<number>(WRITE, id))
  let iterated = 0
  let invalidated = 0
  let bad = 0
  const until = Date.now() + 1500
  while (Date.now() < until) {
    for (const [key, value] of cache.entries()) {
      iterated++
      if (!namesItsKey(key, value)) bad++
    }
    invalidated += cache.invalidateIf((key, value) => {
      if (!namesItsKey(key, value)) bad++
      return key.endsWith('7')
    })
    if (iterated % 3 === 0) cache.clear()
    for (const key of cache.keys()) if (typeof key !== 'string') bad++
    await sleep(1)
  }
  Atomics.store(new Int32Array(ws[0].calls), 2, 1)
  const writes = await Promise.all(writing)
  t.is(bad, 0, 'every iterated value belongs to its key')
  t.true(writes.every((n) => n > 0), `writes per thread: ${writes}`)
  t.true(iterated > 0 && invalidated > 0, `${iterated} entries iterated, ${invalidated} invalidated`)
  // Quiet now: iteration and reads agree. `size` is moka's entry count: an
  // entry that a clear() racing with these writes invalidated is counted until
  // moka's maintenance reaches it (its scan stops at the first live entry), so
  // it may exceed what iteration finds, never fall below it.
  cache.runPendingTasks()
  const entries = [...cache.entries()]
  t.true(cache.size >= entries.length, `size ${cache.size}, ${entries.length} entries iterated`)
  t.true(entries.length <= 1500)
  for (const [key, value] of entries) t.deepEqual(cache.get(key), value)
  cache.clear()
  t.is(cache.size, 0)
  t.deepEqual(await ws[0].run((c) => [c.size, [...c.keys()].length]), [0, 0])
})

test('workers terminated at random moments during sets and fetches: no hang, no crash, a consistent cache', async (t) => {
  const name = cacheName('terminations')
  const cache = new SharedMoka<string, unknown>({ name, maxCapacity: 500, evictionListener: () => {} })
  const rounds = process.env.MOKA_SOAK ? 60 : 12
  let terminated = 0
  for (let round = 0; round < rounds; round++) {
    const ws = Array.from({ length: 3 }, () => new CacheWorker())
    t.teardown(() => Promise.all(ws.map((w) => w.terminate())))
    await Promise.all(ws.map((w) => w.ready))
    await Promise.all(ws.map((w) => w.open({ name, maxCapacity: 500, listen: true })))
    for (const [id, w] of ws.entries()) {
      w.run(
        async (cache, id) => {
          for (let n = 0; ; n++) {
            const key = `k${(n * 31 + id) % 300}`
            cache.set(key, n % 2 ? `${key}:${n}` : { key, n })
            cache.fetch(`f${n % 40}`, async (k: string) => {
              await new Promise((resolve) => setTimeout(resolve, n % 7))
              return `${k}:loaded`
            })
            if (n % 50 === 0) await new Promise((resolve) => setImmediate(resolve))
          }
        },
        id,
      ).catch(() => {})
    }
    await sleep(Math.floor(Math.random() * 40))
    // Meanwhile, this thread fetches keys the workers are loading.
    const fetched = Array.from({ length: 40 }, (_, i) =>
      cache.fetch(`f${i}`, async (k) => `${k}:loaded`).then((v) => v === `f${i}:loaded`),
    )
    for (const w of ws) {
      await sleep(Math.floor(Math.random() * 10))
      terminated += (await w.terminate()) === 1 ? 1 : 0
    }
    const deadline = sleep(10_000).then(() => 'hung')
    t.not(await Promise.race([Promise.all(fetched), deadline]), 'hung', `round ${round}: fetches finished`)
    t.true((await Promise.all(fetched)).every(Boolean), 'every fetch got its value')
  }
  t.is(terminated, rounds * 3)
  t.is(cache.loadsInFlight, 0, 'no load left behind by a terminated worker')
  cache.runPendingTasks()
  const entries = [...cache.entries()]
  t.is(cache.size, entries.length)
  t.true(entries.length <= 500)
  for (const [key, value] of entries) {
    t.true(key.startsWith('f') ? value === `${key}:loaded` : namesItsKey(key, value), `${key} -> ${JSON.stringify(value)}`)
  }
})
