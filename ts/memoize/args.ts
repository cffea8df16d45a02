// Cache keys derived from a call's arguments, for `cached`.
//
// No arguments map to one fixed key; a single argument is the key itself (so
// the cache's own key semantics apply: SameValueZero, identity, value
// objects). Several arguments map to an `ArgsKey`: one object per argument
// list, found by walking a trie with one level per argument, so that equal
// lists (SameValueZero for primitives, identity for objects, functions and
// symbols) give the very same object and different lists never meet
// (`f(1, '2')`, `f('1', 2)` and `f('1,2')` are three keys). Caches then compare
// these keys by identity, the cheapest path a key object has, and a lookup
// builds no string and hashes nothing that is not hashed already.
//
// Nothing here keeps an argument or a key alive: object arguments are
// WeakMap edges, an `ArgsKey` is held through a WeakRef, and when no cache
// holds it any more it is collected and its branch of the trie pruned.

import { argsId } from '../core/keys'

/** The key of a call without arguments. */
export const NO_ARGS: unique symbol = Symbol('moka-js.noArgs')

/** The key of a call with several arguments: one object per argument list. */
export class ArgsKey {
  /** A readable, canonical name of the argument list (type tags, length-prefixed strings, ids for objects). */
  readonly id: string

  constructor(args: readonly unknown[]) {
    this.id = argsId(args)
    Object.freeze(this)
  }

  toString(): string {
    return `ArgsKey(${this.id})`
  }
}

/** A trie node: the argument lists that start with the path to it. */
interface Node {
  readonly parent: Node | undefined
  /** The edge from `parent`: a primitive (or registered symbol), or a WeakRef to an object. */
  readonly edge: unknown
  readonly weakEdge: boolean
  /** Primitive edges, and registered symbols (which cannot be weak keys and live forever anyway). */
  values?: Map<unknown, Node>
  objects?: WeakMap<WeakKey, Node>
  /** Child nodes created and not pruned (a WeakMap cannot tell its size). */
  children: number
  /** The key of the argument list ending here. */
  key?: WeakRef<ArgsKey>
  pruned?: true
}

const root: Node = { parent: undefined, edge: undefined, weakEdge: false, children: 0 }
let liveKeys = 0
let liveNodes = 0

function isWeakKey(arg: unknown): arg is WeakKey {
  const t = typeof arg
  if (t === 'object') return arg !== null
  return t === 'function' || (t === 'symbol' && Symbol.keyFor(arg as symbol) === undefined)
}

function child(node: Node, arg: unknown): Node {
  if (isWeakKey(arg)) {
    let next = node.objects?.get(arg)
    if (next === undefined) {
      next = { parent: node, edge: new WeakRef(arg), weakEdge: true, children: 0 }
      ;(node.objects ??= new WeakMap()).set(arg, next)
      node.children++
      liveNodes++
    }
    return next
  }
  let next = node.values?.get(arg)
  if (next === undefined) {
    next = { parent: node, edge: arg, weakEdge: false, children: 0 }
    ;(node.values ??= new Map()).set(arg, next)
    node.children++
    liveNodes++
  }
  return next
}

/** Drops the branch of a collected key, up to the first node still in use. */
const pruner = new FinalizationRegistry<Node>((node) => {
  liveKeys--
  // The node may hold a newer key by now.
  if (node.key?.deref() !== undefined) return
  node.key = undefined
  for (let n = node; n.parent !== undefined && n.key === undefined && n.children === 0 && n.pruned === undefined; ) {
    const parent: Node = n.parent
    if (!n.weakEdge) {
      if (parent.values?.get(n.edge) === n) parent.values.delete(n.edge)
    } else {
      // A collected object took its WeakMap entry with it.
      const object = (n.edge as WeakRef<WeakKey>).deref()
      if (object !== undefined && parent.objects?.get(object) === n) parent.objects.delete(object)
    }
    n.pruned = true
    parent.children--
    liveNodes--
    n = parent
  }
})

/** `ArgsKey`s and trie nodes alive (for leak tests). */
export function argsKeyStats(): { keys: number; nodes: number } {
  return { keys: liveKeys, nodes: liveNodes }
}

export function argsKey(args: readonly unknown[]): unknown {
  const n = args.length
  if (n === 1) return args[0]
  if (n === 0) return NO_ARGS
  let node = root
  for (let i = 0; i < n; i++) node = child(node, args[i])
  let key = node.key?.deref()
  if (key === undefined) {
    key = new ArgsKey(args)
    node.key = new WeakRef(key)
    pruner.register(key, node)
    liveKeys++
  }
  return key
}
