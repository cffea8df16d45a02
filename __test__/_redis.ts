// A real Redis (or Valkey) server for the TieredCache specs: started on a free
// localhost port, stopped at the end. No spec depends on a server already running.
//
// On a machine without redis-server (or valkey-server) on PATH, each spec that
// needs one is skipped as a whole, with one line saying how to run it; with
// MOKA_REQUIRE_REDIS=1 (as CI runs) a missing server fails instead.

import { ChildProcess, execFile, fork, spawn } from 'node:child_process'
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs'
import { createConnection, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { delimiter, join, resolve } from 'node:path'
import { promisify } from 'node:util'

import avaTest, { type TestFn } from 'ava'
import Redis, { Cluster } from 'ioredis'

import { sleep } from './_helpers'

/** `redis-server` on PATH, or `valkey-server` where only Valkey is installed; undefined when neither is. */
function findServer(): string | undefined {
  for (const name of ['redis-server', 'valkey-server']) {
    for (const dir of (process.env.PATH ?? '').split(delimiter)) {
      if (dir === '') continue
      try {
        accessSync(join(dir, name), constants.X_OK)
        return join(dir, name)
      } catch {
        // not in this directory
      }
    }
  }
  return undefined
}

/** The server binary the specs start, or undefined when none is installed. */
export const SERVER_BINARY = findServer()

/** Whether a missing server fails the specs (CI) instead of skipping them. */
export const REDIS_REQUIRED = process.env.MOKA_REQUIRE_REDIS === '1'

/** The one line a spec that needs Redis shows when no server is installed. */
export const NO_SERVER =
  'needs redis-server (or valkey-server) on PATH: install it (Debian: apt-get install redis-server) to run this spec; MOKA_REQUIRE_REDIS=1 makes its absence a failure'

function serverBinary(): string {
  if (SERVER_BINARY === undefined) throw new Error(NO_SERVER)
  return SERVER_BINARY
}

/**
 * A stand-in for ava's `test` in a spec whose server cannot start: on the
 * spec's first use it registers one test, skipped (or failing, under
 * MOKA_REQUIRE_REDIS=1), that says why, and it ignores every test and hook
 * the spec declares. A file that imports this module for its helpers alone
 * gets no such test.
 */
function withoutServer(test: TestFn): TestFn {
  let registered = false
  const register = (): void => {
    if (registered) return
    registered = true
    if (REDIS_REQUIRED) {
      test('a Redis server is installed', (t) => t.fail('no redis-server (or valkey-server) on PATH, and MOKA_REQUIRE_REDIS=1 requires one (Debian: apt-get install redis-server)'))
    } else {
      test.skip(NO_SERVER, () => {})
    }
  }
  const ignore: unknown = new Proxy(() => {}, {
    get: () => {
      register()
      return ignore
    },
    apply: () => {
      register()
      return undefined
    },
  })
  return ignore as TestFn
}

/** ava's `test` for a spec that starts Redis servers: itself, or a single skipped test when no server is installed. */
export const test: TestFn = SERVER_BINARY === undefined ? withoutServer(avaTest) : avaTest

export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer()
    server.once('error', fail)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => done(port))
    })
  })
}

/** Whether a server answers PING on `port`. */
function pings(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = createConnection({ host: '127.0.0.1', port })
    let reply = ''
    socket.setTimeout(500, () => socket.destroy())
    socket.on('connect', () => socket.write('PING\r\n'))
    socket.on('data', (chunk) => {
      reply += chunk.toString()
      if (reply.includes('\r\n')) {
        socket.destroy()
        done(reply.startsWith('+PONG'))
      }
    })
    socket.on('error', () => done(false))
    socket.on('close', () => done(false))
  })
}

/**
 * The server runs under a small shell that kills it when its stdin closes, so
 * a test process that dies (crash, timeout) never leaves a server behind.
 */
const GUARDED = 'redis="$1"; shift; "$redis" "$@" & echo $!; read _; kill -9 $! 2>/dev/null'

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

export class RedisServer {
  readonly port: number
  readonly #args: readonly string[]
  #guard: ChildProcess | undefined
  #pid = 0

