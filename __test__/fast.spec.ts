// The accelerator (ts/core/fast.ts): loaded where a build for this Node
// exists, off with MOKA_JS_FAST=0, and when loaded it takes the calls it can
// and answers every one as the Node-API method would. `npm test` runs the
// whole suite with it; `npm run test:node-api` runs it again without.
import { spawnSync } from 'node:child_process'
import { serialize } from 'node:v8'
import { Worker } from 'node:worker_threads'

import test from 'ava'
import fc from 'fast-check'

import { Moka } from '../index.js'
import { acceleratorInfo } from '../ts/core/fast'

/** Node ABIs with an accelerator build (scripts/build-fast.mjs): Node 20, 22, 24 on Linux x64/arm64 with glibc. */
const BUILT_FOR = ['115', '127', '137']
const glibc = process.platform === 'linux' && Boolean((process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime)
const builtHere = glibc && ['x64', 'arm64'].includes(process.arch) && BUILT_FOR.includes(process.versions.modules)
const expected = builtHere && process.env.MOKA_JS_FAST !== '0'

test('the accelerator is loaded exactly where a build for this Node exists', (t) => {
  const info = acceleratorInfo()
  t.is(info.loaded, expected, info.reason ?? 'loaded')
  if (process.env.MOKA_JS_FAST === '0') t.regex(info.reason ?? '', /MOKA_JS_FAST=0/)
})

test('MOKA_JS_FAST=0 turns it off in a new process', (t) => {
  const script = `const { acceleratorInfo } = require('./lib/core/fast.js'); console.log(JSON.stringify(acceleratorInfo()))`
  const run = (env: NodeJS.ProcessEnv) => JSON.parse(spawnSync(process.execPath, ['-e', script], { env: { ...process.env, ...env }, encoding: 'utf8' }).stdout)
  t.false(run({ MOKA_JS_FAST: '0' }).loaded)
  t.is(run({ MOKA_JS_FAST: '1' }).loaded, builtHere)
})

test('calls with short string and number keys go through the accelerator, hot ones through its fast path', (t) => {
  const cache = new Moka<string | number, number>({ maxCapacity: 10_000 })
  const before = acceleratorInfo()
  const rounds = 50_000
  let found = 0
  for (let i = 0; i < rounds; i++) {
    cache.set(`k${i % 100}`, i)
    if (cache.get(`k${i % 100}`) === i) found++
    if (cache.has(i % 7)) found++
    cache.delete(`gone${i % 3}`)
  }
  t.is(found, rounds, 'every value read back, no number key found')
  const after = acceleratorInfo()
  if (!expected) {
    t.is(after.calls, 0)
    return
  }
  t.is(after.calls - before.calls, rounds * 4, 'each set, get, has and delete was taken')
  // Fast calls come from optimized code: most of 200k calls in a hot loop.
  t.true(after.fastCalls - before.fastCalls > rounds, `fast path taken ${after.fastCalls - before.fastCalls} times`)
})

test('each method, hot, takes V8 fast path from Moka, string and number keys alike', (t) => {
  // One loop per method, so that a method left out of the fast path shows:
  // V8 12.4 made no fast call inside a try block, where `set` once called it.
  // Optimized code arrives after a number of calls that depends on the
  // machine's load (V8 compiles it on another thread), so each loop runs in
  // chunks until one chunk is almost all fast calls, or fails after many.
  const cache = new Moka<string | number, number>({ maxCapacity: 10_000 })
  const keys = Array.from({ length: 100 }, (_, i) => `k${i}`)
  const CHUNK = 10_000
  const MAX_CHUNKS = 50
  const loops: Record<string, (i: number) => unknown> = {
    'set, string key': (i) => cache.set(keys[i % 100]!, i),
    'set, number key': (i) => cache.set(i % 100, i),
    'get, string key': (i) => cache.get(keys[i % 100]!),
    'get, number key': (i) => cache.get(i % 100),
    'has, string key': (i) => cache.has(keys[i % 100]!),
    'delete, number key': (i) => cache.delete(1000 + (i % 100)),
  }
  for (const [name, step] of Object.entries(loops)) {
    let fastInChunk = 0
    let chunks = 0
    while (chunks < MAX_CHUNKS && fastInChunk < CHUNK * 0.9) {
      const before = acceleratorInfo()
      for (let i = 0; i < CHUNK; i++) step(i)
      const after = acceleratorInfo()
      chunks++
      if (!expected) {
        t.is(after.calls, 0, name)
        break
      }
      t.is(after.calls - before.calls, CHUNK, `${name}: every call taken`)
      fastInChunk = after.fastCalls - before.fastCalls
    }
    if (expected) t.true(fastInChunk >= CHUNK * 0.9, `${name}: ${fastInChunk} of ${CHUNK} calls through the fast path after ${chunks} chunks`)
  }
})

// Serial: it runs before the other tests of this file, not beside them.
test.serial('each worker thread reaches its own caches, until its environment is torn down', async (t) => {
  // Each worker's environment registers its table of caches with the
  // accelerator and releases it when the worker ends (a cleanup hook).
  const script = `
    const { parentPort, workerData } = require('node:worker_threads')
    const { Moka } = require('./index.js')
    const { acceleratorInfo } = require('./lib/core/fast.js')
    const cache = new Moka({ maxCapacity: 100 })
    let found = 0
    for (let i = 0; i < 20000; i++) {
      cache.set('w' + (i % 50), workerData + i)
      if (cache.get('w' + (i % 50)) === workerData + i) found++
    }
    parentPort.postMessage({ found, calls: acceleratorInfo().calls })`
  const run = (n: number) =>
    new Promise<{ found: number; calls: number }>((resolve, reject) => {
      const w = new Worker(script, { eval: true, workerData: n })
      w.once('message', resolve)
      w.once('error', reject)
    })
  const cache = new Moka<string, number>({ maxCapacity: 100 })
  cache.set('main', 1)
  for (let round = 0; round < 3; round++) {
    const results = await Promise.all([run(round * 1e6), run(round * 1e6 + 5e5)])
    for (const r of results) {
      t.is(r.found, 20000)
      t.is(r.calls, expected ? 40000 : 0, 'each worker counts its own calls')
    }
  }
  const before = acceleratorInfo().calls
  t.is(cache.get('main'), 1, 'the main thread keeps its caches')
  t.is(acceleratorInfo().calls - before, expected ? 1 : 0)
})

/**
 * Long string keys, 64 to 300 units and around the lengths the readers keep on
 * the stack (255 units), Latin-1 and two-byte, their units varying with their
 * position: each as a flat string and as an equal one built by concatenation
 * (a V8 cons string, which V8's fast path does not take).
 */
function longKeys(): { flat: string; cons: string }[] {
  const ranges = [
    [0x61, 26], // ASCII letters
    [0xc0, 64], // Latin-1 above ASCII
    [0x400, 256], // Cyrillic: two-byte
  ]
  const keys = []
  for (const n of [64, 65, 127, 128, 200, 254, 255, 256, 257, 300]) {
    for (const [first, count] of ranges) {
      const flat = Array.from({ length: n }, (_, i) => String.fromCharCode(first + ((i * 7 + n) % count))).join('')
      keys.push({ flat, cons: `${flat.slice(0, 20)}${flat.slice(20)}` })
    }
    // One-byte but for its last unit: a two-byte string, as a whole and concatenated.
    const mixed = `${'m'.repeat(n - 1)}\u0416`
    keys.push({ flat: mixed.split('').join(''), cons: mixed })
  }
  return keys
}

test('long string keys, Latin-1 and two-byte, flat or concatenated, are taken and read as Node-API reads them', (t) => {
  const cache = new Moka<string, number>({ maxCapacity: 10_000 })
  const keys = longKeys()
  const before = acceleratorInfo()
  let wrong = 0
  let ops = 0
  // Hot, so that optimized code calls V8's fast path with the flat one-byte
  // keys; the concatenated ones go through the accelerator's callback.
  for (let round = 0; round < 300; round++) {
    for (const [i, { flat, cons }] of keys.entries()) {
      const [stored, needle] = round % 2 === 0 ? [flat, cons] : [cons, flat]
      cache.set(stored, round * 1000 + i)
      if (cache.get(needle) !== round * 1000 + i) wrong++
      // Keys one unit off: the last unit changed, the last unit dropped.
      const last = needle.charCodeAt(needle.length - 1)
      if (cache.has(`${needle.slice(0, -1)}${String.fromCharCode(last ^ 1)}`)) wrong++
      if (cache.get(needle.slice(0, -1)) !== undefined) wrong++
      ops += 4
    }
  }
  t.is(wrong, 0, 'every key found under its equal string, none under one a unit off')
  const after = acceleratorInfo()
  t.is(after.calls - before.calls, expected ? ops : 0, 'every call taken')
  if (expected) t.true(after.fastCalls > before.fastCalls, 'flat one-byte keys took V8 fast path')
  // What was stored is the key itself: read back by iteration and through Node-API (getMany).
  t.deepEqual([...cache.keys()].sort(), keys.map((k) => k.flat).sort())
  t.deepEqual(
    cache.getMany(keys.map((k) => k.cons)),
    keys.map((_, i) => 299_000 + i),
  )
  // Through a `Map`: the same answers for each.
  const model = new Map(keys.map((k, i) => [k.flat, 299_000 + i]))
  for (const { flat, cons } of keys) {
    t.is(cache.get(cons), model.get(flat))
    t.true(cache.delete(flat))
    t.false(cache.has(cons))
  }
  cache.dispose()
})

/** Whether V8 holds `s` two bytes a unit: its serializer writes the flat content's encoding. */
function isTwoByte(s: string): boolean {
  const bytes = serialize(s)
  let at = 2 // after the version header
  while (bytes[at] === 0) at++ // padding before a two-byte string
  return bytes[at] === 0x63 // 'c': two-byte; '"': one-byte
}

/**
 * One Latin-1 key of `n` units (above ASCII too), made in each way V8 can
 * hold it: one-byte flat and concatenated, from char codes, and two-byte (a
 * slice of a string that held a non-Latin-1 unit, flat or concatenated).
 * A slice of 13 units or more shares its parent's two-byte content (a V8
 * sliced string); a shorter one is a copy, which V8 12 and later make one
 * byte a unit when its content allows (`twoByte` undefined: as V8 chooses).
 */
function latin1Producers(n: number): { name: string; key: string; twoByte: boolean | undefined }[] {
  const codes = Array.from({ length: n }, (_, i) => 0x20 + ((i * 37 + n) % 0xe0))
  const text = codes.map((c) => String.fromCharCode(c)).join('')
  const wide = `\u0416${text}`
  const half = n >> 1
  return [
    { name: 'one-byte', key: text, twoByte: false },
    { name: 'one-byte concatenated', key: `${text.slice(0, half)}${text.slice(half)}`, twoByte: false },
    { name: 'fromCharCode', key: String.fromCharCode(...codes), twoByte: false },
    { name: 'two-byte slice', key: wide.slice(1), twoByte: n >= 13 || undefined },
    { name: 'two-byte concatenated', key: `${wide.slice(1, 1 + half)}${text.slice(half)}`, twoByte: half >= 13 || undefined },
  ]
}

test('a Latin-1 key stored through any producer and path is found through every other', (t) => {
  // Around the units read, and narrowed to be hashed, on the stack (255 and 256).
  const lengths = [0, 1, 7, 8, 13, 64, 253, 254, 255, 256, 257, 300, 600]
  const cache = new Moka<string, number>({ maxCapacity: 100_000 })
  const before = acceleratorInfo()
  let wrong: string[] = []
  for (const n of lengths) {
    const producers = latin1Producers(n)
    for (const p of producers) {
      if (p.twoByte !== undefined) t.is(isTwoByte(p.key), p.twoByte, `${p.name} of ${n} units is held as intended`)
    }
    // Hot, so that optimized code takes V8's fast path with the flat one-byte keys.
    for (let round = 0; round < 20; round++) {
      for (const [i, stored] of producers.entries()) {
        const value = n * 100 + round * 10 + i
        // Through the accelerator (set), or through Node-API (setMany).
        if (round % 2 === 0) cache.set(stored.key, value)
        else cache.setMany([[stored.key, value]])
        for (const needle of producers) {
          const through = `${n} units stored ${stored.name}, read ${needle.name}`
          if (cache.get(needle.key) !== value) wrong.push(`get: ${through}`)
          if (!cache.has(needle.key)) wrong.push(`has: ${through}`)
          if (cache.getMany([needle.key])[0] !== value) wrong.push(`getMany: ${through}`)
        }
        // One unit past Latin-1 is another key, whatever the path.
        if (n > 0) {
          const off = `${stored.key.slice(0, -1)}${String.fromCharCode(stored.key.charCodeAt(n - 1) | 0x100)}`
          if (cache.has(off) || cache.getMany([off])[0] !== undefined) wrong.push(`found with a wide unit: ${n}`)
        }
      }
    }
    t.is(cache.size, lengths.indexOf(n) + 1, `one entry for every key of ${n} units`)
  }
  wrong = [...new Set(wrong)]
  t.deepEqual(wrong.slice(0, 10), [], `${wrong.length} wrong`)
  if (expected) t.true(acceleratorInfo().fastCalls > before.fastCalls, 'flat one-byte keys took V8 fast path')
  cache.dispose()
})

test('a key longer than what is read on the stack (100,000 units) is taken too', (t) => {
  const cache = new Moka<string, string>({ maxCapacity: 100 })
  const keys = ['y'.repeat(100_000), 'é'.repeat(99_999) + 'z', 'ж'.repeat(100_000)]
  const before = acceleratorInfo().calls
  for (const [i, key] of keys.entries()) cache.set(key, `v${i}`)
  for (const [i, key] of keys.entries()) t.is(cache.get(key.split('').join('')), `v${i}`, `key of ${key.length} units`)
  t.is(cache.get(`${keys[0].slice(0, -1)}x`), undefined)
  t.is(acceleratorInfo().calls - before, expected ? 7 : 0)
  const stored = [...cache.keys()].sort()
  t.true(stored.length === keys.length && stored.every((k, i) => k === [...keys].sort()[i]), 'stored keys read back whole')
  cache.dispose()
})

test('calls it cannot take go to Node-API, with the same answers', (t) => {
  const cache = new Moka<unknown, string>({ maxCapacity: 100 })
  const before = acceleratorInfo().calls
  cache.set(1n, 'bigint').set(true, 'true').set({ a: 1 }, 'object')
  t.is(acceleratorInfo().calls, before, 'other types of key are not taken')
  t.is(cache.get(1n), 'bigint')
  t.is(cache.get(true), 'true')
  // Two-byte and Latin-1 strings are taken, read as Node-API reads them.
  cache.set('ключ', 'two-byte').set('café', 'latin-1').set('😀', 'astral')
  t.is(cache.get('ключ'), 'two-byte')
  t.is(cache.get('café'), 'latin-1')
  t.is(cache.get('😀'), 'astral')
  t.is(cache.get(-0), undefined)
  cache.set(-0, 'zero').set(NaN, 'nan')
  t.is(cache.get(0), 'zero')
  t.is(cache.get(Number('x')), 'nan')
  cache.dispose()
  t.throws(() => cache.get('café'), { message: /disposed/ })
})

test('evictions caused by accelerated calls reach the listener, and every slot is released', (t) => {
  const seen = new Map<string, number>()
  const cache = new Moka<string, number>({
    maxCapacity: 50,
    policy: 'lru',
    evictionListener: (k, _v, cause) => seen.set(cause, (seen.get(cause) ?? 0) + 1),
  })
  for (let i = 0; i < 5_000; i++) {
    cache.set(`k${i % 60}`, i)
    cache.get(`k${(i * 7) % 60}`)
  }
  cache.runPendingTasks()
  t.is(cache.size, 50)
  t.is(cache.slotsInUse, 50, 'each entry holds one slot; the others were released')
  t.true((seen.get('size') ?? 0) > 0)
  t.true((seen.get('replaced') ?? 0) > 0)
})

test('an eviction-heavy cache without a listener releases its slots in batches, as through Node-API', (t) => {
  const cache = new Moka<number, number>({ maxCapacity: 100 })
  for (let i = 0; i < 100_000; i++) cache.set(i, i)
  cache.runPendingTasks()
  t.is(cache.size, 100)
  t.is(cache.slotsInUse, 100)
})

test('accelerated calls agree with a Map (model-based)', (t) => {
  const key = fc.oneof(fc.string({ maxLength: 70 }), fc.integer({ min: -5, max: 5 }), fc.constantFrom(-0, NaN, 0.5))
  const op = fc.oneof(
    fc.tuple(fc.constant('set' as const), key, fc.integer()),
    fc.tuple(fc.constant('get' as const), key, fc.constant(0)),
    fc.tuple(fc.constant('has' as const), key, fc.constant(0)),
    fc.tuple(fc.constant('delete' as const), key, fc.constant(0)),
  )
  fc.assert(
    fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
      const cache = new Moka<unknown, number>({ maxCapacity: 10_000 })
      const model = new Map<unknown, number>()
      for (const [name, k, v] of ops) {
        if (name === 'set') {
          cache.set(k, v)
          model.set(k, v)
        } else if (name === 'get') t.is(cache.get(k), model.get(k))
        else if (name === 'has') t.is(cache.has(k), model.has(k))
        else t.is(cache.delete(k), model.delete(k))
      }
      cache.dispose()
    }),
    { numRuns: 200 },
  )
})
