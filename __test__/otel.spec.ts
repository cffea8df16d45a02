// moka-js/otel read by the real OpenTelemetry SDK: a scripted workload on each
// kind of cache, then what an in-memory exporter received, value by value.

import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

import { metrics } from '@opentelemetry/api'
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics'
import avaTest from 'ava'

import { cached, Moka, SharedMoka } from '../index.js'
import { instrument } from '../otel.js'
import { TieredCache } from '../tiered.js'
import { failure, PACKAGE } from './_helpers'
import { redisForSpec, SPEC_TIMEOUT, test as redisTest } from './_redis'

const test = avaTest

/** A meter provider whose reader exports only when flushed, into memory. */
function sdk() {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 })
  const provider = new MeterProvider({ readers: [reader] })
  return {
    provider,
    meter: provider.getMeter('moka-js-test'),
    /** Every data point of the last export, as `metric{attr=value,…}` → value. */
    async points(): Promise<Map<string, number>> {
      exporter.reset()
      await reader.forceFlush()
      const exported: ResourceMetrics[] = exporter.getMetrics()
      const points = new Map<string, number>()
      for (const scope of exported.at(-1)?.scopeMetrics ?? []) {
        for (const metric of scope.metrics) {
          for (const point of metric.dataPoints) {
            const attributes = Object.entries(point.attributes)
              .sort(([a], [b]) => a.localeCompare(b))
              .map(([k, v]) => `${k}=${String(v)}`)
              .join(',')
            points.set(`${metric.descriptor.name}{${attributes}}`, point.value as number)
          }
        }
      }
      return points
    },
    shutdown: () => provider.shutdown(),
  }
}

/** The points of one cache (`cache.name=name`), with that attribute left out of the key. */
function ofCache(points: Map<string, number>, name: string): Record<string, number> {
  const mine: Record<string, number> = {}
  for (const [key, value] of points) {
    if (!key.includes(`cache.name=${name}`)) continue
    mine[key.replace(`cache.name=${name}`, '').replace(/\{,/, '{').replace(/,\}/, '}').replace(/,,/, ',')] = value
  }
  return mine
}

/** `points` without the load time (a duration: checked on its own). */
function withoutTime(points: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(points).filter(([key]) => !key.startsWith('moka.cache.load.duration')))
}

test.serial('a Moka: hits, misses, evictions by cause, entries, weight, loads and load time', async (t) => {
  const otel = sdk()
  const cache = new Moka<string, number>({ maxCapacity: 100, evictionListener: () => {}, weigher: (_key, value) => value })
  const handle = instrument(cache, { meter: otel.meter, name: 'users', attributes: { service: 'api' } })
  cache.set('a', 1)
  cache.set('a', 2) // replaced
  cache.get('a') // hit
  cache.get('x') // miss
  cache.getWith('b', () => 3) // miss, load
  cache.delete('b') // explicit
  await cache.fetch('c', async () => {
    await new Promise((resolve) => setTimeout(resolve, 20))
    return 5
  }) // miss, load
  await failure(cache.fetch('d', () => Promise.reject(new Error('down')))) // miss, failed load
  await cache.fetch('c', () => 99) // hit
  const points = ofCache(await otel.points(), 'users')
  t.deepEqual(withoutTime(points), {
    'moka.cache.hits{service=api}': 2,
    'moka.cache.misses{service=api}': 4,
    'moka.cache.evictions{eviction.cause=expired,service=api}': 0,
    'moka.cache.evictions{eviction.cause=explicit,service=api}': 1,
    'moka.cache.evictions{eviction.cause=replaced,service=api}': 1,
    'moka.cache.evictions{eviction.cause=size,service=api}': 0,
    'moka.cache.entries{service=api}': 2,
    'moka.cache.weight{service=api}': 7,
    'moka.cache.loads{load.outcome=success,service=api}': 2,
    'moka.cache.loads{load.outcome=error,service=api}': 1,
  })
  const seconds = points['moka.cache.load.duration{service=api}']
  t.true(seconds >= 0.015 && seconds < 5, `load time ${seconds} s`)
  // Counters are read at each collection: more work, higher values.
  for (let i = 0; i < 200; i++) cache.set(`k${i}`, 1)
  cache.runPendingTasks()
  const later = ofCache(await otel.points(), 'users')
  t.is(later['moka.cache.entries{service=api}'] + later['moka.cache.evictions{eviction.cause=size,service=api}'], 202)
  t.true(later['moka.cache.weight{service=api}'] <= 100)
  handle.close()
  cache.get('a')
  cache.get('y')
  // The SDK keeps exporting a cumulative series it saw last; it no longer moves.
  t.deepEqual(ofCache(await otel.points(), 'users'), later, 'a closed instrumentation observes nothing more')
  await otel.shutdown()
})

