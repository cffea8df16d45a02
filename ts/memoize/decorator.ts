// `@cached(options)` on methods (TS 5 standard decorators and legacy
// `experimentalDecorators`): one cached function per instance, found again by
// `cacheOf(instance, method)`.

import { describe } from '../core/duration'
import { cachedLocally, IS_CACHED } from './local'
import type { CacheInfo, CachedFunction, LocalConfig } from './local-options'
import type { AnyFunction } from '../core/memo'

const FOR_INSTANCE = Symbol('moka-js.forInstance')

/**
 * What `cached(options)` returns: `@cached(options)`, a method decorator for TS 5
 * standard decorators and legacy `experimentalDecorators`; and, called with a
 * function alone, `cached(options)(fn)`, the same as `cached(fn, options)`.
 */
export interface CachedDecorator<K = unknown> {
  <This, Args extends any[], Return>(
    method: (this: This, ...args: Args) => Return,
    context: ClassMethodDecoratorContext<This, (this: This, ...args: Args) => Return>,
  ): (this: This, ...args: Args) => Return
  // Typed by the method, so that a getter or a field is a compile error here too.
  <T extends AnyFunction>(target: object, propertyKey: string | symbol, descriptor: TypedPropertyDescriptor<T>): TypedPropertyDescriptor<T>
  // `context` never given: TS matches an ES decorator to any signature with a
  // parameter, so this one must refuse the context a decorator receives.
  <F extends AnyFunction>(fn: F, context?: undefined): CachedFunction<F, K>
}

/** The decorator `cached(options)` returns, for `config`. */
export function decorator(config: LocalConfig): CachedDecorator {
  return function decorator(target: unknown, context: unknown, descriptor?: PropertyDescriptor): unknown {
    // cached(options)(fn): a function alone, no decorator context. A class
    // alone is a legacy class decorator's call, refused below.
    if (arguments.length === 1 && typeof target === 'function' && !isClass(target)) return cachedLocally(target as AnyFunction, config)
    if (isStandardContext(context)) {
      const { kind, name } = context
      if (kind !== 'method') throw notAMethod(name, kind)
      const method = decorate(target as AnyFunction, config)
      // Records which class (prototype, or class for static methods) holds the
      // method, so that cacheOf finds it under decorators that wrap it. Once
      // per class: a WeakSet lookup per instance after that.
      const registered = new WeakSet<object>()
      context.addInitializer(function (this: unknown) {
        const owner = context.static ? (this as object) : (Object.getPrototypeOf(this) as object)
        if (registered.has(owner)) return
        registered.add(owner)
        registerMethod(owner, name, method)
      })
      return method
    }
    const legacy = typeof context === 'string' || typeof context === 'symbol'
    if (legacy && target !== null && (typeof target === 'object' || typeof target === 'function')) {
      // Legacy `experimentalDecorators`: (prototype or class, name, descriptor); no descriptor for a field.
      const name = context as PropertyKey
      if (descriptor === undefined) throw notAMethod(name, 'field')
      if (typeof descriptor.value !== 'function') throw notAMethod(name, descriptor.get !== undefined ? 'getter' : descriptor.set !== undefined ? 'setter' : 'field')
      const method = decorate(descriptor.value as AnyFunction, config)
      descriptor.value = method
      registerMethod(target as object, name, method)
      return descriptor
    }
    const args = Array.from(arguments, (a: unknown) => describe(a)).join(', ') || 'nothing'
    throw new TypeError(
      `cached(options) returns a method decorator, to write @cached(options) above a method; it was called with ${args}. ` +
        'To memoize a function, call cached(fn, options) or cached(options)(fn).',
    )
  } as CachedDecorator
}

function notAMethod(name: PropertyKey, kind: string): TypeError {
  const hint = kind === 'getter' ? ': move its computation into a @cached() method and call that from the getter' : ''
  return new TypeError(`@cached() decorates methods; ${String(name)} is a ${kind}${hint}`)
}

function isClass(fn: unknown): boolean {
  return /^class\b/.test(Function.prototype.toString.call(fn))
}

function isStandardContext(value: unknown): value is ClassMethodDecoratorContext & { kind: string } {
  return typeof value === 'object' && value !== null && typeof (value as { kind?: unknown }).kind === 'string'
}

/** The method that replaces `original`: one cached function per instance, created on first call. */
function decorate(original: AnyFunction, config: LocalConfig): AnyFunction {
  const byInstance = new WeakMap<object, CachedFunction<AnyFunction>>()
  let unbound: CachedFunction<AnyFunction> | undefined
  const forInstance: ForInstance = (instance) => {
    if (instance === null || (typeof instance !== 'object' && typeof instance !== 'function')) {
      return (unbound ??= cachedLocally(original, config))
    }
    let fn = byInstance.get(instance)
    if (fn === undefined) {
      fn = cachedLocally(original, config)
      byInstance.set(instance, fn)
    }
    return fn
  }
  const method = function (this: unknown, ...args: unknown[]): unknown {
    return forInstance(this).apply(this, args)
  }
  Object.defineProperties(method, {
    name: { value: original.name, configurable: true },
    length: { value: original.length, configurable: true },
    uncached: { value: original },
    [FOR_INSTANCE]: { value: forInstance },
  })
  copyMetadata(original, method)
  return method
}

