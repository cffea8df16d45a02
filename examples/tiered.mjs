// TieredCache: a Moka in each process in front of one Redis (or Valkey). Two
// processes (this one and a child it forks) share the second tier: what one
// writes the other reads, a write in one drops the other's local copy, and a
// key both load at once is loaded once.
//
// Needs a Redis server and the optional peers: `npm install ioredis cockatiel`.
// Run with `REDIS_URL=redis://127.0.0.1:6379 node examples/tiered.mjs`.
// It writes only under a namespace of its own, and clears it when done.
//
// Prints:
//   child reads what the parent wrote: { id: 7, name: 'Ann' }
//   child sees the rename: { id: 7, name: 'Anna' }
//   both processes fetched user:8: Bob Bob
//   loads across both processes: 1
//   parent: L1 hits 1, invalidation bus connected: true
import { fork } from 'node:child_process'
import { setTimeout as sleep } from 'node:timers/promises'
import { TieredCache } from 'moka-js/tiered'

const redis = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const isChild = process.argv[2] === 'child'
const namespace = isChild ? process.argv[3] : `example-${process.pid}`

const users = new TieredCache({
  redis,
  namespace, // prefix of its keys and channel in Redis
  ttl: '10m', // default time to live, both tiers
  l1: { maxCapacity: 10_000, ttl: '1m' }, // this process's Moka
  onError: (error) => console.error('cache tier:', error.kind, error.operation, error.message),
})
await users.ready() // subscribed to the invalidation bus: other processes' writes now reach this one

let loads = 0
async function loadUser(key) {
  loads++
  await sleep(200) // a slow database: the other process waits for this load
  return { id: Number(key.slice(5)), name: 'Bob' }
}

if (isChild) {
  // The child answers the parent's requests, each with a method of its cache.
  process.on('message', async ({ op, key }) => {
    if (op === 'get') process.send(await users.get(key))
    if (op === 'fetch') process.send({ user: await users.fetch(key, loadUser), loads })
    if (op === 'close') {
      await users.close() // without it the open connections keep the process alive
      process.disconnect()
    }
  })
  process.send('ready')
} else {
  const child = fork(new URL(import.meta.url), ['child', namespace], { env: { ...process.env, REDIS_URL: redis } })
  const reply = () => new Promise((resolve) => child.once('message', resolve))
  const ask = (op, key) => {
    child.send({ op, key })
    return reply()
  }
  await reply() // the child is subscribed

  await users.set('user:7', { id: 7, name: 'Ann' })
  console.log('child reads what the parent wrote:', await ask('get', 'user:7'))

  // The child now holds a copy in its L1. The parent's write publishes an
  // invalidation; the child drops its copy when the message arrives (within
  // milliseconds) and reads the new value from Redis.
  await users.set('user:7', { id: 7, name: 'Anna' })
  let seen
  for (let i = 0; i < 100; i++) {
    seen = await ask('get', 'user:7')
    if (seen.name === 'Anna') break
    await sleep(10)
  }
  console.log('child sees the rename:', seen)

  // Both processes miss user:8 at once: one takes the Redis lock and loads, the
  // other waits for its value.
  const [mine, theirs] = await Promise.all([users.fetch('user:8', loadUser), ask('fetch', 'user:8')])
  console.log('both processes fetched user:8:', mine.name, theirs.user.name)
  console.log('loads across both processes:', loads + theirs.loads)

  await users.get('user:7') // an L1 hit: the parent's own write is in its L1
  const stats = users.stats()
  console.log(`parent: L1 hits ${stats.l1.hits}, invalidation bus connected: ${stats.bus.connected}`)

  child.send({ op: 'close' })
  await new Promise((resolve) => child.once('exit', resolve))
  await users.clear()
  await users.close() // without it the open connections keep the process alive
}
