// Cross-process single-flight: one loader per key across processes, a holder
// that dies releases by expiry, a failed holder hands over to a waiter.

import { TieredCache } from '../tiered.js'
import { failure, sleep, trackUnhandledRejections } from './_helpers'
import { BACKENDS, Peer, redisForSpec, SPEC_TIMEOUT, test } from './_redis'

const unhandled = trackUnhandledRejections()

type Loaded = { key: string; by: number }
type PeerStats = { loads: number; lockWaits: number; errors: string[] }

for (const backend of BACKENDS) {
  const redis = redisForSpec(test, backend)

  test.serial(`${backend}: concurrent misses in 3 processes run the loader once per key`, async (t) => {
    const peers = await Promise.all([0, 1, 2].map(() => Peer.start({ redis: redis.option, namespace: `lock-once-${backend}` })))
    try {
      const keys = Array.from({ length: 10 }, (_, i) => `hot${i}`)
      // Every process asks for every key at once, several times over; the loader takes 100 ms.
      const results = await Promise.all(
        keys.flatMap((key) => peers.flatMap((peer) => [0, 1, 2].map(() => peer.call<Loaded>('fetch', key, 100)))),
      )
      const stats = await Promise.all(peers.map((peer) => peer.call<PeerStats>('stats')))
      const loads = stats.reduce((sum, s) => sum + s.loads, 0)
      t.is(loads, keys.length, 'one load per key across all processes')
      for (const key of keys) {
        const byKey = results.filter((r) => r.key === key)
        t.is(byKey.length, 9)
        t.is(new Set(byKey.map((r) => JSON.stringify(r))).size, 1, `every caller of ${key} got the same value`)
      }
      t.true(stats.some((s) => s.lockWaits > 0), 'some process waited for another’s load')
      t.deepEqual(stats.flatMap((s) => s.errors), [])
    } finally {
      for (const peer of peers) t.is(await peer.stop(), 0)
    }
  })

  test.serial(`${backend}: a lock holder that dies releases by expiry, and a waiter loads`, async (t) => {
    const options = { redis: redis.option, namespace: `lock-dead-${backend}`, lock: { ttl: 600, wait: 20_000 } }
    const [doomed, survivor] = await Promise.all([Peer.start(options), Peer.start(options)])
    try {
      doomed.call('fetch', 'k', 60_000).catch(() => {})
      t.true(await waitForKey(redis.key(`lock-dead-${backend}`, 'l', 'k')), 'the doomed process holds the lock')
      doomed.kill()
      const started = Date.now()
      const value = await survivor.call<Loaded>('fetch', 'k', 20)
      t.is(value.by, survivor.pid)
      const stats = await survivor.call<PeerStats>('stats')
      t.is(stats.loads, 1)
      t.is(stats.lockWaits, 1)
      t.log(`the survivor got its value ${Date.now() - started} ms after the holder died (lock ttl 600 ms)`)
    } finally {
      t.is(await survivor.stop(), 0)
    }
  })

  test.serial(`${backend}: when the holder’s loader fails, a waiter takes over and loads`, async (t) => {
    const namespace = `lock-fail-${backend}`
    const options = { redis: redis.option, namespace }
    const [first, second] = await Promise.all([Peer.start(options), Peer.start(options)])
    try {
      const failing = failure(first.call('fetch', 'k', 150, undefined, true))
      t.true(await waitForKey(redis.key(namespace, 'l', 'k')))
      const value = await second.call<Loaded>('fetch', 'k', 10)
      t.regex((await failing).message, /load of k failed/)
      t.is(value.by, second.pid)
      t.is((await second.call<PeerStats>('stats')).lockWaits, 1)
      t.is(await redis.raw.exists(redis.key(namespace, 'l', 'k')), 0, 'the lock was released')
    } finally {
      t.is(await first.stop(), 0)
      t.is(await second.stop(), 0)
    }
  })

  test.serial(`${backend}: a waiter stops waiting after lock.wait and loads by itself`, async (t) => {
    const namespace = `lock-wait-${backend}`
    await redis.raw.set(redis.key(namespace, 'l', 'k'), 'someone else', 'PX', 60_000)
    const cache = new TieredCache<string, string>({ timeout: SPEC_TIMEOUT, redis: redis.option, namespace, lock: { wait: 300 } })
    await cache.ready()
    try {
      const started = Date.now()
      t.is(await cache.fetch('k', async () => 'mine'), 'mine')
      const waited = Date.now() - started
      t.true(waited >= 280, `waited ${waited} ms`)
      t.is(cache.stats().lockWaits, 1)
      t.is(await redis.raw.get(redis.key(namespace, 'l', 'k')), 'someone else', 'a lock it does not own is never released')
    } finally {
      await cache.close()
    }
  })

  test.serial(`${backend}: a lock outlives a loader slower than its ttl: the holder renews it`, async (t) => {
    const namespace = `lock-renew-${backend}`
    const cache = new TieredCache<string, string>({ timeout: SPEC_TIMEOUT, redis: redis.option, namespace, lock: { ttl: 300 } })
    await cache.ready()
    try {
      const loading = cache.fetch('k', async () => {
        await sleep(1000)
        return 'slow'
      })
      await sleep(700)
      t.truthy(await redis.raw.get(redis.key(namespace, 'l', 'k')), 'still held after twice its ttl')
      t.is(await loading, 'slow')
      t.is(await redis.raw.exists(redis.key(namespace, 'l', 'k')), 0)
    } finally {
      await cache.close()
    }
  })

  async function waitForKey(key: string): Promise<boolean> {
    for (let i = 0; i < 200; i++) {
      if ((await redis.raw.exists(key)) === 1) return true
      await sleep(25)
    }
    return false
  }
}

test('nothing went unhandled', (t) => {
  t.deepEqual(unhandled, [])
})
