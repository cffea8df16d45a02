// Observables (rxjs, which NestJS's HttpService returns) are lazy: each
// subscription runs the request again. Memoizing one stores the recipe, not
// the data, so every "hit" still calls the backend while the counters say it
// did not. `cached` refuses them rather than pretend.
//
// Detected by shape, as rxjs's own `isObservable` does (`lift` + `subscribe`),
// or by the interop symbol other libraries use; moka-js does not depend on rxjs.

export function isObservable(value: unknown): boolean {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return false
  const o = value as Record<PropertyKey, unknown>
  if (typeof o.subscribe !== 'function') return false
  if (typeof o.lift === 'function' || typeof o.pipe === 'function' || typeof o['@@observable'] === 'function') return true
  // Read when needed: a polyfill may define Symbol.observable after this module loaded.
  const interop = (Symbol as { observable?: unknown }).observable
  return typeof interop === 'symbol' && typeof o[interop] === 'function'
}

/** A TypeError when `fn` produced an Observable: saying what to cache instead. */
export function refuseObservable(fn: { name: string }, value: unknown): void {
  if (!isObservable(value)) return
  const name = fn.name === '' ? 'a cached function' : fn.name
  throw new TypeError(
    `${name} returned an Observable, which moka-js does not cache: an Observable is a lazy recipe, and each ` +
      'subscription would call the backend again. Cache the data instead: make the method async and return ' +
      '`await lastValueFrom(observable)` (or `firstValueFrom`, from rxjs); wrap the result back with `from(promise)` ' +
      'where a caller needs an Observable.',
  )
}
