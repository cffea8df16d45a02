// How values become bytes for a shared cache, and back.
//
// Strings and `Uint8Array`s (a `Buffer` is one) are stored as they are;
// anything else goes through the serializer, the same ones `TieredCache`
// uses: `'v8'` by default (the structured clone that `postMessage` uses, so
// whatever a worker could post can be cached), `'json'`, or the user's own.

import { types } from 'node:util'
import * as v8 from 'node:v8'

import { BUFFER, BYTES, RawValue, SERIALIZED, STRING } from './native'
import { AbortError, TimeoutError } from '../core/singleflight'
import { Codec as Serialization, codecOf, SerializerOption } from '../codec/serializer'

export class Codec<V> {
  readonly #serialization: Serialization<V>

  constructor(serializer: SerializerOption<V> = 'v8') {
    this.#serialization = codecOf<V>(serializer)
  }

  /** Which serializer this is (1 JSON, 2 v8, 3 custom): every thread of a cache must use the same. */
  get format(): number {
    return this.#serialization.format
  }

  /** The native kind of `value`. */
  kind(value: unknown): number {
    if (typeof value === 'string') return STRING
    if (types.isUint8Array(value)) return Buffer.isBuffer(value) ? BUFFER : BYTES
    return SERIALIZED
  }

  /** What the addon stores for `value` of `kind`: the value itself, or its serialized bytes. */
  payload(value: V, kind: number): string | Uint8Array {
    if (kind !== SERIALIZED) return value as string | Uint8Array
    try {
      return this.#serialization.serialize(value)
    } catch (error) {
      throw new TypeError(`value cannot be stored in a SharedMoka: ${(error as Error)?.message ?? String(error)}`, { cause: error })
    }
  }

  /** A value the addon returned (a copy): strings and byte arrays as they are, serialized bytes deserialized. */
  decode(raw: RawValue): V {
    if (raw instanceof ArrayBuffer) return this.#serialization.deserialize(Buffer.from(raw))
    return raw as V
  }
}

/** Error classes a rejection is rebuilt as, by name; any other error becomes an `Error` carrying its name. */
const ERROR_CLASSES: Record<string, new (message?: string, options?: { cause?: unknown }) => Error> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
  TimeoutError,
  AbortError,
}

interface ErrorRecord {
  name: string
  message: string
  stack: string | undefined
  cause?: unknown
  /** Own enumerable properties, such as `code`. */
  fields: Record<string, unknown>
}

type Rejection = { error: ErrorRecord } | { value: unknown }

/**
 * A rejection reason as bytes for other threads. An error keeps its name,
 * message, stack, cause and own properties (`code`, …); what cannot be
 * cloned is dropped, down to the message.
 */
export function serializeError(reason: unknown): Uint8Array {
  if (!(reason instanceof Error)) {
    try {
      return v8.serialize({ value: reason } satisfies Rejection)
    } catch {
      return v8.serialize({ value: String(reason) } satisfies Rejection)
    }
  }
  const { name, message, stack } = reason
  const cause = (reason as { cause?: unknown }).cause
  const full: ErrorRecord = { name, message, stack, fields: { ...reason }, ...(cause === undefined ? {} : { cause }) }
  for (const record of [full, { name, message, stack, fields: {} }]) {
    try {
      return v8.serialize({ error: record } satisfies Rejection)
    } catch {
      // Some field or the cause cannot be cloned: try with less.
    }
  }
  return v8.serialize({ error: { name: String(name), message: String(message), stack: undefined, fields: {} } } satisfies Rejection)
}

/** The rejection reason `serializeError` wrote, rebuilt in this thread. */
export function deserializeError(raw: RawValue): unknown {
  const rejection = v8.deserialize(new Uint8Array(raw as ArrayBuffer)) as Rejection
  if ('value' in rejection) return rejection.value
  const { name, message, stack, fields } = rejection.error
  const Class = Object.hasOwn(ERROR_CLASSES, name) ? ERROR_CLASSES[name] : Error
  const error = 'cause' in rejection.error ? new Class(message, { cause: rejection.error.cause }) : new Class(message)
  if (error.name !== name) Object.defineProperty(error, 'name', { value: name, writable: true, configurable: true })
  if (stack !== undefined) Object.defineProperty(error, 'stack', { value: stack, writable: true, configurable: true })
  return Object.assign(error, fields)
}
