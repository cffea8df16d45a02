// The accelerator: `get`, `has`, `set` and `delete` with string or number
// keys as V8 fast API calls instead of Node-API calls, when a build for this
// very Node ABI is at hand (fast/, scripts/build-fast.mjs).
//
// An accelerator call runs the same native operation as the Node-API method,
// or declines having done nothing (FAST_NOT_TAKEN): a key it cannot read as
// the method would (long, two-byte in optimized code), a disposed cache, bad
// arguments. The functions here then call the Node-API method, which answers
// or throws exactly as it always does. A call whose operation left work that
// only Node-API can do (events for the state array, an adaptive switch) says
// so, and `settle` does that work before anything else runs. So the
// accelerator changes no result, only the cost of the call.
//
// `MOKA_JS_FAST=0` in the environment keeps it off.

import { existsSync } from 'node:fs'
import { join } from 'node:path'

import { binding, native, NativeCache, protocol } from './native'

/** What the accelerator's `install` returns: one function per method, taking the cache's fast id. */
interface Accelerator {
  get(id: number, key: string): number
  has(id: number, key: string): number
  remove(id: number, key: string): number
  set(id: number, key: string, slot: number): number
  getNumber(id: number, key: number): number
  hasNumber(id: number, key: number): number
  removeNumber(id: number, key: number): number
  setNumber(id: number, key: number, slot: number): number
  /** Calls the addon's fast entry points took in this thread's environment. */
  calls(): number
  /** Of those, the calls V8 made through its fast path (from optimized code). */
  fastCalls(): number
}

interface AcceleratorModule {
  /** NODE_MODULE_VERSION it was built for. */
  modules: number
  /** V8 `major.minor` it was built for. */
  v8: string
  install(abi: bigint): Accelerator | undefined
}

const NOT_TAKEN = protocol.FAST_NOT_TAKEN
/** Results at or below this carry a value and ask for `settle` (src/fast/mod.rs). */
const SETTLE = NOT_TAKEN - 1

/** Where an accelerator for this Node ABI would be: a local build, then the platform package. */
function candidates(): string[] {
  const file = `moka-js-fast.abi${process.versions.modules}.node`
  const found = [join(__dirname, '..', '..', file)]
  if (process.platform === 'linux') {
    try {
      found.push(require.resolve(`moka-js-linux-${process.arch}-gnu/${file}`))
    } catch {}
  }
  return found
}

/** Why the accelerator is off, or the accelerator. */
function load(): Accelerator | string {
  if (process.env.MOKA_JS_FAST === '0') return 'turned off by MOKA_JS_FAST=0'
  const v8 = process.versions.v8.split('.').slice(0, 2).join('.')
  for (const file of candidates()) {
    if (!existsSync(file)) continue
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const module = require(file) as AcceleratorModule
      if (module.modules !== Number(process.versions.modules) || module.v8 !== v8) continue
      const installed = module.install(binding.fastAbi)
      if (installed !== undefined) return installed
    } catch {
      // A build that does not load here (another libc, a damaged file): Node-API only.
    }
  }
  return `no accelerator built for Node ABI ${process.versions.modules} (V8 ${v8})`
}

const loaded = load()
const fast: Accelerator | undefined = typeof loaded === 'string' ? undefined : loaded

/** Whether the accelerator is in use on this thread, and what it took. */
export interface AcceleratorInfo {
  loaded: boolean
  /** Why it is not loaded. */
  reason?: string
  /** Calls it took on this thread (the rest went through Node-API). */
  calls: number
  /** Of those, the calls V8 made through its fast path. */
  fastCalls: number
}

export function acceleratorInfo(): AcceleratorInfo {
  if (fast === undefined) return { loaded: false, reason: loaded as string, calls: 0, fastCalls: 0 }
  return { loaded: true, calls: fast.calls(), fastCalls: fast.fastCalls() }
}

/** The fast id to give the functions below for `cache`: -1 without the accelerator. */
export function fastIdOf(cache: NativeCache): number {
  return fast === undefined ? -1 : native.fastId(cache)
}

/** The value of a call the accelerator took; settles first when the call asked for it. */
function settled(cache: NativeCache, result: number): number {
  native.settle(cache)
  return SETTLE - 1 - result
}

/**
 * The cache methods with keys that need no token, as `native` takes them,
 * plus the cache's fast id. Calls the accelerator can take go there; the
 * others, and those it declines, to the Node-API method.
 */
export interface Access {
  get(cache: NativeCache, id: number, key: unknown): number
  has(cache: NativeCache, id: number, key: unknown): boolean
  /**
   * Stores through the accelerator, without weight, token or per-entry
   * expiry; false when it did not take the call: nothing happened, and the
   * caller calls `native.set`, which may throw. (Apart, so that the caller
   * can keep this call out of its `try`: V8 12.4 makes no fast call inside one.)
   */
  trySet(cache: NativeCache, id: number, key: unknown, slot: number): boolean
  remove(cache: NativeCache, id: number, key: unknown): number
}

const nodeApi: Access = {
  get: (cache, _id, key) => native.get(cache, key),
  has: (cache, _id, key) => native.has(cache, key),
  trySet: () => false,
  remove: (cache, _id, key) => native.remove(cache, key),
}

function accelerated(f: Accelerator): Access {
  return {
    get(cache, id, key) {
      const r = typeof key === 'string' ? f.get(id, key) : typeof key === 'number' ? f.getNumber(id, key) : NOT_TAKEN
      if (r > NOT_TAKEN) return r
      return r === NOT_TAKEN ? native.get(cache, key) : settled(cache, r)
    },
    has(cache, id, key) {
      const r = typeof key === 'string' ? f.has(id, key) : typeof key === 'number' ? f.hasNumber(id, key) : NOT_TAKEN
      if (r > NOT_TAKEN) return r === 1
      return r === NOT_TAKEN ? native.has(cache, key) : settled(cache, r) === 1
    },
    trySet(cache, id, key, slot) {
      const r =
        typeof key === 'string' ? f.set(id, key, slot) : typeof key === 'number' ? f.setNumber(id, key, slot) : NOT_TAKEN
      if (r === NOT_TAKEN) return false
      if (r < NOT_TAKEN) settled(cache, r)
      return true
    },
    remove(cache, id, key) {
      const r =
        typeof key === 'string' ? f.remove(id, key) : typeof key === 'number' ? f.removeNumber(id, key) : NOT_TAKEN
      if (r > NOT_TAKEN) return r
      return r === NOT_TAKEN ? native.remove(cache, key) : settled(cache, r)
    },
  }
}

/** How `Moka` reaches its native cache for keys without a token. */
export const access: Access = fast === undefined ? nodeApi : accelerated(fast)
