// What goes wrong on the second tier, as the `onError` hook and `stats()` see it.

/** Where a second-tier failure happened. */
export type TierOperation = 'get' | 'set' | 'delete' | 'deleteMany' | 'invalidateTags' | 'clear' | 'lock' | 'bus' | 'connection'

/**
 * A failure of the second tier: Redis unreachable, slow (`kind: 'timeout'`),
 * skipped while the circuit breaker is open (`'circuitOpen'`), or a payload
 * that was read and refused (`'payload'`: tampered, truncated, oversized,
 * foreign). The cache answered from L1 or the loader instead.
 */
export class TierError extends Error {
  readonly operation: TierOperation
  readonly kind: TierErrorKind
  readonly key: string | undefined

  constructor(message: string, options: { operation: TierOperation; kind: TierErrorKind; key?: string; cause?: unknown }) {
    super(message, { cause: options.cause })
    this.operation = options.operation
    this.kind = options.kind
    this.key = options.key
  }
}
Object.defineProperty(TierError.prototype, 'name', { value: 'TierError', writable: true, configurable: true })

export type TierErrorKind = 'redis' | 'timeout' | 'circuitOpen' | 'payload'

/** A payload refused on read; `reason` says why. Never carries the payload's content. */
export class PayloadError extends Error {
  readonly reason: PayloadRejection

  constructor(reason: PayloadRejection, detail: string) {
    super(`${reason} payload: ${detail}`)
    this.reason = reason
  }
}
Object.defineProperty(PayloadError.prototype, 'name', { value: 'PayloadError', writable: true, configurable: true })

export type PayloadRejection = 'foreign' | 'truncated' | 'tampered' | 'oversized' | 'undecodable'
