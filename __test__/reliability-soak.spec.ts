// Soak: long runs of mixed operations with evictions, expirations and
// listeners. Heap and RSS stay flat, every value is released exactly once,
// no slot or interned key outlives its entry, and dropped caches give their
// memory back. ~1M operations by default; MOKA_SOAK=1 runs 12M.

import { setTimeout as sleep } from 'node:timers/promises'

import test from 'ava'

import { Moka } from '../index.js'
import { collect, mb, sleepSync, SOAK, SpreadPoint } from './_reliability'

const yieldToLoop = () => new Promise((resolve) => setImmediate(resolve))

function memory(): { heap: number; rss: number } {
  const m = process.memoryUsage()
  return { heap: m.heapUsed, rss: m.rss }
}

test('soak: mixed operations keep heap, RSS and slots flat, and release every value exactly once', async (t) => {
  const total = SOAK ? 12_000_000 : 1_000_000
  // Release count per value id; values are numbered as they are stored.
  const releases = new Uint8Array(Math.ceil(total * 1.2))
  let nextId = 0
  let doubles = 0
  let badCause = 0
  const causes = new Set(['expired', 'explicit', 'replaced', 'size'])
  const listener = (_k: unknown, v: { id: number }, cause: string) => {
    if (releases[v.id]++ !== 0) doubles++
    if (!causes.has(cause)) badCause++
  }
  const value = () => ({ id: nextId++ })
  type V = { id: number }
  const a = new Moka<unknown, V>({ maxCapacity: 5000, ttl: 20, perEntryExpiry: true, evictionListener: listener })
  const b = new Moka<unknown, V>({ maxCapacity: 20_000, policy: 'lru', tti: 30, perEntryExpiry: true, weigher: (_k, v) => 1 + (v.id % 4), evictionListener: listener })
  const c = new Moka<number, V>({ maxCapacity: 2000, perEntryExpiry: true, hash: (k) => k % 1000, equals: (x, y) => x === y, evictionListener: listener })
  const caches = [a, b]
  const objects = Array.from({ length: 1000 }, (_, i) => ({ i }))
  const key = (n: number): unknown => {
    switch (n % 5) {
      case 0:
        return n % 50_000
      case 1:
        return `key:${n % 40_000}`
      case 2:
        return objects[n % 1000]
      case 3:
        return new SpreadPoint(n % 97, n % 89)
      default:
        return BigInt(n % 30_000) * 2n ** 64n
    }
  }

  let rand = 12345
  const random = () => (rand = (Math.imul(rand, 1103515245) + 12345) >>> 0)
  const samples: string[] = []
  let baseline = { heap: 0, rss: 0 }
  const chunk = 100_000
  const started = performance.now()
  for (let done = 0; done < total; done += chunk) {
    for (let i = 0; i < chunk; i++) {
      const r = random()
      const n = r >>> 8
      const cache = caches[r & 1]
      const op = (r >>> 1) & 63
      if (op < 30) cache.get(key(n))
      else if (op < 48) cache.set(key(n), value())
      else if (op < 51) cache.set(key(n), value(), { ttl: 1 + (n % 15) })
      else if (op < 54) cache.delete(key(n))
      else if (op < 56) cache.remove(key(n))
      else if (op < 58) cache.getWith(key(n), value)
      else if (op < 59) cache.getMany([key(n), key(n + 1), key(n + 2)])
      else if (op < 60) cache.setMany([[key(n), value()], [key(n + 3), value()]])
      else if (op < 61) cache.has(key(n))
      else {
        const k = n % 5000
        if (op < 63) c.set(k, value(), op === 61 ? { ttl: 5 } : undefined)
        else c.get(k)
      }
      if ((r & 0xfffff) === 0) cache.invalidateIf((_k, v) => v.id % 3 === 0)
      if ((r & 0x3fffff) === 1) cache.clear()
    }
    if (done === Math.floor(total / 5 / chunk) * chunk) {
      await collect()
      baseline = memory()
    }
    if ((done / chunk) % Math.max(1, Math.floor(total / chunk / 10)) === 0) {
      const m = memory()
      samples.push(`${((done + chunk) / 1e6).toFixed(1)}M: heap ${mb(m.heap)} rss ${mb(m.rss)}`)
    }
    await yieldToLoop()
  }
  const seconds = (performance.now() - started) / 1000
  await collect()
  const end = memory()
  t.log(`${(total / 1e6).toFixed(1)}M operations in ${seconds.toFixed(1)} s (${((total / seconds) / 1e6).toFixed(2)} M ops/s), ${nextId} values stored`)
  t.log(`after 20%: heap ${mb(baseline.heap)} rss ${mb(baseline.rss)}; at the end: heap ${mb(end.heap)} rss ${mb(end.rss)}`)
  t.log(samples.join(' | '))

  for (const cache of [a, b, c]) {
    cache.runPendingTasks()
    t.true(cache.weightedSize <= (cache === b ? 20_000 : cache === a ? 5000 : 2000), 'within capacity after maintenance')
    t.is(cache.slotsInUse, cache.size, 'no slot held beyond the entries')
  }
  const stats = a.stats()
  t.log(`cache a: hit rate ${(stats.hitRate * 100).toFixed(1)}%, removals ${JSON.stringify(stats.evictions)}`)
  for (const cache of [a, b, c]) {
    cache.clear()
    t.is(cache.slotsInUse, 0)
    t.is(cache.internedKeys, 0)
  }
  t.is(doubles, 0, 'no value released twice')
  t.is(badCause, 0)
  let never = 0
  for (let id = 0; id < nextId; id++) if (releases[id] !== 1) never++
  t.is(never, 0, `every one of ${nextId} stored values released exactly once`)
  t.true(end.heap - baseline.heap < 16 * 1048576, `heap grew ${mb(end.heap - baseline.heap)} after warm-up`)
  t.true(end.rss - baseline.rss < 96 * 1048576, `rss grew ${mb(end.rss - baseline.rss)} after warm-up`)
})