/** Carries `reflect-metadata` entries over (NestJS route and guard metadata live on the method). */
function copyMetadata(from: object, to: object): void {
  const R = Reflect as unknown as {
    getOwnMetadataKeys?: (target: object) => unknown[]
    getOwnMetadata?: (key: unknown, target: object) => unknown
    defineMetadata?: (key: unknown, value: unknown, target: object) => void
  }
  if (typeof R.getOwnMetadataKeys !== 'function' || typeof R.getOwnMetadata !== 'function' || typeof R.defineMetadata !== 'function') return
  for (const key of R.getOwnMetadataKeys(from)) R.defineMetadata(key, R.getOwnMetadata(key, from), to)
}

/** A method's per-instance cached function; a property already holding a `cached(fn)` is itself. */
export type CachedOf<F extends AnyFunction> = F extends { readonly uncached: AnyFunction; cacheInfo(): CacheInfo }
  ? F
  : CachedFunction<F>

type ForInstance = (instance: unknown) => CachedFunction<AnyFunction>

/**
 * The @cached() methods of each class, by name: keyed by the prototype (the
 * class itself for static methods) whose property holds the method, maybe
 * wrapped by other decorators.
 */
const decoratedMethods = new WeakMap<object, Map<PropertyKey, ForInstance>>()

function registerMethod(owner: object, name: PropertyKey, method: AnyFunction): void {
  let byName = decoratedMethods.get(owner)
  if (byName === undefined) decoratedMethods.set(owner, (byName = new Map()))
  byName.set(name, (method as unknown as { [FOR_INSTANCE]: ForInstance })[FOR_INSTANCE])
}

/** The @cached() method `name` of `instance`'s class or of an ancestor. */
function decoratedMethod(instance: object, name: PropertyKey): ForInstance | undefined {
  for (let o: object | null = instance; o !== null; o = Object.getPrototypeOf(o) as object | null) {
    const forInstance = decoratedMethods.get(o)?.get(name)
    if (forInstance !== undefined) return forInstance
  }
  return undefined
}

/** The name under which `instance` or one of its prototypes holds `fn`. */
function nameHolding(instance: object, fn: unknown): PropertyKey | undefined {
  for (let o: object | null = instance; o !== null; o = Object.getPrototypeOf(o) as object | null) {
    for (const key of Reflect.ownKeys(o)) {
      if (Object.getOwnPropertyDescriptor(o, key)?.value === fn) return key
    }
  }
  return undefined
}

/**
 * The cached function behind a method, for one instance: its `.cache`,
 * `.cacheInfo()`, `.cacheClear()`, `.invalidate(...args)`. `method` is the
 * method's name, or the method itself (`cacheOf(this, this.find)`, which
 * keeps its types inside the class). Works for `@cached()` methods, also
 * under other decorators that wrap them, and for properties holding a
 * `cached(fn)`.
 */
export function cacheOf<F extends AnyFunction>(instance: object, method: F): CachedOf<F>
export function cacheOf<T extends object, M extends keyof T>(instance: T, method: M): CachedOf<Extract<T[M], AnyFunction>>
/**
 * A method by a name TypeScript keeps out of `keyof` (private and protected
 * methods), typed by `F` when given: `cacheOf<(id: number) => User>(this, 'load')`.
 */
export function cacheOf<F extends AnyFunction = AnyFunction>(instance: object, method: string | symbol): CachedOf<F>
export function cacheOf(instance: object, method: unknown): unknown {
  const value: unknown = typeof method === 'function' ? method : (instance as Record<PropertyKey, unknown>)[method as PropertyKey]
  if (typeof value === 'function') {
    const fn = value as { [FOR_INSTANCE]?: ForInstance; [IS_CACHED]?: boolean }
    const forInstance = fn[FOR_INSTANCE]
    if (forInstance !== undefined) return forInstance(instance)
    if (fn[IS_CACHED] === true) return fn
  }
  // Another decorator may have wrapped the @cached() method: find it by name.
  const name = typeof method === 'function' ? nameHolding(instance, method) : (method as PropertyKey)
  const forInstance = name === undefined ? undefined : decoratedMethod(instance, name)
  if (forInstance !== undefined) return forInstance(instance)
  const shown = typeof method === 'function' ? method.name : String(method)
  throw new TypeError(`${shown} is not a @cached() method nor a cached function`)
}
