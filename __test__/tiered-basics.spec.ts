import { Cluster } from 'ioredis'

import { TieredCache } from '../tiered.js'
import { failure, sleep, trackUnhandledRejections, until } from './_helpers'
import { BACKENDS, redisForSpec, SPEC_CLUSTER_OPTIONS, SPEC_TIMEOUT, test } from './_redis'

const unhandled = trackUnhandledRejections()
let namespaces = 0

for (const backend of BACKENDS) {
  const redis = redisForSpec(test, backend)

  /** Two instances on one fresh namespace, as two processes would be (each with its own L1 and connections). */
  async function pair(options: Record<string, unknown> = {}) {
    const namespace = `basics${namespaces++}`
    const make = async () => {
      const cache = redis.track(new TieredCache<string, unknown>({ timeout: SPEC_TIMEOUT, redis: redis.option, namespace, ...options }))
      await cache.ready()
      return cache
    }
    return { namespace, a: await make(), b: await make() }
  }

  test(`${backend}: set, get and delete go through both tiers`, async (t) => {
    const { namespace, a, b } = await pair()
    t.is(await a.get('user:1'), undefined)
    await a.set('user:1', { name: 'ann', tags: ['x'] })
    t.deepEqual(await a.get('user:1'), { name: 'ann', tags: ['x'] })
    // A read racing with the write's bus message does not fill L1; let the message arrive first.
    t.true(await until(() => b.stats().bus.received === 1, 5000))
    // b has no L1 copy: it reads Redis.
    t.deepEqual(await b.get('user:1'), { name: 'ann', tags: ['x'] })
    t.is(b.stats().l2.hits, 1)
    t.deepEqual(await b.get('user:1'), { name: 'ann', tags: ['x'] })
    t.is(b.stats().l1.hits, 1, 'the Redis hit filled L1')
    t.true((await redis.raw.exists(redis.key(namespace, 'd', 'user:1'))) === 1)
    t.true(await a.delete('user:1'))
    t.false(await a.delete('user:1'))
    t.is(await redis.raw.exists(redis.key(namespace, 'd', 'user:1')), 0)
    t.is(await a.get('user:1'), undefined)
  })

  test(`${backend}: a Redis hit fills L1 for no longer than the entry has left to live`, async (t) => {
    const { namespace, a, b } = await pair()
    // Generous margins: under load, a second can pass between two steps.
    await a.set('k', 'v', { ttl: 4000 })
    await sleep(1500)
    t.is(await b.get('k'), 'v')
    // Removed behind the bus's back: only b's L1 copy is left, and it must end with the entry's ttl.
    await redis.raw.del(redis.key(namespace, 'd', 'k'))
    t.is(await b.get('k'), 'v', 'served from L1')
    await sleep(3000)
    t.is(await b.get('k'), undefined, 'the L1 copy expired with the remaining ttl')
  })

  test(`${backend}: the cache-wide ttl applies to both tiers`, async (t) => {
    const { namespace, a } = await pair({ ttl: '2s' })
    await a.set('k', 1)
    const pttl = await redis.raw.pttl(redis.key(namespace, 'd', 'k'))
    t.true(pttl > 1000 && pttl <= 2000, `pttl ${pttl}`)
    await a.set('forever', 1, { ttl: '1h' })
    t.true((await redis.raw.pttl(redis.key(namespace, 'd', 'forever'))) > 3_500_000)
  })

  test(`${backend}: keys with :, *, ?, [, spaces, unicode and 10 kB are stored exactly and never taken as patterns`, async (t) => {
    const { namespace, a, b } = await pair()
    const keys = ['a:b:c', '*', 'a*', 'a?', '[ab]', 'with space', '   ', '', 'ключ 🔑 鍵', 'x'.repeat(10_240), 'ü'.repeat(5_000), 'd:nested', '\\*']
    for (const [i, key] of keys.entries()) await a.set(key, i)
    for (const [i, key] of keys.entries()) t.is(await b.get(key), i, `key #${i}`)
    t.is(await b.get('ab'), undefined)
    t.is(await b.get('a'), undefined)
    // Deleting a key that looks like a pattern removes that key only.
    t.true(await a.delete('*'))
    t.true(await a.delete('a*'))
    for (const [i, key] of keys.entries()) if (key !== '*' && key !== 'a*') t.is(await b.get(key), i)
    t.is((await redis.keys(namespace)).length, keys.length - 2)
  })

  test(`${backend}: clear() empties its own namespace only, whatever the neighbours are called`, async (t) => {
    const { namespace, a, b } = await pair()
    const neighbour = redis.track(new TieredCache<string, unknown>({ timeout: SPEC_TIMEOUT, redis: redis.option, namespace: `${namespace}x` }))
    await neighbour.set('k', 'kept')
    await redis.raw.set(redis.root(namespace), 'kept')
    await redis.raw.set(`${redis.root(namespace)}:other`, 'kept')
    for (let i = 0; i < 2500; i++) await a.set(`k${i}`, i, { tags: i % 2 === 0 ? ['even'] : [] })
    t.is(await b.get('k7'), 7)
    await a.clear()
    t.is(await a.get('k7'), undefined)
    t.is(await b.get('k7'), undefined)
    t.deepEqual(await redis.keys(namespace), [])
    t.is(await neighbour.get('k'), 'kept')
    t.is(await redis.raw.get(redis.root(namespace)), 'kept')
    t.is(await redis.raw.get(`${redis.root(namespace)}:other`), 'kept')
  })

  test(`${backend}: v8 and custom serializers round-trip what JSON cannot`, async (t) => {
    const { a, b } = await pair({ serializer: 'v8' })
    const value = { when: new Date(0), ids: new Set([1, 2]), big: 2n ** 70n, map: new Map([['k', [1]]]) }
    await a.set('v', value)
    t.deepEqual(await b.get('v'), value)
    const upper = {
      serialize: (v: unknown) => String(v).toUpperCase(),
      deserialize: (bytes: Buffer) => bytes.toString('utf8').toLowerCase(),
    }
    const custom = await pair({ serializer: upper })
    await custom.a.set('s', 'hello')
    t.is(await custom.b.get('s'), 'hello')
  })

  test(`${backend}: fetch loads a miss once, stores it in both tiers, and serves hits from L1`, async (t) => {
    const { a, b } = await pair()
    let loads = 0
    const loader = async (key: string) => {
      loads++
      await sleep(20)
      return { key }
    }
    const results = await Promise.all([a.fetch('f', loader), a.fetch('f', loader), a.fetch('f', loader)])
    t.is(loads, 1)
    t.deepEqual(results, [{ key: 'f' }, { key: 'f' }, { key: 'f' }])
    t.deepEqual(await b.fetch('f', loader), { key: 'f' })
    t.is(loads, 1, 'b found it in Redis')
    t.is(a.stats().loads, 1)
    t.is(b.stats().loads, 0)
    // A loader's error reaches every waiter and stores nothing.
    const boom = new Error('boom')
    const failing = async (): Promise<never> => {
      throw boom
    }
    t.is(await failure(a.fetch('bad', failing)), boom)
    t.is(await a.get('bad'), undefined)
    // ttl as a function of the value (5 s: a loaded machine can take a second between two steps); ≤ 0 stores nothing.
    await a.fetch('short', async () => 5, { ttl: (v: unknown) => (v as number) * 1000 })
    t.is(await b.get('short'), 5)
    await a.fetch('none', async () => 0, { ttl: () => 0 })
    t.is(await b.get('none'), undefined)
  })

  test(`${backend}: has() says whether get() would return a value: within its ttl, not in its grace`, async (t) => {
    const { namespace, a, b } = await pair()
    await a.set('h', 0)
    t.true(await b.has('h'), 'found in Redis (a falsy value counts)')
    t.true(await b.has('h'), 'found in L1')
    t.false(await a.has('missing'))
    await a.fetch('graced', async () => 'old', { ttl: 300, staleIfError: '1m' })
    await sleep(600)
    t.is(await redis.raw.exists(redis.key(namespace, 'd', 'graced')), 1, 'kept in Redis for its grace')
    t.false(await b.has('graced'))
    t.false(await a.has('graced'))
    await t.throwsAsync(a.has(1 as never), { instanceOf: TypeError, message: /key must be a string/ })
  })

  test(`${backend}: deleteMany() removes keys from Redis and from every L1, a thousand per step`, async (t) => {
    const { namespace, a, b } = await pair()
    const keys = Array.from({ length: 2500 }, (_, i) => `m${i}`)
    await Promise.all(keys.map((key, i) => a.set(key, i)))
    await a.set('kept', 'k')
    for (const key of ['m1', 'm2000']) {
      await b.get(key)
      t.is(await b.get(key), Number(key.slice(1)))
    }
    const received = b.stats().bus.received
    t.is(await a.deleteMany([...keys, 'm1', 'absent']), 2500, 'a key named twice or absent is not counted')
    t.deepEqual(await redis.keys(namespace), [redis.key(namespace, 'd', 'kept')])
    t.true(await until(() => b.stats().bus.received >= received + 3, 5000), 'one message per step')
    t.is(await b.get('m1'), undefined)
    t.is(await b.get('m2000'), undefined)
    t.is(await a.get('m7'), undefined)
    t.is(await b.get('kept'), 'k')
    t.is(await a.deleteMany([]), 0)
    await t.throwsAsync(a.deleteMany('kept' as never), { instanceOf: TypeError, message: /keys must be an array/ })
    await t.throwsAsync(a.deleteMany(['kept', 7] as never), { instanceOf: TypeError, message: /key must be a string/ })
    t.is(await a.get('kept'), 'k', 'a refused call deleted nothing')
  })

  test(`${backend}: getOrSetForever() stores without a ttl, whatever the cache's default`, async (t) => {
    const { namespace, a, b } = await pair({ ttl: '2s' })
    let loads = 0
    const loader = async () => `loaded ${++loads}`
    t.is(await a.getOrSetForever('f', loader, { tags: ['t'] }), 'loaded 1')
    t.is(await redis.raw.pttl(redis.key(namespace, 'd', 'f')), -1, 'no expiry in Redis')
    t.is(await b.getOrSetForever('f', loader), 'loaded 1', 'found in Redis, not loaded again')
    t.is(loads, 1)
    await a.fetch('g', loader)
    t.true((await redis.raw.pttl(redis.key(namespace, 'd', 'g'))) > 0, 'fetch keeps the default ttl')
    await a.invalidateTags(['t'])
    t.is(await redis.raw.exists(redis.key(namespace, 'd', 'f')), 0, 'its tags apply')
    t.throws(() => a.getOrSetForever('f', loader, { ttl: 5 } as never), { instanceOf: TypeError, message: /ttl/ })
  })

  test(`${backend}: softTimeout: a reload slower than it gets the stale value, and goes on to store its own`, async (t) => {
    const { a, b } = await pair()
    const options = { ttl: 2000, staleIfError: '1m', softTimeout: 100 }
    t.is(await a.fetch('s', async () => 'old', options), 'old')
    await sleep(2300)
    const slow = async () => {
      await sleep(1500)
      return 'new'
    }
    t.is(await a.fetch('s', slow, options), 'old', 'the stale value, past the soft timeout')
    t.is(a.stats().staleServed, 1)
    let seen: unknown
    for (const end = Date.now() + 10_000; seen !== 'new' && Date.now() < end; await sleep(50)) seen = await b.get('s')
    t.is(seen, 'new', 'the reload went on and stored its value')
    // Without a stale value there is nothing to serve early: the caller waits for the load.
    t.is(await a.fetch('cold', async () => {
      await sleep(300)
      return 'loaded'
    }, options), 'loaded')
    t.is(a.stats().staleServed, 1)
  })

  if (backend === 'cluster') {
    test(`${backend}: a Cluster of your own: the cache uses it, and close() leaves it open`, async (t) => {
      const own = new Cluster(redis.cluster.option.cluster, SPEC_CLUSTER_OPTIONS)
      try {
        const errors: unknown[] = []
        const cache = new TieredCache<string, number>({ timeout: SPEC_TIMEOUT, redis: own, namespace: 'own-cluster', onError: (e) => errors.push(e) })
        await cache.ready()
        await cache.set('k', 1, { tags: ['t'] })
        t.is(await redis.raw.exists(redis.key('own-cluster', 'd', 'k')), 1)
        t.is(await cache.get('k'), 1)
        await cache.close()
        t.is(own.status, 'ready')
        t.is(await own.exists(redis.key('own-cluster', 't', 't')), 1, 'still usable')
        t.deepEqual(errors, [])
      } finally {
        own.disconnect()
      }
    })
  }

  test(`${backend}: bad arguments and options are TypeErrors or RangeErrors naming them, and change nothing`, async (t) => {
    const { a } = await pair()
    await a.set('k', 1)
    t.throws(() => new TieredCache({} as never), { instanceOf: TypeError, message: /redis is required/ })
    t.throws(() => new TieredCache({ redis: 42 } as never), { instanceOf: TypeError, message: /redis must be/ })
    t.throws(() => new TieredCache({ redis: redis.option, namespace: 'a:b' }), { instanceOf: RangeError, message: /namespace/ })
    t.throws(() => new TieredCache({ redis: redis.option, nameSpace: 'x' } as never), { instanceOf: TypeError, message: /nameSpace/ })
    t.throws(() => new TieredCache({ redis: redis.option, ttl: -1 }), { instanceOf: RangeError, message: /ttl/ })
    t.throws(() => new TieredCache({ redis: redis.option, l1: { maxCapacity: -1 } }), { instanceOf: RangeError, message: /l1.maxCapacity/ })
    t.throws(() => new TieredCache({ redis: redis.option, hmacKey: 'short' }), { instanceOf: RangeError, message: /hmacKey/ })
    t.throws(() => new TieredCache({ redis: redis.option, serializer: 'xml' as never }), { instanceOf: TypeError, message: /serializer/ })
    t.throws(() => new TieredCache({ redis: redis.option, maxValueBytes: 1 }), { instanceOf: RangeError, message: /maxValueBytes/ })
    t.throws(() => new TieredCache({ redis: redis.option, breaker: { failures: 0 } }), { instanceOf: RangeError, message: /breaker.failures/ })
    t.throws(() => new TieredCache({ redis: redis.option, lock: { ttl: 'soon' } }), { instanceOf: RangeError, message: /lock.ttl/ })
    t.throws(() => new TieredCache({ redis: redis.option, pubsub: 'sharded ' as never }), { instanceOf: RangeError, message: /pubsub/ })
    t.throws(() => new TieredCache({ redis: { cluster: [] } }), { instanceOf: TypeError, message: /redis.cluster must be a non-empty array/ })
    t.throws(() => new TieredCache({ redis: { cluster: ['127.0.0.1:7000', 'nowhere'] } }), { instanceOf: TypeError, message: /redis.cluster\[1\]/ })
    t.throws(() => new TieredCache({ redis: { cluster: [{ port: '7000' }] } as never }), { instanceOf: TypeError, message: /redis.cluster\[0\].port/ })
    t.throws(() => new TieredCache({ redis: { cluster: [7000], options: { keyPrefix: 'x:' } } }), { instanceOf: TypeError, message: /keyPrefix/ })
    t.throws(() => new TieredCache({ redis: { cluster: [7000], extra: 1 } as never }), { instanceOf: TypeError, message: /extra/ })
    await t.throwsAsync(a.get(7 as never), { instanceOf: TypeError, message: /key must be a string/ })
    await t.throwsAsync(a.get('\uD800'), { instanceOf: TypeError, message: /key must be well-formed/ })
    await t.throwsAsync(a.set('k', undefined), { instanceOf: TypeError, message: /value/ })
    await t.throwsAsync(a.set('k', 2, { ttl: 0 }), { instanceOf: RangeError, message: /ttl/ })
    await t.throwsAsync(a.set('k', 2, { tags: 'x' as never }), { instanceOf: TypeError, message: /tags/ })
    await t.throwsAsync(a.set('k', 2n), { instanceOf: TypeError }, 'JSON cannot encode a BigInt')
    await t.throwsAsync(a.set('k', 'x'.repeat(5 * 1024 * 1024)), { instanceOf: RangeError, message: /maxValueBytes/ })
    t.throws(() => a.fetch('k', 'loader' as never), { instanceOf: TypeError, message: /loader/ })
    t.throws(() => a.fetch('k', async () => 1, { ttl: 100, refreshAfter: 200 }), { instanceOf: RangeError, message: /refreshAfter/ })
    t.throws(() => a.fetch('k', async () => 1, { tll: 1 } as never), { instanceOf: TypeError, message: /tll/ })
    await t.throwsAsync(a.invalidateTags(['ok', 3] as never), { instanceOf: TypeError, message: /tags/ })
    t.is(await a.get('k'), 1, 'the failed calls changed nothing')
  })
}

test('nothing went unhandled', (t) => {
  t.deepEqual(unhandled, [])
})
