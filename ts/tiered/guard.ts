// Every Redis call of a TieredCache goes through here: a deadline, and a
// circuit breaker that stops calling a server that keeps failing and lets one
// probe through now and then, so the tier recovers by itself. The breaker is
// cockatiel's (a maintained resilience library with no dependencies; 3.x is
// its line that supports Node 20). The deadline is one timer per call: cockatiel's
// timeout policy allocates an AbortController and a DOMException per call,
// which measured as a third of the CPU time of an L2 hit. A failure becomes a
// `TierError` for `onError` and the counters, and the caller gets `FAILED`
// (or the error, when asked).

import { BrokenCircuitError, circuitBreaker, CircuitState, ConsecutiveBreaker, handleAll } from 'cockatiel'

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
  /** Why Redis is unreachable now (refused, auth…), if it is: reported instead of what the call saw (a timeout, a closed connection). */
  unreachable: (operation: TierOperation, key: string | undefined) => TierError | undefined
}

/** A Redis call that missed its deadline. */
export class DeadlineError extends Error {}

/** `promise`, or a DeadlineError after `ms`; a late rejection is handled, never unhandled. */
export function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new DeadlineError()), ms)
    promise.then(
      (value) => {
        clearTimeout(timer)
        resolve(value)
      },
      (error: unknown) => {
        clearTimeout(timer)
        reject(error)
      },
    )
  })
}

const describeError = (cause: unknown): string => (cause instanceof Error ? cause.message : String(cause))

export class Guard {
  readonly #breaker
  readonly #timeout: number
  readonly #suppress: boolean
  readonly #report: (error: TierError) => void
  readonly #unreachable: GuardOptions['unreachable']
  #timeouts = 0
  #skipped = 0

  constructor(o: GuardOptions) {
    this.#breaker = circuitBreaker(handleAll, { halfOpenAfter: o.halfOpenAfter, breaker: new ConsecutiveBreaker(o.failures) })
    this.#timeout = o.timeout
    this.#suppress = o.suppressErrors
    this.#report = o.report
    this.#unreachable = o.unreachable
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
      // The caller stops waiting at the deadline even if the command is still queued in the client.
      return await this.#breaker.execute(() => withDeadline(call(), this.#timeout))
    } catch (cause) {
      if (cause instanceof BrokenCircuitError) {
        this.#skipped++
        if (this.#suppress) return FAILED
        throw new TierError('Redis is skipped while the circuit breaker is open', { operation, kind: 'circuitOpen', key, cause })
      }
      return this.fail(this.#failure(operation, key, cause))
    }
  }

  /**
   * `call()` with the deadline but past the breaker, for a call that must be
   * tried even while Redis looks down (releasing a lock that others wait
   * for); a failure is reported, never thrown.
   */
  async always<T>(operation: TierOperation, key: string | undefined, call: () => Promise<T>): Promise<T | typeof FAILED> {
    try {
      return await withDeadline(call(), this.#timeout)
    } catch (cause) {
      this.#report(this.#failure(operation, key, cause))
      return FAILED
    }
  }

  /** What a failed call reports: why Redis is unreachable when it is, else the call's own timeout or error. */
  #failure(operation: TierOperation, key: string | undefined, cause: unknown): TierError {
    const timedOut = cause instanceof DeadlineError
    const error =
      this.#unreachable(operation, key) ??
      new TierError(timedOut ? 'Redis did not answer in time' : `Redis failed: ${describeError(cause)}`, { operation, kind: timedOut ? 'timeout' : 'redis', key, cause })
    if (error.kind === 'timeout') this.#timeouts++
    return error
  }

  /** Reports `error`; returns FAILED, or throws it when errors are not suppressed. */
  fail(error: TierError): typeof FAILED {
    this.#report(error)
    if (this.#suppress) return FAILED
    throw error
  }
}
