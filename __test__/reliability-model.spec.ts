// Model-based property tests: random sequences of every public operation, on
// keys of every kind, checked against a plain Map when nothing can be evicted
// and against invariants when capacity and expiry can remove entries.
//
// A failure prints fast-check's shrunk counterexample (the op list) and the
// seed; replay it with MOKA_FC_SEED=<seed> MOKA_FC_PATH=<path>.

import test from 'ava'
import fc from 'fast-check'

import { Moka } from '../index.js'
import { checkProperty, sameKey, sleepSync, SOAK, VO } from './_reliability'

// ---------------------------------------------------------------- keys

const pooledObjects = [0, 1, 2].map((i) => ({ [fc.toStringMethod]: () => `obj${i}` }))
const arrayKey = [1, 2]
function functionKey(): void {}
const symbols = [Symbol('local'), Symbol.for('moka-reliability'), Symbol.iterator]
// Around the 64-unit inline key buffer of the native side, and far beyond it.
const boundaryStrings = [60, 61, 62, 63, 64, 65, 1000].flatMap((n) => ['k'.repeat(n), 'k'.repeat(n - 1) + '!', '😀'.repeat(n / 2)])

const stringKey = fc.oneof(
  fc.constantFrom('', 'a', 'A', 'é', 'e\u0301', '😀', '\ud83d', '\ude00', '\0', 'a\0', '1', 'NaN', 'null', 'undefined', 'true', '[object Object]'),
  fc.constantFrom(...boundaryStrings),
  fc.string({ maxLength: 3, unit: fc.constantFrom('a', 'b', 'é', '😀', '\ud800') }),
  fc.string({ unit: 'binary', maxLength: 8 }),
)
const numberKey = fc.oneof(
  fc.constantFrom(0, -0, NaN, Infinity, -Infinity, 1, -1, 0.5, 2 ** 53, -(2 ** 53), 2 ** 32, Number.MIN_VALUE, Number.MAX_VALUE),
  fc.integer({ min: -3, max: 3 }),
  fc.double(),
)
const bigintKey = fc.oneof(
  fc.constantFrom(0n, -0n, 1n, -1n, 2n ** 63n, 2n ** 64n - 1n, 2n ** 64n, -(2n ** 64n), 2n ** 128n),
  fc.bigInt({ min: -4n, max: 4n }),
  fc.bigInt(),
)
const otherKey = fc.constantFrom<unknown>(true, false, null, undefined, ...pooledObjects, arrayKey, functionKey, ...symbols)
const valueObjectKey = fc.tuple(fc.nat(2), fc.nat(2)).map(([a, b]) => new VO(a, b))

const anyKey: fc.Arbitrary<unknown> = fc.oneof(stringKey, numberKey, bigintKey, otherKey, valueObjectKey)

/** One model key per cache key: value objects by structure, the rest as Map sees them. */
function canonicalizer(): (key: unknown) => unknown {
  const valueObjects = new Map<string, object>()
  return (key) => {
    if (!(key instanceof VO)) return key
    const id = `${key.x},${key.y}`
    let canonical = valueObjects.get(id)
    if (canonical === undefined) valueObjects.set(id, (canonical = {}))
    return canonical
  }
}

// ---------------------------------------------------------------- operations

type EntryOptions = { ttl?: number; tti?: number }
type Op =
  | { op: 'set'; key: unknown; options?: EntryOptions }
  | { op: 'get'; key: unknown; fallback: boolean }
  | { op: 'has' | 'delete' | 'remove' | 'getWith'; key: unknown }
  | { op: 'getMany' | 'setMany'; keys: unknown[] }
  | { op: 'clear' | 'size' | 'runPendingTasks' }
  | { op: 'iterate'; how: 'entries' | 'keys' | 'values' | 'forEach' | 'spread' }
  | { op: 'invalidateIf'; mod: number; rem: number }
  | { op: 'sleep'; ms: number }

