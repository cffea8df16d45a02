// `TieredCache`: an L1 `Moka` per process in front of Redis/Valkey, kept
// coherent by an invalidation bus, with tags, cross-process single-flight and
// graceful degradation when Redis is slow or gone.

import { randomUUID } from 'node:crypto'

import { TierErrorMessage, tierErrorChannel, timedLoad } from '../core/diagnostics'
import { describe, Duration, toMillis } from '../core/duration'
import { EntryTtl, entryOptions, SKIP } from '../core/fetch'
import { Keying } from '../core/keys'
import { optionObject } from '../core/options'
import { abortReason, Flights } from '../core/singleflight'
import { CacheTier, checkName, checkTags, TierFetchOptions } from '../core/tier'
import { Bus, BusEvent } from './bus'
import { Connections, Layout } from './connection'
import { Envelope, Signer } from './envelope'
import { PayloadError, TierError } from './errors'
import { BreakerState, DeadlineError, FAILED, Guard, withDeadline } from './guard'
import { LocalEntry, LocalTier } from './local'
import { Locks } from './lock'
import { TieredCacheOptions, TieredSetOptions, validateTieredOptions, validateTieredSetOptions } from './options'
import { DELETE, DRAIN_TAG, GET, SET } from './scripts'
import { codecOf } from '../codec/serializer'

export interface TieredFetchOptions<V> extends TierFetchOptions<V> {
  /** Rejects this caller alone when it aborts. */
  signal?: AbortSignal
  /**
   * When the value is past its ttl but within `staleIfError`, and the reload
   * takes longer than this, the caller gets the stale value; the reload goes
   * on and stores its result.
   */
  softTimeout?: Duration
}

/** A loader for `fetch`: the key and `{ signal }`, which aborts when every waiter has gone or the timeout fired. */
export type TieredLoader<K, V> = (key: K, context: { signal: AbortSignal }) => V | PromiseLike<V>

export interface TieredStats {
  /** `evictions`: entries that left L1, by cause (`explicit` includes invalidations from the bus). */
  l1: { hits: number; misses: number; size: number; evictions: { expired: number; explicit: number; replaced: number; size: number } }
  /** `errors` counts every failure reported to `onError`; `rejected` the refused payloads among them. */
  l2: { hits: number; misses: number; errors: number; timeouts: number; skipped: number; rejected: number }
  /** Loader calls in this process (first loads and refreshes). */
  loads: number
  /** `fetch` calls that waited for another instance's load. */
  lockWaits: number
  /** Values served past their ttl because a reload failed. */
  staleServed: number
  breaker: BreakerState
  bus: { connected: boolean; received: number; rejected: number; resyncs: number }
}

interface FetchPlan<V> {
  ttl: EntryTtl<V> | undefined
  tags: readonly string[]
  refreshAfter: number | undefined
  grace: number
  timeout: number | undefined
  softTimeout: number | undefined
  signal: AbortSignal | undefined
  /** getOrSetForever: stored without a ttl, the cache's default ttl notwithstanding. */
  forever: boolean
}

const noop = (): void => {}
const isFresh = (entry: LocalEntry<unknown>): boolean => entry.freshUntil > performance.now()
/** Largest batch of tag members popped and unlinked in one step, and of keys deleted in one step (keeps each step short for Redis). */
const TAG_BATCH = 1000
const SCAN_BATCH = 1000

