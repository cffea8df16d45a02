// Faults: user callbacks that throw or return garbage, listeners that call
// back into the cache, worker threads terminated mid-operation, and
// process.exit at awkward moments. The cache must never crash, hang, leak a
// slot or lose a notification, and errors must reach the caller as documented
// on `EvictionListener` (ts/core/options.ts) and `#drain` (ts/core/moka.ts).

import { Worker } from 'node:worker_threads'

import test, { type ExecutionContext } from 'ava'

import { Moka } from '../index.js'
import { PACKAGE, runNodeScript } from './_helpers'
import { sleepSync, SOAK, VO } from './_reliability'


/** After maintenance: size, iteration, slots and lookups agree. */
function assertSound<K, V>(t: ExecutionContext, cache: Moka<K, V>, lookups = true): void {
  cache.runPendingTasks()
  const entries = [...cache.entries()]
  t.is(cache.size, entries.length, 'size matches iteration')
  t.is(cache.slotsInUse, entries.length, 'no slot held beyond the entries')
  if (lookups) for (const [key, value] of entries) t.is(cache.get(key), value, 'get agrees with iteration')
}

// ---------------------------------------------------------------- throwing listener

test('a throwing listener: the call completes, its error reaches the caller, the cache stays usable', (t) => {
  const boom = new Error('listener boom')
  const seen: string[] = []
  const cache = new Moka<string, number>({
    maxCapacity: 100,
    evictionListener: (k, v, cause) => {
      seen.push(`${k}=${v}:${cause}`)
      throw boom
    },
  })
  cache.set('a', 1)
  // set stores first, then delivers the 'replaced' notification and rethrows.
  t.is(t.throws(() => cache.set('a', 2)), boom)
  t.is(cache.get('a'), 2)
  t.is(t.throws(() => cache.delete('a')), boom)
  t.false(cache.has('a'))
  cache.set('b', 3)
  t.is(t.throws(() => cache.remove('b')), boom)
  t.deepEqual(seen, ['a=1:replaced', 'a=2:explicit', 'b=3:explicit'])
  assertSound(t, cache)
  t.is(cache.slotsInUse, 0)
})

test('several throwing listener calls: every notification is delivered, one AggregateError reaches the caller', (t) => {
  const delivered = new Set<number>()
  const cache = new Moka<number, number>({
    maxCapacity: 100_000,
    evictionListener: (_k, v) => {
      delivered.add(v)
      if (v % 3 === 0) throw new Error(`bad ${v}`)
    },
  })
  for (let i = 0; i < 5000; i++) cache.set(i, i)
  const error = t.throws(() => cache.clear()) as AggregateError
  t.true(error instanceof AggregateError)
  t.is(error.errors.length, Math.ceil(5000 / 3))
  t.is(delivered.size, 5000, 'no notification lost to a throw')
  t.is(cache.slotsInUse, 0)
  t.is(cache.size, 0)
  // invalidateIf, setMany and getMany behave the same way.
  for (let i = 0; i < 30; i++) cache.set(i, i)
  t.throws(() => cache.invalidateIf((k) => k < 10), { instanceOf: AggregateError })
  t.is(cache.size, 20)
  t.throws(() => cache.setMany([[10, 1], [12, 2], [15, 3]]), { instanceOf: AggregateError })
  t.deepEqual(cache.getMany([10, 12, 15]), [1, 2, 3])
  assertSound(t, cache)
})

// ---------------------------------------------------------------- weigher, hash, equals, hashCode

// Numbers out of range are a RangeError; anything that is not a number, a TypeError.
const garbageWeights: [unknown, typeof RangeError | typeof TypeError][] = [
  ...[-1, 1.5, NaN, Infinity, 2 ** 32].map((w): [unknown, typeof RangeError] => [w, RangeError]),
  ...['3', undefined, null, {}, 3n, Symbol('w'), true].map((w): [unknown, typeof TypeError] => [w, TypeError]),
]

