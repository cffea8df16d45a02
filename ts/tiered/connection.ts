// The Redis connections of a TieredCache: one for commands, one subscribed to
// the invalidation bus (a subscribed connection can run nothing else). On a
// Redis Cluster the command client is ioredis's `Cluster`, and the bus has a
// connection of its own to the master serving its channel (./cluster.ts).
//
// The client library is ioredis: it reconnects by itself with a backoff we
// choose, re-sends nothing we did not ask for (one retry per command), gives
// replies as Buffers for binary payloads, and is what the JS caches with a
// Redis tier (bentocache, BullMQ's queues) already run on; an optional peer
// dependency, loaded when the first TieredCache connects.
//
// What `redis` names is checked before anything connects, and every failure
// to reach Redis is told with the endpoint (never its password) and the cause.

import type { Cluster, ClusterNode, ClusterOptions, default as Redis, RedisOptions } from 'ioredis'

import { describe } from '../core/duration'
import { hasMethods } from '../core/options'
import { BusConnection, ClusterSubscriber } from './cluster'
import { CONNECT_TIMEOUT, DISCONNECT_TIMEOUT, reconnectDelay } from './timing'
import { TierError, TierErrorKind, TierOperation } from './errors'

/** The command client: one server's, or a cluster's. */
export type Client = Redis | Cluster

/** The bus's connection: one server's own, or the one that follows a cluster's channel slot. */
export type Subscriber = BusConnection

/** Which pub/sub the bus runs on: `PUBLISH`/`SUBSCRIBE`, or sharded `SPUBLISH`/`SSUBSCRIBE` (Redis 7+). */
export type PubSub = 'global' | 'sharded'

/**
 * Names of everything a namespace owns in Redis. The namespace has no ':' so
 * prefixes never overlap. On a cluster the namespace is a hash tag (`{ns}:…`):
 * an entry, its tag sets, its lock and the bus channel share one slot, as the
 * Lua steps that touch them together require.
 */
export class Layout {
  readonly dataPrefix: string
  readonly tagPrefix: string
  readonly lockPrefix: string
  readonly channel: string
  /** SCAN pattern of the data and tag keys (the namespace holds no glob character). */
  readonly pattern: string