function opArb(key: fc.Arbitrary<unknown>, entryOptions: fc.Arbitrary<EntryOptions | undefined>, sleeps: boolean): fc.Arbitrary<Op> {
  const ops: fc.WeightedArbitrary<Op>[] = [
    { weight: 8, arbitrary: fc.record({ op: fc.constant('set' as const), key, options: entryOptions }, { requiredKeys: ['op', 'key'] }) },
    { weight: 5, arbitrary: fc.record({ op: fc.constant('get' as const), key, fallback: fc.boolean() }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constantFrom('has' as const, 'delete' as const, 'remove' as const, 'getWith' as const), key }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constantFrom('getMany' as const, 'setMany' as const), keys: fc.array(key, { maxLength: 6 }) }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constantFrom('clear' as const, 'size' as const, 'runPendingTasks' as const) }) },
    {
      weight: 1,
      arbitrary: fc.record({ op: fc.constant('iterate' as const), how: fc.constantFrom('entries' as const, 'keys' as const, 'values' as const, 'forEach' as const, 'spread' as const) }),
    },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('invalidateIf' as const), mod: fc.integer({ min: 1, max: 3 }), rem: fc.nat(2) }) },
  ]
  if (sleeps) ops.push({ weight: 1, arbitrary: fc.record({ op: fc.constant('sleep' as const), ms: fc.integer({ min: 1, max: 12 }) }) })
  return fc.oneof(...ops)
}

/** A stored value: unique per write, remembering the key it was written under. */
interface Val {
  id: number
  key: unknown
  w: number
  options: EntryOptions | undefined
  /** `performance.now()` after the write / after the last read that found it. */
  writtenAt: number
  touchedAt: number
}

/** Keys as the cache keeps (and iterates) them: like Map, -0 is stored as 0. */
const stored = (key: unknown): unknown => (Object.is(key, -0) ? 0 : key)


function iterate(cache: Moka<unknown, Val>, how: Extract<Op, { op: 'iterate' }>['how']): [unknown, Val][] {
  switch (how) {
    case 'entries':
      return [...cache.entries()]
    case 'spread':
      return [...cache]
    case 'keys':
    case 'values': {
      // keys() and values() are two snapshots of the same state: zip them.
      const keys = [...cache.keys()]
      const values = [...cache.values()]
      if (keys.length !== values.length) throw new Error(`keys() gave ${keys.length}, values() ${values.length}`)
      return keys.map((k, i) => [k, values[i]])
    }
    case 'forEach': {
      const out: [unknown, Val][] = []
      cache.forEach(function (this: unknown, value, key, c) {
        if (c !== cache || this !== 'thisArg') throw new Error('forEach passes (value, key, cache) with thisArg')
        out.push([key, value])
      }, 'thisArg')
      return out
    }
  }
}

// ---------------------------------------------------------------- Map model

interface ModelConfig {
  policy: 'tinyLfu' | 'lru'
  weighted: boolean
  listener: boolean
  /** Per-entry expiry installed; without it, writes carry no per-entry options. */
  perEntry: boolean
}

/**
 * Nothing can be evicted (huge capacity, no expiry within the test): the
 * cache must behave exactly like a Map, and the listener must see exactly
 * the replacements and removals the Map model predicts.
 */