test('a weigher that throws or returns garbage: set and setMany refuse, nothing is stored or leaked', (t) => {
  let answer: () => unknown = () => 1
  const cache = new Moka<unknown, number>({ maxCapacity: 1000, weigher: () => answer() as number })
  cache.set('keep', 0)
  for (const [bad, expected] of garbageWeights) {
    answer = () => bad
    const e1 = t.throws(() => cache.set('x', 1), undefined, `weight ${String(bad)}`)
    t.true(e1 instanceof expected && /weigher/.test(e1.message), `a ${expected.name} naming the weigher: ${e1?.message}`)
    t.throws(() => cache.setMany([['y', 1], ['z', 2]]), { instanceOf: expected })
    t.throws(() => cache.set(new VO(9, 9), 1), { instanceOf: expected })
  }
  const boom = new Error('weigher boom')
  answer = () => {
    throw boom
  }
  t.is(t.throws(() => cache.set(new VO(1, 1), 1)), boom)
  t.is(t.throws(() => cache.setMany([[{}, 1]])), boom)
  answer = () => 1
  t.deepEqual([...cache.keys()], ['keep'])
  t.is(cache.internedKeys, 0)
  assertSound(t, cache)
  cache.set('x', 1)
  t.is(cache.get('x'), 1, 'usable afterwards')
})

test('hash and equals that throw or return garbage: the error reaches the caller, no key or slot leaks', (t) => {
  let mode = 'ok'
  const cache = new Moka<string, number>({
    maxCapacity: 1000,
    hash: (k) => {
      if (mode === 'hash-throws' && k === 'bad') throw new Error('hash boom')
      if (mode === 'hash-object' && k === 'bad') return {}
      if (mode === 'hash-symbol' && k === 'bad') return Symbol('h')
      return k.length // many keys per bucket: equals decides
    },
    equals: (a, b) => {
      if (mode === 'equals-throws' && (a === 'bad' || b === 'bad')) throw new Error('equals boom')
      if (mode === 'equals-truthy') return 1 as unknown as boolean // not `true`: not equal
      return a === b
    },
  })
  cache.setMany([['abc', 1], ['xyz', 2], ['bad', 3]])
  const before = { interned: cache.internedKeys, slots: cache.slotsInUse }
  for (const m of ['hash-throws', 'hash-object', 'hash-symbol', 'equals-throws']) {
    mode = m
    const ops: [string, () => unknown][] = [
      ['get', () => cache.get('bad')],
      ['has', () => cache.has('bad')],
      ['set', () => cache.set('bad', 9)],
      ['delete', () => cache.delete('bad')],
      ['remove', () => cache.remove('bad')],
      ['getWith', () => cache.getWith('bad', () => 9)],
      ['getMany', () => cache.getMany(['abc', 'bad'])],
      ['setMany', () => cache.setMany([['new1', 1], ['new2', 2], ['bad', 9]])],
      ['invalidateIf', () => cache.invalidateIf((k) => k === 'bad')],
    ]
    for (const [name, op] of ops) {
      const error = t.throws(op, undefined, `${m}: ${name}`)
      if (m.startsWith('hash-') && m !== 'hash-throws') t.true(error instanceof TypeError && /hash must return a primitive/.test(error.message), `${m}: ${name}: ${error?.message}`)
      t.deepEqual({ interned: cache.internedKeys, slots: cache.slotsInUse }, before, `${m}: ${name} leaked nothing`)
    }
  }
  mode = 'equals-truthy'
  t.is(cache.get('abd'), undefined, 'equals must return true, not just a truthy value')
  mode = 'ok'
  t.deepEqual(cache.getMany(['abc', 'xyz', 'bad']), [1, 2, 3], 'the entries survived every failure')
  assertSound(t, cache)
  cache.clear()
  t.is(cache.internedKeys, 0)
})

