// Shared fixtures of the spec files (not a spec itself: ava runs `*.spec.ts`).

import { spawnSync } from 'node:child_process'
import { resolve } from 'node:path'

import type { ExecutionContext } from 'ava'

import type { Moka } from '../index.js'

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Settles `promise` into its error, failing the test if it resolves. */
export async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise
  } catch (error) {
    return error as Error
  }
  throw new Error('expected a rejection')
}

/**
 * Starts recording unhandled rejections of this test file's process; the
 * returned array must stay empty.
 */
export function trackUnhandledRejections(): unknown[] {
  const unhandled: unknown[] = []
  process.on('unhandledRejection', (reason) => unhandled.push(reason))
  return unhandled
}

/** Polls `condition` every 25 ms until it holds or `timeoutMs` passed; returns whether it held. */
export async function until(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (condition()) return true
    if (Date.now() > deadline) return false
    await sleep(25)
  }
}

/** A value object (Immutable.js protocol): equal points are one key. */
export class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}

  equals(other: unknown): boolean {
    return other instanceof Point && other.x === this.x && other.y === this.y
  }

  /** Deliberately weak (x + y) so that Point(1, 2) and Point(2, 1) collide. */
  hashCode(): number {
    return this.x + this.y
  }
}

export type Event<K = unknown, V = unknown> = [key: K, value: V, cause: string]

/** An eviction listener that records every notification. */
export function recorder<K = unknown, V = unknown>() {
  const events: Event<K, V>[] = []
  const listener = (key: K, value: V, cause: string) => {
    events.push([key, value, cause])
  }
  return { events, listener }
}

/** The cache's live entries as a Map (keys and values as iterated). */
export function contents<K, V>(cache: Moka<K, V>): Map<K, V> {
  return new Map(cache.entries())
}

/** Asserts the cache holds exactly `expected` (same key and value objects). */
export function assertContents<K, V>(t: ExecutionContext, cache: Moka<K, V>, expected: Iterable<readonly [K, V]>): void {
  const actual = contents(cache)
  const want = new Map(expected)
  t.is(actual.size, want.size, 'number of live entries')
  for (const [key, value] of want) {
    t.true(actual.has(key), `missing key ${String(key)}`)
    t.is(actual.get(key), value, `value of ${String(key)}`)
  }
}

/**
 * After maintenance: every live entry is readable and returns its iterated
 * value, `size` matches the iteration, and no slot is held beyond the entries.
 */
export function assertConsistent<K, V>(t: ExecutionContext, cache: Moka<K, V>): void {
  cache.runPendingTasks()
  const entries = [...cache.entries()]
  t.is(cache.size, entries.length, 'size matches iteration')
  t.is(cache.slotsInUse, entries.length, 'every slot not held by an entry was released')
  for (const [key, value] of entries) {
    t.true(cache.has(key), `has(${String(key)})`)
    t.is(cache.get(key), value, `get(${String(key)})`)
  }
}

/** Counts how often each element occurs. */
export function tally<T>(items: Iterable<T>): Map<T, number> {
  const counts = new Map<T, number>()
  for (const item of items) counts.set(item, (counts.get(item) ?? 0) + 1)
  return counts
}

/** Runs every `global.gc` pass and lets finalizers and FinalizationRegistry callbacks run. */
export async function collectGarbage(rounds = 4): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc === undefined) throw new Error('run with --expose-gc')
  for (let i = 0; i < rounds; i++) {
    gc()
    await new Promise((resolve) => setImmediate(resolve))
  }
}

/** The package root, as `require` takes it in a child process or worker. */
export const PACKAGE = resolve(__dirname, '..')

/** What a native crash or abort leaves on stderr. */
const CRASH = /panicked|Segmentation fault|FATAL ERROR|Assertion|double free|free\(\)|corrupted|Aborted|core dumped|napi_/i

/**
 * Runs `script` in a child `node` with `Moka` in scope and asserts that it
 * neither hung, nor was killed by a signal, nor printed a crash.
 */
export function runNodeScript(
  t: ExecutionContext,
  script: string,
  label = 'child',
  timeoutMs = 30_000,
): { status: number | null; stdout: string; stderr: string } {
  const started = Date.now()
  const r = spawnSync(process.execPath, ['-e', `const { Moka } = require(${JSON.stringify(PACKAGE)});\n${script}`], {
    encoding: 'utf8',
    timeout: timeoutMs,
  })
  t.is(r.error, undefined, `${label}: no timeout (${Date.now() - started} ms)`)
  t.is(r.signal, null, `${label}: not killed by a signal`)
  t.notRegex(r.stderr, CRASH, `${label}: no crash on stderr`)
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}
