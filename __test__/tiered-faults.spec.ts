// Redis slow, killed, replaced: callers always get their values (from L1 or
// the loader), nothing hangs or goes unhandled, and the tier recovers by itself.

import Redis from 'ioredis'

import { TieredCache, TierError } from '../tiered.js'
import { failure, sleep, trackUnhandledRejections, until } from './_helpers'
import { CLUSTER_NODE_TIMEOUT, freePort, RedisCluster, RedisServer, test } from './_redis'

const unhandled = trackUnhandledRejections()
const servers: (RedisServer | RedisCluster)[] = []
const caches: TieredCache<string, unknown>[] = []

test.after.always(async () => {
  for (const cache of caches) await cache.close()
  for (const server of servers) await server.stop()
})

async function serve(): Promise<RedisServer> {
  const server = await RedisServer.start()
  servers.push(server)
  return server
}

function tiered<V>(options: ConstructorParameters<typeof TieredCache<string, V>>[0]): TieredCache<string, V> {
  const cache = new TieredCache<string, V>(options)
  caches.push(cache as TieredCache<string, unknown>)
  return cache
}

const valueOf = (key: string): string => `value of ${key}`
const loader = async (key: string): Promise<string> => {
  await sleep(1)
  return valueOf(key)
}

test.serial('Redis killed mid-run: every call gets its value, none hangs, and the tier recovers on a new server at the same port', async (t) => {
  const server = await serve()
  const errors: TierError[] = []
  const options = {
    redis: server.url,
    namespace: 'faults',
    timeout: 100,
    breaker: { failures: 3, halfOpenAfter: 200 },
    l1: { maxCapacity: 20 },
    onError: (error: TierError) => errors.push(error),
  }
  const a = tiered<string>(options)
  const b = tiered<string>(options)
  await Promise.all([a.ready(), b.ready()])
  let calls = 0
  let wrong = 0
  let slowest = 0
  const end = Date.now() + 3500
  const worker = async (cache: TieredCache<string, string>, seed: number): Promise<void> => {
    for (let i = seed; Date.now() < end; i += 7) {
      const key = `k${(i * 31) % 100}`
      const started = performance.now()
      const value = await cache.fetch(key, loader, { ttl: 60_000 })
      slowest = Math.max(slowest, performance.now() - started)
      if (value !== valueOf(key)) wrong++
      calls++
    }
  }
  const running = Promise.all([0, 1, 2, 3].flatMap((seed) => [worker(a, seed), worker(b, seed + 50)]))
  await sleep(800)
  await server.kill()
  await sleep(1200)
  await server.restart()
  await running
  t.is(wrong, 0)
  t.true(calls > 200, `${calls} calls`)
  t.true(slowest < 2000, `slowest call ${slowest.toFixed(0)} ms`)
  t.log(`${calls} calls, slowest ${slowest.toFixed(0)} ms, ${errors.length} errors reported, a: ${JSON.stringify(a.stats())}`)
  t.true(errors.length > 0)
  t.true(a.stats().l2.errors > 0)
  t.true(a.stats().l2.skipped + b.stats().l2.skipped > 0, 'the breaker opened and spared Redis')

  // Recovery, with no help: writes reach the new server, and the bus carries invalidations again.
  const raw = new Redis(server.url)
  try {
    let stored = false
    for (let i = 0; i < 100 && !stored; i++) {
      await a.set('after', 'one')
      stored = (await raw.exists('faults:d:after')) === 1
      if (!stored) await sleep(100)
    }
    t.true(stored, 'a write reached the new server')
    t.is(a.stats().breaker, 'closed')
    t.true(await until(() => a.stats().bus.connected && b.stats().bus.connected, 10_000), 'both resubscribed')
    t.is(await b.get('after'), 'one')
    t.is(await b.get('after'), 'one')
    await a.set('after', 'two')
    t.true(await until(() => b.stats().bus.received > 0, 5000))
    let seen: string | undefined
    for (let i = 0; i < 100 && seen !== 'two'; i++) {
      seen = await b.get('after')
      if (seen !== 'two') await sleep(20)
    }
    t.is(seen, 'two', 'b dropped its copy on the bus message')
  } finally {
    raw.disconnect()
  }
})

