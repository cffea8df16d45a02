'use strict'
// Misuse of the raw native functions that once reached undefined behaviour.
// Each scenario returns a promise that resolves once the misuse has been
// answered with a JS error (or handled safely); it rejects otherwise. Shared by
// the test suite (__test__/native-boundary.spec.ts) and the memcheck workload
// (scripts/valgrind-workload.js), which checks that none of them touches freed
// or invalid memory.

const assert = require('node:assert')
const path = require('node:path')

const native = require(path.join(__dirname, '..', 'loader.js'))
const { KIND_BITS, STATE_COUNT, STATE_HEADER, STATE_LENGTH } = native.protocol

const methods = native.cacheMethods

/**
 * The accelerator built for this Node (ts/core/fast.ts), loaded raw, or
 * undefined when there is none here (or MOKA_JS_FAST=0).
 */
function rawAccelerator() {
  const file = path.join(__dirname, '..', `moka-js-fast.abi${process.versions.modules}.node`)
  if (process.env.MOKA_JS_FAST === '0' || !require('node:fs').existsSync(file)) return undefined
  return require(file)
}

/**
 * A created cache (`{ cache, state }`, as `createCache` returns it) with
 * every method bound to it: `bound(created).get(key)` is
 * `cacheMethods.get(created.cache, key)`.
 */
const bound = (created) => {
  const { cache } = created
  const calls = Object.fromEntries(Object.entries(methods).map(([name, f]) => [name, (...args) => f(cache, ...args)]))
  return { ...calls, cache, state: created.state }
}

/** A raw cache: maxCapacity, ttl, tti, lru, weighted, notify, perEntryExpiry. */
const raw = (max = 10, notify = true) => bound(native.createCache(max, undefined, undefined, false, false, notify, false))

/** Lets the garbage collector and the finalizers it queues run. */
async function collect(rounds = 6) {
  for (let i = 0; i < rounds; i++) {
    global.gc()
    await new Promise((resolve) => setImmediate(resolve))
  }
}