test.serial('a SharedMoka: every thread counts; no eviction series without an evictionListener', async (t) => {
  const otel = sdk()
  const cache = new SharedMoka<string, string>({ name: 'otel-shared', maxCapacity: 10 })
  const handle = instrument(cache, { meter: otel.meter, name: 'shared' })
  cache.get('a')
  cache.set('a', 'x')
  cache.set('b', 'y')
  cache.get('a')
  cache.get('b')
  await cache.fetch('c', async () => 'z')
  const points = ofCache(await otel.points(), 'shared')
  t.deepEqual(withoutTime(points), {
    'moka.cache.hits{}': 2,
    'moka.cache.misses{}': 2,
    'moka.cache.entries{}': 3,
    'moka.cache.weight{}': 3,
    'moka.cache.loads{load.outcome=success}': 1,
    'moka.cache.loads{load.outcome=error}': 0,
  })
  handle.close()
  cache.close()
  await otel.shutdown()
})

test.serial('a cached function: its own hits and misses (joined loads included), its cache, its loads', async (t) => {
  const otel = sdk()
  let calls = 0
  const find = cached(
    async (id: number) => {
      calls++
      await new Promise((resolve) => setTimeout(resolve, 5))
      if (id < 0) throw new Error('no such user')
      return { id }
    },
    { maxCapacity: 10, evictionListener: () => {} },
  )
  const handle = instrument(find, { meter: otel.meter, name: 'find' })
  await find(1) // miss, load
  await find(1) // hit
  await Promise.all([find(2), find(2)]) // two misses, one load
  await failure(find(-1)) // miss, failed load
  find.invalidate(1) // explicit
  t.is(calls, 3)
  const points = ofCache(await otel.points(), 'find')
  t.deepEqual(withoutTime(points), {
    'moka.cache.hits{}': 1,
    'moka.cache.misses{}': 4,
    'moka.cache.evictions{eviction.cause=expired}': 0,
    'moka.cache.evictions{eviction.cause=explicit}': 1,
    'moka.cache.evictions{eviction.cause=replaced}': 0,
    'moka.cache.evictions{eviction.cause=size}': 0,
    'moka.cache.entries{}': 1,
    'moka.cache.weight{}': 1,
    'moka.cache.loads{load.outcome=success}': 2,
    'moka.cache.loads{load.outcome=error}': 1,
  })
  handle.close()
  await otel.shutdown()
})

test.serial('a function memoized in a SharedMoka: its loads are counted once, sync or async', async (t) => {
  const otel = sdk()
  const double = cached((n: number) => Promise.resolve(n * 2), { shared: 'otel-shared-fn' })
  const handle = instrument(double, { meter: otel.meter, name: 'double' })
  await double(1)
  await double(1)
  await double(2)
  const points = ofCache(await otel.points(), 'double')
  t.is(points['moka.cache.hits{}'], 1)
  t.is(points['moka.cache.misses{}'], 2)
  t.is(points['moka.cache.entries{}'], 2)
  t.is(points['moka.cache.loads{load.outcome=success}'], 2)
  handle.close()
  double.cache.close()
  await otel.shutdown()
})

test.serial('two caches on one meter share the instruments, told apart by cache.name; the global meter is the default', async (t) => {
  const otel = sdk()
  t.true(metrics.setGlobalMeterProvider(otel.provider))
  try {
    const one = new Moka<string, number>({ maxCapacity: 10 })
    const two = new Moka<string, number>({ maxCapacity: 10 })
    const handles = [instrument(one, { name: 'one' }), instrument(two, { name: 'two' })]
    one.get('a')
    two.set('a', 1).get('a')
    const points = await otel.points()
    t.is(points.get('moka.cache.misses{cache.name=one}'), 1)
    t.is(points.get('moka.cache.hits{cache.name=one}'), 0)
    t.is(points.get('moka.cache.hits{cache.name=two}'), 1)
    t.is(points.get('moka.cache.entries{cache.name=two}'), 1)
    for (const handle of handles) handle.close()
  } finally {
    metrics.disable()
    await otel.shutdown()
  }
})

test('instrument() refuses what it cannot report, naming it', (t) => {
  const meter = sdk().meter
  t.throws(() => instrument({} as never, { meter, name: 'x' }), { instanceOf: TypeError, message: /takes a Moka, a SharedMoka, a cached function or a TieredCache/ })
  t.throws(() => instrument(new Moka({ maxCapacity: 1 }), { meter } as never), { instanceOf: TypeError, message: /name must be a non-empty string/ })
})

test('a disposed Moka is reported with its load counts only, and the collection does not fail', async (t) => {
  const otel = sdk()
  const cache = new Moka<string, number>({ maxCapacity: 10 })
  const handle = instrument(cache, { meter: otel.meter, name: 'disposed' })
  cache.set('a', 1)
  cache.dispose()
  t.deepEqual(withoutTime(ofCache(await otel.points(), 'disposed')), {
    'moka.cache.loads{load.outcome=success}': 0,
    'moka.cache.loads{load.outcome=error}': 0,
  })
  handle.close()
  await otel.shutdown()
})

