// How values cross the wire, from SharedMoka to its native cache and from
// TieredCache to Redis (so it lives below both): JSON (default), V8's
// structured serialization, or the user's own. Each has a format code stored
// with the payload, so a payload written in another format is refused instead
// of misread.

import v8 from 'node:v8'

import { describe } from '../core/duration'
import { hasMethods } from '../core/options'

/** Turns values into bytes and back. `deserialize` may throw on bad input; the read is then a counted miss. */
export interface Serializer<V = unknown> {
  serialize(value: V): Uint8Array | string
  deserialize(bytes: Buffer): V
}

export type SerializerOption<V> = 'json' | 'v8' | Serializer<V>

export interface Codec<V> {
  /** Stored in every envelope; a reader refuses any other. */
  readonly format: number
  serialize(value: V): Buffer
  deserialize(bytes: Buffer): V
}

const json: Codec<unknown> = {
  format: 1,
  serialize(value) {
    const text = JSON.stringify(value)
    // JSON.stringify gives undefined for undefined, functions and symbols.
    if (text === undefined) throw new TypeError(`the JSON serializer cannot encode ${describe(value)}`)
    return Buffer.from(text, 'utf8')
  },
  deserialize: (bytes) => JSON.parse(bytes.toString('utf8')),
}

/** V8's format keeps Map, Set, Date, BigInt, typed arrays and cycles (but not class instances). */
const structured: Codec<unknown> = {
  format: 2,
  serialize: (value) => v8.serialize(value),
  deserialize: (bytes) => v8.deserialize(bytes),
}

export function codecOf<V>(option: unknown): Codec<V> {
  if (option === undefined || option === 'json') return json as Codec<V>
  if (option === 'v8') return structured as Codec<V>
  if (hasMethods(option, 'serialize', 'deserialize')) {
    const custom = option as Serializer<V>
    return {
      format: 3,
      serialize(value) {
        const out: unknown = custom.serialize(value)
        if (typeof out === 'string') return Buffer.from(out, 'utf8')
        if (out instanceof Uint8Array) return Buffer.from(out.buffer, out.byteOffset, out.byteLength)
        throw new TypeError(`serializer.serialize must return a string or a Uint8Array, got ${describe(out)}`)
      },
      deserialize: (bytes) => custom.deserialize(bytes),
    }
  }
  throw new TypeError(`serializer must be 'json', 'v8' or an object with serialize and deserialize, got ${describe(option)}`)
}