const scenarios = {
  /** A cache lives while its handle does, whatever else was collected. */
  async 'a cache outlives the object that returned it'() {
    let { cache } = native.createCache(100, undefined, undefined, false, false, true, false)
    for (let i = 0; i < 50; i++) methods.set(cache, `k${i}`, i)
    await collect()
    methods.set(cache, 'late', 60)
    assert.strictEqual(methods.get(cache, 'late'), 60)
    methods.clear(cache)
    cache = undefined
    await collect()
  },

  /**
   * One function per method serves every cache, so it may be handed anything
   * as its cache: whatever is not a live cache of this thread is a TypeError,
   * never a read of memory it does not point to.
   */
  async 'a method given something else than a cache'() {
    const notACache = { name: 'TypeError', message: /first argument must be a native cache/ }
    const sharedBinding = native.sharedBinding()
    const handle = sharedBinding.open('misuse-handle', 10, undefined, undefined, false, false, 0, false, false, () => {}, 1024)
    const cache = raw()
    cache.set('k', 1)
    const others = [undefined, null, 1, 'cache', {}, [], () => {}, Symbol('cache'), 1n, new Uint32Array(4), handle]
    for (const other of others) {
      assert.throws(() => methods.get(other, 'k'), notACache)
      assert.throws(() => methods.set(other, 'k', 1), notACache)
      assert.throws(() => methods.dispose(other), notACache)
    }
    assert.throws(() => methods.get(), notACache)
    assert.throws(() => methods.size.call(cache.cache), notACache, 'the cache is an argument, not the receiver')
    // A live cache of this thread works whatever the receiver.
    assert.strictEqual(methods.get.call({}, cache.cache, 'k'), 1)
    // The other way round, and a handle of another table of handles (another sharedBinding()).
    const notAHandle = { name: 'TypeError', message: /first argument must be a SharedMoka handle/ }
    const otherBinding = native.sharedBinding()
    for (const other of [cache.cache, 'k', {}, otherBinding.open('misuse-handle', 10, undefined, undefined, false, false, 0, false, false, () => {}, 1024)]) {
      assert.throws(() => sharedBinding.methods.get(other, 'k'), notAHandle)
      assert.throws(() => sharedBinding.methods.close(other), notAHandle)
    }
    sharedBinding.methods.set(handle, 'k', 'v', 0)
    assert.strictEqual(sharedBinding.methods.get(handle, 'k'), 'v')
    sharedBinding.methods.close(handle)
    assert.throws(() => sharedBinding.methods.get(handle, 'k'), /closed/)
  },

  /** The table entries of collected caches are reused without mixing caches up. */
  async 'many caches created and collected'() {
    const kept = raw(10)
    kept.set('k', 7)
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 200; i++) raw(10).set('k', i)
      await collect()
    }
    assert.strictEqual(kept.get('k'), 7)
  },

  /**
   * A state array detached (`ArrayBuffer.prototype.transfer`, Node 22 and
   * later; a transfer to a port or `structuredClone` throws or copies, as the
   * buffer is external) and its new owner collected: the memory outlives both
   * (the handle holds a count of it), so later publishes, through Node-API
   * and the accelerator alike, write nowhere freed; the events go unread, and
   * the cache goes on working.
   */
  async 'a detached state array'() {
    // A listener is notified of each value replaced: every set publishes.
    const cache = raw(1000)
    for (let i = 0; i < 20; i++) cache.set(i, i)
    const buffer = cache.state.buffer
    const attempts = [() => buffer.transfer(), () => structuredClone(buffer, { transfer: [buffer] })]
    for (const attempt of attempts) {
      try {
        attempt()
      } catch {
        // Refused: the array stays attached.
      }
    }
    await collect()
    if (typeof ArrayBuffer.prototype.transfer === 'function') assert.strictEqual(cache.state.length, 0, 'transfer() detaches it')
    cache.clear()
    for (let i = 0; i < 2000; i++) cache.set(i % 150, i)
    assert.strictEqual(cache.get(149), 1949)
    const accelerator = rawAccelerator()
    if (accelerator !== undefined) {
      const fast = accelerator.install(native.fastAbi)
      const id = methods.fastId(cache.cache)
      const before = fast.calls()
      for (let i = 0; i < 20000; i++) fast.set(id, `k${i % 150}`, i)
      assert.strictEqual(fast.calls() - before, 20000, 'the accelerator took every call')
      assert.strictEqual(cache.get('k149'), 19949)
    }
    cache.runPendingTasks()
    await collect()
  },

  /** A count written by JS beyond the array is clamped, not trusted. */
  async 'a count beyond the state array'() {
    const cache = raw(1, true)
    cache.state[STATE_COUNT] = 5000
    for (let i = 0; i < 10; i++) cache.set(i, i)
    cache.runPendingTasks()
    assert.strictEqual(cache.state[STATE_COUNT], STATE_LENGTH - STATE_HEADER)
    cache.state[STATE_COUNT] = 0
    cache.flush()
    const events = Array.from(cache.state.subarray(STATE_HEADER, STATE_HEADER + cache.state[STATE_COUNT]))
    assert.ok(events.length > 0 && events.every((e) => e >>> KIND_BITS < 10), 'queued events survive')
  },

  /** Wrong argument types name the argument; out-of-range durations never reach moka. */
  async 'bad arguments'() {
    const cache = raw()
    assert.throws(() => cache.set('k', 'one'), { name: 'TypeError', message: /slot must be a number/ })
    assert.throws(() => cache.set('k', 1, 'token'), { name: 'TypeError', message: /token must be a number/ })
    assert.throws(() => native.createCache(10, 1e300), { name: 'RangeError', message: /ttl must be a duration/ })
    assert.throws(() => native.createCache(10, undefined, -1), { name: 'RangeError', message: /tti must be a duration/ })
    // One rule for a duration, in Moka and SharedMoka alike: more than 0 ms, at most 1000 years.
    const zero = /ttl must be a duration of more than 0 ms and at most 1000 years, got 0/
    assert.throws(() => native.createCache(10, 0), { name: 'RangeError', message: zero })
    const sharedBinding = native.sharedBinding()
    const open = (ttl) => sharedBinding.open('misuse-ttl', 10, ttl, undefined, false, false, 0, false, false, () => {}, 1024)
    assert.throws(() => open(0), { name: 'RangeError', message: zero })
    assert.throws(() => open(native.protocol.MAX_DURATION_MS * 2), { name: 'RangeError', message: /ttl must be a duration/ })
    sharedBinding.methods.close(open(native.protocol.MAX_DURATION_MS))
    assert.throws(() => native.createCache(10, undefined, undefined, 'yes'), { name: 'TypeError', message: /lru must be a boolean/ })
    assert.throws(() => native.createCache(-1), { name: 'RangeError', message: /maxCapacity/ })
    assert.throws(() => cache.set('k', 1, undefined, 1, 5), { name: 'TypeError', message: /perEntryExpiry/ })
    // An adaptive cache with only a cache-wide ttl keeps clocks per entry, not durations.
    const adaptiveTtl = bound(native.createCache(10, 60_000, undefined, false, false, false, false, true))
    assert.throws(() => adaptiveTtl.set('k', 1, undefined, 1, 5), { name: 'TypeError', message: /perEntryExpiry/ })
    assert.throws(() => adaptiveTtl.set('k', 1, undefined, 1, undefined, 5), { name: 'TypeError', message: /perEntryExpiry/ })
    assert.strictEqual(adaptiveTtl.has('k'), false)
    const perEntry = bound(native.createCache(10, undefined, undefined, false, false, false, true))
    assert.throws(() => perEntry.set('k', 1, undefined, 1, 1e300), { name: 'RangeError', message: /ttl must be a duration/ })
    assert.throws(() => cache.getMany({ length: 1 }), { name: 'TypeError', message: /keys must be an array/ })
    assert.throws(() => cache.setMany(['a'], undefined, [1, 2]), { name: 'RangeError', message: /slots must be as long as keys/ })
  },

  /**
   * An array's length says nothing of what it holds: a sparse array of length
   * 2^32 - 1 once made setMany reserve 206 GB up front, and the process abort.
   * Elements are now checked as they are read, and lists grow fallibly.
   */
  async 'sparse arrays of length 2^32 - 1'() {
    const cache = raw()
    cache.set('kept', 1)
    const sparse = []
    sparse.length = 2 ** 32 - 1
    assert.throws(() => cache.setMany(sparse, undefined, sparse), { name: 'TypeError', message: /slot must be a number/ })
    const keys = ['a']
    keys.length = 2 ** 32 - 1
    assert.throws(() => cache.setMany(keys, undefined, sparse), { name: 'TypeError', message: /slot must be a number/ })
    assert.throws(() => cache.setMany(['a'], sparse, [2]), { name: 'RangeError', message: /tokens/ })
    assert.strictEqual(cache.get('kept'), 1, 'nothing inserted, nothing lost')
    assert.strictEqual(cache.get('a'), -1, 'a miss')
  },

  /** dispose() frees the cache now; later calls, from any copy of a method, throw. */
  async 'calls after dispose'() {
    const cache = raw(100, false)
    for (let i = 0; i < 100; i++) cache.set(i, i)
    methods.dispose(cache.cache)
    cache.dispose()
    assert.throws(() => methods.get(cache.cache, 1), /disposed/)
    assert.throws(() => cache.set(1, 1), /disposed/)
    await collect()
  },

  /**
   * The accelerator's functions given anything: install refuses every value
   * but the addon's table, and a fast function given a wrong id, key or slot
   * declines (FAST_NOT_TAKEN) and changes nothing; a disposed or collected
   * cache's id finds nothing, in the interpreter as in optimized code.
   */
  async 'the accelerator given anything'() {
    const accelerator = rawAccelerator()
    if (accelerator === undefined) return
    const NOT = native.protocol.FAST_NOT_TAKEN
    for (const bad of [undefined, null, 0, 1n, -1n, 2n ** 64n - 1n, native.fastAbi + 8n, native.fastAbi - 8n, {}, 'x', native.createCache(1, undefined, undefined, false, false, false, false, false).cache]) {
      assert.strictEqual(accelerator.install(bad), undefined, `install(${typeof bad})`)
    }
    const fast = accelerator.install(native.fastAbi)
    assert.ok(fast, 'install takes the addon table')
    const cache = raw(100, false)
    const id = methods.fastId(cache.cache)
    assert.throws(() => methods.fastId({}), { name: 'TypeError' })
    cache.set('kept', 1)
    // Ids that name no live cache whatever else lives in the process: another
    // generation of this cache's own slot (bits 20 to 36 of a fast id), and the
    // serial of a table not made (bits 37 up). (An id one above may be another
    // live cache's, in the next slot.)
    const ids = [NaN, -1, 0.5, id + 2 ** 20, id + 2 ** 32, id + 2 ** 37, 2 ** 53, Infinity, -Infinity, 'id', {}, undefined]
    const hot = (f, ...args) => {
      let r
      for (let i = 0; i < 20000; i++) r = f(...args)
      return r
    }
    for (const bad of ids) {
      for (const name of ['get', 'has', 'remove']) assert.strictEqual(hot(fast[name], bad, 'kept'), NOT, `${name}(${String(bad)})`)
      assert.strictEqual(hot(fast.set, bad, 'kept', 5), NOT, `set(${String(bad)})`)
      assert.strictEqual(fast.getNumber(bad, 1), NOT)
    }
    for (const slot of [-1, 0.5, NaN, 2 ** 32, native.protocol.MAX_SLOT + 1, 'x', undefined]) {
      assert.strictEqual(hot(fast.set, id, 'kept', slot), NOT, `set slot ${String(slot)}`)
    }
    for (const key of [{}, undefined, null, 1n, Symbol('s')]) {
      assert.strictEqual(fast.get(id, key), NOT, `key ${typeof key}`)
    }
    // Long strings are taken, read onto the heap: absent here, so a miss (-1).
    for (const key of ['x'.repeat(64), 'y'.repeat(1e5), `${'z'.repeat(70)}${Number('1')}`]) {
      assert.strictEqual(fast.get(id, key), -1, `a key of ${key.length} units`)
    }
    assert.strictEqual(fast.get(id), NOT, 'a missing key')
    assert.strictEqual(fast.get(id, 'kept', 'extra'), NOT, 'an extra argument')
    assert.strictEqual(cache.get('kept'), 1, 'nothing changed')
    assert.strictEqual(hot(fast.get, id, 'kept'), 1, 'the right id and key are taken')
    methods.dispose(cache.cache)
    assert.strictEqual(hot(fast.get, id, 'kept'), NOT, 'a disposed cache declines')
    const stale = (() => {
      const gone = raw(10, false)
      gone.set('a', 0)
      return methods.fastId(gone.cache)
    })()
    await collect()
    assert.strictEqual(hot(fast.get, stale, 'a'), NOT, 'a collected cache declines')
  },

  /** A getter run while reading arguments may dispose the cache: no use-after-free. */
  async 'dispose from inside a call'() {
    const cache = raw(100)
    const keys = ['a', 'b']
    Object.defineProperty(keys, 1, { get: () => (cache.dispose(), 'b') })
    assert.throws(() => cache.getMany(keys), /in use|disposed/)
    cache.dispose()
    assert.throws(() => cache.get('a'), /disposed/)
  },
}

module.exports = { scenarios, collect, bound }
