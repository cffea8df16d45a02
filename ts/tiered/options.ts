// Options of `new TieredCache(...)` and of its methods, checked once and named
// in every error.

import type { Cluster, ClusterNode, ClusterOptions, default as Redis, RedisOptions } from 'ioredis'

import { describe, Duration, toMillis } from '../core/duration'
import { optionalFunction, optionObject } from '../core/options'
import { checkTags } from '../core/tier'
import { checkRedisOption, PubSub, RedisTarget } from './connection'
import type { TierError } from './errors'
import type { SerializerOption } from '../codec/serializer'

export interface TieredCacheOptions<V> {
  /**
   * A Redis/Valkey URL (`redis://host:port/db`, `rediss://…`), a unix socket
   * path, your own ioredis client or `Cluster` (it stays open on `close()`),
   * ioredis options (`{ host, port, password, tls, … }`) for a client of the
   * cache's own, or `{ cluster: nodes, options? }` for a `Cluster` of its own.
   */
  redis: string | Redis | Cluster | RedisOptions | { cluster: ClusterNode[]; options?: ClusterOptions }
  /**
   * The pub/sub of the invalidation bus: `'auto'` (default) is sharded
   * (`SPUBLISH`/`SSUBSCRIBE`) on a cluster whose servers have it (Redis 7+),
   * global (`PUBLISH`/`SUBSCRIBE`) otherwise. Every instance of a namespace must use the same.
   */
  pubsub?: 'auto' | 'sharded' | 'global'
  /** Prefix of every key and of the bus channel in Redis; letters, digits, `_`, `-`, `.`. Default `'moka'`. */
  namespace?: string
  /** Default time to live of an entry, in both tiers. Default: none. */
  ttl?: Duration
  /** The in-process tier: a `Moka` with these options. Default 10,000 entries; `ttl` caps how long a copy is kept. */
  l1?: { maxCapacity?: number; ttl?: Duration; policy?: 'tinyLfu' | 'lru' }
  /** `'json'` (default), `'v8'` (Map, Set, Date, BigInt, typed arrays, cycles) or `{ serialize, deserialize }`. */
  serializer?: SerializerOption<V>
  /** Signs every payload and bus message with HMAC-SHA256; what does not verify is refused. */
  hmacKey?: string | Uint8Array
  /** Largest stored entry, envelope included. Default 4 MiB. */
  maxValueBytes?: number
  /** Deadline of each Redis call; past it the cache answers from L1 or the loader. Default 250 ms. */
  timeout?: Duration
  /** Circuit breaker: opens after `failures` consecutive failed calls (default 5), probes again after `halfOpenAfter` (default 1 s). */
  breaker?: { failures?: number; halfOpenAfter?: Duration }
  /**
   * Cross-process single-flight of `fetch`: a Redis lock per key with an owner
   * token and an expiry (`ttl`, default 10 s, renewed while the loader runs);
   * other processes wait for its value up to `wait` (default 10 s), then load
   * themselves. `false` turns it off.
   */
  lock?: false | { ttl?: Duration; wait?: Duration }
  /** Receives every second-tier failure (the caller got its value from L1 or the loader). */
  onError?: (error: TierError) => void
  /** When false, second-tier failures reject the caller instead. Default true. */
  suppressErrors?: boolean
}

export interface TieredSetOptions {
  /** Time to live of this entry (both tiers). */
  ttl?: Duration
  /** Tags to invalidate it by (`invalidateTags`). */
  tags?: readonly string[]
}

export const DEFAULT_NAMESPACE = 'moka'
export const DEFAULT_L1_CAPACITY = 10_000
export const DEFAULT_MAX_VALUE_BYTES = 4 * 1024 * 1024
/** Redis refuses strings longer than 512 MB. */
const REDIS_MAX_STRING = 512 * 1024 * 1024

export interface ValidTieredOptions {
  redis: RedisTarget
  pubsub: PubSub | 'auto'
  namespace: string
  ttl: number | undefined
  l1: { maxCapacity: number; ttl: number | undefined; policy: 'tinyLfu' | 'lru' }
  serializer: unknown
  hmacKey: Buffer | undefined
  maxValueBytes: number
  timeout: number
  failures: number
  halfOpenAfter: number
  lock: { ttl: number; wait: number } | undefined
  onError: ((error: TierError) => void) | undefined
  suppressErrors: boolean
}

const NAMES = [
  'redis',
  'pubsub',
  'namespace',
  'ttl',
  'l1',
  'serializer',
  'hmacKey',
  'maxValueBytes',
  'timeout',
  'breaker',
  'lock',
  'onError',
  'suppressErrors',
]

