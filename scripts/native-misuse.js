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

/** A raw cache: maxCapacity, ttl, tti, lru, weighted, notify, perEntryExpiry. */
const raw = (max = 10, notify = true) => native.createCache(max, undefined, undefined, false, false, notify, false)

/** Lets the garbage collector and the finalizers it queues run. */
async function collect(rounds = 6) {
  for (let i = 0; i < rounds; i++) {
    global.gc()
    await new Promise((resolve) => setImmediate(resolve))
  }
}

const scenarios = {
  /** A method kept after its object was collected still has its cache. */
  async 'functions outlive their object'() {
    let { set, get, clear } = raw(100)
    for (let i = 0; i < 50; i++) set(`k${i}`, i)
    await collect()
    set('late', 60)
    assert.strictEqual(get('late'), 60)
    clear()
    set = get = clear = undefined
    await collect()
  },

  /** A detached state array is an error, and the events wait for a new drain. */
  async 'a detached state array'() {
    const cache = raw(100)
    for (let i = 0; i < 20; i++) cache.set(i, i)
    structuredClone(cache.state.buffer, { transfer: [cache.state.buffer] })
    await collect()
    assert.throws(() => cache.clear(), /state array was detached/)
    // Every later call that has events to publish says so too; none writes anywhere.
    assert.throws(() => cache.get(1), /state array was detached/)
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
    const open = (ttl) => native.sharedBinding().open('misuse-ttl', 10, ttl, undefined, false, false, 0, false, false, () => {}, 1024)
    assert.throws(() => open(0), { name: 'RangeError', message: zero })
    assert.throws(() => open(native.protocol.MAX_DURATION_MS * 2), { name: 'RangeError', message: /ttl must be a duration/ })
    open(native.protocol.MAX_DURATION_MS).close()
    assert.throws(() => native.createCache(10, undefined, undefined, 'yes'), { name: 'TypeError', message: /lru must be a boolean/ })
    assert.throws(() => native.createCache(-1), { name: 'RangeError', message: /maxCapacity/ })
    assert.throws(() => cache.set('k', 1, undefined, 1, 5), { name: 'TypeError', message: /perEntryExpiry/ })
    const perEntry = native.createCache(10, undefined, undefined, false, false, false, true)
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
    const { get, dispose } = cache
    for (let i = 0; i < 100; i++) cache.set(i, i)
    dispose()
    dispose()
    assert.throws(() => get(1), /disposed/)
    assert.throws(() => cache.set(1, 1), /disposed/)
    await collect()
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

module.exports = { scenarios, collect }
