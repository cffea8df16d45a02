import { protocol } from './native'

/** A duration: milliseconds, or a string such as `'250ms'`, `'30s'`, `'5m'`, `'1h'`. */
export type Duration = number | string

/** moka refuses durations longer than 1000 years. */
const MAX_MILLIS = protocol.MAX_DURATION_MS

const SECOND = 1000
const MINUTE = 60 * SECOND
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR

/** Milliseconds per unit, under every spelling the `ms` package accepts. */
const UNITS: Readonly<Record<string, number>> = Object.assign(
  Object.create(null) as Record<string, number>,
  Object.fromEntries(
    (
      [
        [1, 'milliseconds millisecond msecs msec ms'],
        [SECOND, 'seconds second secs sec s'],
        [MINUTE, 'minutes minute mins min m'],
        [HOUR, 'hours hour hrs hr h'],
        [DAY, 'days day d'],
        [7 * DAY, 'weeks week w'],
        [365.25 * DAY, 'years year yrs yr y'],
      ] as const
    ).flatMap(([millis, names]) => names.split(' ').map((name) => [name, millis])),
  ),
)

/** A number (`.5`, `-1`, `10`) and an optional unit, spaces between: the grammar of the `ms` package. */
const DURATION = /^(-?\d*\.?\d+) *([a-z]*)$/i

/** Milliseconds in a duration string, or undefined when it is not one. */
function parseDuration(text: string): number | undefined {
  if (text.length > 100) return undefined
  const match = DURATION.exec(text)
  if (match === null) return undefined
  const unit = match[2] === '' ? 1 : UNITS[match[2].toLowerCase()]
  return unit === undefined ? undefined : Number.parseFloat(match[1]) * unit
}

/**
 * Parses a duration option into milliseconds (> 0, finite), or throws a
 * `TypeError`/`RangeError` naming `name`. `undefined` stays `undefined`.
 *
 * Strings take the units of the `ms` package (the de-facto duration syntax of
 * the Node world), so that users write what they already write elsewhere.
 */
export function toMillis(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined
  let millis: number
  if (typeof value === 'number') {
    millis = value
  } else if (typeof value === 'string') {
    const parsed = parseDuration(value)
    if (parsed === undefined) {
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
