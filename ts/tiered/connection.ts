// The Redis connections of a TieredCache: one for commands, one subscribed to
// the invalidation bus (a subscribed connection can run nothing else).
//
// The client library is ioredis: it reconnects by itself with a backoff we
// choose, re-sends nothing we did not ask for (one retry per command), gives
// replies as Buffers for binary payloads, and is what the JS caches with a
// Redis tier (bentocache, BullMQ's queues) already run on; an optional peer
// dependency, loaded when the first TieredCache connects.
//
// What `redis` names is checked before anything connects, and every failure
// to reach Redis is told with the endpoint (never its password) and the cause.

import type Redis from 'ioredis'
import type { RedisOptions } from 'ioredis'

import { describe } from '../core/duration'
import { hasMethods } from '../core/options'
import { TierError, TierErrorKind, TierOperation } from './errors'

/** Names of everything a namespace owns in Redis. The namespace has no ':' so prefixes never overlap. */
export class Layout {
  readonly dataPrefix: string
  readonly tagPrefix: string
  readonly lockPrefix: string
  readonly channel: string
  /** SCAN pattern of the data and tag keys (the namespace holds no glob character). */
  readonly pattern: string

  constructor(namespace: string) {
    this.dataPrefix = `${namespace}:d:`
    this.tagPrefix = `${namespace}:t:`
    this.lockPrefix = `${namespace}:l:`
    this.channel = `${namespace}:bus`
    this.pattern = `${namespace}:[dt]:*`
  }

  data(key: string): string {
    return this.dataPrefix + key
  }

  tag(tag: string): string {
    return this.tagPrefix + tag
  }

  lock(key: string): string {
    return this.lockPrefix + key
  }
}

/** Backoff between reconnection attempts: 50 ms, 100 ms, … at most 1 s, forever. */
const reconnectDelay = (attempt: number): number => Math.min(50 * attempt, 1000)

/**
 * How long `close()` lets a socket end gracefully before destroying it.
 * ioredis's default (2 s) kept a process that closed its cache while Redis was
 * unreachable alive that long: the socket it ends is already dead.
 */
const DISCONNECT_TIMEOUT = 50

/** How long the clients a TieredCache creates wait for a TCP connection. */
const CONNECT_TIMEOUT = 2000

/** Options of the clients a TieredCache creates itself (a `redis` options object may override them). */
const OWN_CLIENT: RedisOptions = {
  maxRetriesPerRequest: 1,
  retryStrategy: reconnectDelay,
  connectTimeout: CONNECT_TIMEOUT,
  enableAutoPipelining: true,
}

/** Why Redis cannot be reached, as a message says it, and the `TierError` kind it is reported as. */
function failureReason(cause: unknown): { reason: string; kind: TierErrorKind } {
  const error = cause as { code?: unknown; message?: unknown }
  const code = typeof error?.code === 'string' ? error.code : undefined
  const message = typeof error?.message === 'string' ? error.message : String(cause)
  if (code === 'ECONNREFUSED') return { reason: `connection refused (${message})`, kind: 'redis' }
  if (code === 'ETIMEDOUT') return { reason: `connection timed out (${message})`, kind: 'timeout' }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return { reason: `host not found (${message})`, kind: 'redis' }
  if (code === 'ENOENT') return { reason: `no such socket (${message})`, kind: 'redis' }
  if (/^(WRONGPASS|NOAUTH)\b|invalid password/i.test(message)) return { reason: `authentication failed (${message})`, kind: 'redis' }
  return { reason: message, kind: 'redis' }
}

/** `url` with its password replaced by `***`, for messages. */
function withoutPassword(url: URL): string {
  if (url.password === '') return url.href
  const copy = new URL(url.href)
  copy.password = '***'
  return copy.href
}

/** Where an ioredis client connects, as a URL without password (or the socket path). */
function endpointOf(options: RedisOptions): string {
  if (typeof options.path === 'string' && options.path !== '') return options.path
  const scheme = options.tls === undefined ? 'redis' : 'rediss'
  const auth = options.password ? `${options.username ?? ''}:***@` : options.username ? `${options.username}@` : ''
  const host = options.host ?? 'localhost'
  return `${scheme}://${auth}${host.includes(':') ? `[${host}]` : host}:${options.port ?? 6379}/${options.db ?? 0}`
}

/** A plain object: ioredis options, not a client nor anything else. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const proto = Object.getPrototypeOf(value) as unknown
  return proto === Object.prototype || proto === null
}

const SHAPES = 'a redis:// or rediss:// URL, a unix socket path, an ioredis client or ioredis options ({ host, port, … })'

/** What `redis` says to connect to: checked before anything connects, so a bad value is a TypeError naming the option. */
export type RedisTarget = { url: string; endpoint: string } | { options: RedisOptions; endpoint: string } | { client: Redis; endpoint: string }

