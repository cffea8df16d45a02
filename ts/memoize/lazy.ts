// A `Moka` created on its first write. Each Moka owns a native cache, which
// costs tens of microseconds and tens of KiB of native memory (outside the V8
// heap) the moment it is built; a memoized method gets one cache per instance,
// so instances that never store a result (request-scoped services that only
// miss, throw or run with `enabled: false`) must not pay for one.

import { Moka } from '../core/moka'
import type { MokaOptions, SetOptions } from '../core/options'

export class LazyMoka<K, V> {
  readonly #options: MokaOptions<K, V>
  readonly #onCreate: ((cache: Moka<K, V>) => void) | undefined
  #cache: Moka<K, V> | undefined

  constructor(options: MokaOptions<K, V>, onCreate?: (cache: Moka<K, V>) => void) {
    this.#options = options
    this.#onCreate = onCreate
  }

  /** The cache, built now if it does not exist yet. */
  get cache(): Moka<K, V> {
    if (this.#cache === undefined) {
      this.#cache = new Moka(this.#options)
      this.#onCreate?.(this.#cache)
    }
    return this.#cache
  }

  /** Whether the cache was built. */
  get created(): boolean {
    return this.#cache !== undefined
  }

  /** Whether the cache was built and then disposed (by whoever holds it). */
  get disposed(): boolean {
    return this.#cache?.disposed ?? false
  }

  get<F>(key: K, fallback: F): V | F {
    return this.#cache === undefined ? fallback : this.#cache.get(key, fallback as unknown as V)
  }

  has(key: K): boolean {
    return this.#cache?.has(key) ?? false
  }

  set(key: K, value: V, options?: SetOptions): void {
    this.cache.set(key, value, options)
  }

  delete(key: K): boolean {
    return this.#cache?.delete(key) ?? false
  }

  clear(): void {
    this.#cache?.clear()
  }

  /** Entries held: 0 before the cache is built and once it is disposed. */
  get size(): number {
    return this.#cache === undefined || this.#cache.disposed ? 0 : this.#cache.size
  }
}
