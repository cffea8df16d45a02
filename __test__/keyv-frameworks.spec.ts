// KeyvMoka where Keyv stores are used: cache-manager 7 (createCache, wrap) and
// NestJS's CacheModule in a real application context, counting backend calls.

import path from 'node:path'
import { Worker } from 'node:worker_threads'

import test from 'ava'
import { createCache } from 'cache-manager'
import Keyv from 'keyv'

import { KeyvMoka } from '../keyv.js'
import { sleep } from './_helpers'
import { compileAndLoad, LEGACY, typeErrors } from './_tsc'

/** What fixtures/keyv-nest.ts exports (kept out of the project's type-check: it is legacy-decorator code). */
interface User {
  id: number
  name: string
}
interface NestFixture {
  createApp(options: Record<string, unknown>): Promise<{
    app: { close(): Promise<void> }
    service: { find(id: number): Promise<User>; rename(id: number, name: string): Promise<void> }
    repository: { calls: number }
  }>
}

test('cache-manager 7: wrap over a KeyvMoka store calls the backend once per key, again once the ttl has passed', async (t) => {
  let calls = 0
  const load = async (id: number) => {
    calls++
    return { id, name: `user ${id}` }
  }
  const cache = createCache({ stores: [new Keyv({ store: new KeyvMoka({ maxCapacity: 1000 }) })] })
  const results = await Promise.all([1, 1, 2, 1, 2].map((id) => cache.wrap(`user:${id}`, () => load(id), 1000)))
  t.deepEqual(results.map((u) => u.id), [1, 1, 2, 1, 2])
  t.is(calls, 2)
  t.deepEqual(await cache.wrap('user:1', () => load(1), 1000), { id: 1, name: 'user 1' })
  t.is(calls, 2, 'a hit')
  await sleep(1300)
  await cache.wrap('user:1', () => load(1), 1000)
  t.is(calls, 3, 'expired: loaded again')
})

test('cache-manager 7: set/get/mset/mget/del/clear and ttl() through KeyvMoka; the ttl reaches moka', async (t) => {
  const store = new KeyvMoka({ maxCapacity: 1000 })
  const cache = createCache({ stores: [new Keyv({ store })], ttl: 60_000 })
  await cache.set('a', { n: 1 })
  t.deepEqual(await cache.get('a'), { n: 1 })
  const expires = await cache.ttl('a')
  t.true(typeof expires === 'number' && expires > Date.now() + 50_000)
  await cache.mset([{ key: 'b', value: 2 }, { key: 'c', value: 3, ttl: 1000 }])
  t.deepEqual(await cache.mget(['a', 'b', 'c', 'd']), [{ n: 1 }, 2, 3, undefined])
  await sleep(1300)
  t.is(await cache.get('c'), undefined)
  t.false(store.cache.has('keyv:c'), 'gone from moka itself')
  await cache.del('a')
  t.is(await cache.get('a'), undefined)
  await cache.clear()
  t.is(await cache.get('b'), undefined)
})

test('cache-manager 7: KeyvMoka as L1 in front of a second store; a miss in L1 is filled from L2', async (t) => {
  const l1 = new KeyvMoka({ maxCapacity: 100 })
  const l2 = new Keyv() // stands for a remote store (e.g. @keyv/redis)
  const cache = createCache({ stores: [new Keyv({ store: l1 }), l2] })
  let calls = 0
  await cache.wrap('k', async () => ++calls, 60_000)
  t.is(await l2.get('k'), 1, 'written to both tiers')
  await l1.clear()
  t.is(await cache.wrap('k', async () => ++calls, 60_000), 1, 'found in L2')
  t.is(calls, 1)
})

// The NestJS fixture, compiled as Nest projects compile (legacy decorators with metadata).
const FIXTURE = path.join(__dirname, 'fixtures', 'keyv-nest.ts')
const { js: NEST_JS, exports: nest } = compileAndLoad<NestFixture>(FIXTURE, LEGACY)

// Serial: ava runs it before the others, so that this long synchronous check delays none of their timers.
test.serial('the NestJS fixture type-checks with legacy decorators, as a Nest project compiles it', (t) => {
  t.deepEqual(typeErrors(FIXTURE, LEGACY), [])
  t.regex(NEST_JS, /design:paramtypes/)
})


test('NestJS: CacheModule.register({ stores: [new KeyvMoka(...)] }) caches: one backend call per key', async (t) => {
  const { app, service, repository } = await nest.createApp({ stores: [new KeyvMoka({ maxCapacity: 1000 })] })
  t.teardown(() => app.close())
  for (let i = 0; i < 5; i++) t.deepEqual(await service.find(1), { id: 1, name: 'user 1' })
  await Promise.all([service.find(2), service.find(2), service.find(2)])
  t.is(repository.calls, 2)
  await service.rename(1, 'ann')
  t.deepEqual(await service.find(1), { id: 1, name: 'ann' })
  t.is(repository.calls, 2)
})

test("NestJS: the module's ttl reaches the store: after it, the backend is called again", async (t) => {
  const store = new KeyvMoka({ maxCapacity: 1000 })
  const { app, service, repository } = await nest.createApp({ stores: [new Keyv({ store })], ttl: 1000 })
  t.teardown(() => app.close())
  await service.find(1)
  await service.find(1)
  t.is(repository.calls, 1)
  await sleep(1300)
  t.false(store.cache.has('keyv:user:1'), 'moka expired it')
  await service.find(1)
  t.is(repository.calls, 2)
})

test('NestJS: a store closed with the application can serve the next one (close does not dispose the cache)', async (t) => {
  const store = new KeyvMoka({ maxCapacity: 1000 })
  const first = await nest.createApp({ stores: [store] })
  await first.service.find(1)
  await first.app.close()
  const second = await nest.createApp({ stores: [store] })
  t.teardown(() => second.app.close())
  await second.service.find(1)
  t.is(second.repository.calls, 0, 'a hit: the entry written by the first application')
})

test('NestJS with a SharedMoka store: applications in two worker threads share one cache, one backend call in all', async (t) => {
  const workerCode = `
    const { parentPort, workerData } = require('node:worker_threads')
    const Module = require('node:module')
    const path = require('node:path')
    const mod = new Module(workerData.fixture)
    mod.filename = workerData.fixture
    mod.paths = Module._nodeModulePaths(path.dirname(workerData.fixture))
    mod._compile(workerData.js, workerData.fixture)
    const { KeyvMoka } = mod.require('../../keyv.js')
    ;(async () => {
      const { app, service, repository } = await mod.exports.createApp({ stores: [new KeyvMoka({ shared: 'nest-users', maxCapacity: 1000 })] })
      const user = await service.find(7)
      await app.close()
      parentPort.postMessage({ user, calls: repository.calls })
    })()
  `
  const { app, service, repository } = await nest.createApp({ stores: [new KeyvMoka({ shared: 'nest-users', maxCapacity: 1000 })] })
  t.teardown(() => app.close())
  await service.find(7)
  const replies = await Promise.all(
    [1, 2].map(
      () =>
        new Promise<{ user: User; calls: number }>((resolve, reject) => {
          const worker = new Worker(workerCode, { eval: true, workerData: { fixture: FIXTURE, js: NEST_JS } })
          worker.once('message', resolve)
          worker.once('error', reject)
        }),
    ),
  )
  t.deepEqual(replies.map((r) => r.user), [{ id: 7, name: 'user 7' }, { id: 7, name: 'user 7' }])
  t.is(repository.calls + replies.reduce((sum, r) => sum + r.calls, 0), 1)
})
