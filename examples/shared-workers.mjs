// SharedMoka: one cache for the main thread and every worker_threads worker of
// a process. Workers read what the main thread wrote, and four workers asking
// for the same missing key at once run one load between them.
// Run with `node examples/shared-workers.mjs` (after `npm run build`).
//
// Prints:
//   workers saw the main thread's write: true true true true
//   workers got: user 7, user 7, user 7, user 7
//   loads, all workers together: 1
//   main thread: { id: 7, name: 'user 7' } (a hit: no load here)
//   entries: 2
import { isMainThread, parentPort, Worker } from 'node:worker_threads'
import { setTimeout as sleep } from 'node:timers/promises'
import { SharedMoka } from 'moka-js'

// Every thread that opens 'users' with these options gets the same native cache.
const users = new SharedMoka({ name: 'users', maxCapacity: 10_000, ttl: '10m' })

let loads = 0
async function loadUser(id) {
  loads++
  await sleep(100) // a slow backend: the other workers wait for this load
  return { id, name: `user ${id}` }
}

if (isMainThread) {
  users.set('motd', 'written by the main thread')
  // This file is also each worker's code: the `else` branch below.
  const workers = Array.from({ length: 4 }, () => new Worker(new URL(import.meta.url)))
  const replies = await Promise.all(workers.map((w) => new Promise((resolve) => w.once('message', resolve))))
  console.log("workers saw the main thread's write:", ...replies.map((r) => r.motd === 'written by the main thread'))
  console.log('workers got:', replies.map((r) => r.name).join(', '))
  console.log('loads, all workers together:', replies.reduce((sum, r) => sum + r.loads, 0))
  await Promise.all(workers.map((w) => w.terminate()))
  console.log('main thread:', await users.fetch(7, loadUser), loads === 0 ? '(a hit: no load here)' : '(loaded again)')
  console.log('entries:', users.size)
  users.close()
} else {
  // fetch is single-flight across threads: one worker loads, the others wait for its value.
  const user = await users.fetch(7, loadUser)
  parentPort.postMessage({ motd: users.get('motd'), name: user.name, loads })
}
