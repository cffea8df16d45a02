// The invalidation bus: Redis pub/sub on one channel per namespace (global
// pub/sub, or sharded pub/sub on a cluster of Redis 7+). Every
// write, delete, tag invalidation and clear is published (by the same Lua step
// that writes, where there is one); every other instance drops its L1 copies.
//
// Pub/sub delivers at most once: a message sent while an instance is not
// subscribed is lost to it. So when the subscription comes back after a break
// (or Redis dropped us for a slow consumer), the instance cannot know what it
// missed and is told to resync: drop everything it cannot prove fresh.

import type { BusConnection } from './cluster'
import type { PubSub } from './connection'
import { TierError } from './errors'
import type { Signer } from './envelope'

/** What one message says. */
export type BusEvent = { keys: readonly string[] } | { tags: readonly string[] } | { clear: true } | { released: string }

interface Wire {
  /** Sender instance. */
  i: string
  k?: readonly string[]
  t?: readonly string[]
  c?: 1
  r?: string
}

export interface BusHandlers {
  event(event: BusEvent): void
  /** The subscription is (re-)established; messages may have been missed. */
  resync(): void
  error(error: TierError): void
}

export class Bus {
  readonly #subscriber: BusConnection
  readonly #pubsub: () => Promise<PubSub>
  readonly #channel: string
  readonly #id: string
  readonly #signer: Signer
  readonly #handlers: BusHandlers
  /** The latest subscription attempt: in flight, done, or failed (and retried once the connection is back). */
  #attempt: Promise<void>
  #attempting = false
  /** Callers waiting for the next attempt, when the latest one failed and none is in flight. */
  #waiting: ((attempt: Promise<void>) => void)[] = []
  #connected = false
  /** The subscription broke since it was last established. */
  #broken = false
  #closed = false
  received = 0
  rejected = 0
  resyncs = 0

  constructor(subscriber: BusConnection, pubsub: () => Promise<PubSub>, channel: string, id: string, signer: Signer, handlers: BusHandlers) {
    this.#subscriber = subscriber
    this.#pubsub = pubsub
    this.#channel = channel
    this.#id = id
    this.#signer = signer
    this.#handlers = handlers
    const receive = (from: string, message: string): void => {
      if (from === channel) this.#receive(message)
    }
    subscriber.on('message', receive)
    subscriber.on('smessage', receive)
    subscriber.on('close', () => {
      if (this.#connected) this.#broken = true
      this.#connected = false
    })
    subscriber.on('ready', () => {
      // Back after a break, or after a first attempt that failed (Redis was down when we started).
      if (!this.#connected && !this.#attempting && !this.#closed) this.#attempt = this.#start()
    })
    this.#attempt = this.#start()
  }

  /**
   * Resolves once subscribed, rejects with what made the attempt fail: the
   * attempt in flight or done, or, when the latest failed, the next one (made
   * once the connection is back).
   */
  subscription(): Promise<void> {
    if (this.#connected || this.#attempting) return this.#attempt
    return new Promise<Promise<void>>((resolve) => this.#waiting.push(resolve)).then((attempt) => attempt)
  }

  get connected(): boolean {
    return this.#connected
  }

  /** The message announcing `event`, signed when the cache has an HMAC key. */
  encode(event: BusEvent): string {
    const wire: Wire = { i: this.#id }
    if ('keys' in event) wire.k = event.keys
    else if ('tags' in event) wire.t = event.tags
    else if ('released' in event) wire.r = event.released
    else wire.c = 1
    const json = JSON.stringify(wire)
    if (!this.#signer.signs) return `u:${json}`
    return `s:${this.#signer.mac(this.#channel, Buffer.from(json, 'utf8')).toString('base64url')}:${json}`
  }

  close(): void {
    this.#closed = true
    // Nothing will subscribe any more: whoever waits for it stops waiting.
    for (const resolve of this.#waiting.splice(0)) resolve(Promise.reject(new Error('the cache was closed')))
  }

  #start(): Promise<void> {
    this.#attempting = true
    const attempt = this.#subscribe().finally(() => {
      this.#attempting = false
    })
    attempt.catch(() => {})
    for (const resolve of this.#waiting.splice(0)) resolve(attempt)
    return attempt
  }

  async #subscribe(): Promise<void> {
    const sharded = (await this.#pubsub()) === 'sharded'
    // Confirmed by the server: from here on, no message on the channel is missed.
    await (sharded ? this.#subscriber.ssubscribe(this.#channel) : this.#subscriber.subscribe(this.#channel))
    if (this.#closed) return
    this.#broken = false
    this.#connected = true
    this.resyncs++
    this.#handlers.resync()
  }

  #receive(message: string): void {
    const wire = this.#decode(message)
    if (wire === undefined) {
      this.rejected++
      this.#handlers.error(new TierError('refused a bus message that is malformed or not signed with our key', { operation: 'bus', kind: 'payload' }))
      return
    }
    this.received++
    const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string')
    // Our own events were applied locally when we sent them; a lock release still wakes our waiters.
    if (wire.r !== undefined && typeof wire.r === 'string') this.#handlers.event({ released: wire.r })
    if (wire.i === this.#id) return
    if (strings(wire.k)) this.#handlers.event({ keys: wire.k })
    else if (strings(wire.t)) this.#handlers.event({ tags: wire.t })
    else if (wire.c === 1) this.#handlers.event({ clear: true })
  }

  #decode(message: string): Wire | undefined {
    let json: string
    if (this.#signer.signs) {
      if (!message.startsWith('s:')) return undefined
      const end = message.indexOf(':', 2)
      if (end < 0) return undefined
      json = message.slice(end + 1)
      const mac = Buffer.from(message.slice(2, end), 'base64url')
      if (!this.#signer.verify(this.#channel, Buffer.from(json, 'utf8'), mac)) return undefined
    } else {
      if (!message.startsWith('u:')) return undefined
      json = message.slice(2)
    }
    try {
      const wire = JSON.parse(json) as Wire
      return typeof wire === 'object' && wire !== null && typeof wire.i === 'string' ? wire : undefined
    } catch {
      return undefined
    }
  }
}
