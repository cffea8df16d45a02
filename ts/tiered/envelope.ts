// The bytes stored in Redis for one entry, and the checks a read makes before
// anything is deserialized. Redis may be shared, so what comes back is
// untrusted: a payload must carry our magic and format, be exactly as long as
// it says, and (with an HMAC key) be signed for this very key; otherwise it is
// refused with a reason and never reaches the deserializer.
//
//   0  'MK'          magic
//   2  u8 version    1
//   3  u8 format     1 JSON, 2 V8, 3 custom
//   4  u8 flags      bit 0: signed
//   5  f64 createdAt writer's clock, ms (for refreshAfter)
//  13  f64 grace     ms an expired entry may still serve when a reload fails
//  21  u32 tagsLen   then tags as a JSON array of strings
//  25  u32 valueLen  then the serialized value
//  29  tags, value, and a 32-byte HMAC-SHA256 when signed

import { createHmac, timingSafeEqual } from 'node:crypto'

import { PayloadError } from './errors'
import type { Codec } from '../codec/serializer'

const MAGIC_0 = 0x4d // 'M'
const MAGIC_1 = 0x4b // 'K'
const VERSION = 1
const SIGNED = 1
const HEADER = 29
const MAC_BYTES = 32

export interface EntryMeta {
  createdAt: number
  grace: number
  tags: readonly string[]
}

export interface Entry<V> extends EntryMeta {
  value: V
}

/** Signs and checks bytes with one HMAC key (or does nothing without one). */
export class Signer {
  readonly #key: Buffer | undefined

  constructor(key: Buffer | undefined) {
    this.#key = key
  }

  get signs(): boolean {
    return this.#key !== undefined
  }

  /** HMAC-SHA256 of `context` (length-prefixed, so no two inputs share a MAC input) and `body`. */
  mac(context: string, body: Uint8Array): Buffer {
    const name = Buffer.from(context, 'utf8')
    const length = Buffer.alloc(4)
    length.writeUInt32BE(name.length)
    return createHmac('sha256', this.#key!).update(length).update(name).update(body).digest()
  }

  verify(context: string, body: Uint8Array, mac: Uint8Array): boolean {
    return mac.length === MAC_BYTES && timingSafeEqual(this.mac(context, body), mac)
  }
}

export class Envelope<V> {
  readonly #codec: Codec<V>
  readonly #signer: Signer
  readonly #maxBytes: number

  constructor(codec: Codec<V>, signer: Signer, maxBytes: number) {
    this.#codec = codec
    this.#signer = signer
    this.#maxBytes = maxBytes
  }

  /** The stored bytes of `entry` under `redisKey`; throws a TypeError/RangeError when it cannot be stored. */
  encode(redisKey: string, entry: Entry<V>): Buffer {
    const value = this.#codec.serialize(entry.value)
    const tags = Buffer.from(JSON.stringify(entry.tags), 'utf8')
    const signed = this.#signer.signs
    const size = HEADER + tags.length + value.length + (signed ? MAC_BYTES : 0)
    if (size > this.#maxBytes) {
      throw new RangeError(`the serialized entry takes ${size} bytes, more than maxValueBytes (${this.#maxBytes})`)
    }
    const out = Buffer.allocUnsafe(size)
    out[0] = MAGIC_0
    out[1] = MAGIC_1
    out[2] = VERSION
    out[3] = this.#codec.format
    out[4] = signed ? SIGNED : 0
    out.writeDoubleBE(entry.createdAt, 5)
    out.writeDoubleBE(entry.grace, 13)
    out.writeUInt32BE(tags.length, 21)
    out.writeUInt32BE(value.length, 25)
    tags.copy(out, HEADER)
    value.copy(out, HEADER + tags.length)
    if (signed) {
      const bodyEnd = size - MAC_BYTES
      this.#signer.mac(redisKey, out.subarray(0, bodyEnd)).copy(out, bodyEnd)
    }
    return out
  }

  /** The entry in `bytes` read from `redisKey`, or a PayloadError saying why it is refused. */
  decode(redisKey: string, bytes: Buffer): Entry<V> {
    if (bytes.length > this.#maxBytes) throw new PayloadError('oversized', `${bytes.length} bytes, more than maxValueBytes`)
    if (bytes.length < 2 || bytes[0] !== MAGIC_0 || bytes[1] !== MAGIC_1) throw new PayloadError('foreign', 'no moka-js header')
    if (bytes.length < HEADER) throw new PayloadError('truncated', `${bytes.length} bytes, shorter than the header`)
    if (bytes[2] !== VERSION) throw new PayloadError('foreign', `envelope version ${bytes[2]}`)
    if (bytes[3] !== this.#codec.format) throw new PayloadError('foreign', `written with serializer format ${bytes[3]}`)
    const signed = (bytes[4] & SIGNED) !== 0
    if (signed !== this.#signer.signs) {
      throw new PayloadError(this.#signer.signs ? 'tampered' : 'foreign', signed ? 'signed, and no hmacKey is set' : 'not signed')
    }
    const tagsLength = bytes.readUInt32BE(21)
    const valueLength = bytes.readUInt32BE(25)
    const expected = HEADER + tagsLength + valueLength + (signed ? MAC_BYTES : 0)
    if (bytes.length < expected) throw new PayloadError('truncated', `${bytes.length} of ${expected} bytes`)
    if (bytes.length > expected) throw new PayloadError(signed ? 'tampered' : 'foreign', `${bytes.length - expected} bytes past its end`)
    if (signed) {
      const bodyEnd = expected - MAC_BYTES
      if (!this.#signer.verify(redisKey, bytes.subarray(0, bodyEnd), bytes.subarray(bodyEnd))) {
        throw new PayloadError('tampered', 'the signature does not match')
      }
    }
    const createdAt = bytes.readDoubleBE(5)
    const grace = bytes.readDoubleBE(13)
    if (!Number.isFinite(createdAt) || !(grace >= 0)) throw new PayloadError('undecodable', 'bad timestamps')
    const tagsEnd = HEADER + tagsLength
    let tags: unknown
    let value: V
    try {
      tags = JSON.parse(bytes.toString('utf8', HEADER, tagsEnd))
      value = this.#codec.deserialize(bytes.subarray(tagsEnd, tagsEnd + valueLength))
    } catch (error) {
      throw new PayloadError('undecodable', error instanceof Error ? error.message : String(error))
    }
    if (!Array.isArray(tags) || !tags.every((tag) => typeof tag === 'string')) throw new PayloadError('undecodable', 'tags are not strings')
    return { value, createdAt, grace, tags }
  }
}
