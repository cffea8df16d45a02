// What moka-js publishes on node:diagnostics_channel: each channel's messages
// for a scripted workload, and nothing at all when nobody subscribes.

import dc from 'node:diagnostics_channel'

import test, { type ExecutionContext } from 'ava'

import { cached, CHANNELS, Moka, SharedMoka } from '../index.js'
import { TieredCache, TierError } from '../tiered.js'
import { failure, until } from './_helpers'
import { freePort } from './_redis'

type Message = Record<string, unknown>

/** Subscribes to `name` for the length of `body`, returning what was published (by any cache). */
async function listen(name: string, body: () => unknown): Promise<Message[]> {
  const seen: Message[] = []
  const onMessage = (message: unknown): void => {
    seen.push(message as Message)
  }
  dc.subscribe(name, onMessage)
  try {
    await body()
  } finally {
    dc.unsubscribe(name, onMessage)
  }
  return seen
}

const of = (cache: unknown, messages: Message[]): Message[] => messages.filter((m) => m.cache === cache)

test('CHANNELS names every channel, as moka-js:<what>', (t) => {
  t.deepEqual(CHANNELS, {
    hit: 'moka-js:hit',
    miss: 'moka-js:miss',
    load: 'moka-js:load',
    eviction: 'moka-js:eviction',
    tierError: 'moka-js:tier-error',
  })
})

test.serial('moka-js:hit and moka-js:miss: one message per read of a Moka, with the cache and the key', async (t) => {
  const cache = new Moka<string, number>({ maxCapacity: 10 })
  const hits = await listen(CHANNELS.hit, async () => {
    const misses = await listen(CHANNELS.miss, () => {
      cache.get('a')
      cache.set('a', 1)
      cache.get('a')
      cache.get('a', 0)
      cache.getWith('b', () => 2)
      cache.getWith('b', () => 3)
      cache.getMany(['a', 'c'])
      cache.has('a') // not a read
    })
    t.deepEqual(of(cache, misses), [
      { cache, key: 'a' },
      { cache, key: 'b' },
      { cache, key: 'c' },
    ])
  })
  t.deepEqual(
    of(cache, hits).map((m) => m.key),
    ['a', 'a', 'b', 'a'],
  )
  const stats = cache.stats()
  t.is(stats.hits, 4, 'as many hits as stats() counts')
  t.is(stats.misses, 3)
})

test.serial('moka-js:hit and moka-js:miss: reads of a SharedMoka', async (t) => {
  const cache = new SharedMoka<string, string>({ name: 'diagnostics-lookups', maxCapacity: 10 })
  const hits = await listen(CHANNELS.hit, async () => {
    const misses = await listen(CHANNELS.miss, () => {
      cache.get('x')
      cache.set('x', 'one')
      cache.get('x')
      cache.getWith('y', () => 'two')
    })
    t.deepEqual(of(cache, misses), [
      { cache, key: 'x' },
      { cache, key: 'y' },
    ])
  })
  t.deepEqual(of(cache, hits), [{ cache, key: 'x' }])
  cache.close()
})

test.serial('moka-js:load: getWith and fetch of a Moka, with duration, outcome and error', async (t) => {
  const cache = new Moka<string, number>({ maxCapacity: 10 })
  const boom = new Error('boom')
  const loads = await listen(CHANNELS.load, async () => {
    cache.getWith('sync', () => 1)
    t.throws(() => cache.getWith('throws', () => {
      throw boom
    }))
    await cache.fetch('async', async () => {
      await new Promise((resolve) => setTimeout(resolve, 30))
      return 2
    })
    await failure(cache.fetch('rejects', () => Promise.reject(boom)))
    await cache.fetch('async', () => 3) // a hit: no load
  })
  const mine = of(cache, loads)
  t.deepEqual(
    mine.map(({ key, ok, error }) => ({ key, ok, error })),
    [
      { key: 'sync', ok: true, error: undefined },
      { key: 'throws', ok: false, error: boom },
      { key: 'async', ok: true, error: undefined },
      { key: 'rejects', ok: false, error: boom },
    ],
  )
  for (const m of mine) t.is(typeof m.duration, 'number')
  t.true((mine[2].duration as number) >= 25, `an async load lasts until it settles: ${String(mine[2].duration)} ms`)
})

test.serial('moka-js:load: a cached function publishes each call of the function as its own, retries included', async (t) => {
  let calls = 0
  const flaky = cached(
    async (id: number) => {
      if (++calls === 1) throw new Error('first attempt fails')
      return id * 10
    },
    { retry: { retries: 1, backoff: 1 } },
  )
  const square = cached((n: number) => n * n)
  const loads = await listen(CHANNELS.load, async () => {
    t.is(await flaky(1), 10)
    t.is(await flaky(1), 10)
    square(3)
    square(3)
    square(4)
  })
  t.deepEqual(
    of(flaky, loads).map((m) => [m.key, m.ok]),
    [
      [1, false],
      [1, true],
    ],
  )
  t.deepEqual(
    of(square, loads).map((m) => [m.key, m.ok]),
    [
      [3, true],
      [4, true],
    ],
  )
  t.is(flaky.cacheInfo().loads, 2)
})

