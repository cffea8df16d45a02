// moka-js at work: value identity, TTL, TTI, per-entry expiry, eviction causes, stats.
// Run with `npm run example` (builds the addon first), or `node examples/basic.mjs`.
//
// Prints:
//   same object back: true
//   after 600 ms: idle = undefined | busy = [ 1, 2, 3 ]
//   after 1600 ms: busy = undefined
//   removed: busy (expired), idle (expired), user:7 (expired)
//   after 150 ms: flash = undefined
//   removed: config (replaced), config (explicit)
//   small cache evicted: a (size)
//   small cache holds: b, c
//   getWith computed 1 time(s)
//   answers: { hits: 1, misses: 2 }
import { setTimeout as sleep } from 'node:timers/promises'
import { Moka } from 'moka-js'

// The listener collects removals, printed at fixed points below: moka notifies
// expirations whenever its maintenance runs, so printing them as they come
// would make the output depend on timing.
const removed = []
const printRemoved = () => console.log('removed:', removed.splice(0).join(', '))

// A cache of at most 100 entries. Entries live at most 1.5 s after they were
// written (ttl) and 500 ms after they were last read (tti), whichever is first.
// (Long enough that a busy machine does not change what this prints.)
const cache = new Moka({
  maxCapacity: 100,
  ttl: '1.5s',
  tti: 500,
  perEntryExpiry: true, // allows set(k, v, { ttl }) below; off by default, as it costs every write
  evictionListener: (key, _value, cause) => removed.push(`${String(key)} (${cause})`),
})

// Values are kept by reference: `get` returns the very object stored.
const user = { id: 7, name: 'Ada' }
cache.set('user:7', user)
console.log('same object back:', cache.get('user:7') === user)

// TTI: an entry nobody reads goes after 500 ms; one that is read stays...
cache.set('idle', [3, 2, 1]).set('busy', [1, 2, 3])
for (let i = 0; i < 3; i++) {
  await sleep(200)
  cache.get('busy')
}
console.log('after 600 ms: idle =', cache.get('idle'), '| busy =', cache.get('busy'))

// ...but never past its TTL of 1.5 s, however often it is read.
for (let i = 0; i < 5; i++) {
  await sleep(200)
  cache.get('busy')
}
console.log('after 1600 ms: busy =', cache.get('busy'))
cache.runPendingTasks() // removes (and notifies) what the cache-wide ttl/tti expired
removed.sort()
printRemoved()

// Per-entry expiry can shorten the cache's: this one lives at most 100 ms.
cache.set('flash', 'gone soon', { ttl: 100 })
await sleep(150)
console.log('after 150 ms: flash =', cache.get('flash'))

// Replacements and explicit removals are notified by the call that made them.
removed.length = 0 // flash's removal comes with a later maintenance run (moka's timer wheel ticks about once a second)
cache.set('config', { debug: false })
cache.set('config', { debug: true })
cache.delete('config')
printRemoved()

// Size: an LRU cache of 2 evicts the least recently used entry.
const small = new Moka({
  maxCapacity: 2,
  policy: 'lru',
  evictionListener: (key, _value, cause) => console.log(`small cache evicted: ${key} (${cause})`),
})
small.set('a', 1).set('b', 2).set('c', 3)
small.runPendingTasks() // eviction runs with maintenance
console.log('small cache holds:', [...small.keys()].sort().join(', ')) // iteration order is unspecified

// getWith computes a missing value once; stats() counts the hits and misses.
const answers = new Moka({ maxCapacity: 10 })
let computed = 0
const answer = () => ++computed && 42
answers.getWith('answer', answer) // a miss: computed
answers.getWith('answer', answer) // a hit
answers.get('question') // a miss
console.log('getWith computed', computed, 'time(s)')
const { hits, misses } = answers.stats()
console.log('answers:', { hits, misses })
