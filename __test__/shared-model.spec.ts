// A model-based test: 8 threads run random operations on one SharedMoka
// (keys of their own, and keys all write); each keeps a log of what it
// wrote. Every read of a thread's own key must match its model at once; at
// the end, each own key must hold the model's value, and each key all wrote
// must hold the last write of one of the threads (whichever came last).

import test from 'ava'

import { SharedMoka } from '../index.js'
import { cacheName, workers } from './_shared'

const THREADS = Number(process.env.MOKA_MODEL_THREADS ?? 8)
/** Operations per thread. */
const OPS = Number(process.env.MOKA_MODEL_OPS ?? 25_000)

interface ThreadLog {
  /** The thread's own keys and their values (canonical text), as its model says. */
  own: [unknown, string][]
  /** Keys both threads write: this thread's last write (canonical text), or null for a removal. */
  lastShared: [string, string | null][]
  problems: string[]
  ops: number
}

/** Runs in a worker: `ops` random operations, checked against the thread's model. */
const MODEL = async (cache: any, { id, ops, seed, threads }: { id: number; ops: number; seed: number; threads: number }): Promise<ThreadLog> => {
  let state = seed >>> 0
  const rand = (): number => {
    // mulberry32
    state = (state + 0x6d2b79f5) | 0
    let x = Math.imul(state ^ (state >>> 15), 1 | state)
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
  const canon = (v: unknown): string =>
    v instanceof Uint8Array ? `u8:${Array.from(v)}` : typeof v === 'bigint' ? `${v}n` : v === undefined ? 'undefined' : JSON.stringify(v)
  const make = (n: number): unknown => [() => ({ id, n }), () => `${id}:${n}`, () => new Uint8Array([id, n & 255, (n >> 8) & 255]), () => n + id / 10][n % 4]()
  const wellFormed = (v: unknown): boolean =>
    v === undefined ||
    (typeof v === 'string' && /^\d+:\d+$/.test(v) && Number(v.split(':')[0]) < threads) ||
    (v instanceof Uint8Array && v.length === 3 && v[0] < threads) ||
    (typeof v === 'number' && Number.isFinite(v)) ||
    (typeof v === 'object' && v !== null && Number.isInteger((v as { id: number }).id) && (v as { id: number }).id < threads)
  const own = new Map<unknown, string>()
  const lastShared = new Map<string, string | null>()
  const problems: string[] = []
  const check = (what: string, key: unknown, got: unknown, want: string | undefined): void => {
    const g = got === undefined && want === undefined ? undefined : canon(got)
    if (g !== want && problems.length < 20) problems.push(`${what}(${String(key)}): got ${g}, model ${want}`)
  }
  for (let n = 0; n < ops; n++) {
    const shared = rand() < 0.3
    const k = Math.floor(rand() * (shared ? 50 : 200))
    const form = rand()
    const key = shared ? `s${k}` : form < 0.6 ? `p${id}:${k}` : form < 0.85 ? id * 1000 + k : BigInt(id * 1000 + k) << 40n
    const op = rand()
    if (op < 0.4) {
      const value = make(n)
      cache.set(key, value)
      if (shared) lastShared.set(key as string, canon(value))
      else own.set(key, canon(value))
    } else if (op < 0.55) {
      const had = cache.delete(key)
      if (shared) lastShared.set(key as string, null)
      else {
        if (had !== own.has(key)) problems.push(`delete(${String(key)}) returned ${had}`)
        own.delete(key)
      }
    } else if (op < 0.65) {
      const removed = cache.remove(key)
      if (shared) {
        if (!wellFormed(removed)) problems.push(`remove(${key}) returned ${canon(removed)}`)
        lastShared.set(key as string, null)
      } else {
        check('remove', key, removed, own.get(key))
        own.delete(key)
      }
    } else if (op < 0.9) {
      const got = cache.get(key)
      if (shared) {
        if (!wellFormed(got)) problems.push(`get(${key}) returned ${canon(got)}`)
      } else check('get', key, got, own.get(key))
      if (cache.has(key) !== (got !== undefined) && !shared) problems.push(`has(${String(key)}) disagrees with get`)
    } else if (op < 0.95) {
      const fresh = make(n)
      const got = cache.getWith(key, () => fresh)
      if (shared) {
        if (canon(got) === canon(fresh)) lastShared.set(key as string, canon(fresh))
        else if (!wellFormed(got)) problems.push(`getWith(${key}) returned ${canon(got)}`)
      } else {
        check('getWith', key, got, own.get(key) ?? canon(fresh))
        if (!own.has(key)) own.set(key, canon(fresh))
      }
    } else if (!shared) {
      const fresh = make(n)
      const got = await cache.fetch(key, () => fresh)
      check('fetch', key, got, own.get(key) ?? canon(fresh))
      if (!own.has(key)) own.set(key, canon(fresh))
    }
  }
  return { own: [...own], lastShared: [...lastShared], problems, ops }
}

test(`${THREADS} threads × ${OPS} random operations agree with their logs`, async (t) => {
  const name = cacheName('model')
  const ws = await workers(t, THREADS)
  await Promise.all(ws.map((w) => w.open({ name, maxCapacity: 1_000_000 })))
  const seed = Number(process.env.MOKA_FC_SEED ?? Date.now() % 2 ** 31)
  t.log(`seed ${seed} (replay with MOKA_FC_SEED=${seed})`)
  const logs = await Promise.all(ws.map((w, id) => w.run<ThreadLog>(MODEL, { id, ops: OPS, seed: seed + id, threads: THREADS })))
  for (const [id, log] of logs.entries()) {
    t.deepEqual(log.problems, [], `thread ${id}: every read of its own keys matched its model`)
    t.is(log.ops, OPS)
  }
  const cache = new SharedMoka({ name, maxCapacity: 1_000_000 })
  const canon = (v: unknown): string =>
    v instanceof Uint8Array ? `u8:${Array.from(v)}` : typeof v === 'bigint' ? `${v}n` : v === undefined ? 'undefined' : JSON.stringify(v)
  let expectedSize = 0
  for (const [id, log] of logs.entries()) {
    let wrong = 0
    for (const [key, value] of log.own) {
      if (canon(cache.get(key as string)) !== value) wrong++
    }
    t.is(wrong, 0, `thread ${id}: its ${log.own.length} own keys hold the model's values`)
    expectedSize += log.own.length
  }
  const last = logs.map((log) => new Map(log.lastShared))
  let sharedPresent = 0
  for (let k = 0; k < 50; k++) {
    const key = `s${k}`
    const got = cache.has(key) ? canon(cache.get(key)) : null
    const candidates: (string | null)[] = last.filter((m) => m.has(key)).map((m) => m.get(key)!)
    if (candidates.length === 0) candidates.push(null)
    t.true(candidates.includes(got), `${key}: ${got} is the last write of one thread (${JSON.stringify(candidates)})`)
    if (got !== null) sharedPresent++
  }
  t.is(cache.size, expectedSize + sharedPresent, 'no other entries')
})
