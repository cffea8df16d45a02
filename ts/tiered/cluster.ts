// The bus's connection on a Redis Cluster. The namespace is a hash tag, so
// its channel has one slot, served by one master: sharded pub/sub (SSUBSCRIBE,
// Redis 7+) must subscribe there, and global pub/sub (SUBSCRIBE) may. So the
// bus holds one plain connection to that master, and follows the slot: when
// the connection ends (the master died) or the server unsubscribes it (the
// slot moved: a failover or a resharding), it refreshes the cluster's slot map
// and connects to the slot's master now. ioredis's own cluster subscribers
// resubscribe by themselves but say nothing when they do, and the bus must
// know of every break: a message published meanwhile is lost to it.

import { EventEmitter, once } from 'node:events'

import type { Cluster, default as Redis } from 'ioredis'

import { CONNECT_TIMEOUT, DISCONNECT_TIMEOUT, reconnectDelay } from './timing'

/** A connection the bus can subscribe on: `Redis`, or `ClusterSubscriber` (events `message`, `smessage`, `ready`, `close`, `error`). */
export interface BusConnection {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- EventEmitter's own listener type
  on(event: string, listener: (...args: any[]) => void): unknown
  subscribe(channel: string): Promise<unknown>
  ssubscribe(channel: string): Promise<unknown>
  disconnect(): void
  readonly status: string
}

const nodeKey = (node: Redis): string => `${node.options.host}:${node.options.port}`

export class ClusterSubscriber extends EventEmitter implements BusConnection {
  /** `'ready'` while connected to the channel's master. */
  status: 'connecting' | 'ready' | 'end' = 'connecting'
  readonly #cluster: Cluster
  readonly #channel: string
  #slot: number | undefined
  #connection: Redis | undefined
  #attempts = 0
  #timer: NodeJS.Timeout | undefined
  /** Tells #send that the status left 'connecting'. */
  readonly #settled = new EventEmitter()

  constructor(cluster: Cluster, channel: string) {
    super()
    this.#cluster = cluster
    this.#channel = channel
    void this.#connect()
  }

  subscribe(channel: string): Promise<unknown> {
    return this.#send((connection) => connection.subscribe(channel))
  }

  ssubscribe(channel: string): Promise<unknown> {
    return this.#send((connection) => connection.ssubscribe(channel))
  }

  disconnect(): void {
    this.status = 'end'
    clearTimeout(this.#timer)
    this.#connection?.disconnect()
    this.#connection = undefined
    this.#settled.emit('status')
  }

  /** `command` on the connection to the channel's master, once there is one (as ioredis queues a command while it connects). */
  async #send(command: (connection: Redis) => Promise<unknown>): Promise<unknown> {
    while (this.status === 'connecting') await once(this.#settled, 'status')
    const connection = this.#connection
    if (connection === undefined || this.status !== 'ready') throw new Error('the connection is closed')
    // A MOVED reply (the slot map we used is stale) makes the connection emit 'moved': see #connect.
    return command(connection)
  }

  async #connect(): Promise<void> {
    this.#timer = undefined
    let node: Redis
    try {
      node = await this.#master()
    } catch (error) {
      if (this.status === 'end') return
      this.emit('error', error)
      this.#retry()
      return
    }
    if (this.status === 'end') return
    const connectTimeout = this.#cluster.options.redisOptions?.connectTimeout ?? CONNECT_TIMEOUT
    // No reconnection of its own: a master that went away may come back as a replica, or not at all.
    // No ready check (an INFO round trip): a subscriber reads no data, so a master still loading its data set is no reason to wait.
    const connection = node.duplicate({
      retryStrategy: () => null,
      lazyConnect: false,
      readOnly: false,
      enableReadyCheck: false,
      connectTimeout,
      disconnectTimeout: DISCONNECT_TIMEOUT,
    })
    this.#connection = connection
    connection.on('ready', () => {
      this.#attempts = 0
      this.status = 'ready'
      this.#settled.emit('status')
      this.emit('ready')
    })
    connection.on('error', (error: Error) => this.emit('error', error))
    for (const event of ['message', 'smessage']) connection.on(event, (channel: string, message: string) => this.emit(event, channel, message))
    // The server unsubscribed us unasked, or refused SSUBSCRIBE with MOVED: the slot has another master now.
    connection.on('moved', () => connection.disconnect())
    connection.on('close', () => {
      if (this.status === 'ready') this.status = 'connecting'
      this.emit('close')
    })
    connection.once('end', () => {
      if (this.#connection !== connection) return
      this.#connection = undefined
      this.#retry()
    })
  }

  #retry(): void {
    if (this.status === 'end') return
    this.status = 'connecting'
    this.#timer = setTimeout(() => void this.#connect(), reconnectDelay(++this.#attempts))
  }

  /** The master serving the channel's slot, from a fresh slot map after a break. */
  async #master(): Promise<Redis> {
    const cluster = this.#cluster
    if (cluster.status !== 'ready') await once(cluster, 'ready')
    if (this.#attempts > 0) {
      await new Promise<void>((done, fail) => cluster.refreshSlotsCache((error) => (error ? fail(error) : done())))
    }
    this.#slot ??= Number(await cluster.call('CLUSTER', 'KEYSLOT', this.#channel))
    const key = cluster.slots[this.#slot]?.[0]
    const master = cluster.nodes('master').find((node) => nodeKey(node) === key)
    if (master === undefined) throw new Error(`no master of the cluster serves slot ${this.#slot} (${this.#channel}) now`)
    return master
  }
}
