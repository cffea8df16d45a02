// TieredCache at the door: what `redis` may be, what a cache says when Redis
// cannot be reached, what `delete` answers then, and how fast `close()` lets a
// process go. None of it needs a Redis server: the endpoints here refuse
// connections, or accept them and never answer.

import { execFile } from 'node:child_process'
import { createServer, Server, Socket } from 'node:net'
import { join } from 'node:path'
import { promisify } from 'node:util'

import test from 'ava'
import Redis from 'ioredis'

import { TieredCache, TierError } from '../tiered.js'
import { failure, PACKAGE, trackUnhandledRejections } from './_helpers'
import { freePort } from './_redis'

const unhandled = trackUnhandledRejections()
const caches: TieredCache<string, unknown>[] = []
test.after.always(async () => {
  for (const cache of caches) await cache.close()
})

function tiered(options: ConstructorParameters<typeof TieredCache<string, unknown>>[0]): TieredCache<string, unknown> {
  const cache = new TieredCache<string, unknown>(options)
  caches.push(cache)
  return cache
}

/** A port where nothing listens: connections are refused. */
async function refusingUrl(password?: string): Promise<string> {
  return `redis://${password === undefined ? '' : `:${password}@`}127.0.0.1:${await freePort()}`
}

test.serial('redis: a bad URL, another scheme or a wrong type is a TypeError naming the option, thrown before anything connects', (t) => {
  const bad: [unknown, RegExp][] = [
    ['not a url', /^redis must be a redis:\/\/ or rediss:\/\/ URL, .*"not a url" is not a URL/],
    ['http://localhost:6379', /^redis must be .*"http:\/\/localhost:6379\/" is not a redis: or rediss: URL/],
    ['https://user:secret@example.com', /"https:\/\/user:\*\*\*@example\.com\/" is not a redis: or rediss: URL/],
    ['localhost:6379', /is not a redis: or rediss: URL/],
    ['', /^redis must be .*, got an empty string/],
    [6379, /^redis must be .*, got number 6379/],
    [null, /^redis must be .*, got null/],
    [['redis://localhost'], /^redis must be/],
    [{ host: 42 }, /^redis\.host must be a string, got number 42/],
    [{ port: '6379' }, /^redis\.port must be a number/],
    [{ keyPrefix: 'app:' }, /^redis: options with keyPrefix are not supported/],
  ]
  for (const [redis, message] of bad) {
    const error = t.throws(() => new TieredCache({ redis: redis as never }), { instanceOf: TypeError, message }, String(redis))
    t.false(error?.message.includes('secret'), 'no password in the message')
  }
})

test.serial('redis: redis: and rediss: URLs, a unix socket path, ioredis options and an ioredis client are taken', async (t) => {
  const port = await freePort()
  for (const redis of [`redis://127.0.0.1:${port}/2`, `rediss://127.0.0.1:${port}`, '/tmp/moka-js-no-such.sock', { host: '127.0.0.1', port }]) {
    const cache = tiered({ redis, timeout: 50 })
    t.is(await cache.get('k'), undefined, 'degrades to a miss')
    await cache.close()
  }
  const client = new Redis({ port, lazyConnect: true })
  const listeners = client.listenerCount('error') + client.listenerCount('ready')
  const cache = tiered({ redis: client, timeout: 50 })
  await cache.close()
  t.not(client.status, 'end', "the user's client is left open")
  t.is(client.listenerCount('error') + client.listenerCount('ready'), listeners, 'and without the listeners the cache put on it')
  client.disconnect()
})

test.serial('ready() with nothing listening rejects with a TierError naming the URL (without its password) and the refused connection', async (t) => {
  const url = await refusingUrl('hunter2')
  const cache = tiered({ redis: url })
  const error = await failure(cache.ready())
  t.true(error instanceof TierError)
  const { operation, kind, message } = error as TierError
  t.is(operation, 'connection')
  t.is(kind, 'redis')
  t.regex(message, /^Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+ is unreachable: connection refused/)
  t.false(message.includes('hunter2'))
  t.is((error.cause as { code?: string }).code, 'ECONNREFUSED')
})

