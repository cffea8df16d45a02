// SharedMoka and the boundary under abuse: waits given up on a hung load,
// wait ids that wrap, dispose() from inside a listener.

import { spawnSync } from 'node:child_process'
import { join } from 'node:path'

import test from 'ava'

import { Moka } from '../index.js'
import { PACKAGE } from './_helpers'
import { Inbox, RETRY_LOAD } from '../ts/shared/inbox'
import { Codec } from '../ts/shared/codec'
import { LOADED, RETRY } from '../ts/shared/native'

const FIXTURE = join(PACKAGE, '__test__', 'fixtures', 'abandoned-waits.js')

test('a process whose SharedMoka fetch gave up on another thread’s hung load exits', (t) => {
  const started = Date.now()
  const r = spawnSync(process.execPath, [FIXTURE, 'exit'], { encoding: 'utf8', timeout: 30_000 })
  const elapsed = Date.now() - started
  t.is(r.signal, null, `still alive after ${elapsed} ms: the gone waiter holds the event loop`)
  t.is(r.status, 0, r.stderr)
  t.regex(r.stdout, /gave up after \d+ ms: TimeoutError/)
  // Without the fix it stayed alive until killed; with it, process start-up is most of this.
  t.true(elapsed < 6_000, `exited after ${elapsed} ms`)
})

test('300k waits registered on another thread’s load and aborted leave no native waiter behind', (t) => {
  const r = spawnSync(process.execPath, ['--expose-gc', FIXTURE, 'many', '300000'], { encoding: 'utf8', timeout: 240_000 })
  t.is(r.status, 0, r.stderr)
  const { before, after, peak, waiting } = JSON.parse(r.stdout) as { before: number; after: number; peak: number; waiting: number }
  // Each wait counts while it waits, and none is left once every one gave up.
  t.is(peak, 1)
  t.is(waiting, 0)
  // RSS is shown, not bounded: a waiter left behind cost about 80 bytes natively, within RSS's own swings.
  t.log(`RSS outside the JS heap ${before.toFixed(1)} → ${after.toFixed(1)} MB`)
})

/** An inbox whose wait ids wrap after 3, as the addon's would after 2^32 - 1. */
function smallInbox() {
  const codec = new Codec<string>('v8')
  return new Inbox<string, string>(codec, undefined, 3)
}

const loaded = (wait: number, value: string) => [LOADED, wait, undefined, value]

test('wait ids wrap around the ids still in use, so an outcome reaches only its own wait', async (t) => {
  const inbox = smallInbox()
  const outcomes = new Map<string, Promise<string | typeof RETRY_LOAD>>()
  const ids = new Map<string, number>()
  const start = (name: string, signal?: AbortSignal, cancel = () => true) => {
    const id = inbox.nextId()
    ids.set(name, id)
    outcomes.set(name, inbox.wait(id, signal, cancel))
    return id
  }
  t.deepEqual(['A', 'B', 'C'].map((n) => start(n)), [0, 1, 2])
  inbox.dispatch(loaded(ids.get('B')!, 'value of B'))
  t.is(await outcomes.get('B'), 'value of B')
  // D takes 3, then E wraps past A (0, still waiting) to B's freed 1.
  t.is(start('D'), 3)
  t.is(start('E'), 1)
  // F gives up after its outcome was queued natively (cancel says false): its id stays taken.
  inbox.dispatch(loaded(ids.get('C')!, 'value of C'))
  t.is(await outcomes.get('C'), 'value of C')
  const ac = new AbortController()
  t.is(start('F', ac.signal, () => false), 2)
  ac.abort()
  t.is(((await outcomes.get('F')!.catch((e: unknown) => e)) as Error).name, 'AbortError')
  t.throws(() => inbox.nextId(), { instanceOf: RangeError, message: /too many waits/ })
  // F's late outcome frees its id and reaches nobody else.
  inbox.dispatch(loaded(2, 'late value of F'))
  t.is(start('G'), 2)
  inbox.dispatch([...loaded(ids.get('A')!, 'value of A'), ...loaded(ids.get('E')!, 'value of E'), RETRY, 3, undefined, undefined, ...loaded(2, 'value of G')])
  t.is(await outcomes.get('A'), 'value of A')
  t.is(await outcomes.get('E'), 'value of E')
  t.is(await outcomes.get('D'), RETRY_LOAD)
  t.is(await outcomes.get('G'), 'value of G')
})

test('dispose() inside an eviction listener stops every later call of that listener', (t) => {
  const calls: Array<[unknown, unknown, string]> = []
  const cache: Moka<string, number> = new Moka<string, number>({
    maxCapacity: 100,
    evictionListener: (key, value, cause) => {
      calls.push([key, value, cause])
      if (calls.length === 3) cache.dispose()
    },
  })
  for (let i = 0; i < 10; i++) cache.set(`k${i}`, i)
  t.notThrows(() => cache.clear())
  t.true(cache.disposed)
  t.is(calls.length, 3)
  t.true(calls.every(([key, value]) => typeof key === 'string' && typeof value === 'number'), JSON.stringify(calls))
})

test('a listener whose thread is busy queues a bounded number of notifications; the rest are counted and reported once', async (t) => {
  const { SharedMoka } = await import('../index.js')
  let heard = 0
  const overflows: number[] = []
  const cache = new SharedMoka<string, string>({
    name: 'busy-listener',
    maxCapacity: 1000,
    policy: 'lru',
    evictionListener: () => heard++,
    listenerQueueBytes: 4 * 1024 * 1024,
    onListenerOverflow: (dropped) => overflows.push(dropped),
  })
  const value = 'x'.repeat(1024)
  const rss = () => process.memoryUsage().rss / 1048576
  const before = rss()
  // 400k writes in one synchronous loop: the listener cannot run until it ends.
  for (let i = 0; i < 400_000; i++) cache.set(`k${i}`, value)
  cache.runPendingTasks()
  const grown = rss() - before
  await new Promise((resolve) => setTimeout(resolve, 50))
  const { evictions, listenerDropped } = cache.stats()
  const removed = evictions!.size
  t.true(removed >= 398_000, `${removed} evicted`)
  t.true(listenerDropped > 0)
  t.is(heard + listenerDropped, removed, 'every removal was heard or counted as dropped')
  t.true(heard * (1024 + 64) <= 4 * 1024 * 1024 + 10 * 1088, `${heard} heard: within the queue's bytes`)
  t.deepEqual(overflows, [listenerDropped], 'reported once, with the count')
  // Unbounded, 400k queued copies of 1 KiB took about 500 MB.
  t.true(grown < 150, `RSS grew ${grown.toFixed(0)} MB`)
  cache.close()
})

test('listenerQueueBytes and onListenerOverflow are checked and named', async (t) => {
  const { SharedMoka } = await import('../index.js')
  t.throws(() => new SharedMoka({ name: 'q', maxCapacity: 1, listenerQueueBytes: 0 }), { instanceOf: RangeError, message: /listenerQueueBytes must be a positive integer/ })
  t.throws(() => new SharedMoka({ name: 'q', maxCapacity: 1, listenerQueueBytes: 1.5 }), { instanceOf: RangeError, message: /listenerQueueBytes/ })
  t.throws(() => new SharedMoka({ name: 'q', maxCapacity: 1, onListenerOverflow: 1 as never }), { instanceOf: TypeError, message: /onListenerOverflow must be a function/ })
})
