// SharedMoka across real worker_threads: one cache per name for the whole
// process, handles dropped with their thread.

import { MessageChannel } from 'node:worker_threads'

import test from 'ava'

import { SharedMoka } from '../index.js'
import { cacheName, CacheWorker, workers } from './_shared'

test('values written by one worker are read by another and by the main thread', async (t) => {
  const name = cacheName('rw')
  const [a, b] = await workers(t, 2)
  await a.open({ name, maxCapacity: 1000 })
  await b.open({ name, maxCapacity: 1000 })
  await a.run((cache) => {
    cache.set('text', 'from a ☃')
    cache.set(7, { from: 'a', list: [1, 2n, new Map([['m', 1]])] })
    cache.set(7n, new Uint8Array([1, 2, 3]))
    cache.set(true, Buffer.from('buf'))
  })
  const read = (cache: SharedMoka<string | number | bigint | boolean>) => ({
    text: cache.get('text'),
    object: cache.get(7),
    bytes: cache.get(7n),
    isBuffer: Buffer.isBuffer(cache.get(true)),
    buffer: String(cache.get(true)),
  })
  const expected = {
    text: 'from a ☃',
    object: { from: 'a', list: [1, 2n, new Map([['m', 1]])] },
    bytes: new Uint8Array([1, 2, 3]),
    isBuffer: true,
    buffer: 'buf',
  }
  t.deepEqual(await b.run(read), expected, 'worker b reads what worker a wrote')
  const main = new SharedMoka({ name, maxCapacity: 1000 })
  t.deepEqual(read(main), expected, 'and so does the main thread')
  main.set('text', 'from main')
  t.is(await a.run((cache) => cache.get('text')), 'from main')
  t.true(await b.run((cache) => cache.delete(7)))
  t.false(main.has(7))
  t.is(main.size, 3)
  await Promise.all([a.terminate(), b.terminate()])
  t.is(main.get('text'), 'from main', 'the cache outlives the workers while a handle lives')
})

test('a worker that exits or is terminated drops its handles: the cache goes with the last one', async (t) => {
  const name = cacheName('lifetime')
  const w = new CacheWorker()
  await w.ready
  await w.open({ name, maxCapacity: 10 })
  await w.run((cache) => void cache.set('k', 'v'))
  const attached = new SharedMoka<string, string>({ name, maxCapacity: 10 })
  t.is(attached.get('k'), 'v')
  attached.close()
  t.is(await w.terminate(), 1)
  const fresh = new SharedMoka<string, string>({ name, maxCapacity: 20 })
  t.is(fresh.get('k'), undefined, 'terminated: its handle was dropped, a new cache with new options')
  fresh.close()

  const exiting = new CacheWorker()
  await exiting.ready
  await exiting.open({ name, maxCapacity: 30 })
  await exiting.run((cache) => void cache.set('k', 'v2'))
  exiting.run(() => process.exit(0)).catch(() => {})
  t.is(await exiting.exited, 0)
  const again = new SharedMoka<string, string>({ name, maxCapacity: 40 })
  t.is(again.get('k'), undefined, 'exited: same')
  again.close()
})

test('a handle posted to a worker is refused with a DataCloneError that says how to share the cache', (t) => {
  const cache = new SharedMoka({ name: cacheName('clone'), maxCapacity: 10 })
  for (const send of [() => structuredClone(cache), () => new MessageChannel().port1.postMessage({ cache })]) {
    let error: DOMException | undefined
    try {
      send()
    } catch (e) {
      error = e as DOMException
    }
    t.is(error?.name, 'DataCloneError')
    t.regex(error?.message ?? '', /construct one there with the same name/)
  }
})

test('a worker attaching with other options gets a TypeError naming the option, and the cache is unchanged', async (t) => {
  const name = cacheName('mismatch')
  const main = new SharedMoka<string, string>({ name, maxCapacity: 100, policy: 'lru' })
  main.set('k', 'v')
  const [w] = await workers(t, 1)
  const error = await t.throwsAsync(w.open({ name, maxCapacity: 100 }))
  t.is(error!.name, 'TypeError')
  t.regex(error!.message, /policy 'lru'; this handle asked for 'tinyLfu'/)
  await w.open({ name, maxCapacity: 100, policy: 'lru' })
  t.is(await w.run((cache) => cache.get('k')), 'v')
  t.is(main.size, 1)
  await w.terminate()
})

test('8 threads writing and reading their own and each other’s keys', async (t) => {
  const name = cacheName('many')
  const ws = await workers(t, 8)
  await Promise.all(ws.map((w) => w.open({ name, maxCapacity: 100_000 })))
  await Promise.all(
    ws.map((w, id) =>
      w.run(
        (cache, id) => {
          for (let i = 0; i < 5000; i++) cache.set(`${id}:${i}`, `value ${id}:${i}`)
        },
        id,
      ),
    ),
  )
  const mismatches = await Promise.all(
    ws.map((w, id) =>
      w.run(
        (cache, id) => {
          let bad = 0
          for (let other = 0; other < 8; other++) {
            for (let i = 0; i < 5000; i += 7) if (cache.get(`${other}:${i}`) !== `value ${other}:${i}`) bad++
          }
          return bad + (id >= 0 ? 0 : 1)
        },
        id,
      ),
    ),
  )
  t.deepEqual(mismatches, [0, 0, 0, 0, 0, 0, 0, 0])
  const main = new SharedMoka({ name, maxCapacity: 100_000 })
  t.is(main.size, 40_000)
  await Promise.all(ws.map((w) => w.terminate()))
})