test('value objects whose hashCode or equals throw or return garbage', (t) => {
  const cache = new Moka<unknown, number>({ maxCapacity: 100 })
  const ok = new VO(1, 1)
  cache.set(ok, 1)
  const key = (hashCode: () => unknown, equals: (o: unknown) => unknown = () => false) => ({ hashCode, equals })
  for (const h of [{}, undefined, null, 1n, Symbol('h'), () => 1]) {
    const bad = key(() => h)
    t.throws(() => cache.set(bad, 1), { instanceOf: TypeError, message: /hashCode\(\) must return a number or a string/ })
    t.throws(() => cache.get(bad), { instanceOf: TypeError })
    t.throws(() => cache.setMany([[new VO(5, 5), 5], [bad, 1]]), { instanceOf: TypeError })
  }
  const boom = new Error('hashCode boom')
  t.is(
    t.throws(() =>
      cache.set(
        key(() => {
          throw boom
        }),
        1,
      ),
    ),
    boom,
  )
  // An equals that throws is reached only when hashes collide (VO(1, 1) hashes to 1).
  const eq = new Error('equals boom')
  const collider = key(
    () => 1,
    () => {
      throw eq
    },
  )
  t.is(t.throws(() => cache.get(collider)), eq)
  t.is(t.throws(() => cache.set(collider, 2)), eq)
  // NaN, -0 and strings are valid hashes.
  for (const h of [NaN, -0, '', 'x'.repeat(10_000)]) {
    const k = key(() => h)
    cache.set(k, 3)
    t.is(cache.get(k), 3, `hashCode ${String(h)}`)
  }
  t.is(cache.get(new VO(1, 1)), 1)
  t.is(cache.internedKeys, 5, 'VO(1, 1) and the four valid ones: no half-interned key left behind')
  assertSound(t, cache)
  cache.clear()
  t.is(cache.internedKeys, 0)
})

test('getWith, invalidateIf and forEach callbacks that throw leave the cache sound', (t) => {
  const cache = new Moka<number, number>({ maxCapacity: 100, evictionListener: () => {} })
  for (let i = 0; i < 50; i++) cache.set(i, i)
  const boom = new Error('callback boom')
  t.is(
    t.throws(() =>
      cache.getWith(1000, () => {
        throw boom
      }),
    ),
    boom,
  )
  t.false(cache.has(1000), 'nothing stored when init throws')
  let calls = 0
  t.is(
    t.throws(() =>
      cache.invalidateIf((k) => {
        if (++calls === 10) throw boom
        return k % 2 === 0
      }),
    ),
    boom,
  )
  t.is(
    t.throws(() =>
      cache.forEach(() => {
        throw boom
      }),
    ),
    boom,
  )
  assertSound(t, cache)
})

// ---------------------------------------------------------------- re-entrancy

