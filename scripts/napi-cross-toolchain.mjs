#!/usr/bin/env node
// Puts napi-rs's glibc 2.17 gcc toolchain for a Linux target where
// `napi build --use-napi-cross` looks for it:
//   ~/.napi-rs/cross-toolchain/<@napi-rs/cross-toolchain version>/<triple>
//
// `napi build --use-napi-cross` does this itself, but only with the toolchain
// package at exactly the version of its @napi-rs/cross-toolchain dependency,
// decompressed by @napi-rs/lzma (whose binary npm installs on Node 22.20+ only).
// This script takes that version from the npm registry, or the newest one of
// the same major when that version is missing, and unpacks it with tar and xz
// (or Python's lzma module). When the directory is there, it does nothing.
//
//   node scripts/napi-cross-toolchain.mjs x86_64-unknown-linux-gnu

import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { homedir, tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..')

// Target triple -> the name @napi-rs/cross-toolchain gives its package and archive.
const TOOLCHAINS = {
  'x86_64-unknown-linux-gnu': { arch: 'x86_64', archive: 'x86_64-unknown-linux-gnu' },
  'aarch64-unknown-linux-gnu': { arch: 'aarch64', archive: 'aarch64-unknown-linux-gnu' },
  'armv7-unknown-linux-gnueabihf': { arch: 'armv7', archive: 'armv7-unknown-linux-gnueabihf' },
  'powerpc64le-unknown-linux-gnu': { arch: 'ppc64le', archive: 'powerpc64le-unknown-linux-gnu' },
  's390x-unknown-linux-gnu': { arch: 's390x', archive: 's390x-ibm-linux-gnu' },
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...options })
  if (result.error) throw new Error(`${command}: ${result.error.message}`)
  return result
}

function mustRun(command, args, options) {
  const result = run(command, args, options)
  if (result.status !== 0) {
    throw new Error(`\`${command} ${args.join(' ')}\` exited with ${result.status}\n${`${result.stdout}${result.stderr}`.trim()}`)
  }
  return result
}

export function crossToolchainDir(triple) {
  const cliRequire = createRequire(join(repo, 'node_modules', '@napi-rs', 'cli', 'package.json'))
  const { version } = cliRequire('@napi-rs/cross-toolchain/package.json')
  return { version, dir: join(homedir(), '.napi-rs', 'cross-toolchain', version, triple) }
}

/** Returns a sentence saying what it did. */
export function ensureCrossToolchain(triple, env = process.env) {
  const toolchain = TOOLCHAINS[triple]
  if (!toolchain) throw new Error(`no napi-rs cross toolchain for ${triple}`)
  if (process.platform !== 'linux' || !['x64', 'arm64'].includes(process.arch)) {
    throw new Error(`napi-rs cross toolchains run on Linux x64 and arm64 hosts, not ${process.platform}-${process.arch}`)
  }
  const { version, dir } = crossToolchainDir(triple)
  if (existsSync(join(dir, 'package.json'))) return `already in ${dir}`

  const name = `@napi-rs/cross-toolchain-${process.arch}-target-${toolchain.arch}`
  const download = mkdtempSync(join(tmpdir(), 'napi-cross-toolchain-'))
  const partial = `${dir}.partial-${process.pid}`
  try {
    let spec = `${name}@${version}`
    let packed = run('npm', ['pack', spec, '--json'], { cwd: download, env })
    if (packed.status !== 0) {
      spec = `${name}@^${version.split('.')[0]}`
      packed = mustRun('npm', ['pack', spec, '--json'], { cwd: download, env })
    }
    const [{ filename, version: got }] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('[')))
    mustRun('tar', ['-xzf', filename], { cwd: download })
    const archive = join(download, 'package', `${toolchain.archive}.tar.xz`)
    rmSync(partial, { recursive: true, force: true })
    mkdirSync(partial, { recursive: true })
    if (run('sh', ['-c', 'command -v xz']).status === 0) {
      mustRun('tar', ['-xJf', archive, '-C', partial])
    } else {
      const tar = join(download, 'toolchain.tar')
      const python = 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))'
      mustRun('python3', ['-c', python, archive, tar])
      mustRun('tar', ['-xf', tar, '-C', partial])
    }
    if (!existsSync(join(partial, 'bin', `${toolchain.archive}-gcc`))) {
      throw new Error(`${name}@${got} has no bin/${toolchain.archive}-gcc`)
    }
    rmSync(dir, { recursive: true, force: true })
    renameSync(partial, dir)
    return `${name}@${got} from the registry into ${dir}`
  } finally {
    rmSync(download, { recursive: true, force: true })
    rmSync(partial, { recursive: true, force: true })
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const triples = process.argv.slice(2)
  if (triples.length === 0) {
    console.error('usage: node scripts/napi-cross-toolchain.mjs <target triple>...')
    process.exit(2)
  }
  for (const triple of triples) console.log(ensureCrossToolchain(triple))
}
