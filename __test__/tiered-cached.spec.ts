// `cached(fn, { tier })`: results, loads, refreshes and stale-if-error shared
// across instances (each with its own L1, as separate processes would have).

import { cached } from '../index.js'
import { TieredCache } from '../tiered.js'
import { failure, sleep, trackUnhandledRejections, until } from './_helpers'
import { RedisServer, SPEC_TIMEOUT, test } from './_redis'

const unhandled = trackUnhandledRejections()
let server: RedisServer
const caches: TieredCache<string, any>[] = []
let namespaces = 0

test.before(async () => {
  server = await RedisServer.start()
})

test.after.always(async () => {
  for (const cache of caches) await cache.close()
  await server?.stop()
})

async function pair() {
  const namespace = `cached${namespaces++}`
  const make = async () => {
    const cache = new TieredCache<string, any>({ timeout: SPEC_TIMEOUT, redis: server.url, namespace })
    caches.push(cache)
    await cache.ready()
    return cache
  }
  return [await make(), await make()] as const
}

test('a memoized function shares its results across instances and invalidates everywhere', async (t) => {
  const [a, b] = await pair()
  let calls = 0
  async function getUser(id: number) {
    calls++
    return { id, name: `user ${id}` }
  }
  const fa = cached(getUser, { tier: a, ttl: '1m', tags: ['users'] })
  const fb = cached(getUser, { tier: b, ttl: '1m', tags: ['users'] })
  t.deepEqual(await fa(1), { id: 1, name: 'user 1' })
  t.deepEqual(await fb(1), { id: 1, name: 'user 1' })
  t.is(calls, 1, 'b found the result in Redis')
  t.is(fa.keyOf(1), 'getUser:[1]')
  const heard = b.stats().bus.received
  t.true(await fa.invalidate(1))
  t.true(await until(() => b.stats().bus.received > heard, 5000))
  await fb(1)
  t.is(calls, 2)
  const heardByA = a.stats().bus.received
  await b.invalidateTags(['users'])
  t.true(await until(() => a.stats().bus.received > heardByA, 5000))
  await fa(1)
  t.is(calls, 3)
  t.is(fa.uncached, getUser)
  t.is(fa.name, 'getUser')
})

test('refreshAfter: one instance refreshes in the background, the others see the new value', async (t) => {
  const [a, b] = await pair()
  let version = 0
  const load = async (id: string) => ({ id, version: ++version })
  const options = { key: (id: string) => `config:${id}`, ttl: 2000, refreshAfter: 200 }
  const fa = cached(load, { tier: a, ...options })
  const fb = cached(load, { tier: b, ...options })
  t.is((await fa('x')).version, 1)
  t.is((await fb('x')).version, 1)
  await sleep(300)
  // Past refreshAfter: answered at once with the old value; b reloads in the background.
  t.is((await fb('x')).version, 1)
  t.true(await until(() => version === 2, 5000))
  let seen = 0
  for (let i = 0; i < 100 && seen !== 2; i++) {
    seen = (await fa('x')).version
    if (seen !== 2) await sleep(20)
  }
  t.is(seen, 2, 'a sees the refreshed value')
  t.is(version, 2, 'one refresh for both instances')
})

test('staleIfError: past its ttl a result is served while reloads fail, until the grace ends', async (t) => {
  const [a, b] = await pair()
  let fail = false
  let loads = 0
  const load = async (id: string) => {
    loads++
    if (fail) throw new Error('backend down')
    return `${id}@${loads}`
  }
  const options = { key: (id: string) => id, ttl: 300, staleIfError: 700 }
  const fa = cached(load, { tier: a, ...options })
  const fb = cached(load, { tier: b, ...options })
  t.is(await fa('k'), 'k@1')
  fail = true
  await sleep(400)
  t.is(await fb('k'), 'k@1', 'b read the entry from Redis in its grace, and its failed reload served it')
  t.is(b.stats().staleServed, 1)
  t.is(await fa('k'), 'k@1')
  t.is(await b.get('k'), undefined, 'get() never returns a value past its ttl')
  await sleep(800)
  t.regex((await failure(fa('k'))).message, /backend down/, 'after the grace, the error')
  fail = false
  t.is(await fb('k'), `k@${loads}`)
})

test('options are checked when the function is wrapped', async (t) => {
  const [a] = await pair()
  t.throws(() => cached(async () => 1, { tier: a }), { instanceOf: TypeError, message: /key is required/ })
  t.throws(() => cached(async function f() {}, { tier: {} as never }), { instanceOf: TypeError, message: /tier must be a TieredCache/ })
  t.throws(() => cached(async function f() {}, { tier: a, maxCapacity: 5 } as never), { instanceOf: TypeError, message: /maxCapacity/ })
  t.throws(() => cached(async function f() {}, { tier: a, refreshAfter: -1 }), { instanceOf: RangeError, message: /refreshAfter/ })
  t.throws(() => cached({ tier: a } as never), { instanceOf: TypeError, message: /tier/ })
  const f = cached(async function f(x: number) { return x }, { tier: a, key: (x) => x as never })
  await t.throwsAsync(f(1), { instanceOf: TypeError, message: /key must return a string/ })
})

test('nothing went unhandled', (t) => {
  t.deepEqual(unhandled, [])
})
