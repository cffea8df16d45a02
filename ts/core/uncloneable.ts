// Makes structuredClone, postMessage and v8.serialize refuse a `Moka` instead
// of sending `{}`. V8's serializer copies own enumerable properties only, and
// a Moka keeps everything in private fields and in a native cache that belongs
// to its thread, so a clone would arrive empty without a word. The serializer
// reads each own enumerable property, so one whose getter throws stops it
// with this error. `toJSON` and `util.inspect` do not reach it.

/** The own property that carries the refusal (its name says it is internal). */
export const CLONE_GUARD = '[[NativeCache]]'

const MOKA =
  'a Moka cannot be cloned, serialized or sent to another thread (structuredClone, postMessage, v8.serialize): ' +
  'its entries live in a native cache that belongs to this thread. Send the entries ([...cache]) instead, ' +
  'or give each thread its own cache.'

/** Messages of targets that do not say what a `Moka` says. */
const messages = new WeakMap<object, string>()

/**
 * The guard's getter: one function for every instance, so that every guarded
 * `Moka` keeps one hidden class (a getter per instance gave each its own, and
 * made the call sites of several caches polymorphic).
 */
function refuse(this: object): never {
  throw new DOMException(messages.get(this) ?? MOKA, 'DataCloneError')
}

/** Makes cloning `target` throw a `DataCloneError` with `message` (by default, what a `Moka` says). */
export function refuseCloning(target: object, message?: string): void {
  if (message !== undefined) messages.set(target, message)
  Object.defineProperty(target, CLONE_GUARD, { get: refuse, enumerable: true, configurable: false })
}
