#!/usr/bin/env node
// `npm run build:fast`: compiles the accelerator (fast/accelerator.cc, see
// ts/core/fast.ts) once per supported Node major, against that major's own
// headers (include/node of the release npm carries, scripts/node-releases.mjs),
// into moka-js-fast.abi<NODE_MODULE_VERSION>.node at the repository root.
//
// The accelerator is optional: without a build for the running Node, moka-js
// uses Node-API only. So this skips, saying why, on platforms without one
// (other than Linux x64 and arm64 with glibc) or without a C++ compiler ($CXX,
// g++ or clang++). A build newer than its sources is kept.
//
// Usage: node scripts/build-fast.mjs [major...]   (default: the supported majors)

import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, renameSync, statSync } from 'node:fs'
import { join } from 'node:path'

import { nodeRelease, repo, run } from './node-releases.mjs'

/** The majors whose V8 declarations (fast/v8-fast-call.h) were checked: Node 20, 22, 24. */
export const SUPPORTED = ['20', '22', '24']
const SOURCES = ['fast/accelerator.cc', 'fast/v8-fast-call.h'].map((f) => join(repo, f))

function compiler() {
  for (const cxx of [process.env.CXX, 'g++', 'clang++'].filter(Boolean)) {
    if (spawnSync(cxx, ['--version'], { stdio: 'ignore' }).status === 0) return cxx
  }
  return null
}

/** NODE_MODULE_VERSION of the headers in `include`. */
function moduleVersion(include) {
  const m = /#define NODE_MODULE_VERSION (\d+)/.exec(readFileSync(join(include, 'node_version.h'), 'utf8'))
  if (!m) throw new Error(`no NODE_MODULE_VERSION in ${include}/node_version.h`)
  return m[1]
}

export function acceleratorFile(modules) {
  return join(repo, `moka-js-fast.abi${modules}.node`)
}

/** Builds the accelerator for `majors` unless up to date; skips, saying why, where there is none. */
export function buildFast(majors = SUPPORTED) {
  const glibc = process.platform === 'linux' && Boolean(process.report.getReport().header.glibcVersionRuntime)
  if (!glibc || !['x64', 'arm64'].includes(process.arch)) {
    console.log(`build:fast: skipped, no accelerator for ${process.platform}-${process.arch}${process.platform === 'linux' && !glibc ? ' without glibc' : ''} (Node-API only)`)
    return
  }
  const cxx = compiler()
  if (cxx === null) {
    console.log('build:fast: skipped, no C++ compiler found ($CXX, g++, clang++): Node-API only')
    return
  }
  const newest = Math.max(...SOURCES.map((f) => statSync(f).mtimeMs))
  for (const major of majors) {
    if (!SUPPORTED.includes(major)) throw new Error(`build:fast: Node ${major} is not supported (${SUPPORTED.join(', ')})`)
    const include = join(nodeRelease(major), 'include', 'node')
    const out = acceleratorFile(moduleVersion(include))
    if (existsSync(out) && statSync(out).mtimeMs > newest) {
      console.log(`build:fast: Node ${major}: ${out} is up to date`)
      continue
    }
    const partial = `${out}.partial`
    run(cxx, [
      '-std=c++20',
      '-O2',
      '-fPIC',
      '-shared',
      '-fvisibility=hidden',
      // No C++ runtime: nothing here throws, and nothing needs libstdc++, so
      // the build loads wherever Node's glibc does.
      '-fno-exceptions',
      '-fno-rtti',
      '-fno-threadsafe-statics',
      '-Wl,--as-needed',
      '-Wall',
      '-Wextra',
      '-Werror',
      '-Wno-unused-parameter',
      // node.h's NODE_MODULE_INIT casts between function types itself.
      '-Wno-cast-function-type',
      `-I${include}`,
      '-o',
      partial,
      SOURCES[0],
    ])
    renameSync(partial, out)
    console.log(`build:fast: Node ${major}: built ${out} with ${cxx}`)
  }
}

if (import.meta.url === `file://${process.argv[1]}`) buildFast(process.argv.slice(2).length > 0 ? process.argv.slice(2) : SUPPORTED)