test.serial('moka-js:load: a SharedMoka publishes its fetch and getWith loads once each, also for functions memoized in it', async (t) => {
  const cache = new SharedMoka<string, string>({ name: 'diagnostics-loads', maxCapacity: 10 })
  const syncFn = cached((id: string) => `sync ${id}`, { shared: 'diagnostics-loads-sync' })
  const promiseFn = cached((id: string) => Promise.resolve(`promise ${id}`), { shared: 'diagnostics-loads-promise' })
  const loads = await listen(CHANNELS.load, async () => {
    await cache.fetch('f', async () => 'fetched')
    cache.getWith('g', () => 'computed')
    syncFn('a')
    syncFn('a')
    await promiseFn('b') // not an AsyncFunction: its first miss turns it async
    await promiseFn('c')
  })
  t.deepEqual(
    of(cache, loads).map((m) => m.key),
    ['f', 'g'],
  )
  // Keys are the canonical strings of the arguments; one message per miss.
  t.is(of(syncFn.cache, loads).length, 1)
  t.is(of(promiseFn.cache, loads).length, 2)
  t.true(of(promiseFn.cache, loads).every((m) => m.ok === true))
  for (const c of [cache, syncFn.cache, promiseFn.cache]) c.close()
})

test.serial('moka-js:eviction: every removal of a Moka with its cause; "released" without a listener', async (t) => {
  const listened = new Moka<string, number>({ maxCapacity: 10, evictionListener: () => {} })
  const plain = new Moka<string, number>({ maxCapacity: 10 })
  const evictions = await listen(CHANNELS.eviction, () => {
    for (const cache of [listened, plain]) {
      cache.set('a', 1)
      cache.set('a', 2)
      cache.delete('a')
      cache.runPendingTasks()
    }
  })
  t.deepEqual(
    of(listened, evictions).map(({ key, value, cause }) => [key, value, cause]),
    [
      ['a', 1, 'replaced'],
      ['a', 2, 'explicit'],
    ],
  )
  t.deepEqual(
    of(plain, evictions).map(({ key, value, cause }) => [key, value, cause]),
    [
      ['a', 1, 'released'],
      ['a', 2, 'released'],
    ],
  )
})

test.serial('moka-js:eviction: removals of a SharedMoka, published where its listener gets them; none without a listener', async (t) => {
  const heard: unknown[][] = []
  const listened = new SharedMoka<string, number>({
    name: 'diagnostics-evictions',
    maxCapacity: 10,
    evictionListener: (key, value, cause) => heard.push([key, value, cause]),
  })
  const plain = new SharedMoka<string, number>({ name: 'diagnostics-evictions-plain', maxCapacity: 10 })
  const evictions = await listen(CHANNELS.eviction, async () => {
    for (const cache of [listened, plain]) {
      cache.set('a', 1)
      cache.set('a', 2)
      cache.delete('a')
      cache.runPendingTasks()
    }
    // Removals reach this thread's listener on its event loop.
    t.true(await until(() => heard.length === 2, 5000))
  })
  const expected = [
    ['a', 1, 'replaced'],
    ['a', 2, 'explicit'],
  ]
  t.deepEqual(heard, expected)
  t.deepEqual(of(listened, evictions).map(({ key, value, cause }) => [key, value, cause]), expected)
  t.deepEqual(of(plain, evictions), [])
  listened.close()
  plain.close()
})

test.serial('moka-js:eviction: size evictions, and a subscriber that reads the cache sees a consistent one', async (t) => {
  const cache = new Moka<number, number>({ maxCapacity: 5, evictionListener: () => {} })
  const reads: unknown[] = []
  const onEviction = (message: unknown): void => {
    const m = message as Message
    if (m.cache === cache) reads.push(cache.get(m.key as number))
  }
  dc.subscribe(CHANNELS.eviction, onEviction)
  try {
    for (let i = 0; i < 50; i++) cache.set(i, i)
    cache.runPendingTasks()
  } finally {
    dc.unsubscribe(CHANNELS.eviction, onEviction)
  }
  t.is(cache.size, 5)
  t.is(reads.length, 45, 'one message per entry evicted for size')
  t.is(cache.stats().evictions?.size, 45)
})

