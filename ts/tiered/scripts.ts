// The Lua scripts of the second tier. Each runs atomically in Redis and in one
// round trip: a write and its invalidation message are one step, so no other
// instance can see the message before the data. Keys arrive as KEYS/ARGV and
// are never spliced into the script text or into a pattern. The message goes
// out with the command the caller names, PUBLISH or SPUBLISH: on a cluster
// the channel shares the hash tag, so the slot, of the keys a script touches.

import { createHash } from 'node:crypto'

import type { Client } from './connection'

type Arg = string | Buffer | number

/** ioredis's Buffer-reply variants of EVAL/EVALSHA (present at run time, absent from its typings). */
interface BufferScripting {
  evalshaBuffer(sha: string, keyCount: number, ...args: Arg[]): Promise<unknown>
  evalBuffer(lua: string, keyCount: number, ...args: Arg[]): Promise<unknown>
}

export class Script {
  readonly #lua: string
  readonly #sha: string

  constructor(lua: string) {
    this.#lua = lua
    this.#sha = createHash('sha1').update(lua).digest('hex')
  }

  /** Runs by hash, and sends the text once when the server does not have it yet (new or restarted server). */
  async run(client: Client, keys: readonly Arg[], args: readonly Arg[]): Promise<unknown> {
    const scripting = client as unknown as BufferScripting
    try {
      return await scripting.evalshaBuffer(this.#sha, keys.length, ...keys, ...args)
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error
      return scripting.evalBuffer(this.#lua, keys.length, ...keys, ...args)
    }
  }
}

/**
 * KEYS[1] data key. ARGV[1] largest payload to return.
 * Returns nil when absent, else { payload, pttl, length }: the payload is
 * empty when the key holds another type (length -1) or more than ARGV[1]
 * bytes, so an oversized value never crosses the wire.
 */
export const GET = new Script(`
local kind = redis.call('TYPE', KEYS[1])['ok']
if kind == 'none' then return false end
local ttl = redis.call('PTTL', KEYS[1])
if kind ~= 'string' then return { '', ttl, -1 } end
local length = redis.call('STRLEN', KEYS[1])
if length > tonumber(ARGV[1]) then return { '', ttl, length } end
return { redis.call('GET', KEYS[1]), ttl, length }
`)

/**
 * KEYS[1] data key, KEYS[2..] tag sets. ARGV[1] payload, ARGV[2] ttl in ms
 * (0: none), ARGV[3] publishing command, ARGV[4] channel, ARGV[5] message. A
 * tag set lives as long as its longest-lived member.
 */
export const SET = new Script(`
local ttl = tonumber(ARGV[2])
if ttl > 0 then redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl) else redis.call('SET', KEYS[1], ARGV[1]) end
for i = 2, #KEYS do
  local existed = redis.call('EXISTS', KEYS[i]) == 1
  local current = redis.call('PTTL', KEYS[i])
  redis.call('SADD', KEYS[i], KEYS[1])
  if ttl == 0 then
    if current >= 0 then redis.call('PERSIST', KEYS[i]) end
  elseif not existed or (current >= 0 and current < ttl) then
    redis.call('PEXPIRE', KEYS[i], ttl)
  end
end
redis.call(ARGV[3], ARGV[4], ARGV[5])
return 1
`)

/** KEYS data keys. ARGV[1] publishing command, ARGV[2] channel, ARGV[3] message. Returns how many of the keys existed. */
export const DELETE = new Script(`
local removed = redis.call('UNLINK', unpack(KEYS))
redis.call(ARGV[1], ARGV[2], ARGV[3])
return removed
`)

/**
 * KEYS[1] tag set. ARGV[1] batch size, ARGV[2] data key prefix. Pops up to a
 * batch of members and unlinks those inside our namespace (a shared server
 * could have put anything in the set). Returns the number popped.
 */
export const DRAIN_TAG = new Script(`
local members = redis.call('SPOP', KEYS[1], tonumber(ARGV[1]))
local prefix = ARGV[2]
for _, member in ipairs(members) do
  if string.sub(member, 1, #prefix) == prefix then redis.call('UNLINK', member) end
end
return #members
`)

/** KEYS[1] lock. ARGV[1] owner token, ARGV[2] ttl ms. Extends the lock if still ours. */
export const EXTEND_LOCK = new Script(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`)

/** KEYS[1] lock. ARGV[1] owner token, ARGV[2] publishing command, ARGV[3] channel, ARGV[4] message. Releases the lock if still ours and tells the waiters. */
export const RELEASE_LOCK = new Script(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call(ARGV[2], ARGV[3], ARGV[4])
  return 1
end
return 0
`)