export function checkRedisOption(redis: unknown): RedisTarget {
  if (typeof redis === 'string') {
    if (redis.length === 0) throw new TypeError(`redis must be ${SHAPES}, got an empty string`)
    if (redis.startsWith('/') && !redis.startsWith('//')) return { url: redis, endpoint: redis.replace(/\?.*$/s, '') }
    let url: URL
    try {
      url = new URL(redis)
    } catch {
      throw new TypeError(`redis must be ${SHAPES}; ${describe(redis.replace(/:[^:@/]*@/, ':***@'))} is not a URL`)
    }
    if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
      throw new TypeError(`redis must be ${SHAPES}; ${describe(withoutPassword(url))} is not a redis: or rediss: URL`)
    }
    if (url.hostname === '') throw new TypeError(`redis: ${describe(withoutPassword(url))} names no host`)
    return { url: redis, endpoint: withoutPassword(url) }
  }
  if (hasMethods(redis, 'callBuffer', 'duplicate')) {
    const client = redis as Redis
    if (client.options.keyPrefix) throw new TypeError('redis: a client with keyPrefix is not supported; give TieredCache a namespace instead')
    return { client, endpoint: endpointOf(client.options) }
  }
  if (isPlainObject(redis)) {
    if (redis.keyPrefix) throw new TypeError('redis: options with keyPrefix are not supported; give TieredCache a namespace instead')
    for (const [name, type] of [
      ['host', 'string'],
      ['port', 'number'],
      ['path', 'string'],
    ] as const) {
      if (redis[name] !== undefined && typeof redis[name] !== type) throw new TypeError(`redis.${name} must be a ${type}, got ${describe(redis[name])}`)
    }
    const options = redis as RedisOptions
    return { options, endpoint: endpointOf(options) }
  }
  throw new TypeError(`redis must be ${SHAPES}, got ${describe(redis)}`)
}

/**
 * The two connections of a cache, and what they last said about Redis being
 * unreachable: the failure a timed-out call or `ready()` reports is the
 * connection's (refused, auth, …), named with the endpoint.
 */
export class Connections {
  readonly commands: Redis
  readonly subscriber: Redis
  /** Whether `close()` ends `commands` (false for the user's client). */
  readonly owned: boolean
  /** Where Redis is, without password: the URL or the socket path. */
  readonly endpoint: string
  /** How long a connection attempt may take before it counts as timed out. */
  readonly connectTimeout: number
  /** The latest connection error of each client since it was last ready. */
  readonly #down = new Map<Redis, Error>()
  /** Removes the listeners this cache put on the user's client, which outlives it. */
  readonly #listening: (() => void)[] = []

  constructor(target: RedisTarget, report: (error: TierError) => void) {
    this.endpoint = target.endpoint
    if ('client' in target) {
      this.commands = target.client
      this.owned = false
      this.subscriber = target.client.duplicate({ retryStrategy: reconnectDelay, disconnectTimeout: DISCONNECT_TIMEOUT })
    } else {
      const IORedis = (require('ioredis') as typeof import('ioredis')).default
      const options = { ...OWN_CLIENT, ...('options' in target ? target.options : {}), disconnectTimeout: DISCONNECT_TIMEOUT }
      this.commands = 'url' in target ? new IORedis(target.url, options) : new IORedis(options)
      this.owned = true
      this.subscriber = this.commands.duplicate()
    }
    this.connectTimeout = this.commands.options.connectTimeout ?? CONNECT_TIMEOUT
    for (const [client, operation] of [
      [this.commands, 'connection'],
      [this.subscriber, 'bus'],
    ] as const) {
      const ready = (): void => {
        this.#down.delete(client)
      }
      const error = (cause: Error): void => {
        // Reported once per cause while the client keeps retrying, not on every attempt.
        const last = this.#down.get(client)
        this.#down.set(client, cause)
        if (last?.message !== cause.message) report(this.failure(operation, cause))
      }
      client.on('ready', ready).on('error', error)
      if (client === this.commands && !this.owned) this.#listening.push(() => client.off('ready', ready).off('error', error))
    }
  }

  /** Why Redis is unreachable now, if a client is down and has said why. */
  unreachable(operation: TierOperation, key?: string): TierError | undefined {
    if (this.commands.status === 'ready') return undefined
    const cause = this.#down.get(this.commands) ?? this.#down.get(this.subscriber)
    return cause === undefined ? undefined : this.failure(operation, cause, key)
  }

  failure(operation: TierOperation, cause: unknown, key?: string): TierError {
    const { reason, kind } = failureReason(cause)
    return new TierError(`Redis at ${this.endpoint} is unreachable: ${reason}`, { operation, kind, key, cause })
  }

  /** Ends the subscription, and the command connection if this cache opened it, without waiting for Redis. */
  close(): void {
    this.subscriber.disconnect()
    if (this.owned) this.commands.disconnect()
    for (const stop of this.#listening.splice(0)) stop()
  }
}