test('a listener may call every method of its own cache, at any depth', (t) => {
  let nextId = 0
  const notified = new Map<number, number>()
  const created: number[] = []
  const value = () => {
    created.push(nextId)
    return nextId++
  }
  let depth = 0
  let call = 0
  type C = Moka<unknown, number>
  const reentrant: ((c: C, k: unknown) => unknown)[] = [
    (c, k) => c.set(`${String(k)}'`, value()),
    (c, k) => c.set(k, value(), { ttl: 2 }),
    (c, k) => c.get(k),
    (c, k) => c.get(k, -1),
    (c, k) => c.has(k),
    (c, k) => c.delete(`${String(k)}'`),
    (c, k) => c.remove(k),
    (c, k) => c.getWith(`${String(k)}"`, value),
    (c, k) => c.getMany([k, 1, 2, 3]),
    (c, k) => c.setMany([[k, value()], [`${String(k)}~`, value()]]),
    (c) => c.invalidateIf((_k, v) => v % 7 === 0),
    (c) => [...c],
    (c) => c.forEach(() => {}),
    (c) => [...c.keys(), ...c.values()],
    (c) => c.size + c.weightedSize,
    (c) => c.runPendingTasks(),
    (c) => c.stats(),
    (c) => (call % 50 === 0 ? c.clear() : undefined),
  ]
  const cache: C = new Moka<unknown, number>({
    maxCapacity: 64,
    ttl: 3,
    perEntryExpiry: true,
    weigher: () => 1,
    evictionListener: (k, v) => {
      notified.set(v, (notified.get(v) ?? 0) + 1)
      if (depth >= 3) return
      depth++
      try {
        reentrant[call++ % reentrant.length](cache, k)
      } finally {
        depth--
      }
    },
  })
  const n = SOAK ? 200_000 : 20_000
  for (let i = 0; i < n; i++) {
    const k = i % 97
    if (i % 5 === 0) cache.delete(k)
    else if (i % 3 === 0) cache.get(k)
    else cache.set(k, value())
    if (i % 1000 === 0) sleepSync(1)
  }
  t.true(call > 1000, `the listener called back ${call} times`)
  depth = 3 // from here on the listener calls nothing back
  // Every entry expires within 3 ms: wait past that, so that no entry expires
  // between the reads assertSound compares.
  sleepSync(20)
  assertSound(t, cache, false)
  t.is(cache.size, 0, 'every entry expired and was removed')
  cache.clear()
  t.is(cache.slotsInUse, 0)
  const twice = [...notified].filter(([, count]) => count !== 1)
  t.deepEqual(twice, [], 'no value notified twice')
  // getWith's init values for present keys were never stored; all others were notified once.
  const never = created.filter((id) => !notified.has(id))
  t.true(never.length < created.length / 2, `${never.length} of ${created.length} values computed but not stored`)
  t.log(`${n} operations, ${call} re-entrant calls, ${notified.size} notifications`)
})

test('a listener that re-inserts what was evicted, and one that clears its own cache', (t) => {
  let reinserted = 0
  const cache: Moka<number, number> = new Moka<number, number>({
    maxCapacity: 10,
    policy: 'lru',
    evictionListener: (k, v, cause) => {
      if (cause === 'size' && v < 3) {
        reinserted++
        cache.set(k, v + 1)
      }
    },
  })
  for (let i = 0; i < 2000; i++) cache.set(i, 0)
  // Each maintenance run evicts what the listener re-inserted during the last one.
  for (let i = 0; i < 5; i++) cache.runPendingTasks()
  assertSound(t, cache)
  t.true(reinserted > 0)
  t.true(cache.size <= 10)

  let clears = 0
  const other: Moka<number, number> = new Moka<number, number>({
    maxCapacity: 1000,
    evictionListener: () => {
      if (clears++ < 5) other.clear()
    },
  })
  for (let i = 0; i < 500; i++) other.set(i, i)
  other.delete(1)
  t.is(other.size, 0, 'a clear inside a listener empties the cache')
  t.is(other.slotsInUse, 0)
  other.set(1, 1)
  t.is(other.get(1), 1)
})

// ---------------------------------------------------------------- worker threads

const hammer = (root: string) => `
const { parentPort, workerData } = require('node:worker_threads')
const { Moka } = require(${JSON.stringify(root)})
let notified = 0
const caches = [
  new Moka({ maxCapacity: 500, ttl: 3, evictionListener: () => notified++ }),
  new Moka({ maxCapacity: 2000, policy: 'lru', weigher: (k, v) => 1 + (v.i % 4), evictionListener: (k, v, c) => { notified++; if (c === 'size') caches[0].set(k, v) } }),
  new Moka({ maxCapacity: 1000, hash: (k) => k % 100, equals: (a, b) => a === b }),
]
parentPort.postMessage('ready')
const deadline = Date.now() + workerData.runMs
let i = 0
while (Date.now() < deadline) {
  for (let j = 0; j < 1000; j++, i++) {
    const c = caches[i % 3]
    c.set(i % 5000, { i })
    c.get((i * 7) % 5000)
    if (i % 13 === 0) c.delete(i % 5000)
    if (i % 97 === 0) c.setMany([[i % 4000, { i }], [(i + 1) % 4000, { i }]])
    if (i % 5001 === 0) c.clear()
  }
}
// Cache 1's listener inserts into cache 0: settle and measure 1 before 0.
const measured = [2, 1, 0].map((k) => { caches[k].runPendingTasks(); const size = caches[k].size; return [size, caches[k].slotsInUse] }).reverse()
parentPort.postMessage({ done: i, notified, sizes: measured.map((m) => m[0]), slots: measured.map((m) => m[1]) })
`

