import path from 'node:path'

import test, { ExecutionContext } from 'ava'
import ts from 'typescript'

import { cached, cacheOf } from '../index.js'
import { sleep } from './_helpers'
import { compileAndLoad, LEGACY, STANDARD, typeErrors } from './_tsc'
// Compiled by tsx with the project's tsconfig: TS 5 standard decorators.
import * as standard from './fixtures/decorated'

/** Whether the object behind `ref` is collected within a few seconds of full collections. */
async function collected(ref: WeakRef<object>): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    // A WeakRef keeps its target for the rest of the job that created or read it.
    await sleep(i < 10 ? 1 : 20)
    globalThis.gc!()
    if (ref.deref() === undefined) return true
  }
  return false
}

const FIXTURE = path.join(__dirname, 'fixtures', 'decorated.ts')
const load = (options: ts.CompilerOptions) => compileAndLoad<typeof standard>(FIXTURE, options)

const legacy = load(LEGACY)
const tscStandard = load(STANDARD)

const MODES: [string, typeof standard][] = [
  ['standard decorators (esbuild via tsx)', standard],
  ['standard decorators (tsc emit)', tscStandard.exports],
  ['legacy experimentalDecorators (tsc emit)', legacy.exports],
]

test('the fixture is compiled in each mode as intended', (t) => {
  t.regex(legacy.js, /__decorate\(/)
  t.regex(legacy.js, /design:paramtypes/)
  t.notRegex(tscStandard.js, /__decorate\(/)
  t.regex(tscStandard.js, /__esDecorate\(/)
})

for (const [mode, options] of [
  ['standard', STANDARD],
  ['legacy', LEGACY],
] as const) {
  test(`the decorated fixture type-checks with ${mode} decorators`, (t) => {
    t.deepEqual(typeErrors(FIXTURE, options), [])
  })
}

async function behaves(t: ExecutionContext, mod: typeof standard): Promise<void> {
  const repo = new mod.UserRepository()
  const a = new mod.UserService(repo)
  const b = new mod.UserService(repo)

  // Async method: single-flight per instance, one result per instance.
  const [u1, u2, u3] = await Promise.all([a.findUser(1), a.findUser(1), a.findUser(1)])
  t.deepEqual(u1, { id: 1, name: 'ann' })
  t.is(u1, u2)
  t.is(u2, u3)
  t.is(repo.reads, 1)
  t.is(await a.findUser(1), u1)
  t.is(repo.reads, 1)
  const fromB = await b.findUser(1)
  t.not(fromB, u1, 'an instance never sees another instance’s results')
  t.is(repo.reads, 2)

  // Sync method with several arguments.
  t.is(a.label('x', 1), 'x:1')
  t.is(a.label('x', 1), 'x:1')
  t.is(a.label('x', 2), 'x:2')
  t.is(a.labels, 2)
  b.label('x', 1)
  t.is(b.labels, 1)

  // Per-instance control through cacheOf.
  const info = cacheOf(a, 'findUser').cacheInfo()
  t.like(info, { hits: 1, misses: 3, coalesced: 2, size: 1 })
  t.is(cacheOf(a, 'findUser').cache.get(1), u1)
  t.is(cacheOf(a, a.findUser), cacheOf(a, 'findUser'))
  t.not(cacheOf(a, 'findUser'), cacheOf(b, 'findUser'))

  // A method that invalidates its own cache entry (a NestJS-style update).
  const renamed = await a.rename(1, 'anna')
  t.deepEqual(renamed, { id: 1, name: 'anna' })
  t.is(await b.findUser(1), fromB, 'other instances keep their own entry')

  // Rejections are not cached.
  const error = await a.findUser(99).catch((e: Error) => e)
  t.is((error as Error).message, 'no user 99')
  repo.names.set(99, 'zed')
  t.deepEqual(await a.findUser(99), { id: 99, name: 'zed' })

  // Static methods cache per class.
  const k1 = mod.UserService.build('k')
  t.is(mod.UserService.build('k'), k1)
  t.is(mod.UserService.built, 1)
  t.is(cacheOf(mod.UserService, 'build').cacheInfo().hits, 1)
}

function wrappedAndPrivate(t: ExecutionContext, mod: typeof standard): void {
  const catalog = new mod.CatalogService()
  const tracesBefore = mod.traces.length
  t.is(catalog.find(1), 'item 1')
  t.is(catalog.find(1), 'item 1')
  t.is(catalog.loads, 1, 'cached under the tracing wrapper')
  t.is(mod.traces.length - tracesBefore, 2, 'the wrapper outside runs on every call')
  // cacheOf looks through the wrapper, by name and by method.
  t.is(cacheOf(catalog, 'find').cacheInfo().hits, 1)
  t.is(cacheOf(catalog, catalog.find), cacheOf(catalog, 'find'))
  // The other order: the cache outside, tracing only on loads.
  const other = new mod.CatalogService()
  const tracesBeforeLookup = mod.traces.length
  t.is(other.lookup(5), 'lookup 5')
  t.is(other.lookup(5), 'lookup 5')
  t.is(other.loads, 1)
  t.is(mod.traces.length - tracesBeforeLookup, 1, 'a hit returns before the wrapper inside runs')
  t.is(cacheOf(other, 'lookup').cacheInfo().hits, 1)
  t.true(cacheOf(other, other.lookup).invalidate(5))
  t.is(catalog.priceOf(2), 20)
  t.is(catalog.priceOf(2), 20)
  t.is(catalog.stockOf(3), 3)
  t.is(catalog.loads, 3)
  t.is(catalog.priceCapacity(), 7)
  t.deepEqual(catalog.refresh(1), [true, false, false])
  t.deepEqual(catalog.refresh(2), [false, true, false])
  t.deepEqual(catalog.refresh(3), [false, false, true])
  catalog.find(1)
  catalog.priceOf(2)
  catalog.stockOf(3)
  t.is(catalog.loads, 6, 'each invalidated entry was loaded again')
  t.not(cacheOf(new mod.CatalogService(), 'find'), cacheOf(catalog, 'find'), 'still one cache per instance')
  // A static method under a wrapper: one cache per class.
  const v = mod.CatalogService.version()
  t.is(mod.CatalogService.version(), v)
  t.is(cacheOf(mod.CatalogService, 'version').cacheInfo().hits, 1)
}

for (const [mode, mod] of MODES) {
  test(`per-instance caching works with ${mode}`, async (t) => {
    await behaves(t, mod)
  })

  test(`cacheOf finds methods under wrapping decorators, and private ones, with ${mode}`, (t) => {
    wrappedAndPrivate(t, mod)
  })

  test(`@cached() on a getter is a TypeError when the class is defined, with ${mode}`, (t) => {
    t.throws(() => mod.defineCachedGetter(), { instanceOf: TypeError, message: '@cached() decorates methods; total is a getter: move its computation into a @cached() method and call that from the getter' })
  })

  test(`instances stay garbage-collectable with ${mode}`, async (t) => {
    const ref = (() => {
      const service = new mod.UserService(new mod.UserRepository())
      service.label('a', 1)
      return new WeakRef(service)
    })()
    t.true(await collected(ref))
  })
}

test('legacy decorator signature called by hand: (target, key, descriptor)', (t) => {
  class Plain {
    calls = 0
    twice(x: number): number {
      this.calls++
      return x * 2
    }
  }
  const descriptor = Object.getOwnPropertyDescriptor(Plain.prototype, 'twice')!
  const decorator = cached({ maxCapacity: 10 }) as unknown as (t: object, k: string, d: PropertyDescriptor) => PropertyDescriptor
  const result = decorator(Plain.prototype, 'twice', descriptor)
  t.is(result, descriptor)
  Object.defineProperty(Plain.prototype, 'twice', result)
  const p = new Plain()
  t.is(p.twice(2), 4)
  t.is(p.twice(2), 4)
  t.is(p.calls, 1)
  t.is(Plain.prototype.twice.name, 'twice')
  t.is(cacheOf(p, 'twice').cacheInfo().maxCapacity, 10)
})

test('legacy decoration keeps reflect-metadata set on the original method', (t) => {
  // A minimal stand-in for the reflect-metadata polyfill NestJS loads.
  const store = new WeakMap<object, Map<unknown, unknown>>()
  const R = Reflect as unknown as Record<string, unknown>
  const saved = { ...R }
  Object.assign(R, {
    defineMetadata: (k: unknown, v: unknown, target: object) => {
      if (!store.has(target)) store.set(target, new Map())
      store.get(target)!.set(k, v)
    },
    getOwnMetadata: (k: unknown, target: object) => store.get(target)?.get(k),
    getOwnMetadataKeys: (target: object) => [...(store.get(target)?.keys() ?? [])],
  })
  try {
    class Controller {
      list(): string[] {
        return ['a']
      }
    }
    const original = Controller.prototype.list
    ;(R.defineMetadata as (k: unknown, v: unknown, t: object) => void)('path', '/items', original)
    const descriptor = Object.getOwnPropertyDescriptor(Controller.prototype, 'list')!
    ;(cached() as unknown as (t: object, k: string, d: PropertyDescriptor) => void)(Controller.prototype, 'list', descriptor)
    t.not(descriptor.value, original)
    t.is((R.getOwnMetadata as (k: unknown, t: object) => unknown)('path', descriptor.value), '/items')
  } finally {
    for (const key of ['defineMetadata', 'getOwnMetadata', 'getOwnMetadataKeys']) {
      if (key in saved) R[key] = saved[key]
      else delete R[key]
    }
  }
})

test('decorating anything but a method throws a TypeError', (t) => {
  const decorator = cached() as unknown as (...args: unknown[]) => unknown
  t.throws(() => decorator(undefined, { kind: 'field', name: 'x' }), { instanceOf: TypeError, message: /methods/ })
  t.throws(() => decorator({}, 'x', { get: () => 1 }), { instanceOf: TypeError, message: '@cached() decorates methods; x is a getter: move its computation into a @cached() method and call that from the getter' })
  t.throws(() => decorator({}, 'y'), { instanceOf: TypeError, message: '@cached() decorates methods; y is a field' })
  t.throws(() => decorator({}, 'z', { set: () => {} }), { instanceOf: TypeError, message: '@cached() decorates methods; z is a setter' })
})

test('a method called without an instance still works, through one shared cache', (t) => {
  class Tools {
    @cached()
    static double(x: number): number {
      return x * 2
    }
    @cached()
    triple(x: number): number {
      return x * 3
    }
  }
  const { triple } = new Tools()
  t.is(triple(2), 6)
  t.is(triple.call(undefined, 2), 6)
  t.is(Tools.double(2), 4)
})

test('an ES private method (#name) is cached, and cacheOf finds it (standard decorators)', (t) => {
  class Prices {
    loads = 0
    @cached()
    #price(id: number): number {
      this.loads++
      return id * 10
    }
    price(id: number): number {
      return this.#price(id)
    }
    forget(id: number): boolean {
      return cacheOf(this, this.#price).invalidate(id)
    }
  }
  const prices = new Prices()
  t.is(prices.price(2), 20)
  t.is(prices.price(2), 20)
  t.is(prices.loads, 1)
  t.true(prices.forget(2))
  t.is(prices.price(2), 20)
  t.is(prices.loads, 2)
})

test('a subclass instance has its own cache; super calls share it', (t) => {
  let calls = 0
  class Base {
    @cached()
    value(x: number): string {
      calls++
      return `base ${x}`
    }
  }
  class Derived extends Base {
    override value(x: number): string {
      return `derived ${super.value(x)}`
    }
  }
  const base = new Base()
  const derived = new Derived()
  t.is(base.value(1), 'base 1')
  t.is(derived.value(1), 'derived base 1')
  t.is(derived.value(1), 'derived base 1')
  t.is(calls, 2)
})

test('cacheOf rejects what is not cached', (t) => {
  const plain = { f: () => 1, g: cached(() => 2) }
  t.throws(() => cacheOf(plain, 'f'), { instanceOf: TypeError, message: /not a @cached\(\) method/ })
  t.is(cacheOf(plain, 'g'), plain.g)
})

test('decorator options are checked when the class is defined', (t) => {
  t.throws(() => cached({ refreshAfter: -5 }), { instanceOf: RangeError, message: /refreshAfter/ })
  t.throws(() => cached({ kee: () => 1 } as never), { instanceOf: TypeError, message: /"key"/ })
})