  constructor(namespace: string, hashTag: boolean) {
    const root = hashTag ? `{${namespace}}` : namespace
    this.dataPrefix = `${root}:d:`
    this.tagPrefix = `${root}:t:`
    this.lockPrefix = `${root}:l:`
    this.channel = `${root}:bus`
    // '{' and '}' are no glob characters.
    this.pattern = `${root}:[dt]:*`
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

/** Options of the clients a TieredCache creates itself (a `redis` options object may override them). */
const OWN_CLIENT: RedisOptions = {
  maxRetriesPerRequest: 1,
  retryStrategy: reconnectDelay,
  connectTimeout: CONNECT_TIMEOUT,
  enableAutoPipelining: true,
}

/** Why Redis cannot be reached, as a message says it, and the `TierError` kind it is reported as. */
function failureReason(cause: unknown): { reason: string; kind: TierErrorKind } {
  // A cluster that reached none of its nodes says why through the last node's error.
  const last = (cause as { lastNodeError?: unknown })?.lastNodeError
  if (last !== undefined) return failureReason(last)
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

const SHAPES =
  'a redis:// or rediss:// URL, a unix socket path, an ioredis client or Cluster, ioredis options ({ host, port, … }) or cluster nodes ({ cluster: [...] })'

/** What `redis` says to connect to: checked before anything connects, so a bad value is a TypeError naming the option. */
export type RedisTarget = { endpoint: string } & (
  | { url: string }
  | { options: RedisOptions }
  | { client: Redis }
  | { cluster: Cluster }
  | { nodes: ClusterNode[]; clusterOptions: ClusterOptions }
)

/** `host:port` of a cluster node as ioredis takes it (a URL, `host:port`, a port, or `{ host, port }`), for messages; throws when it is none of these. */
function clusterNodeName(node: unknown, index: number): string {
  const where = `redis.cluster[${index}]`
  if (typeof node === 'number') {
    if (!Number.isInteger(node) || node < 1 || node > 65535) throw new RangeError(`${where} must be a port from 1 to 65535, got ${node}`)
    return `localhost:${node}`
  }
  if (typeof node === 'string') {
    if (node.includes('://')) return new URL(checkRedisOption(node).endpoint).host
    if (!/^[^\s:/]+:\d{1,5}$/.test(node)) throw new TypeError(`${where} must be a redis:// URL, 'host:port', a port or { host, port }, got ${describe(node)}`)
    return node
  }
  if (isPlainObject(node)) {
    if (node.host !== undefined && typeof node.host !== 'string') throw new TypeError(`${where}.host must be a string, got ${describe(node.host)}`)
    if (node.port !== undefined && typeof node.port !== 'number') throw new TypeError(`${where}.port must be a number, got ${describe(node.port)}`)
    return `${node.host ?? 'localhost'}:${node.port ?? 6379}`
  }
  throw new TypeError(`${where} must be a redis:// URL, 'host:port', a port or { host, port }, got ${describe(node)}`)
}

const clusterEndpoint = (nodes: readonly string[]): string => `cluster ${nodes.join(', ')}`

function checkClusterOption(redis: Record<string, unknown>): RedisTarget {
  const extra = Object.keys(redis).filter((name) => name !== 'cluster' && name !== 'options')
  if (extra.length > 0) throw new TypeError(`redis: cluster nodes take { cluster, options }, not ${extra.join(', ')}`)
  const { cluster, options = {} } = redis
  if (!Array.isArray(cluster) || cluster.length === 0) throw new TypeError(`redis.cluster must be a non-empty array of nodes, got ${describe(cluster)}`)
  const names = cluster.map(clusterNodeName)
  if (!isPlainObject(options)) throw new TypeError(`redis.options must be ioredis Cluster options, got ${describe(options)}`)
  const redisOptions = options.redisOptions as Record<string, unknown> | undefined
  if (redisOptions !== undefined && !isPlainObject(redisOptions)) throw new TypeError(`redis.options.redisOptions must be an object, got ${describe(redisOptions)}`)
  if (options.keyPrefix || redisOptions?.keyPrefix) throw new TypeError('redis: options with keyPrefix are not supported; give TieredCache a namespace instead')
  return { nodes: cluster as ClusterNode[], clusterOptions: options as ClusterOptions, endpoint: clusterEndpoint(names) }
}

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
  if (hasMethods(redis, 'nodes', 'refreshSlotsCache', 'duplicate')) {
    const cluster = redis as Cluster
    if (cluster.options.keyPrefix) throw new TypeError('redis: a Cluster with keyPrefix is not supported; give TieredCache a namespace instead')
    const nodes = (cluster as unknown as { startupNodes: unknown[] }).startupNodes ?? []
    const names = nodes.map((node, index) => {
      try {
        return clusterNodeName(node, index)
      } catch {
        return String(node)
      }
    })
    return { cluster, endpoint: clusterEndpoint(names) }
  }
  if (hasMethods(redis, 'callBuffer', 'duplicate')) {
    const client = redis as Redis
    if (client.options.keyPrefix) throw new TypeError('redis: a client with keyPrefix is not supported; give TieredCache a namespace instead')
    return { client, endpoint: endpointOf(client.options) }
  }
  if (isPlainObject(redis)) {
    if ('cluster' in redis) return checkClusterOption(redis)
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

/** Options of the cluster clients a TieredCache creates itself (a `redis.options` may override them). */
function ownCluster(options: ClusterOptions): ClusterOptions {
  return {
    clusterRetryStrategy: reconnectDelay,
    enableAutoPipelining: true,
    ...options,
    redisOptions: { maxRetriesPerRequest: 1, connectTimeout: CONNECT_TIMEOUT, ...options.redisOptions, disconnectTimeout: DISCONNECT_TIMEOUT },
  }
}

/** The command client `target` names: the user's (not ours to close) or a new one. */
function commandClient(target: RedisTarget): { commands: Client; owned: boolean } {
  if ('client' in target) return { commands: target.client, owned: false }
  if ('cluster' in target) return { commands: target.cluster, owned: false }
  const IORedis = require('ioredis') as typeof import('ioredis')
  if ('nodes' in target) return { commands: new IORedis.Cluster(target.nodes, ownCluster(target.clusterOptions)), owned: true }
  const options = { ...OWN_CLIENT, ...('options' in target ? target.options : {}), disconnectTimeout: DISCONNECT_TIMEOUT }
  return { commands: 'url' in target ? new IORedis.default(target.url, options) : new IORedis.default(options), owned: true }
}

/**
 * The two connections of a cache, and what they last said about Redis being
 * unreachable: the failure a timed-out call or `ready()` reports is the
 * connection's (refused, auth, …), named with the endpoint.
 */
export class Connections {
  readonly commands: Client
  readonly subscriber: Subscriber
  /** The names of the namespace's keys and channel (hash-tagged on a cluster). */
  readonly layout: Layout
  /** Whether the command client is a cluster's: then keys are hash-tagged and `clear` scans every master. */
  readonly cluster: boolean
  /** Whether `close()` ends `commands` (false for the user's client). */
  readonly owned: boolean
  /** Where Redis is, without password: the URL or the socket path. */
  readonly endpoint: string
  /** How long a connection attempt may take before it counts as timed out. */
  readonly connectTimeout: number
  readonly #pubsubOption: PubSub | 'auto'
  #pubsub: Promise<PubSub> | undefined
  /** The latest connection error of each client since it was last ready. */
  readonly #down = new Map<Client | Subscriber, Error>()
  /** Removes the listeners this cache put on the user's client, which outlives it. */
  readonly #listening: (() => void)[] = []

  constructor(target: RedisTarget, namespace: string, pubsub: PubSub | 'auto', report: (error: TierError) => void) {
    this.endpoint = target.endpoint
    const { commands, owned } = commandClient(target)
    this.commands = commands
    this.owned = owned
    this.cluster = commands.isCluster
    this.layout = new Layout(namespace, this.cluster)
    this.#pubsubOption = pubsub
    if (commands.isCluster) {
      const cluster = commands as Cluster
      this.connectTimeout = cluster.options.redisOptions?.connectTimeout ?? CONNECT_TIMEOUT
      this.subscriber = new ClusterSubscriber(cluster, this.layout.channel)
    } else {
      const client = commands as Redis
      this.connectTimeout = client.options.connectTimeout ?? CONNECT_TIMEOUT
      this.subscriber = owned ? client.duplicate() : client.duplicate({ retryStrategy: reconnectDelay, disconnectTimeout: DISCONNECT_TIMEOUT })
    }
    for (const [client, operation] of [
      [this.commands as BusConnection, 'connection'],
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
      client.on('ready', ready)
      client.on('error', error)
      if (client === this.commands && !this.owned) this.#listening.push(() => this.commands.off('ready', ready).off('error', error))
    }
  }

  /**
   * The pub/sub of the bus: as the option says, else sharded on a cluster
   * whose servers have `SPUBLISH` (Redis 7+), global otherwise. Asked once;
   * a failed question is asked again by the next caller.
   */
  pubsub(): Promise<PubSub> {
    if (this.#pubsub !== undefined) return this.#pubsub
    if (this.#pubsubOption !== 'auto') return (this.#pubsub = Promise.resolve(this.#pubsubOption))
    if (!this.cluster) return (this.#pubsub = Promise.resolve('global'))
    const asked = (this.commands.call('COMMAND', 'INFO', 'SPUBLISH') as Promise<unknown[]>).then((info): PubSub =>
      Array.isArray(info) && Array.isArray(info[0]) ? 'sharded' : 'global',
    )
    this.#pubsub = asked
    asked.catch(() => {
      if (this.#pubsub === asked) this.#pubsub = undefined
    })
    return asked
  }

  /** The publishing command of the bus's pub/sub, for the Lua steps. */
  async publishCommand(): Promise<'PUBLISH' | 'SPUBLISH'> {
    return (await this.pubsub()) === 'sharded' ? 'SPUBLISH' : 'PUBLISH'
  }

  /** The servers holding this namespace's keys: the one server, or every master of the cluster (one of them serves the namespace's slot). */
  keyServers(): Redis[] {
    return this.cluster ? (this.commands as Cluster).nodes('master') : [this.commands as Redis]
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
