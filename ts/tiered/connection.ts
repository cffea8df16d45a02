// The Redis connections of a TieredCache: one for commands, one subscribed to
// the invalidation bus (a subscribed connection can run nothing else).
//
// The client library is ioredis: it reconnects by itself with a backoff we
// choose, re-sends nothing we did not ask for (one retry per command), gives
// replies as Buffers for binary payloads, and is what the JS caches with a
// Redis tier (bentocache, BullMQ's queues) already run on. It is loaded on the
// first TieredCache, so `require('moka-js')` does not pay for it.

import type Redis from 'ioredis'
import type { RedisOptions } from 'ioredis'

import { describe } from '../duration'
import { hasMethods } from '../options'

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

/** Options of the clients a TieredCache creates itself. */
const OWN_CLIENT: RedisOptions = {
  maxRetriesPerRequest: 1,
  retryStrategy: reconnectDelay,
  connectTimeout: 2000,
  enableAutoPipelining: true,
}

export interface Connections {
  commands: Redis
  subscriber: Redis
  /** Whether `close()` should quit `commands` (false for the user's client). */
  owned: boolean
}

function isRedisClient(value: unknown): value is Redis {
  return hasMethods(value, 'callBuffer', 'duplicate')
}

export function connect(redis: unknown): Connections {
  if (typeof redis === 'string') {
    if (redis.length === 0) throw new TypeError('redis must be a URL (redis://host:port/db) or a unix socket path, got an empty string')
    const IORedis = (require('ioredis') as typeof import('ioredis')).default
    const commands = new IORedis(redis, OWN_CLIENT)
    return { commands, subscriber: commands.duplicate(), owned: true }
  }
  if (!isRedisClient(redis)) throw new TypeError(`redis must be a URL or an ioredis client, got ${describe(redis)}`)
  if (redis.options.keyPrefix) {
    throw new TypeError('redis: a client with keyPrefix is not supported; give TieredCache a namespace instead')
  }
  const subscriber = redis.duplicate({ retryStrategy: reconnectDelay })
  return { commands: redis, subscriber, owned: false }
}
