// A shared Redis is untrusted input: what does not verify is refused, counted,
// reported, and never deserialized; nothing crashes.

import { PayloadError, TieredCache, TierError } from '../tiered.js'
import { trackUnhandledRejections } from './_helpers'
import { redisForSpec, SPEC_TIMEOUT, test } from './_redis'

const unhandled = trackUnhandledRejections()
const redis = redisForSpec(test)
let namespaces = 0
const HMAC = 'payload-test-key-0123456789'

/** A cache on a fresh namespace that records what it refused. */
async function open(options: Record<string, unknown> = {}) {
  const namespace = `payloads${namespaces++}`
  const refused: TierError[] = []
  const cache = redis.track(
    new TieredCache<string, unknown>({
      timeout: SPEC_TIMEOUT,
      redis: redis.server.url,
      namespace,
      onError: (error) => refused.push(error),
      ...options,
    }),
  )
  await cache.ready()
  return { cache, refused, dataKey: (key: string) => `${namespace}:d:${key}`, namespace }
}

/** Reads `key` through a cache with an empty L1 and returns the reason it was refused. */
async function refusal(t: import('ava').ExecutionContext, c: Awaited<ReturnType<typeof open>>, key: string): Promise<string> {
  const before = c.cache.stats().l2.rejected
  t.is(await c.cache.get(key), undefined)
  t.is(c.cache.stats().l2.rejected, before + 1, 'counted')
  const error = c.refused[c.refused.length - 1]
  t.true(error instanceof TierError)
  t.is(error.kind, 'payload')
  t.true(error.cause instanceof PayloadError)
  return (error.cause as PayloadError).reason
}

test('a signed payload with one flipped bit, anywhere, is refused as tampered', async (t) => {
  const c = await open({ hmacKey: HMAC })
  await c.cache.set('k', { amount: 100 })
  const good = (await redis.raw.getBuffer(c.dataKey('k')))!
  const reader = await open({ hmacKey: HMAC })
  for (const at of [5, 13, 21, 29, 35, good.length - 40, good.length - 1]) {
    const bad = Buffer.from(good)
    bad[at] ^= 1
    await redis.raw.set(reader.dataKey('k'), bad)
    const reason = await refusal(t, reader, 'k')
    t.true(reason === 'tampered' || reason === 'truncated' || reason === 'foreign', `byte ${at}: ${reason}`)
  }
  // The intact payload, moved under another key or namespace, does not verify there.
  await redis.raw.set(reader.dataKey('moved'), good)
  t.is(await refusal(t, reader, 'moved'), 'tampered')
  await redis.raw.set(reader.dataKey('k'), good)
  t.is(await refusal(t, reader, 'k'), 'tampered', 'signed for another namespace')
})

test('truncated, oversized and foreign payloads are refused with their reason', async (t) => {
  const c = await open({ maxValueBytes: 1024 })
  await c.cache.set('k', { text: 'x'.repeat(100) })
  const good = (await redis.raw.getBuffer(c.dataKey('k')))!
  const cases: [string, Buffer | string, string][] = [
    ['cut', good.subarray(0, good.length - 5), 'truncated'],
    ['header only', good.subarray(0, 20), 'truncated'],
    ['longer', Buffer.concat([good, Buffer.from('!!')]), 'foreign'],
    ['plain text', 'hello', 'foreign'],
    ['empty', '', 'foreign'],
    ['oversized', Buffer.concat([good.subarray(0, 29), Buffer.alloc(2000, 0x20)]), 'oversized'],
    ['other version', Buffer.concat([Buffer.from([0x4d, 0x4b, 9]), good.subarray(3)]), 'foreign'],
    ['json body broken', Buffer.concat([good.subarray(0, good.length - 3), Buffer.from('!!}')]), 'undecodable'],
  ]
  for (const [name, bytes, reason] of cases) {
    await redis.raw.set(c.dataKey(name), bytes)
    t.is(await refusal(t, c, name), reason, name)
  }
  await redis.raw.sadd(c.dataKey('a set'), 'member')
  t.is(await refusal(t, c, 'a set'), 'foreign', 'another Redis type at the key')
  // Signed payloads for a cache without a key, unsigned ones for a cache with one, another serializer's.
  const signed = await open({ hmacKey: HMAC })
  await signed.cache.set('k', 1)
  await redis.raw.set(c.dataKey('signed'), (await redis.raw.getBuffer(signed.dataKey('k')))!)
  t.is(await refusal(t, c, 'signed'), 'foreign')
  await redis.raw.set(signed.dataKey('unsigned'), good)
  t.is(await refusal(t, signed, 'unsigned'), 'tampered')
  const v8 = await open({ serializer: 'v8' })
  await v8.cache.set('k', new Map([[1, 2]]))
  await redis.raw.set(c.dataKey('v8'), (await redis.raw.getBuffer(v8.dataKey('k')))!)
  t.is(await refusal(t, c, 'v8'), 'foreign')
})

test('a refused payload is a miss: fetch loads and overwrites it', async (t) => {
  const c = await open({ hmacKey: HMAC })
  await redis.raw.set(c.dataKey('k'), 'MKjunk')
  t.is(await c.cache.fetch('k', async () => 'fresh'), 'fresh')
  const fresh = await open({ hmacKey: HMAC, namespace: c.namespace })
  t.is(await fresh.cache.get('k'), 'fresh')
})

test('random and mutated bytes never crash a reader; with an HMAC key none is ever deserialized', async (t) => {
  const plain = await open({ serializer: 'v8' })
  const signed = await open({ serializer: 'v8', hmacKey: HMAC })
  await plain.cache.set('seed', { a: [1, 2, 3], m: new Map([['x', new Date(0)]]) })
  await signed.cache.set('seed', { a: [1, 2, 3] })
  const seeds = [(await redis.raw.getBuffer(plain.dataKey('seed')))!, (await redis.raw.getBuffer(signed.dataKey('seed')))!]
  let state = 12345
  const random = (n: number) => {
    state = (state * 1103515245 + 12345) % 2 ** 31
    return state % n
  }
  let signedRefused = 0
  for (let i = 0; i < 300; i++) {
    const seed = seeds[i % 2]
    const bytes = i % 3 === 0 ? Buffer.from(Array.from({ length: random(200) }, () => random(256))) : Buffer.from(seed)
    for (let flips = 1 + random(4); flips > 0 && i % 3 !== 0; flips--) bytes[random(bytes.length)] = random(256)
    await redis.raw.set(plain.dataKey(`r${i}`), bytes)
    await redis.raw.set(signed.dataKey(`r${i}`), bytes)
    await plain.cache.get(`r${i}`) // may decode to something or be refused; must not throw
    if ((await signed.cache.get(`r${i}`)) === undefined) signedRefused++
  }
  t.is(signedRefused, 300)
  t.is(signed.cache.stats().l2.rejected, 300)
})

test('nothing went unhandled', (t) => {
  t.deepEqual(unhandled, [])
})
