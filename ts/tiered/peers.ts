// `moka-js/tiered` runs on ioredis and cockatiel, optional peer dependencies
// of moka-js: users of the core alone do not install them. Checked before
// anything loads them, so that a missing one is named with the command that
// installs it rather than surfacing as a bare MODULE_NOT_FOUND.

/** What `moka-js/tiered` loads besides moka-js. */
export const PEERS = ['ioredis', 'cockatiel'] as const

function installed(name: string): boolean {
  try {
    require.resolve(name)
    return true
  } catch {
    return false
  }
}

const missing = PEERS.filter((name) => !installed(name))
if (missing.length > 0) {
  const error = new Error(
    `moka-js/tiered needs ${missing.join(' and ')} (optional peer ${missing.length === 1 ? 'dependency' : 'dependencies'} of moka-js, not installed): ` +
      `npm install ${missing.join(' ')}`,
  )
  Object.assign(error, { code: 'ERR_MOKA_JS_MISSING_PEER', missing })
  throw error
}
