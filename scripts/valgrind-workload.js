'use strict'
// A representative workload for the memcheck run (scripts/test-valgrind.sh):
// every public method, listeners (re-entrant and throwing), expiry, every key
// kind, the native error paths, event batches larger than the shared array,
// and caches dropped and collected so that their native side is freed.
// Plain Node: it must run under valgrind in reasonable time.

const assert = require('node:assert')
const { Worker } = require('node:worker_threads')
const path = require('node:path')

const root = path.resolve(__dirname, '..')
const { Moka } = require(root)
const native = require(path.join(root, 'loader.js'))
if (process.env.NAPI_RS_NATIVE_LIBRARY_PATH) {
  // The addon under test, not the release build next to package.json.
  assert.ok(require.cache[path.resolve(process.env.NAPI_RS_NATIVE_LIBRARY_PATH)], 'the NAPI_RS_NATIVE_LIBRARY_PATH addon is loaded')
}

const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
const N = Number(process.env.VALGRIND_OPS || 3000)

class Point {
  constructor(x, y) {
    this.x = x
    this.y = y
  }
  equals(o) {
    return o instanceof Point && o.x === this.x && o.y === this.y
  }
  hashCode() {
    return this.x + this.y
  }
}

const objects = [{}, [], () => {}, Symbol('s'), Symbol.for('registered')]
const long = 'L'.repeat(200)
function key(i) {
  switch (i % 9) {
    case 0: return i % 500
    case 1: return `k${i % 400}`
    case 2: return long + (i % 50)
    case 3: return BigInt(i % 300) << 70n
    case 4: return new Point(i % 20, i % 7)
    case 5: return objects[i % objects.length]
    case 6: return [-0, NaN, Infinity, null, undefined, true, false][i % 7]
    case 7: return '😀é\u0301'.repeat(i % 40)
    default: return (i % 100) / 7
  }
}

let notified = 0
let depth = 0
const caches = []
const perEntry = new WeakSet()

function build() {
  const listener = (cache) => (k, v, cause) => {
    notified++
    if (cause === 'size' && depth === 0 && notified % 5 === 0) {
      depth++
      try {
        cache.get(k)
        cache.set(`re:${notified % 10}`, v)
        cache.has(k)
      } finally {
        depth--
      }
    }
    if (notified % 997 === 0) throw new Error('listener error')
  }
  const a = new Moka({ maxCapacity: 200, ttl: 30, perEntryExpiry: true, evictionListener: (...args) => listener(a)(...args) })
  const b = new Moka({ maxCapacity: 300, policy: 'lru', tti: 20, perEntryExpiry: true, weigher: (_k, v) => 1 + (v % 3), evictionListener: (...args) => listener(b)(...args) })
  const c = new Moka({ maxCapacity: 100, perEntryExpiry: true, hash: (k) => String(k).length, equals: (x, y) => String(x) === String(y) })
  const zero = new Moka({ maxCapacity: 0, evictionListener: () => notified++ })
  const lean = new Moka({ maxCapacity: 150 }) // no listener: slots released when moka drops entries
  for (const cache of [a, b, c]) perEntry.add(cache)
  return [a, b, c, zero, lean]
}

function exercise(cache, n) {
  for (let i = 0; i < n; i++) {
    const k = key(i)
    try {
      switch (i % 16) {
        case 0: case 1: case 2: case 3: cache.set(k, i); break
        case 4: cache.set(k, i, perEntry.has(cache) ? { ttl: 1 + (i % 5) } : undefined); break
        case 5: cache.set(k, i, perEntry.has(cache) ? { tti: 2 } : undefined); break
        case 6: case 7: case 8: cache.get(k); break
        case 9: cache.has(k); break
        case 10: cache.delete(k); break
        case 11: cache.remove(k); break
        case 12: cache.getWith(k, () => i); break
        case 13: cache.getMany([k, key(i + 1), key(i + 2)]); break
        case 14: cache.setMany([[k, i], [key(i + 3), i]]); break
        default:
          if (i % 256 === 15) cache.invalidateIf((_k, v) => v % 3 === 0)
          else if (i % 512 === 31) cache.clear()
          else [...cache.entries()].length
      }
    } catch (error) {
      if (!/listener error|eviction listener calls threw/.test(String(error && error.message))) throw error
    }
    if (i % 1000 === 999) sleep(3)
  }
  cache.runPendingTasks()
  cache.size
  cache.weightedSize
  cache.stats()
  cache.forEach(() => {})
  ;[...cache.keys(), ...cache.values()]
}

