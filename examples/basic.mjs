// moka-js at work: value identity, TTL, TTI, eviction causes, stats.
// Run with `npm run example` (builds the addon first).
import { setTimeout as sleep } from 'node:timers/promises'
import { Moka } from 'moka-js'

// A cache of at most 100 entries. Entries live at most 600 ms after they were
// written (ttl) and 250 ms after they were last read (tti), whichever is first.
const cache = new Moka({
  maxCapacity: 100,
  ttl: '600ms',
  tti: 250,
  evictionListener: (key, value, cause) => console.log(`  evicted ${String(key)} -> ${JSON.stringify(value)} (${cause})`),
})

// Values are kept by reference: `get` returns the very object stored.
const user = { id: 7, name: 'Ada' }
cache.set('user:7', user)
console.log('same object back:', cache.get('user:7') === user)

// TTI: an entry nobody reads goes after 250 ms; one that is read stays...
cache.set('idle', [3, 2, 1]).set('busy', [1, 2, 3])
for (let i = 0; i < 3; i++) {
  await sleep(120)
  cache.get('busy')
}
console.log('after 360 ms: idle =', cache.get('idle'), '| busy =', cache.get('busy'))

// ...but never past its TTL of 600 ms, however often it is read.
for (let i = 0; i < 3; i++) {
  await sleep(120)
  cache.get('busy')
}
console.log('after 720 ms: busy =', cache.get('busy'))

// Per-entry expiry can shorten the cache's: this one lives at most 100 ms.
cache.set('flash', 'gone soon', { ttl: 100 })
await sleep(150)
console.log('after 150 ms: flash =', cache.get('flash'))

cache.set('config', { debug: false })

// Eviction causes: replaced, explicit, size (and expired, above).
console.log('causes:')
cache.set('config', { debug: true }) // replaced
cache.delete('config') // explicit
cache.runPendingTasks() // delivers the expirations found above

const small = new Moka({
  maxCapacity: 2,
  policy: 'lru',
  evictionListener: (key, _value, cause) => console.log(`  small cache evicted ${key} (${cause})`),
})
small.set('a', 1).set('b', 2).set('c', 3)
small.runPendingTasks() // size: 'a' is the least recently used
console.log('small cache holds', [...small.keys()])

// getWith computes a missing value once.
let computed = 0
const answer = () => ++computed && 42
cache.getWith('answer', answer)
cache.getWith('answer', answer)
console.log('getWith computed', computed, 'time(s)')

console.log('stats:', cache.stats())
