// Cross-process single-flight: one loader per key across every instance. The
// loading instance holds a Redis lock (SET NX PX with a random owner token);
// it renews the lock while its loader runs, and releases it only if the token
// is still its own. A holder that dies releases by expiry. Waiters wake on the
// bus message that the holder's write or release publishes, and also poll with
// exponential backoff, since a pub/sub message can be lost.

import { randomBytes } from 'node:crypto'

import type { Bus } from './bus'
import type { Connections } from './connection'
import { FAILED, Guard } from './guard'
import { EXTEND_LOCK, RELEASE_LOCK } from './scripts'

/** A lock this instance holds. */
export interface HeldLock {
  release(): Promise<void>
}

export class Locks {
  readonly #connections: Connections
  readonly #guard: Guard
  readonly #bus: Bus
  readonly #ttl: number
  readonly #waiting = new Map<string, Set<() => void>>()

  constructor(connections: Connections, guard: Guard, bus: Bus, ttl: number) {
    this.#connections = connections
    this.#guard = guard
    this.#bus = bus
    this.#ttl = ttl
  }

  /** The lock of `key` if this instance got it, `undefined` if another holds it, `FAILED` if Redis did not answer. */
  async acquire(key: string): Promise<HeldLock | undefined | typeof FAILED> {
    const connections = this.#connections
    const { commands, layout } = connections
    const name = layout.lock(key)
    const token = randomBytes(16).toString('base64url')
    const ttl = this.#ttl
    const message = this.#bus.encode({ released: key })
    const release = async (): Promise<unknown> =>
      RELEASE_LOCK.run(commands, [name], [token, await connections.publishCommand(), layout.channel, message])
    let sent: Promise<'OK' | null> | undefined
    const got = await this.#guard.run('lock', key, () => (sent = commands.set(name, token, 'PX', ttl, 'NX')))
    if (got === FAILED) {
      // A command past its deadline may still run (the client resends its queue on reconnect):
      // a lock taken that way has no holder, and would keep every waiter waiting until it expires.
      sent?.then((late) => (late === 'OK' ? release() : undefined)).catch(() => {})
      return FAILED
    }
    if (got !== 'OK') return undefined
    // Renewed at a third of its ttl, so a slow loader keeps it; a dead process stops renewing.
    const renew = setInterval(() => {
      EXTEND_LOCK.run(commands, [name], [token, ttl]).catch(() => {})
    }, Math.max(1, Math.floor(ttl / 3)))
    renew.unref()
    return {
      release: async () => {
        clearInterval(renew)
        // Past the breaker: a lock left behind would hold every other process's waiters until it expires.
        await this.#guard.always('lock', key, release)
      },
    }
  }

  /** Resolves after `ms`, or earlier when a bus message concerns `key` (or everything). */
  wait(key: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      let waiters = this.#waiting.get(key)
      if (waiters === undefined) this.#waiting.set(key, (waiters = new Set()))
      const done = (): void => {
        clearTimeout(timer)
        waiters.delete(done)
        if (waiters.size === 0 && this.#waiting.get(key) === waiters) this.#waiting.delete(key)
        resolve()
      }
      const timer = setTimeout(done, ms)
      waiters.add(done)
    })
  }

  wake(key: string): void {
    const waiters = this.#waiting.get(key)
    if (waiters !== undefined) for (const done of [...waiters]) done()
  }

  wakeAll(): void {
    for (const key of [...this.#waiting.keys()]) this.wake(key)
  }
}
