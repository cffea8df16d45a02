// How values become bytes for a shared cache, and back.
//
// Strings and `Uint8Array`s (a `Buffer` is one) are stored as they are;
// anything else goes through the serializer: `v8.serialize` by default, the
// structured clone algorithm that `postMessage` uses, so whatever a worker
// could post can be cached.

import { types } from 'node:util'
import * as v8 from 'node:v8'

import { describe } from './duration'
import { BUFFER, BYTES, RawValue, SERIALIZED, STRING } from './shared-native'

/** Turns values into bytes and back; both threads of a cache must use the same one. */
export interface Serializer<V> {
  serialize(value: V): Uint8Array
  deserialize(bytes: Uint8Array): V
}

const V8: Serializer<unknown> = { serialize: v8.serialize, deserialize: v8.deserialize }

export class Codec<V> {
  readonly #serializer: Serializer<V>

  constructor(serializer: Serializer<V> = V8 as Serializer<V>) {
    this.#serializer = serializer
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
    let bytes: unknown
    try {
      bytes = this.#serializer.serialize(value)
    } catch (error) {
      throw new TypeError(`value cannot be stored in a SharedMoka: ${(error as Error)?.message ?? String(error)}`, { cause: error })
    }
    if (!types.isUint8Array(bytes)) throw new TypeError(`serializer.serialize must return a Uint8Array, got ${describe(bytes)}`)
    return bytes
  }

  /** A value the addon returned (a copy): strings and byte arrays as they are, serialized bytes deserialized. */
  decode(raw: RawValue): V {
    if (raw instanceof ArrayBuffer) return this.#serializer.deserialize(new Uint8Array(raw))
    return raw as V
  }
}

/** An error (or any rejection reason) as bytes for other threads; what cannot be cloned becomes an `Error` with its message. */
export function serializeError(error: unknown): Uint8Array {
  try {
    return v8.serialize(error)
  } catch {
    const message = error instanceof Error ? error.message : String(error)
    return v8.serialize(Object.assign(new Error(message), { name: error instanceof Error ? error.name : 'Error' }))
  }
}

export function deserializeError(raw: RawValue): unknown {
  return v8.deserialize(new Uint8Array(raw as ArrayBuffer))
}
