// `moka-js/otel`: a cache's counters as OpenTelemetry metrics. Every
// instrument is observable: the SDK reads `stats()` (and the like) when it
// collects, so an instrumented cache pays nothing per operation. Loads and
// their time are tallied from the `moka-js:load` channel, which is subscribed
// only while an instrumentation is open. `@opentelemetry/api` is an optional
// peer dependency, loaded only when no `meter` is given; the types below name
// none of its types, so a project without it still compiles.

import { subscribe, unsubscribe } from 'node:diagnostics_channel'

import { CHANNELS, LoadMessage } from '../core/diagnostics'
import { describe } from '../core/duration'
import { Moka } from '../core/moka'
import { SharedMoka } from '../shared/shared-moka'

export type MetricAttributes = Record<string, string | number | boolean>

/** An observable instrument, as the meter creates it. */
export type ObservableInstrument = object

/** What a batch callback gets from the meter: the place to report observations. */
export interface ObservationSink {
  observe(observable: ObservableInstrument, value: number, attributes?: MetricAttributes): void
}

/** The part of an OpenTelemetry `Meter` (from `@opentelemetry/api`) that `instrument` uses. */
export interface MeterLike {
  createObservableCounter(name: string, options?: { description?: string; unit?: string }): ObservableInstrument
  createObservableGauge(name: string, options?: { description?: string; unit?: string }): ObservableInstrument
  addBatchObservableCallback(callback: (sink: ObservationSink) => void, observables: ObservableInstrument[]): void
  removeBatchObservableCallback(callback: (sink: ObservationSink) => void, observables: ObservableInstrument[]): void
}

export interface InstrumentOptions {
  /** Reported as the `cache.name` attribute of every series of this cache. */
  name: string
  /** The meter to create the instruments with. Default: `metrics.getMeter('moka-js')` of `@opentelemetry/api`. */
  meter?: MeterLike
  /** More attributes for every series of this cache (a service name, a region…). */
  attributes?: MetricAttributes
}

