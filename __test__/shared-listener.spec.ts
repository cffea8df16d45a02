// The evictionListener of a SharedMoka: called on the thread that registered
// it, asynchronously, once per removal made by any thread.

import test from 'ava'

import { SharedMoka } from '../index.js'
import { sleep, tally, until } from './_helpers'
import { cacheName, workers } from './_shared'

type Event = [key: unknown, value: unknown, cause: string]

test('every listening thread gets every removal once, whichever thread made it, after the call returned', async (t) => {
  const name = cacheName('listen')
  const events: Event[] = []
  const main = new SharedMoka<string, unknown>({
    name,
    maxCapacity: 3,
    policy: 'lru',
    evictionListener: (key, value, cause) => events.push([key, value, cause]),
  })
  const [listening, writing] = await workers(t, 2)
  await listening.open({ name, maxCapacity: 3, policy: 'lru', listen: true })
  await writing.open({ name, maxCapacity: 3, policy: 'lru' }) // no listener: attaching is fine
  await writing.run((cache) => {
    cache.set('a', 'A1').set('b', { b: 1 }).set('c', 'C')
    cache.set('a', 'A2') // replaced
    cache.delete('b') // explicit
    cache.set('d', 'D').set('e', 'E').set('f', 'F')
    cache.runPendingTasks() // 5 entries for 3 places: 2 size evictions
  })
  main.set('x', 'X')
  main.delete('x')
  t.false(
    events.some(([key]) => key === 'x'),
    'not called during the call that removed the entry',
  )
  const expected = 1 + 1 + 2 + 1
  t.true(await until(() => events.length === expected, 5000), `main got ${events.length} of ${expected}`)
  await sleep(50)
  t.is(events.length, expected, 'each removal once')
  const causes = tally(events.map(([, , cause]) => cause))
  t.deepEqual(Object.fromEntries(causes), { replaced: 1, explicit: 2, size: 2 })
  t.deepEqual(
    events.filter(([, , cause]) => cause !== 'size'),
    [
      ['a', 'A1', 'replaced'],
      ['b', { b: 1 }, 'explicit'],
      ['x', 'X', 'explicit'],
    ],
    'key, a copy of the value, cause',
  )
  const inWorker = await listening.run<Event[]>(async (_cache, _arg, env) => {
    while (env.events.length < 5) await new Promise((resolve) => setTimeout(resolve, 5))
    return env.events
  })
  t.deepEqual(
    [...inWorker].sort((p: Event, q: Event) => String(p[0]).localeCompare(String(q[0]))),
    [...events].sort((p, q) => String(p[0]).localeCompare(String(q[0]))),
    'the listening worker got the same removals',
  )
  t.deepEqual(main.stats().evictions, { expired: 0, explicit: 2, replaced: 1, size: 2 })
})

test('expirations are notified as expired; clear notifies every entry', async (t) => {
  const name = cacheName('expire')
  const events: Event[] = []
  const main = new SharedMoka<number, number>({ name, maxCapacity: 100, ttl: 30, evictionListener: (k, v, c) => events.push([k, v, c]) })
  const [w] = await workers(t, 1)
  await w.open({ name, maxCapacity: 100, ttl: 30 })
  await w.run((cache) => {
    for (let i = 0; i < 10; i++) cache.set(i, i * 10)
  })
  await sleep(60)
  main.runPendingTasks()
  t.true(await until(() => events.length === 10, 5000))
  t.deepEqual(
    events.sort((p, q) => (p[0] as number) - (q[0] as number)),
    Array.from({ length: 10 }, (_, i) => [i, i * 10, 'expired']),
  )
  const cleared: Event[] = []
  const lasting = new SharedMoka<number, number>({ name: `${name}-clear`, maxCapacity: 10_000, evictionListener: (k, v, c) => cleared.push([k, v, c]) })
  await w.open({ name: `${name}-clear`, maxCapacity: 10_000 })
  await w.run((cache) => {
    for (let i = 0; i < 1000; i++) cache.set(i, -i)
  })
  lasting.clear()
  t.is(lasting.size, 0)
  t.true(await until(() => cleared.length === 1000, 5000), `${cleared.length} events`)
  t.true(cleared.every(([key, value, cause]) => cause === 'explicit' && value === -(key as number)))
})

test('a throwing listener does not lose the other notifications of its batch', async (t) => {
  const name = cacheName('throwing')
  const [w] = await workers(t, 1)
  const delivered = await w.run<{ seen: string[]; errors: string[]; after: unknown }>(async (_cache, name, env) => {
    const errors: string[] = []
    process.on('uncaughtException', (error) => errors.push(error.message))
    const seen: string[] = []
    const cache = new env.SharedMoka({
      name,
      maxCapacity: 100,
      evictionListener: (key: string) => {
        seen.push(key)
        if (key.startsWith('bad')) throw new Error(`listener failed on ${key}`)
      },
    })
    for (const key of ['ok1', 'bad1', 'ok2', 'bad2', 'ok3']) cache.set(key, 'v')
    cache.clear()
    while (seen.length < 5) await new Promise((resolve) => setTimeout(resolve, 5))
    await new Promise((resolve) => setTimeout(resolve, 20))
    cache.set('after', 'v')
    return { seen: seen.sort(), errors, after: cache.get('after') }
  }, name)
  t.deepEqual(delivered.seen, ['bad1', 'bad2', 'ok1', 'ok2', 'ok3'])
  t.true(
    delivered.errors.length === 1 && /listener failed on bad1.*|2 eviction listener calls threw/.test(delivered.errors[0]),
    JSON.stringify(delivered.errors),
  )
  t.is(delivered.after, 'v', 'the cache works on')
})

test('a closed handle gets no more notifications', async (t) => {
  const name = cacheName('closed-listener')
  const events: Event[] = []
  const listening = new SharedMoka<string, string>({ name, maxCapacity: 10, evictionListener: (k, v, c) => events.push([k, v, c]) })
  const other = new SharedMoka<string, string>({ name, maxCapacity: 10 })
  other.set('a', '1').set('a', '2')
  t.true(await until(() => events.length === 1, 5000))
  listening.close()
  other.set('a', '3')
  other.delete('a')
  await sleep(50)
  t.deepEqual(events, [['a', '1', 'replaced']])
})
