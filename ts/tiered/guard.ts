// Every Redis call of a TieredCache goes through here: a deadline, and a
// circuit breaker that stops calling a server that keeps failing and lets one
// probe through now and then, so the tier recovers by itself. Both come from
// cockatiel (a maintained resilience library with no dependencies; 3.x is its
// line that supports Node 20). A failure becomes a `TierError` for `onError`
// and the counters, and the caller gets `FAILED` (or the error, when asked).

import {
  BrokenCircuitError,
  circuitBreaker,
  CircuitState,
  ConsecutiveBreaker,
  handleAll,
  TaskCancelledError,
  timeout,
  TimeoutStrategy,
  wrap,
} from 'cockatiel'

import { TierError, TierOperation } from './errors'

/** A Redis call that did not happen or did not answer in time. */
export const FAILED: unique symbol = Symbol('moka-js.tierFailed')

export type BreakerState = 'closed' | 'open' | 'halfOpen'

export interface GuardOptions {
  timeout: number
  failures: number
  halfOpenAfter: number
  suppressErrors: boolean
  report: (error: TierError) => void
}

export class Guard {
  readonly #breaker
  readonly #policy
  readonly #suppress: boolean
  readonly #report: (error: TierError) => void
  #timeouts = 0
  #skipped = 0

  constructor(o: GuardOptions) {
    this.#breaker = circuitBreaker(handleAll, { halfOpenAfter: o.halfOpenAfter, breaker: new ConsecutiveBreaker(o.failures) })
    // Aggressive: the caller stops waiting at the deadline even if the command is still queued in the client.
    this.#policy = wrap(this.#breaker, timeout(o.timeout, TimeoutStrategy.Aggressive))
    this.#suppress = o.suppressErrors
    this.#report = o.report
  }

  get state(): BreakerState {
    const state = this.#breaker.state
    return state === CircuitState.Closed ? 'closed' : state === CircuitState.HalfOpen ? 'halfOpen' : 'open'
  }

  get timeouts(): number {
    return this.#timeouts
  }

  /** Calls skipped because the breaker was open. */
  get skipped(): number {
    return this.#skipped
  }

  /** `call()`'s result, or `FAILED` once the failure has been reported (or the TierError, with `suppressErrors: false`). */
  async run<T>(operation: TierOperation, key: string | undefined, call: () => Promise<T>): Promise<T | typeof FAILED> {
    try {
      // A signal of its own: without one, cockatiel hangs every concurrent call's listener on one shared signal.
      return await this.#policy.execute(call, new AbortController().signal)
    } catch (cause) {
      if (cause instanceof BrokenCircuitError) {
        this.#skipped++
        if (this.#suppress) return FAILED
        throw new TierError('Redis is skipped while the circuit breaker is open', { operation, kind: 'circuitOpen', key, cause })
      }
      const timedOut = cause instanceof TaskCancelledError
      if (timedOut) this.#timeouts++
      const message = timedOut ? 'Redis did not answer in time' : `Redis failed: ${cause instanceof Error ? cause.message : String(cause)}`
      return this.fail(new TierError(message, { operation, kind: timedOut ? 'timeout' : 'redis', key, cause }))
    }
  }

  /** Reports `error`; returns FAILED, or throws it when errors are not suppressed. */
  fail(error: TierError): typeof FAILED {
    this.#report(error)
    if (this.#suppress) return FAILED
    throw error
  }
}