test.serial('moka-js:tier-error: each failure of a TieredCache, as onError gets it', async (t) => {
  const reported: TierError[] = []
  const cache = new TieredCache<string, string>({
    redis: `redis://127.0.0.1:${await freePort()}`,
    onError: (error) => reported.push(error),
    timeout: 500,
  })
  try {
    const messages = await listen(CHANNELS.tierError, async () => {
      await failure(cache.ready())
      t.is(await cache.get('k'), undefined)
      t.is(await cache.fetch('k', () => 'loaded'), 'loaded')
    })
    const mine = of(cache, messages)
    t.true(mine.length > 0)
    t.deepEqual(
      mine.map((m) => m.error),
      reported,
    )
    for (const m of mine) t.true(m.error instanceof TierError)
  } finally {
    await cache.close()
  }
})

test.serial('moka-js:load: a TieredCache publishes its loader calls', async (t) => {
  const cache = new TieredCache<string, string>({ redis: `redis://127.0.0.1:${await freePort()}`, onError: () => {}, timeout: 500 })
  try {
    const loads = await listen(CHANNELS.load, async () => {
      t.is(await cache.fetch('k', () => 'loaded'), 'loaded')
      t.is(await cache.fetch('k', () => 'again'), 'loaded') // from L1
    })
    t.deepEqual(
      of(cache, loads).map((m) => [m.key, m.ok]),
      [['k', true]],
    )
  } finally {
    await cache.close()
  }
})

/** Whether any moka-js channel received a message while `body` ran, with an unrelated subscriber on another channel. */
function publishedWithoutSubscribers(t: ExecutionContext, body: () => void): void {
  const published: string[] = []
  // Channel objects are what caches publish on; spying on publish() proves no message was built.
  const channels = Object.values(CHANNELS).map((name) => dc.channel(name))
  const originals = channels.map((channel) => channel.publish)
  channels.forEach((channel) => {
    channel.publish = (message: unknown) => {
      published.push(channel.name as string)
      return originals[channels.indexOf(channel)].call(channel, message)
    }
  })
  try {
    for (const channel of channels) t.false(channel.hasSubscribers, `${String(channel.name)} has no subscriber`)
    body()
  } finally {
    // Deleted, not reassigned: an own `publish` would shadow the one a later subscription switches the channel to.
    for (const channel of channels) delete (channel as { publish?: unknown }).publish
  }
  t.deepEqual(published, [])
}

test.serial('a cache with no subscriber publishes nothing', (t) => {
  publishedWithoutSubscribers(t, () => {
    const cache = new Moka<string, number>({ maxCapacity: 3, evictionListener: () => {} })
    for (let i = 0; i < 20; i++) cache.set(`k${i}`, i)
    cache.get('k1')
    cache.get('nope')
    cache.getWith('w', () => 1)
    cache.getMany(['k1', 'x'])
    cache.delete('w')
    cache.runPendingTasks()
    const shared = new SharedMoka<string, string>({ name: 'diagnostics-silent', maxCapacity: 3 })
    shared.get('a')
    shared.getWith('a', () => 'b')
    shared.close()
    const fn = cached((n: number) => n + 1)
    fn(1)
    fn(1)
  })
})

test.serial('the spy of the no-subscriber test sees what a subscribed channel publishes', (t) => {
  // The check above can fail: with a subscriber the same spy records messages.
  const onMiss = (): void => {}
  dc.subscribe(CHANNELS.miss, onMiss)
  try {
    const channel = dc.channel(CHANNELS.miss)
    const original = channel.publish
    let published = 0
    channel.publish = (message: unknown) => {
      published++
      return original.call(channel, message)
    }
    try {
      new Moka<string, number>({ maxCapacity: 3 }).get('absent')
    } finally {
      delete (channel as { publish?: unknown }).publish
    }
    t.is(published, 1)
  } finally {
    dc.unsubscribe(CHANNELS.miss, onMiss)
  }
})

test.serial('moka-js:eviction: a subscriber that disposes the cache stops the batch, with or without a listener', async (t) => {
  for (const listened of [false, true]) {
    const heard: unknown[] = []
    const cache = new Moka<number, number>({ maxCapacity: 100, ...(listened ? { evictionListener: (key: number) => heard.push(key) } : {}) })
    for (let i = 0; i < 10; i++) cache.set(i, i)
    const seen = await listen(CHANNELS.eviction, () => {
      const onFirst = (message: unknown): void => {
        if ((message as Message).cache === cache) cache.dispose()
      }
      dc.subscribe(CHANNELS.eviction, onFirst)
      try {
        // Ten replacements, delivered as one batch (without a listener, by the next maintenance).
        cache.setMany(Array.from({ length: 10 }, (_, i) => [i, -i] as const))
        if (!cache.disposed) cache.runPendingTasks()
      } finally {
        dc.unsubscribe(CHANNELS.eviction, onFirst)
      }
    })
    t.true(cache.disposed)
    t.is(of(cache, seen).length, 1, 'no message after the dispose')
    t.deepEqual(heard, [], 'the listener is not called past the dispose')
  }
})
