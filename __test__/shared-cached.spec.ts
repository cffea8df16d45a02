// cached(fn, { shared }): one memo for every thread of the process.

import test from 'ava'

import { cached, SharedMoka } from '../index.js'
import { cacheName, workers } from './_shared'

/** Decorates the same async function in a worker and calls it for 20 keys, 3 times each, concurrently. */
const DECORATE_AND_CALL = async (_cache: unknown, name: string, env: any) => {
  const lookup = env.cached(
    async (id: number, kind: string) => {
      Atomics.add(env.calls, 0, 1)
      await new Promise((resolve) => setTimeout(resolve, 20))
      return { id, kind }
    },
    { shared: name, maxCapacity: 1000, ttl: '1m' },
  )
  const calls = []
  for (let round = 0; round < 3; round++) for (let id = 0; id < 20; id++) calls.push(lookup(id, 'user'))
  const results = await Promise.all(calls)
  return { ok: results.every((r: { id: number }, i: number) => r.id === i % 20), info: lookup.cacheInfo() }
}

test('an async function cached with { shared } in every worker loads each key once per process', async (t) => {
  const name = cacheName('cached')
  const ws = await workers(t, 4)
  const results = await Promise.all(ws.map((w) => w.run(DECORATE_AND_CALL, name)))
  for (const r of results as { ok: boolean }[]) t.true(r.ok)
  t.is(new Int32Array(ws[0].calls)[0], 20, '20 keys, 4 workers × 60 calls: 20 loads')
  const lookup = cached(async (id: number, kind: string) => ({ id, kind, from: 'main' }), { shared: name, maxCapacity: 1000, ttl: '1m' })
  t.deepEqual(await lookup(3, 'user'), { id: 3, kind: 'user' }, 'the main thread gets the workers’ result')
  t.deepEqual(await lookup(3, 'admin'), { id: 3, kind: 'admin', from: 'main' }, 'other arguments, another key')
  t.true(lookup.cache instanceof SharedMoka)
  t.is(lookup.cache.size, 21)
  t.true(lookup.invalidate(3, 'user'))
  t.deepEqual(await lookup(3, 'user'), { id: 3, kind: 'user', from: 'main' })
  const info = lookup.cacheInfo()
  t.like(info, { hits: 1, misses: 2, loads: 2, errors: 0, maxCapacity: 1000, size: 21 })
})

test('sync functions: computed on the calling thread, the first stored result wins; keys are canonical', (t) => {
  const name = cacheName('cached-sync')
  let runs = 0
  const square = cached((x: number) => (runs++, x * x), { shared: name, maxCapacity: 10 })
  t.is(square(3), 9)
  t.is(square(3), 9)
  t.is(runs, 1)
  // Another wrapper of the same name (as another worker would have) sees the result.
  const other = cached((x: number) => -x, { shared: name, maxCapacity: 10 })
  t.is(other(3), 9)
  const pair = cached((a: unknown, b: unknown) => `${typeof a}:${typeof b}`, { shared: `${name}-pair`, maxCapacity: 10 })
  t.is(pair(1, '2'), 'number:string')
  t.is(pair('1', 2), 'string:number', "f(1, '2') and f('1', 2) are different keys")
  t.is(pair('1,2', undefined), 'string:undefined')
})

test('objects as arguments need a key option; unsupported options are named', (t) => {
  const name = cacheName('cached-errors')
  const byObject = cached((o: { id: number }) => o.id, { shared: name, maxCapacity: 10 })
  t.throws(() => byObject({ id: 1 }), { instanceOf: TypeError, message: /primitive arguments only.*key option/ })
  const keyed = cached((o: { id: number }) => o.id * 2, { shared: `${name}-keyed`, maxCapacity: 10, key: (o) => o.id })
  t.is(keyed({ id: 4 }), 8)
  t.is(keyed.cache.get(4), 8)
  t.throws(() => cached((x: number) => x, { shared: name, maxCapacity: 10, refreshAfter: '1s' } as never), {
    instanceOf: TypeError,
    message: /option "refreshAfter" is not supported with shared/,
  })
  t.throws(() => cached({ shared: name } as never), { instanceOf: TypeError, message: /@cached\(\{ shared \}\) is not supported/ })
  t.throws(() => cached((x: number) => x, { shared: '' }), { instanceOf: TypeError, message: /shared must be the name/ })
})

test('rejections are not cached and reach every caller', async (t) => {
  const name = cacheName('cached-reject')
  let attempts = 0
  const flaky = cached(
    async (id: number) => {
      attempts++
      if (attempts === 1) throw new Error(`no ${id}`)
      return id
    },
    { shared: name, maxCapacity: 10 },
  )
  const first = await Promise.allSettled([flaky(1), flaky(1)])
  t.deepEqual(
    first.map((r) => r.status === 'rejected' && (r.reason as Error).message),
    ['no 1', 'no 1'],
  )
  t.is(await flaky(1), 1)
  t.is(attempts, 2)
  t.like(flaky.cacheInfo(), { errors: 1, loads: 2 })
})