for (const cache of build()) {
  caches.push(cache)
  exercise(cache, N)
}

// More removals in one call than the shared event array holds (1022).
const big = new Moka({ maxCapacity: 10000, evictionListener: () => notified++ })
for (let i = 0; i < 5000; i++) big.set(i, i)
big.clear()
assert.strictEqual(big.slotsInUse, 0)

// Native error paths and misuse of the raw functions, reached directly.
const expectThrow = (fn) => assert.throws(fn)
const { scenarios, bound } = require('./native-misuse.js')
const raw = bound(native.createCache(10, undefined, undefined, false, true, true, true))
expectThrow(() => raw.set({}, 1))
expectThrow(() => raw.set('k', 2 ** 40))
expectThrow(() => raw.set('k', 1, undefined, -1))
expectThrow(() => raw.set('k', 1, undefined, 'heavy'))
expectThrow(() => raw.getMany('not an array'))
expectThrow(() => raw.setMany(['a'], undefined, [1, 2]))
expectThrow(() => raw.setMany(['a', {}], undefined, [1, 2]))
raw.set('k', 1, undefined, 1, 5, undefined)
assert.strictEqual(raw.get('k'), 1)
const misuse = Object.values(scenarios).reduce((done, run) => done.then(run), Promise.resolve())

// Huge keys.
const huge = new Moka({ maxCapacity: 10 })
huge.set('x'.repeat(1 << 20), 1)
assert.strictEqual(huge.get('x'.repeat(1 << 20)), 1)
huge.set((1n << 64000n) - 1n, 2)
assert.strictEqual(huge.get((1n << 64000n) - 1n), 2)

// Drop everything and let the finalizers free the native caches.
caches.length = 0
function settle(rounds, done) {
  global.gc()
  if (rounds === 0) return done()
  setImmediate(() => settle(rounds - 1, done))
}

// The accelerator (ts/core/fast.ts) takes the calls it can wherever it is built: so its
// entry points run under memcheck too (through its ordinary callbacks: --jitless runs no
// optimized code, so no V8 fast path).
const { acceleratorInfo } = require(path.join(root, 'lib', 'core', 'fast.js'))
const accelerated = require('node:fs').existsSync(path.join(root, `moka-js-fast.abi${process.versions.modules}.node`)) && process.env.MOKA_JS_FAST !== '0'

function finish() {
  misuse.then(() => settle(6, () => {
    const { calls } = acceleratorInfo()
    if (accelerated) assert.ok(calls > N, `the accelerator took ${calls} calls`)
    console.log(`valgrind workload done: ${N} ops per cache, ${notified} notifications, ${calls} calls through the accelerator`)
  }))
}

if (process.env.VALGRIND_WORKERS === '0') {
  finish()
} else {
  // A worker that uses the addon and is terminated mid-operation, then one that ends normally.
  const code = `const { Moka } = require(${JSON.stringify(root)}); const { parentPort } = require('node:worker_threads'); const c = new Moka({ maxCapacity: 50, ttl: 5, evictionListener: () => {} }); parentPort.postMessage('ready'); for (let i = 0; i < (require('node:worker_threads').workerData || 1e9); i++) { c.set(i % 200, i); c.get(i % 77) } parentPort.postMessage('done')`
  const killed = new Worker(code, { eval: true })
  killed.on('message', () => setTimeout(() => killed.terminate(), 200))
  killed.on('exit', () => {
    const normal = new Worker(code, { eval: true, workerData: 2000 })
    normal.on('exit', (exitCode) => {
      assert.strictEqual(exitCode, 0)
      finish()
    })
  })
}
