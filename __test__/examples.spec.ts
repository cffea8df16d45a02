// Every file in examples/, run as a user would run it: `node examples/<file>`
// from the package's root, in a process of its own. It must exit 0, write
// nothing to stderr, and print what the comment at its top states, e.g.
//
//     // Prints:
//     //   same object back: true
//     //   stats: { hits: 9, … }
//
// one stdout line per comment line (after `//   `), in order; `…` stands for
// anything, and runs of whitespace count as one space (_docs.ts's rule).
//
// tiered.mjs needs Redis: a server is started for it on a free port and given
// as REDIS_URL. Without redis-server on PATH it is skipped, saying why, unless
// MOKA_REQUIRE_REDIS=1 (as CI sets it), which makes that a failure.

import { execFile } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'

import test from 'ava'

import { NO_REDIS_FAIL, NO_REDIS_SKIP, needsRedis, printedAsStated, redisPolicy, TIERED_SUBPATH } from './_docs'
import { PACKAGE } from './_helpers'
import { RedisServer } from './_redis'

const EXAMPLES = join(PACKAGE, 'examples')
const files = readdirSync(EXAMPLES)
  .filter((f) => /\.(mjs|cjs|js)$/.test(f))
  .sort()

/** The lines an example states it prints: the `//   ` lines under `// Prints:`; undefined without such a comment. */
function statedPrints(source: string): string[] | undefined {
  const lines = source.split('\n')
  const start = lines.findIndex((line) => /^\/\/ Prints:\s*$/.test(line))
  if (start === -1) return undefined
  const stated: string[] = []
  for (let i = start + 1; i < lines.length && lines[i].startsWith('//   '); i++) stated.push(lines[i].slice('//   '.length))
  return stated
}

const sources = new Map(files.map((f) => [f, readFileSync(join(EXAMPLES, f), 'utf8')]))
const redisFiles = files.filter((f) => needsRedis(sources.get(f)!))
const policy = redisFiles.length > 0 ? redisPolicy() : 'run'

let redis: RedisServer | undefined
if (redisFiles.length > 0 && policy === 'run') {
  test.before(async () => {
    redis = await RedisServer.start()
  })
  test.after.always(() => redis?.stop())
}

const run = promisify(execFile)

test('examples/ has the examples the README names, each stating its output', (t) => {
  for (const name of ['basic.mjs', 'memoize.mjs', 'shared-workers.mjs', 'tiered.mjs']) t.true(files.includes(name), `examples/${name}`)
  for (const [file, source] of sources) {
    const stated = statedPrints(source)
    t.true(stated !== undefined && stated.length > 0, `examples/${file} has no "// Prints:" comment with the lines it prints`)
  }
})

test('npm run example runs examples/basic.mjs', (t) => {
  const manifest = JSON.parse(readFileSync(join(PACKAGE, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
  t.regex(manifest.scripts.example, /node examples\/basic\.mjs$/)
})

// Serial: some examples state what expiry did after sleeping, and share the machine with nothing else then.
for (const file of files) {
  const source = sources.get(file)!
  const title = `examples/${file}`
  const redisNeeded = needsRedis(source)
  if (redisNeeded && policy === 'skip') {
    test.skip(`${title} — ${NO_REDIS_SKIP}`, () => {})
    continue
  }
  test.serial(title, async (t) => {
    if (redisNeeded && policy === 'fail') throw new Error(`${title}: ${NO_REDIS_FAIL}`)
    const stated = statedPrints(source) ?? []
    // The hook maps 'moka-js/tiered' to 'moka-js' until package.json exports the subpath.
    const { stdout, stderr } = await run(process.execPath, ['--import', TIERED_SUBPATH, join('examples', file)], {
      cwd: PACKAGE,
      env: { ...process.env, ...(redis ? { REDIS_URL: redis.url } : {}) },
      timeout: 60_000,
    }).catch((error: { stdout?: string; stderr?: string; message: string }) => {
      throw new Error(`${title} failed\n${error.stderr ?? error.message}\n${error.stdout ?? ''}`)
    })
    t.log(stdout.trimEnd())
    t.is(stderr, '', 'nothing on stderr')
    const printed = stdout.trimEnd().split('\n')
    t.is(printed.length, stated.length, `${title} printed ${printed.length} lines; its comment states ${stated.length}`)
    stated.forEach((expected, i) => {
      t.true(printedAsStated(expected, printed[i] ?? ''), `${title}, line ${i + 1} printed ${JSON.stringify(printed[i])}; its comment says ${JSON.stringify(expected)}`)
    })
  })
}

test('examples checks: stated prints', (t) => {
  t.deepEqual(statedPrints('// A.\n//\n// Prints:\n//   one\n//   two: 2\n//\nimport x'), ['one', 'two: 2'])
  t.is(statedPrints('// nothing stated\n'), undefined)
})
