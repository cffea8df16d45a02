// What a cache shows of itself: its read-only settings, util.inspect and
// JSON summaries, and a clear refusal to be cloned or sent to another thread.

import { inspect } from 'node:util'
import { serialize } from 'node:v8'
import { MessageChannel } from 'node:worker_threads'

import test from 'ava'

import { Moka } from '../index.js'

test('maxCapacity, policy, ttl and tti are read-only and as validated', (t) => {
  const cache = new Moka({ maxCapacity: 500, ttl: '10m', tti: 1500, policy: 'lru' })
  t.is(cache.maxCapacity, 500)
  t.is(cache.policy, 'lru')
  t.is(cache.ttl, 600_000)
  t.is(cache.tti, 1500)
  const plain = new Moka({ maxCapacity: 0 })
  t.is(plain.policy, 'tinyLfu')
  t.is(plain.ttl, undefined)
  t.is(plain.tti, undefined)
  t.throws(() => {
    ;(cache as { maxCapacity: number }).maxCapacity = 1
  }, { instanceOf: TypeError })
  t.is(cache.maxCapacity, 500)
})

test('util.inspect and console.log show size, capacity, policy and expiry', (t) => {
  // Laid out as Node lays out the same plain object (one line when it fits).
  const cache = new Moka<string, number>({ maxCapacity: 100, ttl: '10m', tti: '1m' })
  cache.set('a', 1).set('b', 2)
  t.is(inspect(cache), `Moka ${inspect({ size: 2, maxCapacity: 100, policy: 'tinyLfu', ttl: 600000, tti: 60000 })}`)
  t.is(inspect(new Moka({ maxCapacity: 10, policy: 'lru' })), "Moka { size: 0, maxCapacity: 10, policy: 'lru' }")
  const weighted = new Moka<string, string>({ maxCapacity: 100, weigher: (_, v) => v.length })
  weighted.set('k', 'abc')
  t.is(inspect(weighted), "Moka { size: 1, weightedSize: 3, maxCapacity: 100, policy: 'tinyLfu' }")
  t.true(inspect({ nested: [weighted] }).includes("Moka { size: 1, weightedSize: 3, maxCapacity: 100, policy: 'tinyLfu' }"))
})

test('JSON.stringify gives the same summary, never the entries', (t) => {
  const cache = new Moka<string, string>({ maxCapacity: 3, ttl: 1000 })
  cache.set('secret', 'value')
  t.is(JSON.stringify({ cache }), '{"cache":{"size":1,"maxCapacity":3,"policy":"tinyLfu","ttl":1000}}')
})

/** The error `fn` threw (a DOMException is not an `Error` to ava's `t.throws`). */
function thrown(fn: () => unknown): unknown {
  try {
    fn()
  } catch (error) {
    return error
  }
  return undefined
}

test('structuredClone, v8.serialize, postMessage and spreading refuse a cache with a DataCloneError', (t) => {
  const cache = new Moka<string, number>({ maxCapacity: 10 })
  cache.set('a', 1)
  const { port1, port2 } = new MessageChannel()
  const attempts = [
    () => structuredClone(cache),
    () => structuredClone({ deep: [cache] }),
    () => serialize(cache),
    () => port1.postMessage({ cache }),
    () => ({ ...cache }),
  ]
  try {
    for (const attempt of attempts) {
      const error = thrown(attempt)
      t.true(error instanceof DOMException, String(error))
      t.is((error as DOMException).name, 'DataCloneError')
      t.regex((error as DOMException).message, /^a Moka cannot be cloned, serialized or sent to another thread/)
    }
  } finally {
    port1.close()
    port2.close()
  }
  t.deepEqual(Object.keys(cache), ['[[NativeCache]]'], 'the property that refuses is the only own one')
  t.is(cache.get('a'), 1, 'the cache is intact')
  // What can be sent: the entries.
  t.deepEqual(structuredClone([...cache]), [['a', 1]])
})