test.serial('a slow Redis is given up on after the timeout: the loader answers', async (t) => {
  const server = await serve()
  const cache = tiered<string>({ redis: server.url, namespace: 'slow', timeout: 100 })
  await cache.ready()
  await cache.set('cached', 'in L1')
  const raw = new Redis(server.url)
  await raw.call('CLIENT', 'PAUSE', '2000', 'ALL')
  const started = performance.now()
  t.is(await cache.fetch('k', loader), valueOf('k'))
  t.is(await cache.get('cached'), 'in L1', 'L1 needs no Redis')
  const elapsed = performance.now() - started
  t.true(elapsed < 1500, `answered after ${elapsed.toFixed(0)} ms while Redis was paused for 2000 ms`)
  t.true(cache.stats().l2.timeouts >= 1)
  raw.disconnect()
})

test.serial('the breaker opens after consecutive failures; with suppressErrors false the caller gets the TierError', async (t) => {
  const server = await serve()
  const quiet = tiered<string>({ redis: server.url, namespace: 'breaker', timeout: 50, breaker: { failures: 2, halfOpenAfter: 60_000 } })
  const loud = tiered<string>({ redis: server.url, namespace: 'breaker', timeout: 50, suppressErrors: false })
  let hookCalls = 0
  const throwingHook = tiered<string>({
    redis: server.url,
    namespace: 'breaker',
    timeout: 50,
    onError: () => {
      hookCalls++
      throw new Error('a broken hook')
    },
  })
  await Promise.all([quiet.ready(), loud.ready(), throwingHook.ready()])
  await server.kill()
  for (let i = 0; i < 5; i++) t.is(await quiet.fetch(`k${i}`, loader), valueOf(`k${i}`))
  t.is(quiet.stats().breaker, 'open')
  t.true(quiet.stats().l2.skipped > 0)
  const skipped = quiet.stats().l2.skipped
  const started = performance.now()
  t.is(await quiet.get('x'), undefined)
  t.true(performance.now() - started < 40, 'an open breaker answers without waiting for Redis')
  t.is(quiet.stats().l2.skipped, skipped + 1)
  const error = await t.throwsAsync(loud.get('k'), { instanceOf: TierError })
  t.true(error!.kind === 'redis' || error!.kind === 'timeout', error!.kind)
  await t.throwsAsync(loud.set('k', 'v'), { instanceOf: TierError })
  t.is(await throwingHook.fetch('k', loader), valueOf('k'))
  t.true(hookCalls > 0)
})

