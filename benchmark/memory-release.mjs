// Does a cache's native memory go back to the OS? RSS of one process that
// fills a cache, clears it, writes a little more, then closes (disposes) it.
//
//   node --expose-gc benchmark/memory-release.mjs [--entries=1000000] [--build=DIR]
//
// SharedMoka with 200-byte string values and Moka with number values, each in
// a child process of its own. `--build=DIR` loads moka-js from another
// checkout (for instance one built with `--no-default-features`, glibc's
// malloc), to put two allocators side by side. Prints RSS in MB at each step.
import { fileURLToPath, pathToFileURL } from 'node:url'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { ROOT, option, settle } from './lib/common.mjs'
import { measureInChild } from './lib/memory.mjs'

const ENTRIES = Number(option('entries', '1000000'))
const BUILD = option('build', ROOT)
const VALUE = 'a'.repeat(200)

const rss = () => Math.round(process.memoryUsage().rss / 1048576)

async function child(kind) {
  const { Moka, SharedMoka } = await import(pathToFileURL(join(BUILD, 'index.mjs')).href)
  const shared = kind === 'SharedMoka'
  const steps = { empty: rss() }
  let cache = shared ? new SharedMoka({ name: `release-${process.pid}`, maxCapacity: ENTRIES }) : new Moka({ maxCapacity: ENTRIES })
  const value = (i) => (shared ? VALUE : i)
  for (let i = 0; i < ENTRIES; i++) cache.set(`key:${i}`, value(i))
  cache.runPendingTasks()
  steps.full = rss()
  cache.clear()
  cache.runPendingTasks()
  steps.cleared = rss()
  await sleep(50)
  for (let i = 0; i < 10_000; i++) cache.set(`again:${i % 100}`, value(i))
  steps['+10k writes'] = rss()
  if (shared) cache.close()
  else cache.dispose()
  cache = null
  settle()
  await sleep(50)
  steps.closed = rss()
  console.log(JSON.stringify(steps))
}

if (process.argv.includes('--child')) {
  await child(option('kind', null))
} else {
  console.log(`RSS in MB, ${ENTRIES.toLocaleString('en-US')} entries, moka-js from ${BUILD}`)
  for (const kind of ['SharedMoka', 'Moka']) {
    const steps = measureInChild(fileURLToPath(import.meta.url), ['--child', `--kind=${kind}`, ...process.argv.slice(2)], 4096)
    if (steps.error) throw new Error(`${kind}: child failed: ${steps.error}`)
    console.log(`${kind.padEnd(10)} ${Object.entries(steps).map(([k, v]) => `${k} ${v}`).join(' | ')}`)
  }
}
