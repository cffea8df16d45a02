// A measured loop compiled for one contender alone, so that its call sites
// see one cache class: a loop shared by every contender turns megamorphic
// across the cache classes, and each contender then pays for the others'.
//
// Each call of compileLoop runs `new Function` on its own source, which V8
// gives a SharedFunctionInfo and a feedback vector of their own (checked on
// Node 20, V8 11.3, with %DebugPrint: two loops of identical source got two
// feedback vectors); the `contender` comment in the source keeps that so
// should V8 ever cache `new Function` by its source text.

/**
 * `body` (JS source) run `opsPerCall` times per call of run(), seeing the
 * values of `ctx` by name and the locals `pos`, `miss` and `n`, which persist
 * from call to call. `prologue` (JS source) runs at the start of each call,
 * before the loop (to read what changes between calls into locals).
 * `contender` names the loop in its source. Returns { run(), misses(),
 * reset() }: reset() sets `pos`, `miss` and `n` back to 0.
 */
export function compileLoop(body, ctx, opsPerCall, contender, { prologue = '' } = {}) {
  const names = Object.keys(ctx)
  const factory = new Function(
    ...names,
    `'use strict'
    // contender: ${String(contender).replace(/\n/g, ' ')}
    const state = { pos: 0, miss: 0, n: 0 }
    return {
      run() {
        ${prologue}
        let pos = state.pos, miss = state.miss, n = state.n
        for (let op = 0; op < ${opsPerCall}; op++) { ${body} }
        state.pos = pos; state.miss = miss; state.n = n
      },
      misses() { return state.miss },
      reset() { state.pos = 0; state.miss = 0; state.n = 0 },
    }`,
  )
  return factory(...names.map((k) => ctx[k]))
}
