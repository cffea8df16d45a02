import { isMainThread, parentPort, Worker } from 'node:worker_threads'
import { SharedMoka } from 'moka-js'

// Every thread that opens 'users' with these options gets the same native cache.
const users = new SharedMoka({ name: 'users', maxCapacity: 10_000, ttl: '10m' })

let loads = 0
async function loadUser(id) {
  loads++
  await new Promise((resolve) => setTimeout(resolve, 50)) // a slow backend
  return { id, name: `user ${id}` }
}

if (isMainThread) {
  users.set('motd', 'written by the main thread')
  const workers = [1, 2, 3].map(() => new Worker(new URL(import.meta.url)))
  const replies = await Promise.all(workers.map((w) => new Promise((resolve) => w.once('message', resolve))))
  console.log(replies.map((r) => `${r.motd} / ${r.user.name}`))
  console.log('loads in workers:', replies.reduce((sum, r) => sum + r.loads, 0)) // 1: one worker loaded, two waited
  console.log(await users.fetch(7, loadUser), 'loads in main:', loads) // a hit: { id: 7, name: 'user 7' } loads in main: 0
} else {
  const user = await users.fetch(7, loadUser) // single-flight across threads
  parentPort.postMessage({ motd: users.get('motd'), user, loads })
}
