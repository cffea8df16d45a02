// The rooms of ts/ and the direction of their imports (run by `npm run lint`).
//
// Each folder of ts/ is one subsystem; a file may import its own room and the
// rooms below it, never a room beside or above. ts/index.ts (the package's
// front) sits on top, and no two files import each other, even for types. The rule is a few lines over the import specifiers that
// `tsc` already resolves; a dependency-graph tool would be a larger dependency
// than the rule.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', 'ts')

/** What each room may import besides itself. */
export const BELOW = {
  core: [],
  codec: ['core'],
  shared: ['core', 'codec'],
  tiered: ['core', 'codec'],
  memoize: ['core'],
  keyv: ['core', 'shared'],
  otel: ['core', 'shared'],
  '.': ['core', 'codec', 'shared', 'tiered', 'memoize', 'keyv', 'otel'],
}

function* sources(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) yield* sources(path)
    else if (entry.name.endsWith('.ts')) yield path
  }
}

const roomOf = (path) => {
  const parts = relative(root, path).split(sep)
  return parts.length === 1 ? '.' : parts[0]
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*'(\.{1,2}\/[^']+)'/g

/** Where `specifier`, imported by `file`, resolves to within ts/ (or undefined outside it). */
function resolve(file, specifier) {
  const target = join(dirname(file), specifier)
  if (relative(root, target).startsWith('..')) return undefined // ../loader.js and the like
  return existsSync(`${target}.ts`) ? `${target}.ts` : join(target, 'index.ts')
}

/** The import cycles among ts/ files, each as its list of files. */
function cycles(graph) {
  const found = []
  const state = new Map() // file -> 'open' while on the path, 'done' after
  const visit = (file, path) => {
    state.set(file, 'open')
    path.push(file)
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === 'open') found.push([...path.slice(path.indexOf(next)), next])
      else if (!state.has(next)) visit(next, path)
    }
    path.pop()
    state.set(file, 'done')
  }
  for (const file of graph.keys()) if (!state.has(file)) visit(file, [])
  return found
}

export function violations() {
  const found = []
  const graph = new Map()
  for (const file of sources(root)) {
    const targets = []
    graph.set(file, targets)
    const room = roomOf(file)
    const allowed = BELOW[room]
    if (allowed === undefined) {
      found.push(`${relative(root, file)}: room ${room} has no place in the layers of scripts/check-layers.mjs`)
      continue
    }
    for (const [, specifier] of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      const target = resolve(file, specifier)
      if (target === undefined) continue
      targets.push(target)
      const to = roomOf(target)
      if (to !== room && !allowed.includes(to)) found.push(`${relative(root, file)} imports ${specifier}: ${room} may import ${allowed.join(', ') || 'nothing else'}`)
    }
  }
  for (const cycle of cycles(graph)) found.push(`import cycle: ${cycle.map((file) => relative(root, file)).join(' -> ')}`)
  return found
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const found = violations()
  for (const line of found) console.error(line)
  if (found.length > 0) process.exit(1)
  console.log('ts/ imports follow the layers (core < codec < shared, tiered < memoize < keyv, otel < index), with no cycle')
}
