// Hostile keys: key sets that defeat weak hash functions (strided integers,
// shared low bits, long shared prefixes) must stay about as fast as random
// keys; huge keys and values are accepted or refused with a clear error,
// never a crash.
//
// The native table hashes with ahash's RandomState, randomly seeded per cache:
// an attacker who does not know the seed cannot choose colliding keys.
// Timings are only compared with random keys measured in the same test.

import test, { type ExecutionContext } from 'ava'

import { Moka } from '../index.js'
import { SOAK } from './_reliability'

const N = 100_000
/** Hostile keys may be this many times slower than random ones, no more. */
const MAX_RATIO = 10

function timeMs(fn: () => void): number {
  const start = process.hrtime.bigint()
  fn()
  return Number(process.hrtime.bigint() - start) / 1e6
}

/**
 * The best of three passes inserting every key into a fresh cache, and the
 * best of three looking every one up in the last: one pass can take a pause
 * of the machine's, which all three would not.
 */
function measure(keys: unknown[]): { set: number; get: number } {
  const filled = () => {
    const cache = new Moka<unknown, number>({ maxCapacity: N * 4 })
    const ms = timeMs(() => {
      for (let i = 0; i < keys.length; i++) cache.set(keys[i], i)
    })
    return { cache, ms }
  }
  let { cache, ms: set } = filled()
  for (let pass = 1; pass < 3; pass++) {
    const next = filled()
    cache.dispose()
    ;({ cache } = next)
    set = Math.min(set, next.ms)
  }
  let get = Infinity
  let misses = 0
  for (let pass = 0; pass < 3; pass++) {
    get = Math.min(
      get,
      timeMs(() => {
        for (let i = 0; i < keys.length; i++) if (cache.get(keys[i]) !== i) misses++
      }),
    )
  }
  if (misses !== 0 || cache.size !== keys.length) throw new Error(`${misses} lookups failed, size ${cache.size}`)
  return { set, get }
}

/** Measures random keys once per kind; hostile sets are compared with them. */
function comparer(t: ExecutionContext, random: unknown[]) {
  measure(random.slice(0, 10_000)) // warm-up
  const r = measure(random)
  return (label: string, hostile: unknown[]) => {
    // As strings: V8's own Map/Set hash a BigInt by its lowest word only, so a
    // Set of these bigints would take minutes (the very attack checked here).
    t.is(new Set(hostile.map(String)).size, hostile.length, `${label}: distinct keys`)
    t.is(hostile.length, N)
    const h = measure(hostile)
    const setRatio = h.set / r.set
    const getRatio = h.get / r.get
    t.log(
      `${label}: set ${((h.set * 1e6) / N).toFixed(0)} ns vs ${((r.set * 1e6) / N).toFixed(0)} ns random (×${setRatio.toFixed(2)}), ` +
        `get ${((h.get * 1e6) / N).toFixed(0)} ns vs ${((r.get * 1e6) / N).toFixed(0)} ns (×${getRatio.toFixed(2)})`,
    )
    t.true(setRatio < MAX_RATIO, `${label}: inserts ×${setRatio.toFixed(2)} slower than random keys`)
    t.true(getRatio < MAX_RATIO, `${label}: lookups ×${getRatio.toFixed(2)} slower than random keys`)
  }
}

const randomIntegers = (n: number) => {
  const out = new Set<number>()
  while (out.size < n) out.add(Math.floor(Math.random() * 2 ** 53))
  return [...out]
}

test('strided integers and shared low bits are as fast as random integers', (t) => {
  const compare = comparer(t, randomIntegers(N))
  for (const k of SOAK ? [4, 10, 16, 20, 32, 40, 52] : [32, 52]) {
    compare(
      `i * 2^${k}`,
      Array.from({ length: N }, (_, i) => i * 2 ** k),
    )
  }
  // Same low 32 bits, different high bits.
  compare(
    'i * 2^32 + 0xabcd',
    Array.from({ length: N }, (_, i) => i * 2 ** 32 + 0xabcd),
  )
  // Doubles whose mantissas are all zero: only the exponent and sign differ.
  if (SOAK) {
    compare(
      '±2^i and i * 1024 + 0.5',
      Array.from({ length: N }, (_, i) => (i < 1074 ? 2 ** -i : i < 2097 ? -(2 ** (i - 1074)) : i * 1024 + 0.5)),
    )
  }
})

test('strided bigints are as fast as random bigints', (t) => {
  const compare = comparer(
    t,
    randomIntegers(N).map((x) => (BigInt(x) << 64n) | BigInt(Math.floor(Math.random() * 2 ** 52))),
  )
  compare(
    'BigInt(i) << 64n',
    Array.from({ length: N }, (_, i) => BigInt(i) << 64n),
  )
})