test('without @opentelemetry/api, instrument() with a meter works, and without one the error names the install command', async (t) => {
  // The package's own node_modules has the API: a preload hides it, as a project without it would be.
  const hide = "const M = require('module'); const r = M._resolveFilename; M._resolveFilename = function (request, ...rest) { if (request === '@opentelemetry/api') { const e = new Error('Cannot find module ' + request); e.code = 'MODULE_NOT_FOUND'; throw e } return r.call(this, request, ...rest) }"
  const script = `${hide}
const { Moka } = require('./index.js')
const { instrument } = require('./otel.js')
const observed = []
const meter = {
  createObservableCounter: (name) => ({ name }),
  createObservableGauge: (name) => ({ name }),
  addBatchObservableCallback: (callback) => callback({ observe: (o, value) => observed.push(o.name + '=' + value) }),
  removeBatchObservableCallback: () => {},
}
const cache = new Moka({ maxCapacity: 10 })
cache.get('a')
instrument(cache, { meter, name: 'c' }).close()
console.log(observed.filter((o) => o.startsWith('moka.cache.misses')).join())
instrument(cache, { name: 'c' })`
  const output = await promisify(execFile)(process.execPath, ['-e', script], { cwd: PACKAGE }).then(
    () => 'exited 0',
    (error: { stdout: string; stderr: string }) => `${error.stdout}\n${error.stderr}`,
  )
  t.regex(output, /moka\.cache\.misses=1/)
  t.regex(output, /moka-js\/otel needs @opentelemetry\/api .*: npm install @opentelemetry\/api/)
  t.regex(output, /ERR_MOKA_JS_MISSING_PEER/)
})

const redis = redisForSpec(redisTest)

redisTest.serial('a TieredCache: hits and misses per tier, loads, tier errors and the breaker state', async (t) => {
  const otel = sdk()
  const options = { redis: redis.server.url, namespace: 'otel', timeout: SPEC_TIMEOUT }
  const a = redis.track(new TieredCache<string, string>(options))
  const b = redis.track(new TieredCache<string, string>(options))
  await Promise.all([a.ready(), b.ready()])
  const handles = [instrument(a, { meter: otel.meter, name: 'a' }), instrument(b, { meter: otel.meter, name: 'b' })]
  t.is(await a.fetch('k', () => 'loaded'), 'loaded') // a: L1 miss, L2 miss, load
  t.is(await a.get('k'), 'loaded') // a: L1 hit
  t.is(await b.get('k'), 'loaded') // b: L1 miss, L2 hit
  t.is(await b.get('k'), 'loaded') // b: L1 hit
  t.is(await b.get('nothing'), undefined) // b: L1 miss, L2 miss
  await b.set('only-b', 'x') // b: into L1 (a never holds it, so its invalidation removes nothing there)
  await b.set('only-b', 'y') // b: L1 replaced
  await b.delete('only-b') // b: L1 explicit
  const points = await otel.points()
  t.deepEqual(withoutTime(ofCache(points, 'a')), {
    'moka.cache.hits{cache.tier=l1}': 1,
    'moka.cache.misses{cache.tier=l1}': 1,
    'moka.cache.hits{cache.tier=l2}': 0,
    'moka.cache.misses{cache.tier=l2}': 1,
    'moka.cache.entries{}': 1,
    'moka.cache.evictions{cache.tier=l1,eviction.cause=expired}': 0,
    'moka.cache.evictions{cache.tier=l1,eviction.cause=explicit}': 0,
    'moka.cache.evictions{cache.tier=l1,eviction.cause=replaced}': 0,
    'moka.cache.evictions{cache.tier=l1,eviction.cause=size}': 0,
    'moka.cache.tier.errors{}': 0,
    'moka.cache.breaker.state{breaker.state=closed}': 1,
    'moka.cache.breaker.state{breaker.state=open}': 0,
    'moka.cache.breaker.state{breaker.state=halfOpen}': 0,
    'moka.cache.loads{load.outcome=success}': 1,
    'moka.cache.loads{load.outcome=error}': 0,
  })
  const bPoints = ofCache(points, 'b')
  t.is(bPoints['moka.cache.hits{cache.tier=l1}'], 1)
  t.is(bPoints['moka.cache.misses{cache.tier=l1}'], 2)
  t.is(bPoints['moka.cache.hits{cache.tier=l2}'], 1)
  t.is(bPoints['moka.cache.misses{cache.tier=l2}'], 1)
  t.is(bPoints['moka.cache.loads{load.outcome=success}'], 0)
  t.is(bPoints['moka.cache.evictions{cache.tier=l1,eviction.cause=replaced}'], 1)
  t.is(bPoints['moka.cache.evictions{cache.tier=l1,eviction.cause=explicit}'], 1)
  for (const handle of handles) handle.close()
  await otel.shutdown()
})