function runAgainstMap(config: ModelConfig, ops: Op[], custom?: { canon: (k: unknown) => unknown }): void {
  const canon = custom?.canon ?? canonicalizer()
  const events: [unknown, Val, string][] = []
  const cache = new Moka<unknown, Val>({
    maxCapacity: 1_000_000_000,
    policy: config.policy,
    perEntryExpiry: config.perEntry,
    ...(config.weighted ? { weigher: (_k: unknown, v: Val) => v.w } : {}),
    ...(config.listener ? { evictionListener: (k: unknown, v: Val, c: string) => void events.push([k, v, c]) } : {}),
    ...(custom === undefined ? {} : { hash: (k: unknown) => canon(k), equals: (a: unknown, b: unknown) => canon(a) === canon(b) }),
  })
  const model = new Map<unknown, { key: unknown; value: Val }>()
  let nextId = 0
  const fresh = (key: unknown): Val => ({ id: nextId, key, w: nextId++ % 4, options: undefined, writtenAt: 0, touchedAt: 0 })

  ops.forEach((op, i) => {
    const at = `op #${i} ${fc.stringify(op)}`
    const fail = (message: string): never => {
      throw new Error(`${at}: ${message}`)
    }
    const expected: [unknown, Val, string][] = []
    const put = (key: unknown, value: Val) => {
      const old = model.get(canon(key))
      if (old !== undefined) expected.push([old.key, old.value, 'replaced'])
      model.set(canon(key), { key: stored(key), value })
    }
    const drop = (key: unknown): Val | undefined => {
      const old = model.get(canon(key))
      if (old === undefined) return undefined
      model.delete(canon(key))
      expected.push([old.key, old.value, 'explicit'])
      return old.value
    }
    const expectValue = (actual: unknown, key: unknown, what: string) => {
      const want = model.get(canon(key))?.value
      if (actual !== want) fail(`${what} returned ${fc.stringify(actual)}, the model has ${fc.stringify(want)}`)
    }

    switch (op.op) {
      case 'set': {
        const v = fresh(op.key)
        if (cache.set(op.key, v, config.perEntry ? op.options : undefined) !== cache) fail('set must return the cache')
        put(op.key, v)
        break
      }
      case 'get':
        if (op.fallback) {
          const fallback = fresh('fallback')
          const got = cache.get(op.key, fallback)
          expectValue(got === fallback ? undefined : got, op.key, 'get with fallback')
        } else {
          expectValue(cache.get(op.key), op.key, 'get')
        }
        break
      case 'has':
        if (cache.has(op.key) !== model.has(canon(op.key))) fail(`has returned ${!model.has(canon(op.key))}`)
        break
      case 'delete': {
        const had = model.has(canon(op.key))
        if (cache.delete(op.key) !== had) fail(`delete returned ${!had}`)
        drop(op.key)
        break
      }
      case 'remove': {
        const got = cache.remove(op.key)
        expectValue(got, op.key, 'remove')
        drop(op.key)
        break
      }
      case 'getWith': {
        let calls = 0
        const v = fresh(op.key)
        const had = model.get(canon(op.key))?.value
        const got = cache.getWith(op.key, (k) => {
          calls++
          if (!sameKey(k, op.key)) fail('init got another key')
          return v
        })
        if (had !== undefined) {
          if (calls !== 0 || got !== had) fail('getWith on a present key must return it without calling init')
        } else {
          if (calls !== 1 || got !== v) fail('getWith on an absent key must call init once and return its value')
          put(op.key, v)
        }
        break
      }
      case 'getMany': {
        const got = cache.getMany(op.keys)
        if (got.length !== op.keys.length) fail('getMany length')
        op.keys.forEach((k, j) => expectValue(got[j], k, `getMany[${j}]`))
        break
      }
      case 'setMany': {
        const values = op.keys.map((k) => fresh(k))
        if (cache.setMany(op.keys.map((k, j) => [k, values[j]] as const)) !== cache) fail('setMany must return the cache')
        op.keys.forEach((k, j) => put(k, values[j]))
        break
      }
      case 'clear':
        cache.clear()
        for (const [, { key }] of [...model]) drop(key)
        break
      case 'size':
      case 'runPendingTasks':
        if (op.op === 'runPendingTasks') cache.runPendingTasks()
        break
      case 'iterate': {
        const entries = iterate(cache, op.how)
        if (entries.length !== model.size) fail(`iteration gave ${entries.length} entries, the model has ${model.size}`)
        const seen = new Set<unknown>()
        for (const [k, v] of entries) {
          const m = model.get(canon(k))
          if (m === undefined || m.value !== v) fail(`iterated ${fc.stringify([k, v])}, not in the model`)
          if (!Object.is(k, m!.key)) fail(`iterated key ${fc.stringify(k)} is not the stored key ${fc.stringify(m!.key)}`)
          if (seen.has(canon(k))) fail(`key ${fc.stringify(k)} iterated twice`)
          seen.add(canon(k))
        }
        break
      }
      case 'invalidateIf': {
        const pred = (_k: unknown, v: Val) => v.id % op.mod === op.rem
        const doomed = [...model.values()].filter(({ key, value }) => pred(key, value))
        const n = cache.invalidateIf(pred)
        if (n !== doomed.length) fail(`invalidateIf removed ${n}, the model ${doomed.length}`)
        for (const { key } of doomed) drop(key)
        break
      }
      case 'sleep':
        break
    }

    // The listener saw exactly what the model predicts (any order within one call).
    if (config.listener) {
      const show = (e: [unknown, Val, string][]) => e.map(([k, v, c]) => `${fc.stringify(k)}=#${v.id}:${c}`).sort()
      const got = show(events)
      const want = show(expected)
      if (got.join() !== want.join()) fail(`listener calls ${got.join(' ')} — expected ${want.join(' ')}`)
      for (const [k, v] of events) if (!sameKey(k, v.key)) fail(`listener got key ${fc.stringify(k)} with the value of ${fc.stringify(v.key)}`)
      events.length = 0
    }
    // `size` runs maintenance, after which every removed value is released
    // (without a listener, slots are released when moka drops the entry).
    if (cache.size !== model.size) fail(`size ${cache.size} ≠ ${model.size}`)
    if (cache.slotsInUse !== model.size) fail(`slotsInUse ${cache.slotsInUse} ≠ ${model.size} entries`)
    if (config.weighted) {
      const weight = [...model.values()].reduce((sum, { value }) => sum + value.w, 0)
      if (cache.weightedSize !== weight) fail(`weightedSize ${cache.weightedSize} ≠ ${weight}`)
    }
    // Structural keys are interned while an entry holds them, and only then.
    const interned = custom !== undefined ? model.size : [...model.values()].filter(({ key }) => key instanceof VO).length
    if (cache.internedKeys !== interned) fail(`internedKeys ${cache.internedKeys} ≠ ${interned}`)
  })

  cache.clear()
  if (cache.slotsInUse !== 0 || cache.internedKeys !== 0 || cache.size !== 0) {
    throw new Error(`after clear: slotsInUse ${cache.slotsInUse}, internedKeys ${cache.internedKeys}, size ${cache.size}`)
  }
}