test('strings with long shared prefixes are as fast as random strings of the same length', (t) => {
  const randomString = (length: number) => {
    let s = ''
    while (s.length < length) s += Math.random().toString(36).slice(2)
    return s.slice(0, length)
  }
  const prefix = 'p'.repeat(200)
  const shared = Array.from({ length: N }, (_, i) => prefix + i.toString(36).padStart(4, '0'))
  comparer(
    t,
    shared.map((s) => randomString(s.length)),
  )('200-char shared prefix', shared)
  // Keys that differ in one UTF-16 unit in the middle (all 65,536 of them, then more).
  const middle = Array.from({ length: N }, (_, i) => 'm'.repeat(50) + String.fromCharCode(i & 0xffff) + (i >> 16 ? 'x' : '') + 'm'.repeat(50))
  if (SOAK) {
    comparer(
      t,
      middle.map((s) => randomString(s.length)),
    )('one differing unit in the middle', middle)
  }
  const user = Array.from({ length: N }, (_, i) => `user:${i}`)
  comparer(
    t,
    user.map((s) => randomString(s.length)),
  )('user:${i}', user)
})

test('huge keys are accepted, found, and told apart', (t) => {
  const cache = new Moka<unknown, string>({ maxCapacity: 100 })
  const oneMillion = 'k'.repeat(1_000_000)
  const oneMillionOther = 'k'.repeat(999_999) + 'l'
  cache.set(oneMillion, 'a').set(oneMillionOther, 'b')
  t.is(cache.get('k'.repeat(1_000_000)), 'a', 'found through another string of equal content')
  t.is(cache.get(oneMillionOther), 'b')
  t.is(cache.get(oneMillion.slice(1)), undefined)
  t.deepEqual(cache.getMany([oneMillion, oneMillionOther, 'x']), ['a', 'b', undefined])

  const tenMB = 'x'.repeat(10 * 1024 * 1024)
  const tenMBTwoByte = '😀'.repeat(5 * 1024 * 1024)
  cache.set(tenMB, 'ten').set(tenMBTwoByte, 'emoji')
  t.is(cache.get(tenMB), 'ten')
  t.is(cache.get(tenMBTwoByte), 'emoji')
  t.true(cache.has('x'.repeat(10 * 1024 * 1024)))
  t.true(cache.delete(tenMB))
  t.is(cache.remove(tenMBTwoByte), 'emoji')
  t.deepEqual([...cache.keys()].map((k) => (k as string).length).sort(), [1_000_000, 1_000_000])

  const wide = (1n << 640_000n) - 12345n // 10,000 64-bit words
  cache.set(wide, 'wide')
  t.is(cache.get((1n << 640_000n) - 12345n), 'wide')
  t.is(cache.get(-wide), undefined)
  t.is(cache.get(wide + 1n), undefined)
  t.is(cache.get(wide << 64n), undefined)
  cache.set(-wide, 'negative')
  t.is(cache.get(-((1n << 640_000n) - 12345n)), 'negative')
  t.is(cache.size, 4)
  cache.clear()
  t.is(cache.slotsInUse, 0)
})

test('huge keys under custom hash/equals and as value objects', (t) => {
  const big = 'h'.repeat(2_000_000)
  const cache = new Moka<string, number>({ maxCapacity: 10, hash: (k) => k.length, equals: (a, b) => a === b })
  cache.set(big, 1)
  t.is(cache.get('h'.repeat(2_000_000)), 1)
  const vo = { equals: (o: unknown) => o === vo, hashCode: () => big }
  const objects = new Moka<unknown, number>({ maxCapacity: 10 })
  objects.set(vo, 2)
  t.is(objects.get(vo), 2)
})

test('huge values are held by reference, and oversized weights are refused or evicted', (t) => {
  const seen: string[] = []
  const cache = new Moka<string, unknown>({
    maxCapacity: 2 ** 32,
    weigher: (_k, v) => (v instanceof Uint8Array ? v.length : 1),
    evictionListener: (k, _v, cause) => void seen.push(`${k}:${cause}`),
  })
  const buffer = new Uint8Array(64 * 1024 * 1024)
  const array = new Array(5_000_000).fill(0)
  cache.set('buffer', buffer).set('array', array)
  t.is(cache.get('buffer'), buffer)
  t.is(cache.get('array'), array)
  t.is(cache.weightedSize, buffer.length + 1)
  // A weight of 2^32 - 1 is the largest accepted; 2^32 is refused with a RangeError.
  const heavy = new Moka<string, number>({ maxCapacity: 10, weigher: (_k, v) => v, evictionListener: (k, _v, cause) => void seen.push(`${k}:${cause}`) })
  heavy.set('max', 2 ** 32 - 1)
  t.throws(() => heavy.set('over', 2 ** 32), { instanceOf: RangeError, message: /weigher/ })
  heavy.runPendingTasks()
  t.false(heavy.has('max'), 'heavier than the whole cache: not kept')
  t.true(seen.includes('max:size'))
  t.is(heavy.slotsInUse, 0)
  cache.clear()
  t.is(cache.slotsInUse, 0)
})