test('dropping thousands of caches returns their memory', async (t) => {
  const rounds = SOAK ? 20 : 5
  const perRound = 1000
  let collected = 0
  const registry = new FinalizationRegistry(() => void collected++)
  const after: { heap: number; rss: number }[] = []
  await collect()
  const before = memory()
  for (let r = 0; r < rounds; r++) {
    let caches: Moka<unknown, object>[] = []
    for (let j = 0; j < perRound; j++) {
      const cache = new Moka<unknown, object>({ maxCapacity: 80, ttl: 60_000, weigher: () => 1, evictionListener: () => {} })
      for (let i = 0; i < 100; i++) cache.set(i % 3 === 0 ? `k${i}` : i % 3 === 1 ? i : new SpreadPoint(i, j), { i, payload: 'x'.repeat(32) })
      registry.register(cache, undefined)
      caches.push(cache)
    }
    caches = []
    await collect(6)
    // mimalloc hands emptied pages back to the OS when they are freed (purge
    // delay 0, src/allocator.rs; whole arena ranges later, on the addon's next allocations): wait, then
    // allocate, so that RSS shows what is still held rather than what is pending.
    await sleep(150)
    new Moka({ maxCapacity: 10 }).dispose()
    after.push(memory())
  }
  t.log(`before: heap ${mb(before.heap)} rss ${mb(before.rss)}`)
  t.log(`after each round of ${perRound} caches × 100 entries: ${after.map((m) => `heap ${mb(m.heap)} rss ${mb(m.rss)}`).join(' | ')}`)
  t.log(`${collected} of ${rounds * perRound} caches collected`)
  t.true(collected >= rounds * perRound * 0.9, 'the caches were collected')
  const first = after[0]
  const last = after[after.length - 1]
  t.true(last.heap - before.heap < 8 * 1048576, `heap kept ${mb(last.heap - before.heap)}`)
  // Native memory is freed and reused: later rounds do not grow the process.
  t.true(last.rss - first.rss < 32 * 1048576, `rss grew ${mb(last.rss - first.rss)} from round 1 to round ${rounds}`)
})

test('clear and runPendingTasks finish the job however much is pending', (t) => {
  // moka stops a maintenance run after 100 ms when a listener is set.
  let notified = 0
  const cache = new Moka<number, number>({ maxCapacity: 1_000_000, evictionListener: () => void notified++ })
  const n = SOAK ? 1_000_000 : 200_000
  for (let i = 0; i < n; i++) cache.set(i, i)
  cache.clear()
  t.is(notified, n, 'one clear notifies every entry')
  t.is(cache.slotsInUse, 0)
  t.is(cache.size, 0)
  // The same for entries that expire together.
  notified = 0
  const expiring = new Moka<number, number>({ maxCapacity: 1_000_000, ttl: 1, evictionListener: () => void notified++ })
  for (let i = 0; i < n; i++) expiring.set(i, i)
  sleepSync(5)
  expiring.runPendingTasks()
  t.is(notified, n, 'one runPendingTasks removes every expired entry')
  t.is(expiring.slotsInUse, 0)
})

test('maxCapacity 0 stores nothing and releases every value', (t) => {
  const seen: [unknown, unknown, string][] = []
  const cache = new Moka<number, number>({ maxCapacity: 0, evictionListener: (k, v, c) => void seen.push([k, v, c]) })
  for (let i = 0; i < 1000; i++) cache.set(i % 10, i)
  cache.setMany([[1, 1], [2, 2]])
  t.is(cache.get(1), undefined)
  t.is(cache.size, 0)
  t.is(cache.slotsInUse, 0)
  t.is(seen.length, 1002, 'each value is notified once')
  t.true(seen.every(([, , c]) => c === 'size'))
  t.deepEqual(seen[5], [5, 5, 'size'])
})