const modelConfig = fc.record({ policy: fc.constantFrom('tinyLfu' as const, 'lru' as const), weighted: fc.boolean(), listener: fc.boolean(), perEntry: fc.boolean() })
// Per-entry deadlines far beyond the test: the path is exercised, nothing expires.
const farOptions = fc.option(fc.constantFrom<EntryOptions>({ ttl: 3_600_000 }, { tti: '1h' as unknown as number }, { ttl: 7_200_000, tti: 3_600_000 }), { nil: undefined })
const RUNS = SOAK ? 2000 : 150

test('every operation agrees with a Map when nothing can be evicted', (t) => {
  checkProperty(
    t,
    fc.property(modelConfig, fc.array(opArb(anyKey, farOptions, false), { maxLength: 60, size: 'medium' }), (config, ops) => runAgainstMap(config, ops)),
    { numRuns: RUNS },
  )
})

test('a cache with hash/equals options agrees with a Map of canonical keys', (t) => {
  // Case-insensitive strings: 'a' and 'A' are one key; so are 'ß' and 'SS'.
  const canon = (k: unknown) => String(k).toUpperCase()
  const key = fc.constantFrom('a', 'A', 'b', 'B', 'ß', 'SS', 'ss', 'ǅ', 'ǆ', 'Ǆ', '', 'k'.repeat(70), 'K'.repeat(70))
  checkProperty(
    t,
    fc.property(modelConfig, fc.array(opArb(key, farOptions, false), { maxLength: 50, size: 'medium' }), (config, ops) => runAgainstMap(config, ops, { canon })),
    { numRuns: SOAK ? 1000 : 80 },
  )
})

// ---------------------------------------------------------------- invariants

interface EvictingConfig {
  maxCapacity: number
  policy: 'tinyLfu' | 'lru'
  weighted: boolean
  ttl?: number
  tti?: number
}

const CAUSES = new Set(['expired', 'explicit', 'replaced', 'size'])
/** Tolerance between our clock readings and moka's. */
const SLACK_MS = 2

/**
 * Entries can be evicted and expire: the cache is checked against invariants.
 * No value is returned after it was notified or once it must have expired;
 * every value is notified exactly once with a plausible cause; size ≤
 * capacity and slotsInUse === size after maintenance; all released at the end.
 */
