import ms from 'ms'

import { protocol } from './native'

/** A duration: milliseconds, or a string such as `'250ms'`, `'30s'`, `'5m'`, `'1h'`. */
export type Duration = number | string

/** moka refuses durations longer than 1000 years. */
const MAX_MILLIS = protocol.MAX_DURATION_MS

/**
 * Parses a duration option into milliseconds (> 0, finite), or throws a
 * `TypeError`/`RangeError` naming `name`. `undefined` stays `undefined`.
 *
 * Strings are parsed by `ms` (the de-facto duration parser of the Node world)
 * so that users get the units they already write elsewhere.
 */
export function toMillis(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined
  let millis: number
  if (typeof value === 'number') {
    millis = value
  } else if (typeof value === 'string') {
    const parsed = value.length > 0 && value.length <= 100 ? ms(value as ms.StringValue) : undefined
    if (typeof parsed !== 'number' || Number.isNaN(parsed)) {
      throw new RangeError(`${name}: cannot parse duration ${JSON.stringify(value)} (use milliseconds or e.g. '250ms', '30s', '5m', '1h')`)
    }
    millis = parsed
  } else {
    throw new TypeError(`${name} must be a number of milliseconds or a duration string, got ${describe(value)}`)
  }
  if (!Number.isFinite(millis) || millis <= 0 || millis > MAX_MILLIS) {
    throw new RangeError(`${name} must be a positive duration of at most 1000 years, got ${String(value)}`)
  }
  return millis
}

export function describe(value: unknown): string {
  if (value === null) return 'null'
  if (typeof value === 'string') return `string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)}`
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return `${typeof value} ${String(value)}`
  return typeof value
}
