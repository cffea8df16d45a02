// One attempt of a cross-thread load, for `SharedMoka#fetch`.
//
// Within a thread, concurrent fetches of a key share one local `Flight`
// (ts/core/singleflight.ts: per-caller signal and timeout as in `Moka#fetch`).
// The flight's attempt asks the addon: the value is cached, or this thread
// loads it (a ticket), or another thread is loading it and this one waits
// for the outcome, delivered through the Inbox without blocking the event
// loop. A wait whose loader went away (thread exited, gave up) acquires again.

import { EntryTtl, entryOptions, SKIP } from '../core/fetch'
import type { Codec } from './codec'
import { serializeError } from './codec'
import { Inbox, RETRY_LOAD } from './inbox'
import { handleMethods as native, NativeHandle, SharedKey } from './native'

export type SharedLoader<K, V> = (key: K, context: { signal: AbortSignal }) => V | PromiseLike<V>

/** The stored value's time to live (a duration or a function of it) and time to idle. */
export interface EntryExpiry<V> {
  ttl: EntryTtl<V> | undefined
  tti: number | undefined
}

export interface LoadContext<K extends SharedKey, V> {
  handle: NativeHandle
  codec: Codec<V>
  inbox: Inbox<K, V>
}

export async function loadShared<K extends SharedKey, V>(
  cx: LoadContext<K, V>,
  key: K,
  loader: SharedLoader<K, V>,
  expiry: EntryExpiry<V>,
  signal: AbortSignal,
  mayAbort: boolean,
): Promise<V> {
  for (;;) {
    // This thread stopped waiting (timeout, or every caller aborted) before a retry.
    signal.throwIfAborted()
    const wait = cx.inbox.nextId()
    const acquired = native.acquire(cx.handle, key, wait)
    if (acquired === null) {
      const outcome = await cx.inbox.wait(wait, signal, () => native.cancelWait(cx.handle, key, wait))
      if (outcome === RETRY_LOAD) continue
      return outcome
    }
    if (typeof acquired === 'number') return runLoader(cx, acquired, key, loader, expiry, signal, mayAbort)
    return cx.codec.decode(acquired)
  }
}

/**
 * Runs the loader and finishes the ticket. If this thread stops waiting
 * first (its timeout, or every caller aborted), the ticket is abandoned at
 * once so that another thread can load; a late value then fills the cache
 * only if nothing else did. `mayAbort`: whether `signal` can abort at all
 * (the load has a timeout, or its first caller a signal); listening costs.
 */
async function runLoader<K extends SharedKey, V>(
  cx: LoadContext<K, V>,
  ticket: number,
  key: K,
  loader: SharedLoader<K, V>,
  expiry: EntryExpiry<V>,
  signal: AbortSignal,
  mayAbort: boolean,
): Promise<V> {
  let open = true
  /** Finishes the ticket with `how`, once; it stays open if `how` throws. */
  const end = (how: () => void): void => {
    if (!open) return
    how()
    open = false
  }
  /** Gives the waiters what can still be given; a closed handle abandoned its tickets already. */
  const fail = (error: unknown): void => {
    try {
      end(() => native.reject(cx.handle, ticket, serializeError(error)))
    } catch {
      // The handle was closed meanwhile.
    }
  }
  const giveUp = (): void => {
    try {
      end(() => native.abandon(cx.handle, ticket))
    } catch {
      // The handle was closed meanwhile.
    }
  }
  if (mayAbort) signal.addEventListener('abort', giveUp, { once: true })
  let value: V
  try {
    value = await loader(key, { signal })
  } catch (error) {
    fail(error)
    throw error
  } finally {
    if (mayAbort) signal.removeEventListener('abort', giveUp)
  }
  try {
    const options = entryOptions(expiry.ttl, expiry.tti, value)
    const kind = cx.codec.kind(value)
    const payload = cx.codec.payload(value, kind)
    const store = options !== SKIP
    const { ttl: ttlMs, tti: ttiMs } = (store ? options : undefined) ?? {}
    if (open) end(() => native.resolve(cx.handle, ticket, payload, kind, ttlMs as number | undefined, ttiMs as number | undefined, store))
    else if (store) native.setIfAbsent(cx.handle, key, payload, kind, ttlMs as number | undefined, ttiMs as number | undefined)
  } catch (error) {
    // A value that cannot be stored (not serializable, too large, bad ttl):
    // every waiter gets the error.
    fail(error)
    throw error
  }
  return value
}