interface WorkerRun {
  exitCode: number
  /** Whether it was terminated after it started hammering. */
  midway: boolean
  result?: { slots: number[]; sizes: number[]; done: number }
}

/**
 * Runs the hammer in a worker. With `killAfterMs`, terminates it that long
 * after it reported ready; a negative value terminates it that long after
 * spawning instead, usually while Node boots it or the addon loads.
 */
function runWorker(code: string, runMs: number, killAfterMs: number | undefined): Promise<WorkerRun> {
  return new Promise((resolvePromise, reject) => {
    const worker = new Worker(code, { eval: true, workerData: { runMs } })
    let result: WorkerRun['result']
    let ready = false
    let midway = false
    const kill = () => {
      midway = ready
      void worker.terminate()
    }
    worker.on('message', (m) => {
      if (m !== 'ready') result = m
      else {
        ready = true
        if (killAfterMs !== undefined && killAfterMs >= 0) setTimeout(kill, killAfterMs)
      }
    })
    worker.on('error', reject)
    worker.on('exit', (exitCode) => resolvePromise({ exitCode, midway, result }))
    if (killAfterMs !== undefined && killAfterMs < 0) setTimeout(kill, -killAfterMs)
  })
}

test('worker threads terminated in the middle of cache operations', async (t) => {
  const code = hammer(PACKAGE)
  const rounds = SOAK ? 300 : 24
  const main = new Moka<number, number>({ maxCapacity: 100 })
  const delay = (i: number) => (i % 6 === 5 ? -Math.floor(Math.random() * 60) : Math.floor(Math.random() * 40))
  let midway = 0
  for (let r = 0; r < rounds; r += 2) {
    // Two at a time, terminated at random moments.
    const runs = await Promise.all([runWorker(code, 10_000, delay(r)), runWorker(code, 10_000, delay(r + 1))])
    for (const run of runs) {
      // 1 when terminated while running JS, 0 when stopped before it ran any.
      t.true(run.exitCode === 1 || (run.exitCode === 0 && !run.midway), `exit code ${run.exitCode}`)
      if (run.midway) midway++
    }
    main.set(r, r)
  }
  t.true(midway >= rounds / 2, `${midway} of ${rounds} terminated mid-operation`)
  // A worker that runs to the end sees a sound cache.
  const { exitCode, result } = await runWorker(code, 300, undefined)
  t.is(exitCode, 0)
  t.truthy(result)
  t.deepEqual(result!.slots, result!.sizes, 'slotsInUse === size in the worker')
  t.true(result!.done > 1000)
  t.is(main.size, Math.min(100, rounds / 2))
  t.log(`${midway} of ${rounds} workers terminated mid-operation; a full run did ${result!.done} iterations`)
})

// ---------------------------------------------------------------- process exit

