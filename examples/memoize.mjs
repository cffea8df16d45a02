// Memoizing with moka-js: a recursive function, an async loader called by many
// callers at once (single-flight), refresh-ahead, and fetch on a cache.
// Run with `node examples/memoize.mjs` (after `npm run build`).
//
// Prints:
//   fib(90) = 2880067194370816120n
//   fib: 88 hits, 91 misses
//   10 callers, 1 query: true
//   coalesced: 9
//   config version 1, then 1 (refreshing), then 2
//   fetch: { id: 42, name: 'user 42' } 1 load(s)
import { setTimeout as sleep } from 'node:timers/promises'
import { cached, Moka } from 'moka-js'

// A sync function: each fib(n) is computed once, so the recursion is linear.
const fib = cached((n) => (n < 2 ? BigInt(n) : fib(n - 1) + fib(n - 2)))
console.log(`fib(90) = ${fib(90)}n`)
const info = fib.cacheInfo()
console.log(`fib: ${info.hits} hits, ${info.misses} misses`)

// An async function: concurrent calls for one key share one in-flight promise,
// so the slow backend is queried once, not once per caller.
let queries = 0
const getUser = cached(
  async (id) => {
    queries++
    await sleep(50) // a slow database
    return { id, name: `user ${id}` }
  },
  { ttl: '30s', timeout: '2s' },
)
const users = await Promise.all(Array.from({ length: 10 }, () => getUser(1)))
console.log(`10 callers, ${queries} query:`, users.every((u) => u === users[0]))
console.log('coalesced:', getUser.cacheInfo().coalesced)

// Refresh-ahead: past refreshAfter, a call answers at once with the cached
// value and one refresh runs in the background.
let version = 0
const getConfig = cached(async () => ({ version: ++version }), { ttl: '1h', refreshAfter: 100 })
const first = (await getConfig()).version
await sleep(200)
const stale = (await getConfig()).version
await sleep(50) // the background refresh has landed
const fresh = (await getConfig()).version
console.log(`config version ${first}, then ${stale} (refreshing), then ${fresh}`)

// fetch: get-or-load on any Moka, single-flight per key.
let loads = 0
const cache = new Moka({ maxCapacity: 1000, ttl: '10m' })
const load = async (id) => {
  loads++
  return { id, name: `user ${id}` }
}
await Promise.all([cache.fetch(42, load), cache.fetch(42, load)])
console.log('fetch:', await cache.fetch(42, load), loads, 'load(s)')
