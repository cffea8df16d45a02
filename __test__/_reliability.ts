// Shared pieces of the reliability specs (not a spec itself: ava runs `*.spec.ts`).

import type { ExecutionContext } from 'ava'
import fc from 'fast-check'

import { Point } from './_helpers'

/** Longer runs when MOKA_SOAK=1; the default run is a reduced version of the same checks. */
export const SOAK = process.env.MOKA_SOAK === '1'

/** Blocks the thread for `ms` milliseconds (moka's clock is real time). */
export const sleepSync = (ms: number): void => void Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)

/**
 * Runs a fast-check property and fails the test with fast-check's report
 * (seed, path, shrunk counterexample) when it does not hold. Set
 * MOKA_FC_SEED / MOKA_FC_PATH to replay a reported failure.
 */
export function checkProperty<Ts>(t: ExecutionContext, property: fc.IProperty<Ts>, params: fc.Parameters<Ts> = {}): void {
  const seed = process.env.MOKA_FC_SEED
  const path = process.env.MOKA_FC_PATH
  const details = fc.check(property, {
    ...params,
    ...(seed === undefined ? {} : { seed: Number(seed) }),
    ...(path === undefined ? {} : { path }),
  })
  if (details.failed) {
    const error = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance)
    t.fail(`${fc.defaultReportMessage(details) ?? 'property failed'}\nError: ${error}`)
  } else {
    t.log(`${details.numRuns} runs, seed ${details.seed}`)
    t.pass()
  }
}

/** Map's key equality (SameValueZero). */
export function sameValueZero(a: unknown, b: unknown): boolean {
  return a === b || (a !== a && b !== b)
}

/** A value object whose hash deliberately collides: only two buckets. */
export class VO extends Point {
  hashCode(): number {
    return this.x % 2
  }

  [fc.toStringMethod](): string {
    return `new VO(${this.x}, ${this.y})`
  }
}

/** A value object whose hash spreads well, for tests that hold many of them. */
export class SpreadPoint extends Point {
  hashCode(): number {
    return this.x * 65599 + this.y
  }
}

/** Keys of the same entry: SameValueZero, or structurally for value objects. */
export function sameKey(a: unknown, b: unknown): boolean {
  if (a instanceof Point && b instanceof Point) return a.equals(b)
  return sameValueZero(a, b)
}

/** Runs every `global.gc` pass, letting finalizers run in between. */
export async function collect(rounds = 4): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc === undefined) throw new Error('run with --expose-gc')
  for (let i = 0; i < rounds; i++) {
    gc()
    await new Promise((resolve) => setImmediate(resolve))
  }
}

export function mb(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MB`
}