test.serial('calls while the connection is refused report the refusal, not a timeout', async (t) => {
  const errors: TierError[] = []
  const cache = tiered({ redis: await refusingUrl(), onError: (error) => errors.push(error) })
  await failure(cache.ready())
  t.is(await cache.get('k'), undefined)
  t.is(await cache.fetch('k', () => 'loaded'), 'loaded')
  const calls = errors.filter((error) => error.operation !== 'connection' && error.operation !== 'bus')
  t.true(calls.length > 0)
  for (const error of calls) {
    t.is(error.kind, 'redis', error.message)
    t.regex(error.message, /is unreachable: connection refused/)
  }
  t.is(cache.stats().l2.timeouts, 0)
  // Reported once while the client keeps retrying, not on every attempt.
  t.true(errors.filter((error) => error.operation === 'connection').length <= 2, errors.map((e) => e.message).join('\n'))
})

test.serial('ready() against a server that never answers rejects with a timeout after connectTimeout', async (t) => {
  const sockets: Socket[] = []
  const silent: Server = createServer((socket) => sockets.push(socket))
  await new Promise<void>((done) => silent.listen(0, '127.0.0.1', done))
  const { port } = silent.address() as { port: number }
  try {
    const cache = tiered({ redis: { host: '127.0.0.1', port, connectTimeout: 300 }, timeout: 50 })
    const started = performance.now()
    const error = (await failure(cache.ready())) as TierError
    t.true(performance.now() - started < 2000)
    t.is(error.kind, 'timeout')
    t.regex(error.message, new RegExp(`^Redis at redis://127\\.0\\.0\\.1:${port}/0 did not answer within 300 ms`))
    await cache.close()
  } finally {
    for (const socket of sockets) socket.destroy()
    silent.close()
  }
})

test.serial('delete while Redis is unreachable resolves to false (only L1 lost the key), and rejects with suppressErrors: false', async (t) => {
  const url = await refusingUrl()
  const errors: TierError[] = []
  const cache = tiered({ redis: url, timeout: 50, onError: (error) => errors.push(error) })
  await cache.set('k', 'v')
  t.is(await cache.get('k'), 'v', 'L1 holds it')
  t.false(await cache.delete('k'))
  t.true(errors.some((error) => error.operation === 'delete'))
  t.is(await cache.get('k'), undefined)
  const loud = tiered({ redis: url, timeout: 50, suppressErrors: false })
  const error = await failure(loud.delete('k'))
  t.true(error instanceof TierError)
  t.is((error as TierError).operation, 'delete')
})

test.serial('close() while Redis is unreachable lets the process exit within 200 ms', async (t) => {
  const url = await refusingUrl()
  const script = `
const { TieredCache } = require(${JSON.stringify(join(PACKAGE, 'tiered.js'))})
const cache = new TieredCache({ redis: ${JSON.stringify(url)}, timeout: 100 })
cache.ready().catch(async () => {
  await cache.get('k')
  // A second ready() waits for the next attempt, which close() ends.
  cache.ready().catch(() => {})
  // Between reconnection attempts, the sockets ioredis would end are already dead.
  await new Promise((done) => setTimeout(done, 300))
  const closing = performance.now()
  process.on('exit', () => console.log(Math.round(performance.now() - closing)))
  await cache.close()
})
`
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', script], { timeout: 10_000 })
  const lingered = Number(stdout.trim())
  t.true(lingered < 200, `the process exited ${lingered} ms after close()`)
})

test.serial('after close(), every method rejects naming itself; close() again does nothing', async (t) => {
  const cache = tiered({ redis: await refusingUrl(), timeout: 50 })
  await cache.close()
  t.true(cache.closed)
  const calls: [string, () => Promise<unknown>][] = [
    ['get', () => cache.get('k')],
    ['set', () => cache.set('k', 1)],
    ['delete', () => cache.delete('k')],
    ['fetch', () => cache.fetch('k', () => 1)],
    ['invalidateTags', () => cache.invalidateTags(['t'])],
    ['clear', () => cache.clear()],
    ['ready', () => cache.ready()],
  ]
  for (const [name, call] of calls) {
    let promise: Promise<unknown> | undefined
    t.notThrows(() => {
      promise = call()
    }, `${name} throws synchronously`)
    await t.throwsAsync(promise!, { message: `TieredCache: ${name}() called after close()` })
  }
  await t.notThrowsAsync(cache.close())
})

test.serial('nothing went unhandled', (t) => {
  t.deepEqual(unhandled, [])
})