function runWithEvictions(config: EvictingConfig, ops: Op[]): void {
  const canon = canonicalizer()
  const events: [unknown, Val, string][] = []
  const cache = new Moka<unknown, Val>({
    maxCapacity: config.maxCapacity,
    policy: config.policy,
    perEntryExpiry: true,
    ...(config.ttl === undefined ? {} : { ttl: config.ttl }),
    ...(config.tti === undefined ? {} : { tti: config.tti }),
    ...(config.weighted ? { weigher: (_k: unknown, v: Val) => v.w } : {}),
    evictionListener: (k, v, c) => void events.push([k, v, c]),
  })
  const live = new Map<unknown, Val>()
  const notified = new Set<number>()
  const inserted: Val[] = []
  const byCause: Record<string, number> = { expired: 0, explicit: 0, replaced: 0, size: 0 }
  let nextId = 0
  const fresh = (key: unknown, options?: EntryOptions): Val => {
    const v: Val = { id: nextId, key, w: nextId++ % 3, options, writtenAt: Infinity, touchedAt: Infinity }
    inserted.push(v)
    return v
  }
  const min = (...xs: (number | undefined)[]) => Math.min(...xs.map((x) => x ?? Infinity))
  /** Latest time by which `v` must have expired (Infinity when it need not). */
  const deadline = (v: Val) =>
    Math.min(v.writtenAt + min(v.options?.ttl, config.ttl), v.touchedAt + min(v.options?.tti, config.tti))
  /**
   * Same, counting only the cache-wide ttl: moka removes those at maintenance
   * exactly (in write order). Not so for tti: maintenance applies queued
   * reads before queued writes, so its access order can put an expired entry
   * behind a live one and leave it for a later run (it is never returned).
   */
  const ttlDeadline = (v: Val) => v.writtenAt + min(config.ttl)
  const hasExpiry = (v: Val) => deadline(v) !== Infinity

  ops.forEach((op, i) => {
    const at = `op #${i} ${fc.stringify(op)}`
    const fail = (message: string): never => {
      throw new Error(`${at}: ${message}`)
    }
    const before = performance.now()
    const liveBefore = new Map(live)
    const written: Val[] = []
    const touched: Val[] = []
    /** A value returned for `key` must be the live one, and not past its deadline. */
    const returned = (got: Val | undefined, key: unknown, what: string) => {
      if (got === undefined) return
      if (notified.has(got.id)) fail(`${what} returned #${got.id}, already notified as removed`)
      if (liveBefore.get(canon(key)) !== got) fail(`${what} returned #${got.id}, not the live value of the key`)
      if (before > deadline(got) + SLACK_MS) fail(`${what} returned #${got.id}, expired ${(before - deadline(got)).toFixed(1)} ms ago`)
      touched.push(got)
    }
    const write = (key: unknown, v: Val) => {
      live.set(canon(key), v)
      written.push(v)
    }

    switch (op.op) {
      case 'set': {
        const v = fresh(op.key, op.options)
        cache.set(op.key, v, op.options)
        write(op.key, v)
        break
      }
      case 'get':
        returned(cache.get(op.key), op.key, 'get')
        break
      case 'has':
        if (cache.has(op.key) && liveBefore.get(canon(op.key)) === undefined) fail('has is true for a key with no live value')
        break
      case 'delete':
        if (cache.delete(op.key) && liveBefore.get(canon(op.key)) === undefined) fail('delete is true for a key with no live value')
        break
      case 'remove':
        returned(cache.remove(op.key), op.key, 'remove')
        break
      case 'getWith': {
        const v = fresh(op.key)
        let calls = 0
        const got = cache.getWith(op.key, () => (calls++, v))
        if (calls === 1) {
          if (got !== v) fail('getWith did not return what init computed')
          write(op.key, v)
        } else {
          if (calls !== 0) fail('init called more than once')
          notified.add(v.id) // never stored: nothing to release
          returned(got, op.key, 'getWith')
        }
        break
      }
      case 'getMany':
        cache.getMany(op.keys).forEach((got, j) => returned(got, op.keys[j], `getMany[${j}]`))
        break
      case 'setMany': {
        const values = op.keys.map((k) => fresh(k))
        cache.setMany(op.keys.map((k, j) => [k, values[j]] as const))
        op.keys.forEach((k, j) => write(k, values[j]))
        break
      }
      case 'clear':
        cache.clear()
        break
      case 'size':
        cache.size
        break
      case 'runPendingTasks':
        cache.runPendingTasks()
        break
      case 'iterate': {
        const seen = new Set<unknown>()
        // keys() and values() are separate snapshots; entries may expire in between.
        const entries: [unknown, Val][] =
          op.how === 'keys'
            ? [...cache.keys()].map((k) => [k, liveBefore.get(canon(k))!])
            : op.how === 'values'
              ? [...cache.values()].map((v) => [stored(v.key), v])
              : iterate(cache, op.how)
        for (const [k, v] of entries) {
          if (v === undefined) fail(`iterated key ${fc.stringify(k)} has no live value`)
          if (notified.has(v.id)) fail(`iterated #${v.id}, already notified as removed`)
          if (liveBefore.get(canon(k)) !== v) fail(`iterated #${v.id}, not the live value of its key`)
          if (!Object.is(k, stored(v.key)) && !(k instanceof VO && v.key instanceof VO && k.equals(v.key))) fail(`iterated key ${fc.stringify(k)} with the value of ${fc.stringify(v.key)}`)
          if (before > deadline(v) + SLACK_MS) fail(`iterated #${v.id}, expired`)
          if (seen.has(canon(k))) fail(`key ${fc.stringify(k)} iterated twice`)
          seen.add(canon(k))
        }
        break
      }
      case 'invalidateIf': {
        const asked = new Set<Val>()
        const n = cache.invalidateIf((k, v) => {
          if (notified.has(v.id) || liveBefore.get(canon(k)) !== v) fail(`predicate got #${v.id}, not a live value`)
          asked.add(v)
          return v.id % op.mod === op.rem
        })
        const explicit = events.filter(([, , c]) => c === 'explicit')
        for (const [, v] of explicit) if (!asked.has(v) || v.id % op.mod !== op.rem) fail(`#${v.id} removed without the predicate's consent`)
        // An entry that reaches its deadline as it is removed is notified as expired, and counted.
        const expiredChosen = events.filter(([, v, c]) => c === 'expired' && asked.has(v) && v.id % op.mod === op.rem)
        if (n < explicit.length || n > explicit.length + expiredChosen.length) {
          fail(`invalidateIf returned ${n}, ${explicit.length} explicit removals (and ${expiredChosen.length} expiries of chosen entries) were notified`)
        }
        break
      }
      case 'sleep':
        sleepSync(op.ms)
        break
    }
    const after = performance.now()
    for (const v of written) v.writtenAt = v.touchedAt = after
    for (const v of touched) v.touchedAt = after

    // Every notification: a known value, once, under its own key, with a cause that fits.
    const opKeys = 'key' in op ? [op.key] : 'keys' in op ? op.keys : []
    const deliver = () => {
      for (const [k, v, cause] of events) {
        if (!CAUSES.has(cause)) fail(`unknown cause ${cause}`)
        if (notified.has(v.id)) fail(`#${v.id} notified twice (${cause})`)
        notified.add(v.id)
        byCause[cause]++
        if (!sameKey(k, v.key) || (!(k instanceof VO) && !Object.is(k, stored(v.key)))) fail(`listener got key ${fc.stringify(k)} with the value of ${fc.stringify(v.key)}`)
        if (cause === 'expired' && !hasExpiry(v)) fail(`#${v.id} notified as expired but it has no ttl/tti`)
        if (cause === 'replaced' && !(['set', 'setMany', 'getWith'].includes(op.op) && opKeys.some((key) => sameKey(key, v.key)))) {
          fail(`#${v.id} notified as replaced by an op that wrote no equal key`)
        }
        if (cause === 'explicit' && !['delete', 'remove', 'clear', 'invalidateIf'].includes(op.op)) fail(`#${v.id} notified as explicit`)
        if (live.get(canon(v.key)) === v) live.delete(canon(v.key))
      }
      events.length = 0
    }
    deliver()

    if (op.op === 'clear') {
      if (live.size !== 0) fail(`clear left ${live.size} live values un-notified`)
      if (cache.slotsInUse !== 0) fail(`clear left ${cache.slotsInUse} slots in use`)
    }
    if (op.op === 'runPendingTasks' || op.op === 'clear') {
      // `size` runs maintenance again and drains what it removed: the slots and
      // live values it is compared with are read from that same drain.
      const size = cache.size
      // Time passes between two native calls: entries may reach their deadline
      // in between. Any other removal means runPendingTasks left work undone.
      for (const [, v, cause] of events) {
        if (cause !== 'expired' || before > ttlDeadline(v) + SLACK_MS) fail(`size after runPendingTasks found more to remove (#${v.id}, ${cause})`)
      }
      const slots = cache.slotsInUse
      deliver()
      if (slots !== size) fail(`slotsInUse ${slots} ≠ size ${size} after runPendingTasks`)
      if (size !== live.size) fail(`size ${size} ≠ ${live.size} values written and not notified`)
      const weight = cache.weightedSize
      deliver()
      if ((config.weighted ? weight : size) > config.maxCapacity) fail(`size ${size} / weight ${weight} above maxCapacity ${config.maxCapacity} after runPendingTasks`)
      for (const v of live.values()) {
        if (before > ttlDeadline(v) + SLACK_MS) fail(`#${v.id} outlived the cache-wide ttl through runPendingTasks`)
      }
    }
  })

  cache.runPendingTasks()
  // slotsInUse is read from the drain `size` made: no native call in between.
  const size = cache.size
  if (cache.slotsInUse !== size) throw new Error(`final slotsInUse ${cache.slotsInUse} ≠ size ${size}`)
  if ((config.weighted ? cache.weightedSize : size) > config.maxCapacity) throw new Error(`final size ${size} above maxCapacity`)
  cache.clear()
  for (const [, v, cause] of events) {
    if (notified.has(v.id)) throw new Error(`#${v.id} notified twice (final clear, ${cause})`)
    notified.add(v.id)
    byCause[cause]++
  }
  events.length = 0
  const never = inserted.filter((v) => !notified.has(v.id))
  if (never.length > 0) throw new Error(`never notified: ${never.map((v) => `#${v.id}`).join(' ')}`)
  if (cache.slotsInUse !== 0 || cache.internedKeys !== 0 || cache.size !== 0) {
    throw new Error(`after clear: slotsInUse ${cache.slotsInUse}, internedKeys ${cache.internedKeys}, size ${cache.size}`)
  }
  const stats = cache.stats().evictions!
  for (const cause of CAUSES) {
    const c = cause as keyof typeof stats
    if (stats[c] !== byCause[c]) throw new Error(`stats().evictions!.${c} = ${stats[c]}, the listener saw ${byCause[c]}`)
  }
}

const evictingConfig: fc.Arbitrary<EvictingConfig> = fc.record(
  {
    maxCapacity: fc.integer({ min: 0, max: 6 }),
    policy: fc.constantFrom('tinyLfu' as const, 'lru' as const),
    weighted: fc.boolean(),
    ttl: fc.integer({ min: 3, max: 40 }),
    tti: fc.integer({ min: 3, max: 40 }),
  },
  { requiredKeys: ['maxCapacity', 'policy', 'weighted'] },
)
const shortOptions = fc.option(
  fc.record({ ttl: fc.integer({ min: 1, max: 30 }), tti: fc.integer({ min: 1, max: 30 }) }, { requiredKeys: [] }),
  { nil: undefined },
)
// A small key pool so that writes collide and evictions hit keys that are read again.
const fewKeys = fc.oneof(
  fc.constantFrom<unknown>('a', 'b', 'k'.repeat(70), 0, -0, NaN, 1n, 2n ** 70n, null, undefined, true, pooledObjects[0], symbols[0], symbols[1]),
  valueObjectKey,
)

test('invariants hold while entries are evicted and expire', (t) => {
  checkProperty(
    t,
    fc.property(evictingConfig, fc.array(opArb(fewKeys, shortOptions, true), { maxLength: 60, size: 'medium' }), (config, ops) => runWithEvictions(config, ops)),
    { numRuns: SOAK ? 1500 : 120 },
  )
})

test('invariants hold on keys of every kind with a small capacity', (t) => {
  const noExpiry = fc.record({ maxCapacity: fc.integer({ min: 0, max: 12 }), policy: fc.constantFrom('tinyLfu' as const, 'lru' as const), weighted: fc.boolean() })
  checkProperty(
    t,
    fc.property(noExpiry, fc.array(opArb(anyKey, fc.constant(undefined), false), { maxLength: 80, size: 'medium' }), (config, ops) => runWithEvictions(config, ops)),
    { numRuns: SOAK ? 2000 : 150 },
  )
})