export function validateTieredOptions(options: unknown): ValidTieredOptions {
  const o = optionObject(options, 'TieredCache', NAMES, 'TieredCache options must be an object with at least redis')
  if (o.redis === undefined) throw new TypeError('redis is required: a URL, a unix socket path, an ioredis client or ioredis options')
  const namespace = o.namespace ?? DEFAULT_NAMESPACE
  if (typeof namespace !== 'string') throw new TypeError(`namespace must be a string, got ${describe(namespace)}`)
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(namespace)) {
    throw new RangeError(`namespace must be 1 to 64 letters, digits, '_', '-' or '.', got ${describe(namespace)}`)
  }
  const l1 = o.l1 === undefined ? {} : optionObject(o.l1, 'l1', ['maxCapacity', 'ttl', 'policy'], 'l1 must be an object')
  const maxCapacity = l1.maxCapacity ?? DEFAULT_L1_CAPACITY
  // The rest of l1's checks are Moka's own; these names say where the option sits.
  if (typeof maxCapacity !== 'number' || !Number.isSafeInteger(maxCapacity) || maxCapacity < 0) {
    throw new RangeError(`l1.maxCapacity must be an integer ≥ 0, got ${describe(maxCapacity)}`)
  }
  const policy = l1.policy ?? 'tinyLfu'
  if (policy !== 'tinyLfu' && policy !== 'lru') throw new RangeError(`l1.policy must be 'tinyLfu' or 'lru', got ${describe(policy)}`)
  const maxValueBytes = o.maxValueBytes ?? DEFAULT_MAX_VALUE_BYTES
  if (typeof maxValueBytes !== 'number' || !Number.isSafeInteger(maxValueBytes) || maxValueBytes < 64 || maxValueBytes > REDIS_MAX_STRING) {
    throw new RangeError(`maxValueBytes must be an integer from 64 to ${REDIS_MAX_STRING}, got ${describe(maxValueBytes)}`)
  }
  const breaker =
    o.breaker === undefined ? {} : optionObject(o.breaker, 'breaker', ['failures', 'halfOpenAfter'], 'breaker must be an object')
  const failures = breaker.failures ?? 5
  if (typeof failures !== 'number' || !Number.isSafeInteger(failures) || failures < 1) {
    throw new RangeError(`breaker.failures must be an integer ≥ 1, got ${describe(failures)}`)
  }
  const pubsub = o.pubsub ?? 'auto'
  if (pubsub !== 'auto' && pubsub !== 'sharded' && pubsub !== 'global') {
    throw new RangeError(`pubsub must be 'auto', 'sharded' or 'global', got ${describe(pubsub)}`)
  }
  const suppressErrors = o.suppressErrors ?? true
  if (typeof suppressErrors !== 'boolean') throw new TypeError(`suppressErrors must be a boolean, got ${describe(suppressErrors)}`)
  return {
    redis: checkRedisOption(o.redis),
    pubsub,
    namespace,
    ttl: toMillis(o.ttl, 'ttl'),
    l1: { maxCapacity, ttl: toMillis(l1.ttl, 'l1.ttl'), policy },
    serializer: o.serializer,
    hmacKey: hmacKeyOf(o.hmacKey),
    maxValueBytes,
    timeout: toMillis(o.timeout ?? 250, 'timeout')!,
    failures,
    halfOpenAfter: toMillis(breaker.halfOpenAfter ?? 1000, 'breaker.halfOpenAfter')!,
    lock: lockOf(o.lock),
    onError: optionalFunction(o.onError, 'onError') as ValidTieredOptions['onError'],
    suppressErrors,
  }
}

function hmacKeyOf(value: unknown): Buffer | undefined {
  if (value === undefined) return undefined
  const key = typeof value === 'string' ? Buffer.from(value, 'utf8') : value instanceof Uint8Array ? Buffer.from(value) : undefined
  if (key === undefined) throw new TypeError(`hmacKey must be a string or a Uint8Array, got ${describe(value)}`)
  if (key.length < 16) throw new RangeError(`hmacKey must be at least 16 bytes, got ${key.length}`)
  return key
}

function lockOf(value: unknown): { ttl: number; wait: number } | undefined {
  if (value === false) return undefined
  const o = value === undefined ? {} : optionObject(value, 'lock', ['ttl', 'wait'], 'lock must be false or an object such as { ttl, wait }')
  return { ttl: toMillis(o.ttl ?? 10_000, 'lock.ttl')!, wait: toMillis(o.wait ?? 10_000, 'lock.wait')! }
}

export function validateTieredSetOptions(options: unknown): { ttl: number | undefined; tags: readonly string[] } {
  if (options === undefined) return { ttl: undefined, tags: [] }
  const o = optionObject(options, 'set', ['ttl', 'tags'], 'set options must be an object')
  return { ttl: toMillis(o.ttl, 'ttl'), tags: checkTags(o.tags) }
}