test.serial('a wrong or missing password: ready() rejects naming the URL (without the password) and the failed authentication', async (t) => {
  const server = await serve()
  const raw = new Redis(server.url)
  await raw.config('SET', 'requirepass', 'the-right-password')
  raw.disconnect()
  const wrong = tiered<string>({ redis: server.url.replace('redis://', 'redis://:a-wrong-password@') })
  const error = await failure(wrong.ready())
  t.true(error instanceof TierError)
  t.regex(error.message, /^Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+ is unreachable: authentication failed \(WRONGPASS/)
  t.false(error.message.includes('a-wrong-password'))
  const none = tiered<string>({ redis: server.url })
  t.regex((await failure(none.ready())).message, /is unreachable: authentication failed \(NOAUTH/)
})

test.serial('Redis down when the cache starts: ready() rejects, and once a server comes up the bus subscribes and ready() resolves', async (t) => {
  const port = await freePort()
  const cache = tiered<string>({ redis: `redis://127.0.0.1:${port}`, namespace: 'late' })
  await failure(cache.ready())
  const server = await RedisServer.start(port)
  servers.push(server)
  await cache.ready()
  t.true(cache.stats().bus.connected)
  const other = tiered<string>({ redis: server.url, namespace: 'late' })
  await other.ready()
  await cache.set('k', 'one')
  await other.set('k', 'two')
  // Its own message, then the other's: one channel keeps their order.
  t.true(await until(() => cache.stats().bus.received >= 2, 5000), 'the bus carries the other instance’s write')
  t.is(await cache.get('k'), 'two')
})

test.serial('a cluster master killed mid-run: L1 and the loader answer, onError is told, and after the failover the tier and the bus recover by themselves', async (t) => {
  const cluster = await RedisCluster.start()
  servers.push(cluster)
  const errors: TierError[] = []
  const options = {
    redis: cluster.option,
    namespace: 'failover',
    timeout: 200,
    breaker: { failures: 3, halfOpenAfter: 200 },
    onError: (error: TierError) => errors.push(error),
  }
  const a = tiered<string>(options)
  const b = tiered<string>(options)
  await Promise.all([a.ready(), b.ready()])
  for (let i = 0; i < 20; i++) await a.set(`k${i}`, `v${i}`)
  t.true(await until(() => b.stats().bus.received === 20, 5000))
  for (let i = 0; i < 20; i++) t.is(await b.get(`k${i}`), `v${i}`)
  const resyncs = b.stats().bus.resyncs
  // The master of the namespace's slot holds every key of it, and its bus channel.
  const master = await cluster.masterOf('{failover}:bus')
  await master.kill()
  const killedAt = Date.now()
  // During the failover: what L1 holds is served, a miss is loaded, nothing hangs or rejects.
  let slowest = 0
  for (let i = 0; i < 20; i++) {
    const started = performance.now()
    t.is(await b.get(`k${i}`), `v${i}`, 'served from L1')
    t.is(await a.fetch(`new${i}`, loader), valueOf(`new${i}`), 'loaded while the slot has no master')
    slowest = Math.max(slowest, performance.now() - started)
  }
  t.true(await until(() => errors.length > 0, 15_000), 'the outage reached onError')
  t.true(errors.every((error) => error instanceof TierError && ['redis', 'timeout', 'circuitOpen'].includes(error.kind)), errors.map((e) => `${e.kind} ${e.message}`).join('; '))
  // Recovery: a write reaches Redis again once the replica took over.
  let recovered = false
  for (const end = Date.now() + 60_000; !recovered && Date.now() < end; await sleep(100)) {
    await a.set('after', 'failover')
    recovered = (await b.get('after')) === 'failover' && a.stats().breaker === 'closed'
  }
  t.true(recovered, 'writes reach the new master')
  t.log(`a write reached the new master ${Date.now() - killedAt} ms after the kill (node timeout ${CLUSTER_NODE_TIMEOUT} ms); slowest call during the failover ${slowest.toFixed(0)} ms`)
  // The bus followed the slot to the new master, and b dropped the L1 it could not prove fresh.
  t.true(await until(() => b.stats().bus.connected && b.stats().bus.resyncs > resyncs, 30_000), 'b resubscribed on the new master')
  await b.get('k1')
  t.is(await b.get('k1'), 'v1')
  const received = b.stats().bus.received
  await a.set('k1', 'changed')
  t.true(await until(() => b.stats().bus.received > received, 15_000))
  t.is(await b.get('k1'), 'changed', 'a write after the failover reaches b through the bus')
})

test.serial('a manual failover moves the namespace’s slot while its old master stays up: the bus follows the slot', async (t) => {
  const cluster = await RedisCluster.start()
  servers.push(cluster)
  const options = { redis: cluster.option, namespace: 'moved', timeout: 1000 }
  const a = tiered<number>(options)
  const b = tiered<number>(options)
  await Promise.all([a.ready(), b.ready()])
  await a.set('k', 1)
  t.true(await until(() => b.stats().bus.received === 1, 5000))
  t.is(await b.get('k'), 1)
  t.is(await b.get('k'), 1)
  const resyncs = b.stats().bus.resyncs
  const master = await cluster.masterOf('{moved}:bus')
  const replica = await cluster.replicaOf(master)
  const client = new Redis(replica.port, '127.0.0.1')
  try {
    t.is(await client.call('CLUSTER', 'FAILOVER'), 'OK')
  } finally {
    client.disconnect()
  }
  let now = master
  for (const end = Date.now() + 20_000; now === master && Date.now() < end; await sleep(50)) now = await cluster.masterOf('{moved}:bus')
  t.is(now, replica, 'the replica took the slot over')
  // The old master, alive, unsubscribed the bus connection: it moved to the new master and resynced.
  t.true(await until(() => b.stats().bus.connected && b.stats().bus.resyncs > resyncs, 30_000), 'b resubscribed on the new master')
  t.is(await b.get('k'), 1)
  t.is(await b.get('k'), 1)
  const received = b.stats().bus.received
  await a.set('k', 2)
  t.true(await until(() => b.stats().bus.received > received, 15_000), 'a write after the failover reaches b through the bus')
  t.is(await b.get('k'), 2)
})

test('nothing went unhandled', (t) => {
  t.deepEqual(unhandled, [])
})