/** An open instrumentation; `close()` (or `using`) stops reporting the cache. */
export interface Instrumentation {
  close(): void
  [Symbol.dispose](): void
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any cache, whatever its key and value types
type AnyCache = Moka<any, any> | SharedMoka<any, any>

/** A `cached` function: its counters, and the cache (a `Moka` or `SharedMoka`) that holds its results. */
interface CachedLike {
  (...args: never[]): unknown
  cacheInfo(): { hits: number; misses: number; size: number }
  readonly cache: AnyCache
}

/** A `TieredCache` (from `moka-js/tiered`), known by shape so that this module does not load the tier. */
interface TieredLike {
  readonly closed: boolean
  stats(): {
    l1: { hits: number; misses: number; size: number; evictions: Record<string, number> }
    l2: { hits: number; misses: number; errors: number }
    breaker: 'closed' | 'open' | 'halfOpen'
  }
}

/** What `instrument` reports: a `Moka`, a `SharedMoka`, a `cached` function (either kind) or a `TieredCache`. */
export type Instrumentable = AnyCache | CachedLike | TieredLike

/** The instruments of one meter, created once and shared by every cache it reports. */
function createInstruments(meter: MeterLike) {
  const counter = (name: string, description: string, unit: string) => meter.createObservableCounter(name, { description, unit })
  const gauge = (name: string, description: string, unit: string) => meter.createObservableGauge(name, { description, unit })
  return {
    hits: counter('moka.cache.hits', 'Reads answered from the cache', '{hit}'),
    misses: counter('moka.cache.misses', 'Reads that found nothing', '{miss}'),
    evictions: counter('moka.cache.evictions', 'Entries that left the cache, by cause', '{entry}'),
    entries: gauge('moka.cache.entries', 'Entries held', '{entry}'),
    weight: gauge('moka.cache.weight', 'Total weight of the entries (their number without a weigher)', '1'),
    loads: counter('moka.cache.loads', 'Loader calls, by outcome', '{load}'),
    loadTime: counter('moka.cache.load.duration', 'Time spent in loaders, summed', 's'),
    tierErrors: counter('moka.cache.tier.errors', 'Failures of the Redis tier', '{error}'),
    breaker: gauge('moka.cache.breaker.state', 'The Redis circuit breaker: 1 for its current state, 0 for the others', '1'),
  }
}

type Instruments = ReturnType<typeof createInstruments>

const instrumentsByMeter = new WeakMap<MeterLike, Instruments>()

function instrumentsOf(meter: MeterLike): Instruments {
  let found = instrumentsByMeter.get(meter)
  if (found === undefined) instrumentsByMeter.set(meter, (found = createInstruments(meter)))
  return found
}

/** Loads seen on `moka-js:load`, by the object that published them. */
interface LoadTally {
  /** Open instrumentations reading this tally. */
  readers: number
  succeeded: number
  failed: number
  seconds: number
}

const loadTallies = new Map<object, LoadTally>()

function onLoad(message: unknown): void {
  const { cache, duration, ok } = message as LoadMessage
  const tally = loadTallies.get(cache)
  if (tally === undefined) return
  if (ok) tally.succeeded++
  else tally.failed++
  tally.seconds += duration / 1000
}

function defaultMeter(): MeterLike {
  let api: { metrics: { getMeter(name: string): MeterLike } }
  try {
    api = require('@opentelemetry/api') as typeof api
  } catch (cause) {
    const error = new Error(
      'moka-js/otel needs @opentelemetry/api (an optional peer dependency of moka-js, not installed) when no meter is given: npm install @opentelemetry/api',
      { cause },
    )
    Object.assign(error, { code: 'ERR_MOKA_JS_MISSING_PEER', missing: ['@opentelemetry/api'] })
    throw error
  }
  return api.metrics.getMeter('moka-js')
}

const isTiered = (target: unknown): target is TieredLike =>
  (target as { [Symbol.toStringTag]?: unknown } | null)?.[Symbol.toStringTag] === 'TieredCache'

const isCachedFunction = (target: unknown): target is CachedLike =>
  typeof target === 'function' && typeof (target as { cacheInfo?: unknown }).cacheInfo === 'function'

/** Whether a cache can still be read (not disposed, not closed). */
const readable = (cache: AnyCache): boolean =>
  cache instanceof Moka ? !cache.disposed : !cache.closed

function observeEvictions(sink: ObservationSink, i: Instruments, evictions: Record<string, number>, attributes: MetricAttributes): void {
  for (const [cause, count] of Object.entries(evictions)) sink.observe(i.evictions, count, { ...attributes, 'eviction.cause': cause })
}

/** Observes what a `Moka` or `SharedMoka` knows of itself; `withLookups` false when its reads are counted elsewhere. */
function observeCache(sink: ObservationSink, i: Instruments, cache: AnyCache, attributes: MetricAttributes, withLookups: boolean): void {
  const stats = cache.stats()
  if (withLookups) {
    sink.observe(i.hits, stats.hits, attributes)
    sink.observe(i.misses, stats.misses, attributes)
  }
  if (stats.evictions !== undefined) observeEvictions(sink, i, stats.evictions, attributes)
  sink.observe(i.entries, cache.size, attributes)
  sink.observe(i.weight, cache.weightedSize, attributes)
}

/**
 * Reports `target`'s counters through `meter`'s observable instruments,
 * read at each collection: hits, misses, evictions by cause, entries,
 * weight, loads and load time; for a `TieredCache`, hits and misses per tier
 * (`cache.tier`: `l1`, `l2`), tier errors and the circuit breaker's state.
 * Every series carries `cache.name: name`. Returns a handle whose `close()`
 * stops reporting.
 */
export function instrument(target: Instrumentable, options: InstrumentOptions): Instrumentation {
  if (typeof options !== 'object' || options === null) throw new TypeError(`options must be an object with a name, got ${describe(options)}`)
  const { name, attributes: extra = {} } = options
  if (typeof name !== 'string' || name === '') throw new TypeError(`name must be a non-empty string, got ${describe(name)}`)
  const cached = isCachedFunction(target)
  if (!cached && !isTiered(target) && !(target instanceof Moka) && !(target instanceof SharedMoka)) {
    throw new TypeError(`instrument() takes a Moka, a SharedMoka, a cached function or a TieredCache, got ${describe(target)}`)
  }
  const meter = options.meter ?? defaultMeter()
  const i = instrumentsOf(meter)
  const attributes: MetricAttributes = { ...extra, 'cache.name': name }
  // A function memoized in a SharedMoka publishes its loads as that cache's.
  const loadSource: object = cached && target.cache instanceof SharedMoka ? target.cache : target
  if (loadTallies.size === 0) subscribe(CHANNELS.load, onLoad)
  const tally: LoadTally = loadTallies.get(loadSource) ?? { readers: 0, succeeded: 0, failed: 0, seconds: 0 }
  tally.readers++
  loadTallies.set(loadSource, tally)

  const callback = (sink: ObservationSink): void => {
    sink.observe(i.loads, tally.succeeded, { ...attributes, 'load.outcome': 'success' })
    sink.observe(i.loads, tally.failed, { ...attributes, 'load.outcome': 'error' })
    sink.observe(i.loadTime, tally.seconds, attributes)
    if (isTiered(target)) {
      if (target.closed) return
      const stats = target.stats()
      for (const tier of ['l1', 'l2'] as const) {
        sink.observe(i.hits, stats[tier].hits, { ...attributes, 'cache.tier': tier })
        sink.observe(i.misses, stats[tier].misses, { ...attributes, 'cache.tier': tier })
      }
      sink.observe(i.entries, stats.l1.size, attributes)
      observeEvictions(sink, i, stats.l1.evictions, { ...attributes, 'cache.tier': 'l1' })
      sink.observe(i.tierErrors, stats.l2.errors, attributes)
      for (const state of ['closed', 'open', 'halfOpen']) sink.observe(i.breaker, stats.breaker === state ? 1 : 0, { ...attributes, 'breaker.state': state })
    } else if (cached) {
      // The function's own counts: a call joining a load in flight is a miss the cache never saw.
      const info = target.cacheInfo()
      sink.observe(i.hits, info.hits, attributes)
      sink.observe(i.misses, info.misses, attributes)
      if (readable(target.cache)) observeCache(sink, i, target.cache, attributes, false)
    } else if (readable(target)) {
      observeCache(sink, i, target, attributes, true)
    }
  }
  const observables = Object.values(i)
  meter.addBatchObservableCallback(callback, observables)
  let open = true
  const close = (): void => {
    if (!open) return
    open = false
    meter.removeBatchObservableCallback(callback, observables)
    if (--tally.readers === 0) loadTallies.delete(loadSource)
    if (loadTallies.size === 0) unsubscribe(CHANNELS.load, onLoad)
  }
  return { close, [Symbol.dispose]: close }
}
