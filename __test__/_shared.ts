// Worker threads driven from a test: each runs a small command loop around
// a `SharedMoka`, so a test can say "worker A sets, worker B reads" and await
// the answers. Not a spec itself (ava runs `*.spec.ts`).

import { Worker } from 'node:worker_threads'

import type { ExecutionContext } from 'ava'

import { PACKAGE, sleep } from './_helpers'

/**
 * The command loop every test worker runs. `run` evaluates a function of
 * `(cache, arg, env)`; `env.calls` is the shared Int32Array, `env.until(i)`
 * waits (without blocking) until slot `i` is set, `env.mark(i)` sets it.
 */
const LOOP = `
const { SharedMoka, cached } = require(${JSON.stringify(PACKAGE)})
const { parentPort, workerData } = require('node:worker_threads')
const calls = new Int32Array(workerData.calls)
// Functions sent from the TypeScript specs are transpiled by tsx, which names them with esbuild's helper.
globalThis.__name ??= (f) => f
const env = {
  calls, caches: new Map(), cached, SharedMoka, events: [],
  until: async (i) => { while (Atomics.load(calls, i) === 0) { const r = Atomics.waitAsync(calls, i, 0); if (r.async) await r.value } },
  mark: (i) => { Atomics.store(calls, i, 1); Atomics.notify(calls, i) },
}
let cache
const ops = {
  open: (options) => {
    const withListener = options.listen ? { ...options, evictionListener: (k, v, c) => env.events.push([k, v, c]) } : options
    delete withListener.listen
    cache = new SharedMoka(withListener)
    env.caches.set(options.name, cache)
    return cache.name
  },
  run: (source, arg) => (0, eval)('(' + source + ')')(cache, arg, env),
}
parentPort.on('message', async ({ id, op, args }) => {
  try {
    const result = await ops[op](...args)
    parentPort.postMessage({ id, ok: true, result })
  } catch (error) {
    parentPort.postMessage({ id, ok: false, error })
  }
})
parentPort.postMessage({ id: 0, ok: true, result: 'ready' })
`

/**
 * A worker thread holding `SharedMoka` handles. `calls` is shared memory the
 * tests' loaders count into (`Atomics.add(env.calls, i, 1)`).
 */
export class CacheWorker {
  readonly worker: Worker
  readonly ready: Promise<void>
  #next = 1
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>()
  readonly exited: Promise<number>

  constructor(readonly calls: SharedArrayBuffer = new SharedArrayBuffer(64 * 4)) {
    this.worker = new Worker(LOOP, { eval: true, workerData: { calls } })
    let ready!: () => void
    this.ready = new Promise((resolve) => (ready = resolve))
    this.worker.on('message', ({ id, ok, result, error }) => {
      if (id === 0) return ready()
      const p = this.#pending.get(id)
      this.#pending.delete(id)
      if (ok) p?.resolve(result)
      else p?.reject(error)
    })
    this.exited = new Promise((resolve) => this.worker.on('exit', resolve))
    this.exited.then(() => {
      for (const p of this.#pending.values()) p.reject(new Error('worker exited'))
      this.#pending.clear()
    })
  }

  #call(op: string, args: unknown[]): Promise<unknown> {
    const id = this.#next++
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject })
      this.worker.postMessage({ id, op, args })
    })
  }

  /** Opens (creates or attaches to) a cache; later `run`s use the last one opened. */
  open(options: Record<string, unknown>): Promise<unknown> {
    return this.#call('open', [options])
  }

  /**
   * Runs `fn(cache, arg, env)` in the worker and returns its (awaited,
   * cloned) result. `fn` travels as source text: it may use only its
   * parameters and globals.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  run<T = unknown>(fn: string | ((cache: any, arg: any, env: any) => unknown), arg?: unknown): Promise<T> {
    return this.#call('run', [String(fn), arg]) as Promise<T>
  }

  terminate(): Promise<number> {
    return this.worker.terminate()
  }
}

/** `n` ready workers sharing one `calls` array, terminated when the test ends. */
export async function workers(t: ExecutionContext, n: number): Promise<CacheWorker[]> {
  const calls = new SharedArrayBuffer(64 * 4)
  const ws = Array.from({ length: n }, () => new CacheWorker(calls))
  t.teardown(() => Promise.all(ws.map((w) => w.terminate())))
  await Promise.all(ws.map((w) => w.ready))
  return ws
}

/** Sets slot `i` of a shared `calls` array (a worker's `env.until(i)` returns). */
export function release(calls: SharedArrayBuffer, i: number): void {
  const view = new Int32Array(calls)
  Atomics.store(view, i, 1)
  Atomics.notify(view, i)
}

/** Resolves once slot `i` of `calls` is set (a worker's `env.mark(i)`). */
export async function marked(calls: SharedArrayBuffer, i: number): Promise<void> {
  const view = new Int32Array(calls)
  while (Atomics.load(view, i) === 0) await sleep(2)
}

/** A name no other test uses. */
let unique = 0
export function cacheName(label: string): string {
  return `${label}-${process.pid}-${++unique}`
}
