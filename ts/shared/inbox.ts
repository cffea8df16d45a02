// What other threads deliver to this one: outcomes of the loads it waits
// for, and removals for its eviction listener. The addon calls `dispatch` on
// this thread with a batch. An Inbox holds no reference to the native
// handle, so a handle nobody uses can be collected even while its
// threadsafe function keeps `dispatch` alive.

import { listenerFailure } from '../core/moka'
import type { RemovalCause } from '../core/options'
import { Codec, deserializeError } from './codec'
import { FAILED, LOADED, OVERFLOW, RawValue, REMOVED, RETRY, SharedKey } from './native'
import { abortReason } from '../core/singleflight'

/** The outcome of a wait whose loader went away: acquire again. */
export const RETRY_LOAD: unique symbol = Symbol('moka-js.retryLoad')

const CAUSES: readonly RemovalCause[] = ['expired', 'explicit', 'replaced', 'size']

interface Waiter<V> {
  resolve(value: V | typeof RETRY_LOAD): void
  reject(error: unknown): void
}

/** A wait given up whose outcome may still be queued: its id stays taken until that outcome arrives. */
const GIVEN_UP: Waiter<never> = { resolve() {}, reject() {} }

export class Inbox<K extends SharedKey, V> {
  readonly #codec: Codec<V>
  readonly #listener: ((key: K, value: V, cause: RemovalCause) => void) | undefined
  /** Every id the addon may still deliver to: waits, and waits given up whose outcome is on its way. */
  readonly #waits = new Map<number, Waiter<V>>()
  /** The largest id before wrapping to 0: the addon takes ids below 2^32 (smaller in tests). */
  readonly #lastId: number
  readonly #onOverflow: ((dropped: number) => void) | undefined
  #nextId = 0

  constructor(
    codec: Codec<V>,
    listener: ((key: K, value: V, cause: RemovalCause) => void) | undefined,
    lastId = 0xffff_ffff,
    onOverflow?: (dropped: number) => void,
  ) {
    this.#codec = codec
    this.#listener = listener
    this.#lastId = lastId
    this.#onOverflow = onOverflow
  }

  /** A fresh id for the next wait: ids wrap, skipping those the addon may still deliver to. */
  nextId(): number {
    if (this.#waits.size > this.#lastId) throw new RangeError('SharedMoka.fetch: too many waits on this thread')
    const after = (id: number): number => (id === this.#lastId ? 0 : id + 1)
    let id = this.#nextId
    while (this.#waits.has(id)) id = after(id)
    this.#nextId = after(id)
    return id
  }

  /**
   * The outcome of wait `id`: the value, its load's error, or `RETRY_LOAD`.
   * When `signal` aborts, rejects alone and calls `cancel`, which removes the
   * waiter natively and says whether it was still registered; if it was not,
   * its outcome is already queued, and the id stays taken until it arrives.
   */
  wait(id: number, signal: AbortSignal | undefined, cancel: () => boolean): Promise<V | typeof RETRY_LOAD> {
    return new Promise((resolve, reject) => {
      if (signal === undefined) {
        this.#waits.set(id, { resolve, reject })
        return
      }
      const onAbort = (): void => {
        let cancelled = true
        try {
          cancelled = cancel()
        } catch {
          // The handle was closed meanwhile: nothing more will be delivered.
        }
        if (cancelled) this.#waits.delete(id)
        else this.#waits.set(id, GIVEN_UP)
        reject(abortReason(signal))
      }
      signal.addEventListener('abort', onAbort, { once: true })
      const done = (): void => signal.removeEventListener('abort', onAbort)
      this.#waits.set(id, {
        resolve: (v) => (done(), resolve(v)),
        reject: (e) => (done(), reject(e)),
      })
    })
  }

  /** Rejects every wait (the handle was closed). */
  rejectAll(error: Error): void {
    const waits = [...this.#waits.values()]
    this.#waits.clear()
    for (const w of waits) w.reject(error)
  }

  /**
   * Takes a batch of `[kind, wait or cause, key, value]` quadruples. Listener
   * errors do not stop the batch; they are rethrown after it, from a fresh
   * tick: an uncaught exception on this thread, as from any event callback
   * (Node would only warn about an exception thrown back into the addon).
   */
  readonly dispatch = (batch: unknown[]): void => {
    let errors: unknown[] | undefined
    for (let i = 0; i < batch.length; i += 4) {
      const kind = batch[i] as number
      const n = batch[i + 1] as number
      const raw = batch[i + 3] as RawValue
      if (kind === OVERFLOW) {
        try {
          this.#onOverflow?.(n)
        } catch (error) {
          ;(errors ??= []).push(error)
        }
        continue
      }
      if (kind === REMOVED) {
        if (this.#listener === undefined) continue
        try {
          this.#listener(batch[i + 2] as K, this.#codec.decode(raw), CAUSES[n])
        } catch (error) {
          ;(errors ??= []).push(error)
        }
        continue
      }
      const waiter = this.#waits.get(n)
      if (waiter === undefined) continue
      this.#waits.delete(n)
      try {
        if (kind === LOADED) waiter.resolve(this.#codec.decode(raw))
        else if (kind === FAILED) waiter.reject(deserializeError(raw))
        else if (kind === RETRY) waiter.resolve(RETRY_LOAD)
      } catch (error) {
        waiter.reject(error)
      }
    }
    if (errors !== undefined) {
      const failure = listenerFailure(errors)
      process.nextTick(() => {
        throw failure
      })
    }
  }
}