test('process.exit inside a listener, with live caches and pending notifications', (t) => {
  // Inside a listener called for a size eviction.
  let r = runNodeScript(t, `const c = new Moka({ maxCapacity: 10, evictionListener: () => process.exit(7) }); for (let i = 0; i < 1e5; i++) c.set(i, {})`, 'exit in listener')
  t.is(r.status, 7)
  t.is(r.stderr, '')
  // During clear(): thousands of notifications still pending in the batch.
  r = runNodeScript(t, `let n = 0; const c = new Moka({ maxCapacity: 1e6, evictionListener: () => { if (++n === 5) process.exit(3) } }); for (let i = 0; i < 1e5; i++) c.set('k' + i, { i }); c.clear(); console.log('unreachable')`, 'exit mid-batch')
  t.is(r.status, 3)
  t.is(r.stdout, '')
  // Nested: listener → clear → listener → exit.
  r = runNodeScript(t, `let depth = 0; const c = new Moka({ maxCapacity: 1e4, evictionListener: () => { if (depth++ === 0) c.clear(); else process.exit(4) } }); for (let i = 0; i < 1000; i++) c.set(i, i); c.delete(1)`, 'exit nested')
  t.is(r.status, 4)
  // Exit with many live caches (expiring entries, weighers, value-object keys) and no listener call at all.
  r = runNodeScript(
    t,
    `const caches = []; for (let j = 0; j < 50; j++) { const c = new Moka({ maxCapacity: 20000, ttl: 1 + j, weigher: () => 1, evictionListener: () => {} }); for (let i = 0; i < 5000; i++) c.set(i, { j, i }); c.set({ equals: () => false, hashCode: () => j }, 1); caches.push(c) } setTimeout(() => process.exit(0), 20)`,
    'exit with live caches',
  )
  t.is(r.status, 0)
  t.is(r.stderr, '')
  // Exit from callbacks that run before the native call: hash, weigher, getWith's init.
  r = runNodeScript(t, `const c = new Moka({ maxCapacity: 10, hash: () => process.exit(5), equals: () => true }); c.set('a', 1)`, 'exit in hash')
  t.is(r.status, 5)
  r = runNodeScript(t, `const c = new Moka({ maxCapacity: 10, weigher: () => process.exit(6) }); c.set('a', 1)`, 'exit in weigher')
  t.is(r.status, 6)
  // The cache is usable from an 'exit' handler.
  r = runNodeScript(t, `const c = new Moka({ maxCapacity: 100, evictionListener: (k) => console.log('bye', k) }); c.set('a', 1); process.on('exit', () => { c.set('b', 2); c.clear(); console.log(c.size) })`, 'exit handler')
  t.is(r.status, 0)
  t.is(r.stdout.split('\n').filter(Boolean).sort().join(','), '0,bye a,bye b')
})

test('an uncaught listener error ends the process like any uncaught error', (t) => {
  const r = runNodeScript(t, `const c = new Moka({ maxCapacity: 10, evictionListener: () => { throw new Error('listener boom') } }); c.set('a', 1); c.set('a', 2)`, 'uncaught')
  t.is(r.status, 1)
  t.regex(r.stderr, /Error: listener boom/)
})

test('process.exit while worker threads hammer caches, and inside a worker listener', (t) => {
  const spawnWorkers = `const { Worker } = require('node:worker_threads'); const code = ${JSON.stringify(hammer(PACKAGE))};`
  let r = runNodeScript(t, `${spawnWorkers} for (let i = 0; i < 3; i++) new Worker(code, { eval: true, workerData: { runMs: 60000 } }).on('message', (m) => { if (m === 'ready') setTimeout(() => process.exit(9), 30) })`, 'exit with busy workers')
  t.is(r.status, 9)
  r = runNodeScript(
    t,
    `const { Worker } = require('node:worker_threads'); const w = new Worker(${JSON.stringify(
      `const { Moka } = require(${JSON.stringify(PACKAGE)}); const c = new Moka({ maxCapacity: 5, evictionListener: () => process.exit(11) }); for (let i = 0; i < 1e5; i++) c.set(i, i)`,
    )}, { eval: true }); w.on('exit', (code) => { const c = new Moka({ maxCapacity: 5 }); c.set(1, code); console.log(c.get(1)) })`,
    'exit in a worker listener',
  )
  t.is(r.status, 0)
  t.is(r.stdout.trim(), '11', 'the worker exited with its code; the main thread carried on')
})
