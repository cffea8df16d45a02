// A prototype, not part of the package: a moka-js cache whose get hits are
// answered in JS, from a Map of the keys present, with the read handed to
// moka later (in batches) or only for one hit in N (sampled). moka and
// Caffeine already record reads lazily in a buffer that drops records under
// load, and TinyLFU's frequency sketch is an estimate: what this costs in
// hit ratio is measured by benchmark/prototypes/js-index.mjs.
//
// It is built on the internal surface `Moka` itself uses (lib/core/native.js
// and lib/core/fast.js: the native cache, the accelerator, the state array
// through which native calls publish the slots they release) rather than on
// `Moka`: the index has to hear of each released slot, which `Moka` handles
// privately (an `evictionListener` is told a key and value, not which slot).
//
// The index is kept exact by the release path: a set records key → slot; a
// released slot removes its key only while the index still maps it to that
// slot (a replacement has already moved the key to its new slot). No entry
// leaves moka without its slot being released, so the index never answers
// for a slot that was reused. How soon it hears depends on the native
// configuration: with `notify` (moka's eviction listener installed, as for a
// `Moka` with an `evictionListener`), each removal is published when moka
// makes it, before the call returns; without, a removal is published when
// moka drops the value, which its pending read records can delay until its
// next maintenance, and the addon hands releases over in batches of 64, so
// the index answers for entries moka has already evicted meanwhile. It does
// not know of expiry: the prototype takes no ttl/tti. Keys: strings and
// numbers (the accelerator's keys).
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const { binding, native, STATE_COUNT, STATE_MORE, STATE_HEADER, KIND_BITS } = require('../../lib/core/native.js')
const { access, fastIdOf } = require('../../lib/core/fast.js')

export class IndexedMoka {
  #cache
  #id
  #state
  #keys = []
  #values = []
  #freeSlots = []
  #nextSlot = 0
  /** key → slot of its entry, for every entry whose slot is not released. */
  #index = new Map()
  /** Reads that reach moka: one hit in `sample` (and one miss in `sample` with `sampleMisses`). */
  #sample
  /**
   * Whether misses are sampled like hits. The index is exact, so a key it
   * lacks is not in moka: a miss needs no native call but for the policy's
   * sake, and recording every miss but one hit in N counts newcomers N times
   * as often as residents in the frequency sketch that admits them.
   */
  #sampleMisses
  #countdown
  /** Recorded hits replayed per native call (`getMany`); 1 reads each at once. */
  #batch
  #ring
  #ringLength = 0

  /**
   * `batch`: recorded reads per replay; `sample`: one hit (and with
   * `sampleMisses`, one miss) in this many is recorded; `notify`: removals
   * published as moka makes them (see above).
   */
  constructor({ maxCapacity, batch = 1, sample = 1, sampleMisses = false, notify = true }) {
    const created = binding.createCache(maxCapacity, undefined, undefined, false, false, notify, false, false)
    this.#cache = created.cache
    this.#id = fastIdOf(created.cache)
    this.#state = created.state
    this.#batch = batch
    this.#sample = sample
    this.#sampleMisses = sampleMisses
    this.#countdown = sample
    this.#ring = new Array(batch).fill(undefined)
  }

  get(key) {
    const slot = this.#index.get(key)
    if (slot !== undefined) {
      if (--this.#countdown === 0) this.#record(key)
      return this.#values[slot]
    }
    // Not indexed, so not in moka: the native call only records the miss for the policy.
    if (this.#sampleMisses) {
      if (--this.#countdown === 0) this.#record(key)
      return undefined
    }
    const found = access.get(this.#cache, this.#id, key)
    const value = found >= 0 ? this.#values[found] : undefined
    if (this.#state[STATE_COUNT] !== 0) this.#drain()
    return value
  }

  set(key, value) {
    const slot = this.#freeSlots.length > 0 ? this.#freeSlots.pop() : this.#nextSlot++
    this.#keys[slot] = key
    this.#values[slot] = value
    if (!access.trySet(this.#cache, this.#id, key, slot)) native.set(this.#cache, key, slot)
    // Before the drain: the replaced entry's slot, released in it, no longer owns the key.
    this.#index.set(key, slot)
    if (this.#state[STATE_COUNT] !== 0) this.#drain()
    return this
  }

  delete(key) {
    const slot = access.remove(this.#cache, this.#id, key)
    this.#index.delete(key)
    if (this.#state[STATE_COUNT] !== 0) this.#drain()
    return slot >= 0
  }

  clear() {
    native.clear(this.#cache)
    this.#index.clear()
    this.#drain()
  }

  runPendingTasks() {
    native.runPendingTasks(this.#cache)
    this.#drain()
  }

  /** Hands the recorded reads not yet replayed to moka now. */
  flushReads() {
    if (this.#ringLength === 0) return
    native.getMany(this.#cache, this.#ring.slice(0, this.#ringLength))
    this.#ringLength = 0
    this.#drain()
  }

  /** Whether moka itself holds `key` (not a read): for checking the index. */
  presentNatively(key) {
    const found = access.has(this.#cache, this.#id, key)
    if (this.#state[STATE_COUNT] !== 0) this.#drain()
    return found
  }

  get indexSize() {
    return this.#index.size
  }

  get size() {
    const n = native.size(this.#cache)
    this.#drain()
    return n
  }

  dispose() {
    native.dispose(this.#cache)
    this.#index.clear()
    this.#keys.length = this.#values.length = this.#freeSlots.length = 0
  }

  #record(key) {
    this.#countdown = this.#sample
    if (this.#batch === 1) {
      access.get(this.#cache, this.#id, key)
      if (this.#state[STATE_COUNT] !== 0) this.#drain()
      return
    }
    this.#ring[this.#ringLength++] = key
    if (this.#ringLength === this.#batch) {
      native.getMany(this.#cache, this.#ring)
      this.#ringLength = 0
      if (this.#state[STATE_COUNT] !== 0) this.#drain()
    }
  }

  /** Releases the slots native calls published (their causes unused: no user code runs). */
  #drain() {
    const state = this.#state
    for (;;) {
      const count = state[STATE_COUNT]
      if (count === 0) {
        if (state[STATE_MORE] === 0) return
        state[STATE_MORE] = 0
        native.flush(this.#cache)
        continue
      }
      for (let i = STATE_HEADER; i < STATE_HEADER + count; i++) this.#release(state[i] >>> KIND_BITS)
      state[STATE_COUNT] = 0
    }
  }

  #release(slot) {
    const key = this.#keys[slot]
    if (this.#index.get(key) === slot) this.#index.delete(key)
    this.#keys[slot] = undefined
    this.#values[slot] = undefined
    this.#freeSlots.push(slot)
  }
}
