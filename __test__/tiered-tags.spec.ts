import { TieredCache } from '../tiered.js'
import { trackUnhandledRejections, until } from './_helpers'
import { BACKENDS, Peer, redisForSpec, SPEC_TIMEOUT, test } from './_redis'

const unhandled = trackUnhandledRejections()

for (const backend of BACKENDS) {
  const redis = redisForSpec(test, backend)

  test.serial(`${backend}: invalidateTags in one process drops the tagged entries from Redis and from the other processes’ L1`, async (t) => {
    const namespace = `tags-procs-${backend}`
    const peers = await Promise.all([0, 1, 2].map(() => Peer.start({ redis: redis.option, namespace })))
    const [writer, ...readers] = peers
    try {
      await writer.call('set', 'user:1', 'u1', { tags: ['users', 'team:a'] })
      await writer.call('set', 'user:2', 'u2', { tags: ['users'] })
      await writer.call('set', 'team:a', 'ta', { tags: ['team:a'] })
      await writer.call('set', 'plain', 'p')
      for (const reader of readers) {
        for (const key of ['user:1', 'user:2', 'team:a', 'plain']) {
          await reader.call('get', key)
          t.truthy(await reader.call('get', key))
        }
      }
      await writer.call('invalidateTags', ['team:a'])
      for (const reader of readers) {
        t.is(await reader.call('waitFor', 'user:1', null, 5000).then(() => reader.call('get', 'user:1')), null)
        t.is(await reader.call('get', 'team:a'), null)
        t.is(await reader.call('get', 'user:2'), 'u2', 'an entry without the tag stays')
        t.is(await reader.call('get', 'plain'), 'p')
      }
      t.is(await redis.raw.exists(redis.key(namespace, 'd', 'user:1')), 0)
      t.is(await redis.raw.exists(redis.key(namespace, 'd', 'team:a')), 0)
      t.is(await redis.raw.exists(redis.key(namespace, 't', 'team:a')), 0, 'the tag set is gone too')
      await readers[0].call('invalidateTags', ['users'])
      t.is(await writer.call('waitFor', 'user:2', null, 5000).then(() => writer.call('get', 'user:2')), null)
      t.is(await readers[1].call('get', 'plain'), 'p')
    } finally {
      for (const peer of peers) t.is(await peer.stop(), 0)
    }
  })

  test.serial(`${backend}: a tag with more members than one batch is drained completely, and its set expires with its entries`, async (t) => {
    const namespace = `tags-large-${backend}`
    const cache = new TieredCache<string, number>({ timeout: SPEC_TIMEOUT, redis: redis.option, namespace })
    await cache.ready()
    try {
      await Promise.all(Array.from({ length: 2500 }, (_, i) => cache.set(`k${i}`, i, { tags: ['big'], ttl: 60_000 })))
      t.is(await redis.raw.scard(redis.key(namespace, 't', 'big')), 2500)
      const tagTtl = await redis.raw.pttl(redis.key(namespace, 't', 'big'))
      t.true(tagTtl > 50_000 && tagTtl <= 60_000, `tag set ttl ${tagTtl}`)
      await cache.set('longer', 1, { tags: ['big'], ttl: 120_000 })
      t.true((await redis.raw.pttl(redis.key(namespace, 't', 'big'))) > 100_000, 'the tag set lives as long as its longest member')
      await cache.invalidateTags(['big'])
      t.deepEqual(await redis.keys(namespace), [])
      t.is(await cache.get('k77'), undefined)
    } finally {
      await cache.close()
    }
  })

  test.serial(`${backend}: fetch stores tags; an invalidated tag makes the next fetch load again; a foreign member of a tag set is left alone`, async (t) => {
    const namespace = `tags-fetch-${backend}`
    const a = new TieredCache<string, string>({ timeout: SPEC_TIMEOUT, redis: redis.option, namespace })
    const b = new TieredCache<string, string>({ timeout: SPEC_TIMEOUT, redis: redis.option, namespace })
    await Promise.all([a.ready(), b.ready()])
    try {
      let loads = 0
      const loader = async (key: string) => `${key}#${++loads}`
      t.is(await a.fetch('p', loader, { tags: ['products'] }), 'p#1')
      t.true(await until(() => b.stats().bus.received >= 1, 5000))
      t.is(await b.fetch('p', loader, { tags: ['products'] }), 'p#1')
      // In the tag set's slot, as a member must be on a cluster for the drain to reach it.
      const outside = `${redis.root(namespace)}:outside`
      await redis.raw.set(outside, 'x')
      await redis.raw.sadd(redis.key(namespace, 't', 'products'), outside)
      await b.invalidateTags(['products'])
      t.is(await redis.raw.get(outside), 'x', 'invalidation unlinks keys of its own namespace only')
      t.true(await until(() => a.stats().bus.received >= 1, 5000))
      t.is(await a.fetch('p', loader, { tags: ['products'] }), 'p#2')
      // An entry re-stored without the tag is kept in L1 by its own instance: the index follows the current entry.
      await a.set('q', 'q1', { tags: ['old'] })
      await a.set('q', 'q2', { tags: [] })
      await a.invalidateTags(['old'])
      t.is(await a.get('q'), 'q2')
    } finally {
      await a.close()
      await b.close()
    }
  })
}

test('nothing went unhandled', (t) => {
  t.deepEqual(unhandled, [])
})