export class TieredCache<K extends string = string, V = unknown> implements CacheTier<V> {
  /** The prefix of this cache's keys and channel in Redis. */
  readonly namespace: string
  readonly #local: LocalTier<V>
  readonly #connections: Connections
  readonly #layout: Layout
  readonly #guard: Guard
  readonly #bus: Bus
  readonly #locks: Locks | undefined
  readonly #lockWait: number
  readonly #envelope: Envelope<V>
  readonly #maxValueBytes: number
  readonly #ttl: number | undefined
  readonly #flights = new Flights(new Keying())
  /** The value past its ttl that each load in flight found (for softTimeout). */
  readonly #staleOfLoad = new Map<string, LocalEntry<V>>()
  /** Callers past their softTimeout whose load has not found a stale value yet. */
  readonly #overdue = new Map<string, Set<(stale: LocalEntry<V>) => void>>()
  readonly #onError: ((error: TierError) => void) | undefined
  #closed = false
  readonly #n = { l1Hits: 0, l1Misses: 0, l2Hits: 0, l2Misses: 0, errors: 0, rejected: 0, loads: 0, lockWaits: 0, staleServed: 0 }

  constructor(options: TieredCacheOptions<V>) {
    const o = validateTieredOptions(options)
    const codec = codecOf<V>(o.serializer)
    this.namespace = o.namespace
    this.#ttl = o.ttl
    this.#onError = o.onError
    this.#maxValueBytes = o.maxValueBytes
    this.#local = new LocalTier<V>(o.l1)
    const signer = new Signer(o.hmacKey)
    this.#envelope = new Envelope(codec, signer, o.maxValueBytes)
    const connections = new Connections(o.redis, o.namespace, o.pubsub, (error) => this.#report(error))
    this.#connections = connections
    this.#layout = connections.layout
    this.#guard = new Guard({
      timeout: o.timeout,
      failures: o.failures,
      halfOpenAfter: o.halfOpenAfter,
      suppressErrors: o.suppressErrors,
      report: (error) => this.#report(error),
      unreachable: (operation, key) => connections.unreachable(operation, key),
    })
    this.#bus = new Bus(connections.subscriber, () => connections.pubsub(), this.#layout.channel, randomUUID(), signer, {
      event: (event) => this.#apply(event),
      resync: () => {
        // Whatever L1 holds may have missed an invalidation while the bus was down.
        this.#local.clear()
        this.#locks?.wakeAll()
      },
      error: (error) => this.#report(error),
    })
    this.#lockWait = o.lock?.wait ?? 0
    this.#locks = o.lock && new Locks(connections, this.#guard, this.#bus, o.lock.ttl)
  }

  /**
   * Resolves once the invalidation bus is subscribed (until then, other
   * instances' writes are not seen). Rejects with a `TierError` naming the
   * endpoint and the cause (refused, timed out, authentication failed) when
   * Redis cannot be reached; the cache keeps trying in the background, and a
   * later call waits again.
   */
  async ready(): Promise<void> {
    this.#open('ready')
    if (this.#bus.connected) return
    const connections = this.#connections
    try {
      await withDeadline(this.#bus.subscription(), connections.connectTimeout)
    } catch (cause) {
      if (this.#closed) throw closed('ready')
      const timedOut = cause instanceof DeadlineError
      throw (
        connections.unreachable('connection') ??
        (timedOut
          ? new TierError(`Redis at ${connections.endpoint} did not answer within ${connections.connectTimeout} ms`, { operation: 'connection', kind: 'timeout' })
          : connections.failure('connection', cause))
      )
    }
  }

  /** The value of `key`: from L1, else from Redis (which fills L1 for at most the entry's remaining ttl). */
  async get(key: K): Promise<V | undefined> {
    this.#open('get')
    checkName(key, 'key')
    const entry = await this.#lookup(key)
    return entry !== undefined && isFresh(entry) ? entry.value : undefined
  }

  /** Whether `key` has a value within its ttl (as `get` would return one: read from L1, else Redis, and checked). */
  async has(key: K): Promise<boolean> {
    this.#open('has')
    checkName(key, 'key')
    const entry = await this.#lookup(key)
    return entry !== undefined && isFresh(entry)
  }

  /** Stores `value` in both tiers and tells the other instances to drop their copies. */
  async set(key: K, value: V, options?: TieredSetOptions): Promise<void> {
    this.#open('set')
    checkName(key, 'key')
    if (value === undefined) throw new TypeError('value must not be undefined (get() returns undefined for a missing key)')
    const { ttl, tags } = validateTieredSetOptions(options)
    await this.#write(key, value, ttl ?? this.#ttl, tags, 0, true)
  }

  /**
   * Removes `key` from both tiers and every instance's L1. True if Redis had
   * it and removed it; false if it did not, or could not be reached (then
   * only this process's L1 copy is gone: `onError` is told, and with
   * `suppressErrors: false` the call rejects instead).
   */
  async delete(key: K): Promise<boolean> {
    this.#open('delete')
    checkName(key, 'key')
    return (await this.#deleteKeys('delete', [key])) === 1
  }

  /**
   * Removes `keys` as `delete` does, a thousand in one Lua step and one bus
   * message. Resolves to how many Redis had and removed (0 when it could not
   * be reached: then only this process's L1 copies are gone).
   */
  async deleteMany(keys: readonly K[]): Promise<number> {
    this.#open('deleteMany')
    if (!Array.isArray(keys)) throw new TypeError(`keys must be an array of strings, got ${describe(keys)}`)
    for (const key of keys) checkName(key, 'key')
    let removed = 0
    for (let start = 0; start < keys.length; start += TAG_BATCH) removed += await this.#deleteKeys('deleteMany', [...new Set(keys.slice(start, start + TAG_BATCH))])
    return removed
  }

  async #deleteKeys(operation: 'delete' | 'deleteMany', keys: readonly string[]): Promise<number> {
    for (const key of keys) {
      this.#flights.forget(key)
      this.#local.delete(key)
    }
    if (keys.length === 0) return 0
    const connections = this.#connections
    const message = this.#bus.encode({ keys })
    const removed = await this.#guard.run(operation, keys.length === 1 ? keys[0] : undefined, async () =>
      DELETE.run(connections.commands, keys.map((key) => this.#layout.data(key)), [await connections.publishCommand(), this.#layout.channel, message]),
    )
    return removed === FAILED ? 0 : (removed as number)
  }

  /**
   * The value of `key`, or else `loader(key, { signal })`'s, stored in both
   * tiers. Concurrent misses share one load in this process and, through a
   * Redis lock, across processes.
   */
  fetch(key: K, loader: TieredLoader<K, V>, options?: TieredFetchOptions<V>): Promise<V> {
    if (this.#closed) return Promise.reject(closed('fetch'))
    return this.#fetch(key, loader, fetchPlan<V>(options, 'fetch'))
  }

  /**
   * `fetch` for a value that never expires: a miss is loaded and stored
   * without a ttl, whatever the cache's default `ttl` (options as `fetch`'s,
   * without `ttl` and `staleIfError`).
   */
  getOrSetForever(key: K, loader: TieredLoader<K, V>, options?: Omit<TieredFetchOptions<V>, 'ttl' | 'staleIfError' | 'softTimeout'>): Promise<V> {
    if (this.#closed) return Promise.reject(closed('getOrSetForever'))
    return this.#fetch(key, loader, fetchPlan<V>(options, 'getOrSetForever'))
  }

  #fetch(key: K, loader: TieredLoader<K, V>, plan: FetchPlan<V>): Promise<V> {
    checkName(key, 'key')
    if (typeof loader !== 'function') throw new TypeError(`loader must be a function, got ${describe(loader)}`)
    if (plan.signal?.aborted) return Promise.reject(abortReason(plan.signal))
    const local = this.#local.get(key)
    if (local !== undefined && isFresh(local)) {
      this.#n.l1Hits++
      return Promise.resolve(this.#serve(key, local, loader, plan))
    }
    const running = this.#flights.get<V>(key)
    const joined =
      running !== undefined
        ? running.join(plan.signal, plan.timeout)
        : this.#flights
            .start<V>(key, {
              attempt: (signal) => this.#load(key, loader, plan, signal, local),
              timeout: plan.timeout,
              onValue: noop,
            })
            .join(plan.signal)
    return plan.softTimeout === undefined ? joined : this.#softly(key, joined, plan.softTimeout)
  }

  /** `joined`, or past `ms` the stale value its load found (then or later), if still within its grace. */
  #softly(key: string, joined: Promise<V>, ms: number): Promise<V> {
    return new Promise<V>((resolve, reject) => {
      let settled = false
      const serve = (stale: LocalEntry<V>): void => {
        if (settled || performance.now() >= stale.staleUntil) return
        settled = true
        this.#n.staleServed++
        resolve(stale.value)
      }
      const timer = setTimeout(() => {
        const stale = this.#staleOfLoad.get(key)
        if (stale !== undefined) return serve(stale)
        let overdue = this.#overdue.get(key)
        if (overdue === undefined) this.#overdue.set(key, (overdue = new Set()))
        overdue.add(serve)
      }, ms)
      const done = (): void => {
        settled = true
        clearTimeout(timer)
        const overdue = this.#overdue.get(key)
        overdue?.delete(serve)
        if (overdue?.size === 0) this.#overdue.delete(key)
      }
      joined.then(
        (value) => {
          if (!settled) resolve(value)
          done()
        },
        (error: unknown) => {
          if (!settled) reject(error)
          done()
        },
      )
    })
  }

  /** Makes `stale` what the callers of `key`'s load get past their softTimeout. */
  #foundStale(key: string, stale: LocalEntry<V> | undefined): void {
    if (stale === undefined) return
    this.#staleOfLoad.set(key, stale)
    for (const serve of this.#overdue.get(key) ?? []) serve(stale)
  }

  /** Removes every entry carrying one of `tags`, in Redis and in every instance's L1. */
  async invalidateTags(tags: readonly string[]): Promise<void> {
    this.#open('invalidateTags')
    const list = checkTags(tags)
    if (list.length === 0) return
    this.#local.dropTags(list)
    const { commands } = this.#connections
    for (const tag of list) {
      for (;;) {
        const popped = await this.#guard.run('invalidateTags', undefined, () =>
          DRAIN_TAG.run(commands, [this.#layout.tag(tag)], [TAG_BATCH, this.#layout.dataPrefix]),
        )
        if (popped === FAILED) return
        if ((popped as number) < TAG_BATCH) break
      }
    }
    await this.#publish('invalidateTags', { tags: list })
    // A read that raced with the drain may have filled L1 meanwhile.
    this.#local.dropTags(list)
  }

  /** Removes every entry of this namespace (and no other) from Redis and from every instance's L1. */
  async clear(): Promise<void> {
    this.#open('clear')
    this.#flights.forgetAll()
    this.#local.clear()
    const { commands } = this.#connections
    // On a cluster, the namespace's slot is on one master: the others' scans find nothing.
    for (const server of this.#connections.keyServers()) {
      let cursor = '0'
      do {
        const page = await this.#guard.run('clear', undefined, () => server.scanBuffer(cursor, 'MATCH', this.#layout.pattern, 'COUNT', SCAN_BATCH))
        if (page === FAILED) return
        cursor = page[0].toString()
        const keys = page[1]
        if (keys.length > 0 && (await this.#guard.run('clear', undefined, () => commands.unlink(...keys))) === FAILED) return
      } while (cursor !== '0')
    }
    await this.#publish('clear', { clear: true })
    this.#local.clear()
  }

  stats(): TieredStats {
    const n = this.#n
    return {
      l1: { hits: n.l1Hits, misses: n.l1Misses, size: this.#local.cache.size, evictions: this.#local.evictions() },
      l2: { hits: n.l2Hits, misses: n.l2Misses, errors: n.errors, timeouts: this.#guard.timeouts, skipped: this.#guard.skipped, rejected: n.rejected },
      loads: n.loads,
      lockWaits: n.lockWaits,
      staleServed: n.staleServed,
      breaker: this.#guard.state,
      bus: { connected: this.#bus.connected, received: this.#bus.received, rejected: this.#bus.rejected, resyncs: this.#bus.resyncs },
    }
  }

  /**
   * Closes the subscription and the connections this cache opened (not a
   * client you passed), at once: calls in flight settle from L1 or their
   * loader, and the process can exit even while Redis is unreachable. Every
   * later call rejects; a second `close()` does nothing.
   */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#flights.forgetAll()
    this.#bus.close()
    this.#connections.close()
    this.#locks?.wakeAll()
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#closed
  }

  get [Symbol.toStringTag](): string {
    return 'TieredCache'
  }

  /** Throws (so the async method calling it rejects) once the cache is closed. */
  #open(method: string): void {
    if (this.#closed) throw closed(method)
  }

  /** Tells the other instances of `event`, for the changes not made by a Lua step that publishes itself. */
  async #publish(operation: 'invalidateTags' | 'clear', event: BusEvent): Promise<void> {
    const connections = this.#connections
    await this.#guard.run(operation, undefined, async () =>
      connections.commands.call(await connections.publishCommand(), this.#layout.channel, this.#bus.encode(event)),
    )
  }

  #report(error: TierError): void {
    this.#n.errors++
    if (error.kind === 'payload') this.#n.rejected++
    if (tierErrorChannel.hasSubscribers) tierErrorChannel.publish({ cache: this, error } satisfies TierErrorMessage)
    try {
      this.#onError?.(error)
    } catch {
      // A throwing hook must not turn a degraded read into a failed one.
    }
  }

  #apply(event: BusEvent): void {
    if ('keys' in event) {
      for (const key of event.keys) {
        this.#local.delete(key)
        this.#locks?.wake(key)
      }
    } else if ('tags' in event) {
      this.#local.dropTags(event.tags)
      this.#locks?.wakeAll()
    } else if ('released' in event) {
      this.#locks?.wake(event.released)
    } else {
      this.#local.clear()
      this.#locks?.wakeAll()
    }
  }

  /** L1's entry (fresh or in its grace), else Redis's. */
  async #lookup(key: string): Promise<LocalEntry<V> | undefined> {
    const local = this.#local.get(key)
    if (local !== undefined) {
      if (isFresh(local)) this.#n.l1Hits++
      // An entry in its grace in L1 is in its grace in Redis too: a newer write would have dropped it.
      return local
    }
    this.#n.l1Misses++
    return this.#readRemote(key)
  }

  async #readRemote(key: string): Promise<LocalEntry<V> | undefined> {
    const redisKey = this.#layout.data(key)
    const read = this.#local.startRead(key)
    try {
      const reply = await this.#guard.run('get', key, () => GET.run(this.#connections.commands, [redisKey], [this.#maxValueBytes]))
      if (reply === FAILED) return undefined
      if (reply === null) {
        this.#n.l2Misses++
        return undefined
      }
      const [payload, pttl, length] = reply as [Buffer, number, number]
      let entry
      try {
        if (length < 0) throw new PayloadError('foreign', 'the key holds another Redis type')
        if (length > this.#maxValueBytes) throw new PayloadError('oversized', `${length} bytes, more than maxValueBytes`)
        entry = this.#envelope.decode(redisKey, payload)
      } catch (cause) {
        const reason = cause instanceof Error ? cause.message : String(cause)
        this.#guard.fail(new TierError(`refused a stored value: ${reason}`, { operation: 'get', kind: 'payload', key, cause }))
        return undefined
      }
      this.#n.l2Hits++
      const remaining = pttl >= 0 ? pttl : undefined
      const local: LocalEntry<V> = {
        value: entry.value,
        tags: entry.tags,
        createdAt: entry.createdAt,
        freshUntil: remaining === undefined ? Infinity : performance.now() + remaining - entry.grace,
        staleUntil: remaining === undefined ? Infinity : performance.now() + remaining,
      }
      if (read.fillable()) this.#local.set(key, local, remaining)
      return local
    } finally {
      read.end()
    }
  }

  /**
   * Writes L1 first (so no invalidation that follows our write in Redis can be
   * overtaken by it), then Redis and the bus in one step. `strict`: a value
   * that cannot be encoded is the caller's error, and nothing is changed.
   */
  async #write(key: string, value: V, ttl: number | undefined, tags: readonly string[], grace: number, strict: boolean): Promise<void> {
    const redisKey = this.#layout.data(key)
    const createdAt = Date.now()
    let bytes: Buffer | undefined
    try {
      bytes = this.#envelope.encode(redisKey, { value, tags, createdAt, grace })
    } catch (cause) {
      if (strict) throw cause
      const reason = cause instanceof Error ? cause.message : String(cause)
      this.#guard.fail(new TierError(`kept a loaded value in L1 only: ${reason}`, { operation: 'set', kind: 'payload', key, cause }))
    }
    const lifetime = ttl === undefined ? undefined : Math.ceil(ttl + grace)
    const now = performance.now()
    const freshUntil = ttl === undefined ? Infinity : now + ttl
    const staleUntil = lifetime === undefined ? Infinity : now + lifetime
    this.#local.set(key, { value, tags, createdAt, freshUntil, staleUntil }, lifetime)
    if (bytes === undefined) return
    const message = this.#bus.encode({ keys: [key] })
    const payload = bytes
    const connections = this.#connections
    await this.#guard.run('set', key, async () =>
      SET.run(
        connections.commands,
        [redisKey, ...tags.map((tag) => this.#layout.tag(tag))],
        [payload, lifetime ?? 0, await connections.publishCommand(), this.#layout.channel, message],
      ),
    )
  }

  /** `entry`'s value; starts one background reload when it is older than `refreshAfter`. */
  #serve(key: string, entry: LocalEntry<V>, loader: TieredLoader<K, V>, plan: FetchPlan<V>): V {
    if (plan.refreshAfter !== undefined && Date.now() - entry.createdAt >= plan.refreshAfter && this.#flights.get(key) === undefined) {
      const flight = this.#flights.start<V>(key, {
        defer: true,
        attempt: (signal) => this.#refresh(key, loader, plan, signal, entry),
        onValue: noop,
      })
      flight.promise.catch(noop)
    }
    return entry.value
  }

  async #refresh(key: string, loader: TieredLoader<K, V>, plan: FetchPlan<V>, signal: AbortSignal, old: LocalEntry<V>): Promise<V> {
    // Another instance holding the lock is refreshing it already.
    const lock = this.#locks === undefined ? FAILED : await this.#locks.acquire(key)
    if (lock === undefined) return old.value
    try {
      return await this.#produce(key, loader, plan, signal, old)
    } finally {
      if (lock !== FAILED) await lock.release().catch(noop)
    }
  }

  /** A miss in L1: Redis, else one loader across the instances (waiting for another's), else stale on error. */
  async #load(key: string, loader: TieredLoader<K, V>, plan: FetchPlan<V>, signal: AbortSignal, local: LocalEntry<V> | undefined): Promise<V> {
    try {
      return await this.#loadOnce(key, loader, plan, signal, local)
    } finally {
      this.#staleOfLoad.delete(key)
    }
  }

  async #loadOnce(key: string, loader: TieredLoader<K, V>, plan: FetchPlan<V>, signal: AbortSignal, local: LocalEntry<V> | undefined): Promise<V> {
    let stale = local
    if (stale === undefined) {
      this.#n.l1Misses++
      const remote = await this.#readRemote(key)
      if (remote !== undefined && isFresh(remote)) return this.#serve(key, remote, loader, plan)
      stale = remote
    }
    this.#foundStale(key, stale)
    if (this.#locks === undefined) return this.#produce(key, loader, plan, signal, stale)
    const deadline = performance.now() + this.#lockWait
    let backoff = 5
    let waited = false
    for (;;) {
      const lock = await this.#locks.acquire(key)
      if (lock !== undefined) {
        try {
          if (waited && lock !== FAILED) {
            // The previous holder may have stored the value just before we got the lock.
            const remote = await this.#readRemote(key)
            if (remote !== undefined && isFresh(remote)) return remote.value
          }
          return await this.#produce(key, loader, plan, signal, stale)
        } finally {
          if (lock !== FAILED) await lock.release().catch(noop)
        }
      }
      if (!waited) this.#n.lockWaits++
      waited = true
      const left = deadline - performance.now()
      // The holder may be stuck or gone without its lock expiring yet: past the wait, load here;
      // and while Redis is failing, the holder's value may never reach it.
      if (left <= 0 || this.#guard.state !== 'closed') return this.#produce(key, loader, plan, signal, stale)
      await this.#locks.wait(key, Math.min(backoff, left))
      backoff = Math.min(backoff * 2, 200)
      if (signal.aborted) throw signal.reason
      const remote = await this.#readRemote(key)
      if (remote !== undefined && isFresh(remote)) return remote.value
      if (remote !== undefined) stale = remote
    }
  }

  async #produce(key: string, loader: TieredLoader<K, V>, plan: FetchPlan<V>, signal: AbortSignal, stale: LocalEntry<V> | undefined): Promise<V> {
    this.#foundStale(key, stale)
    this.#n.loads++
    let value: V
    try {
      value = await timedLoad(this, key, () => loader(key as K, { signal }))
    } catch (error) {
      if (stale === undefined || performance.now() >= stale.staleUntil) throw error
      this.#n.staleServed++
      return stale.value
    }
    if (value === undefined) return value
    const options = entryOptions(plan.forever ? undefined : (plan.ttl ?? this.#ttl), undefined, value)
    if (options === SKIP) return value
    await this.#write(key, value, options?.ttl as number | undefined, plan.tags, plan.grace, false)
    return value
  }
}

/** What a method of a closed cache rejects with. */
function closed(method: string): Error {
  return new Error(`TieredCache: ${method}() called after close()`)
}

function fetchPlan<V>(options: unknown, method: 'fetch' | 'getOrSetForever'): FetchPlan<V> {
  const forever = method === 'getOrSetForever'
  if (options === undefined) return { ttl: undefined, tags: [], refreshAfter: undefined, grace: 0, timeout: undefined, softTimeout: undefined, signal: undefined, forever }
  const names = forever ? ['tags', 'refreshAfter', 'timeout', 'signal'] : ['ttl', 'tags', 'refreshAfter', 'staleIfError', 'timeout', 'softTimeout', 'signal']
  const o = optionObject(options, method, names, `${method} options must be an object`)
  const { signal, ttl } = o
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new TypeError(`signal must be an AbortSignal, got ${describe(signal)}`)
  const ttlMillis = typeof ttl === 'function' ? undefined : toMillis(ttl, 'ttl')
  const refreshAfter = toMillis(o.refreshAfter, 'refreshAfter')
  if (refreshAfter !== undefined && ttlMillis !== undefined && refreshAfter >= ttlMillis) {
    throw new RangeError(`refreshAfter (${refreshAfter} ms) must be shorter than ttl (${ttlMillis} ms)`)
  }
  return {
    ttl: ttl as EntryTtl<V> | undefined,
    tags: checkTags(o.tags),
    refreshAfter,
    grace: toMillis(o.staleIfError, 'staleIfError') ?? 0,
    timeout: toMillis(o.timeout, 'timeout'),
    softTimeout: toMillis(o.softTimeout, 'softTimeout'),
    signal: signal as AbortSignal | undefined,
    forever,
  }
}
