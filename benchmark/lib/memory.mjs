// What the memory suites (memory, shared-memory) share: the values they
// store, the summary of GC pauses, and the child process each measurement
// runs in.
import { spawnSync } from 'node:child_process'
import { setImmediate as yieldToLoop } from 'node:timers/promises'

const GC_KINDS = { 1: 'minor', 2: 'major', 4: 'incremental', 8: 'weakcb' }

/** The `q` quantile of a sorted array (0 when empty). */
export const quantile = (sorted, q) => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)])

/** A maker of distinct flat one-byte strings of exactly `length` characters: `(i, version) => string`. */
export function flatStrings(length) {
  const buf = Buffer.alloc(length, 'abcdefghijklmnopqrstuvwxyz')
  return (i, v) => {
    buf.write(`${i}:${v}:`, 0, 'latin1')
    return buf.toString('latin1')
  }
}

/** Count, total, p50/p99/max and per-kind figures of PerformanceObserver 'gc' entries. */
export function gcSummary(entries) {
  const d = entries.map((e) => e.duration).sort((a, b) => a - b)
  const byKind = {}
  for (const e of entries) {
    const k = GC_KINDS[e.detail?.kind ?? e.kind] ?? String(e.detail?.kind ?? e.kind)
    byKind[k] = byKind[k] ?? { count: 0, ms: 0 }
    byKind[k].count++
    byKind[k].ms += e.duration
  }
  for (const k of Object.keys(byKind)) byKind[k].ms = +byKind[k].ms.toFixed(1)
  return {
    count: d.length,
    totalMs: +d.reduce((a, b) => a + b, 0).toFixed(1),
    p50Ms: +quantile(d, 0.5).toFixed(2),
    p99Ms: +quantile(d, 0.99).toFixed(2),
    maxMs: +(d.at(-1) ?? 0).toFixed(2),
    byKind,
  }
}

/** Runs `node --expose-gc --max-old-space-size=heapMB script ...args`: the JSON of its last line, or { error }. */
export function measureInChild(script, args, heapMB) {
  const r = spawnSync(process.execPath, ['--expose-gc', `--max-old-space-size=${heapMB}`, script, ...args], { encoding: 'utf8', maxBuffer: 16 << 20 })
  if (r.status !== 0) return { error: (r.stderr || `exit ${r.status ?? r.signal}`).trim().split('\n').slice(-3).join(' ') }
  return JSON.parse(r.stdout.trim().split('\n').at(-1))
}

/**
 * `ops` operations over `indices` (cycled): 90% `cache.get(keyOf(i))`, 10%
 * `cache.set(keyOf(i), makeValue(i, version))` of a fresh value, in chunks
 * that yield to the event loop (GC observations are delivered as they
 * happen). Returns the elapsed ms and the misses.
 */
export async function churn(cache, { ops, indices, keyOf, makeValue }) {
  const CHUNK = 100_000
  const mask = indices.length - 1
  let pos = 0
  let version = 1
  let misses = 0
  const t0 = performance.now()
  for (let done = 0; done < ops; done += CHUNK) {
    const end = Math.min(CHUNK, ops - done)
    for (let j = 0; j < end; j++) {
      const i = indices[pos]
      const k = keyOf(i)
      pos = (pos + 1) & mask
      if (j % 10 === 9) cache.set(k, makeValue(i, version++))
      else if (cache.get(k) === undefined) misses++
    }
    await yieldToLoop()
  }
  return { ms: performance.now() - t0, misses }
}