  private constructor(port: number, args: readonly string[]) {
    this.port = port
    this.#args = args
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`
  }

  /** Starts a server on `port` (a free one by default), with `args` besides the defaults, and waits until it answers. */
  static async start(port?: number, args: readonly string[] = []): Promise<RedisServer> {
    const server = new RedisServer(port ?? (await freePort()), args)
    await server.#spawn()
    return server
  }

  async #spawn(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning', ...this.#args]
    const guard = spawn('sh', ['-c', GUARDED, 'sh', serverBinary(), ...args], { stdio: ['pipe', 'pipe', 'ignore'] })
    this.#guard = guard
    this.#pid = await new Promise<number>((done, fail) => {
      guard.stdout!.once('data', (chunk: Buffer) => done(Number.parseInt(chunk.toString(), 10)))
      guard.once('exit', () => fail(new Error('the redis-server wrapper exited')))
    })
    const deadline = Date.now() + 10_000
    while (!(await pings(this.port))) {
      if (!alive(this.#pid)) throw new Error(`redis-server exited (port ${this.port} taken?)`)
      if (Date.now() > deadline) throw new Error('redis-server did not answer within 10 s')
      await sleep(20)
    }
  }

  /** Kills the server at once (SIGKILL: no shutdown, connections drop), and waits until it is gone. */
  async kill(): Promise<void> {
    const guard = this.#guard
    if (guard === undefined) return
    this.#guard = undefined
    if (alive(this.#pid)) process.kill(this.#pid, 'SIGKILL')
    const exited = guard.exitCode === null ? new Promise((done) => guard.once('exit', done)) : undefined
    guard.stdin!.end()
    await exited
    while (await pings(this.port)) await sleep(10)
  }

  /** A new, empty server on the same port. */
  async restart(): Promise<void> {
    await this.kill()
    await this.#spawn()
  }

  stop(): Promise<void> {
    return this.kill()
  }
}

/** A redis-cli beside the server binary (redis-tools comes with redis-server on Debian). */
function cliBinary(): string {
  return serverBinary().replace(/-server$/, '-cli')
}

const run = promisify(execFile)

/** Node timeout of the spec clusters: a master unreachable this long is failed over (generous: under the full suite a server can go unscheduled for a second or more, and a failover no test asked for would fail it). */
export const CLUSTER_NODE_TIMEOUT = 5000

/**
 * A Redis Cluster of 3 masters, each with `replicas` replicas, on free
 * localhost ports (client and cluster-bus ports both chosen free), created
 * with `redis-cli --cluster create` and ready once every node says
 * `cluster_state:ok` and every replica has synced.
 */
export class RedisCluster {
  readonly servers: RedisServer[]
  readonly #dir: string

  private constructor(servers: RedisServer[], dir: string) {
    this.servers = servers
    this.#dir = dir
  }

  static async start(replicas = 1): Promise<RedisCluster> {
    const dir = mkdtempSync(join(tmpdir(), 'moka-cluster-'))
    const servers: RedisServer[] = []
    const cluster = new RedisCluster(servers, dir)
    try {
      for (let i = 0; i < 3 * (1 + replicas); i++) {
        const args = ['--cluster-enabled', 'yes', '--cluster-port', String(await freePort()), '--cluster-config-file', join(dir, `nodes-${i}.conf`)]
        servers.push(await RedisServer.start(undefined, [...args, '--cluster-node-timeout', String(CLUSTER_NODE_TIMEOUT), '--dir', dir]))
      }
      const addresses = servers.map((server) => `127.0.0.1:${server.port}`)
      await run(cliBinary(), ['--cluster', 'create', ...addresses, '--cluster-replicas', String(replicas), '--cluster-yes'])
      await cluster.settled()
      return cluster
    } catch (error) {
      await cluster.stop()
      throw error
    }
  }

  /** Where a TieredCache (or a peer process) finds the cluster: the `redis` option. */
  get option(): { cluster: { host: string; port: number }[] } {
    return { cluster: this.servers.map((server) => ({ host: '127.0.0.1', port: server.port })) }
  }

  /** Resolves once every live node says `cluster_state:ok` and every live replica has synced with its master. */
  async settled(timeout = 20_000): Promise<void> {
    const deadline = Date.now() + timeout
    for (const server of this.servers) {
      if (!(await pings(server.port))) continue
      const client = new Redis(server.port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0 })
      try {
        for (;;) {
          const info = `${await client.call('CLUSTER', 'INFO')}${await client.info('replication')}`
          if (info.includes('cluster_state:ok') && (!info.includes('role:slave') || info.includes('master_link_status:up'))) break
          if (Date.now() > deadline) throw new Error(`cluster node ${server.port} not settled after ${timeout} ms: ${info}`)
          await sleep(50)
        }
      } finally {
        client.disconnect()
      }
    }
  }

  /** The server that is master of `key`'s slot now. */
  async masterOf(key: string): Promise<RedisServer> {
    for (const server of this.servers) {
      if (!(await pings(server.port))) continue
      const client = new Redis(server.port, '127.0.0.1', { maxRetriesPerRequest: 0 })
      try {
        const slot = Number(await client.call('CLUSTER', 'KEYSLOT', key))
        const ranges = (await client.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][]
        const range = ranges.find(([first, last]) => first <= slot && slot <= last)
        const master = this.servers.find((s) => s.port === range?.[2][1])
        if (master !== undefined) return master
      } finally {
        client.disconnect()
      }
    }
    throw new Error(`no live node knows the master of ${key}`)
  }

  /** A replica of `master` (a server that says `role:slave` and `master_port:<its port>`). */
  async replicaOf(master: RedisServer): Promise<RedisServer> {
    for (const server of this.servers) {
      if (server === master || !(await pings(server.port))) continue
      const client = new Redis(server.port, '127.0.0.1', { maxRetriesPerRequest: 0 })
      try {
        const info = await client.info('replication')
        if (info.includes('role:slave') && info.includes(`master_port:${master.port}\r`)) return server
      } finally {
        client.disconnect()
      }
    }
    throw new Error(`no replica of ${master.port}`)
  }

  async stop(): Promise<void> {
    await Promise.all(this.servers.map((server) => server.stop()))
    rmSync(this.#dir, { recursive: true, force: true })
  }
}

/**
 * The Redis deadline of the specs that are not about faults: the whole suite
 * loads the machine, and a call past the default 250 ms would degrade to L1
 * and make such a spec fail for the wrong reason.
 */
export const SPEC_TIMEOUT = 5000

/** ioredis Cluster options of the specs' caches: SPEC_TIMEOUT's margin for connecting and reading the slot map too. */
export const SPEC_CLUSTER_OPTIONS = { redisOptions: { connectTimeout: SPEC_TIMEOUT }, slotsRefreshTimeout: SPEC_TIMEOUT }

const PEER = resolve(__dirname, 'fixtures', 'tiered-peer.ts')

/** A TieredCache in another Node process, driven over IPC (see fixtures/tiered-peer.ts). */
export class Peer {
  readonly #child: ChildProcess
  readonly #pending = new Map<number, { done: (v: unknown) => void; fail: (e: Error) => void }>()
  #next = 0

  private constructor(child: ChildProcess) {
    this.#child = child
    child.on('message', (m: { id: number; ok: boolean; value?: unknown; error?: string }) => {
      const call = this.#pending.get(m.id)
      if (call === undefined) return
      this.#pending.delete(m.id)
      if (m.ok) call.done(m.value)
      else call.fail(new Error(`peer: ${m.error}`))
    })
    child.on('exit', (code) => {
      for (const call of this.#pending.values()) call.fail(new Error(`peer exited with ${code}`))
      this.#pending.clear()
    })
  }

  /** Starts a process with a TieredCache on `options` (JSON-able; `redis` a URL; `timeout` SPEC_TIMEOUT unless given). */
  static async start(options: Record<string, unknown>): Promise<Peer> {
    const child = fork(PEER, [], { execArgv: ['--import=tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    const peer = new Peer(child)
    await peer.call('open', { timeout: SPEC_TIMEOUT, ...options })
    return peer
  }

  call<T = unknown>(op: string, ...args: unknown[]): Promise<T> {
    const id = this.#next++
    return new Promise<T>((done, fail) => {
      this.#pending.set(id, { done: done as (v: unknown) => void, fail })
      this.#child.send({ id, op, args })
    })
  }

  /** Kills the process at once (SIGKILL), as a crash would. */
  kill(): void {
    this.#child.kill('SIGKILL')
  }

  get pid(): number {
    return this.#child.pid!
  }

  /** Closes the cache and waits for the process to exit; its exit code (0 when nothing went unhandled). */
  async stop(): Promise<number | null> {
    const child = this.#child
    if (child.exitCode !== null) return child.exitCode
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)))
    await this.call('exit').catch(() => {})
    return exited
  }
}

export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
}

/** What a spec closes before its server stops: a TieredCache. */
interface Closable {
  close(): unknown
}

/** The two kinds of Redis a TieredCache runs on: one server, or a cluster of 3 masters with a replica each. */
export type BackendName = 'server' | 'cluster'

export interface SpecRedis {
  name: BackendName
  /** The one server (backend `'server'` only). */
  server: RedisServer
  /** The cluster (backend `'cluster'` only). */
  cluster: RedisCluster
  /** What a TieredCache's `redis` option takes for this backend (JSON-able, so peers take it too). */
  readonly option: string | { cluster: { host: string; port: number }[]; options: typeof SPEC_CLUSTER_OPTIONS }
  /** A plain client on it: a `Redis`, or a `Cluster`. */
  raw: Redis
  /** What prefixes the namespace's names: `<ns>`, or `{<ns>}` on a cluster. */
  root(namespace: string): string
  /** The Redis name of `name` under `namespace`, as docs/tiered.md lays it out: `<ns>:<kind>:<name>`, hash-tagged `{<ns>}:…` on a cluster. */
  key(namespace: string, kind: 'd' | 't' | 'l', name: string): string
  /** The bus channel of `namespace`. */
  channel(namespace: string): string
  /** A client on each master: the one server, or the cluster's masters. */
  masters(): Redis[]
  /** Publishes `message` on the bus of `namespace` as TieredCache does by default there (sharded on a cluster of Redis 7+). */
  publish(namespace: string, message: string): Promise<unknown>
  /** Every key of the namespace's data and tag sets, whatever node holds them. */
  keys(namespace: string): Promise<string[]>
  /** Has `cache` closed after the spec's tests, before the server stops; returns it. */
  track<C extends Closable>(cache: C): C
}

/**
 * A Redis server (or cluster) for one spec file: started before its tests,
 * stopped after them, with a raw client on it (`redis.raw`); the caches given
 * to `redis.track` are closed first.
 */
export function redisForSpec(test: TestFn, name: BackendName = 'server'): SpecRedis {
  const open: Closable[] = []
  const hashTag = name === 'cluster'
  const root = (namespace: string): string => (hashTag ? `{${namespace}}` : namespace)
  const redis = {
    name,
    get option() {
      // The cache connects to a cluster in more steps than to a server (the slot map, then the bus channel's master): under the full suite's load they take longer than the default.
      return name === 'cluster' ? { ...redis.cluster.option, options: SPEC_CLUSTER_OPTIONS } : redis.server.url
    },
    root,
    key: (namespace, kind, key) => `${root(namespace)}:${kind}:${key}`,
    channel: (namespace) => `${root(namespace)}:bus`,
    masters: () => (name === 'cluster' ? (redis.raw as unknown as Cluster).nodes('master') : [redis.raw]),
    publish: (namespace, message) => (name === 'cluster' ? redis.raw.spublish(redis.channel(namespace), message) : redis.raw.publish(redis.channel(namespace), message)),
    async keys(namespace) {
      const found = await Promise.all(redis.masters().map((node) => node.keys(`${root(namespace)}:[dt]:*`)))
      return found.flat().sort()
    },
    track(cache) {
      open.push(cache)
      return cache
    },
  } as SpecRedis
  test.before(async () => {
    if (name === 'cluster') {
      redis.cluster = await RedisCluster.start()
      redis.raw = new Cluster(redis.cluster.option.cluster) as unknown as Redis
    } else {
      redis.server = await RedisServer.start()
      redis.raw = new Redis(redis.server.url)
    }
  })
  test.after.always(async () => {
    try {
      for (const cache of open.splice(0)) await cache.close()
    } finally {
      redis.raw?.disconnect()
      await (redis.cluster ?? redis.server)?.stop()
    }
  })
  return redis
}

/** The backends every shared TieredCache spec runs on: each spec registers its tests once per backend, titled with its name. */
export const BACKENDS: readonly BackendName[] = ['server', 'cluster']
