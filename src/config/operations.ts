/** Python naming rules for operations, and the hierarchy their dotted names form. */

export const PY_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/

/** Python's hard keywords (soft keywords such as `match` and `type` are valid names). */
export const PY_KEYWORDS: ReadonlySet<string> = new Set([
  'False', 'None', 'True', 'and', 'as', 'assert', 'async', 'await', 'break', 'class', 'continue', 'def', 'del', 'elif', 'else',
  'except', 'finally', 'for', 'from', 'global', 'if', 'import', 'in', 'is', 'lambda', 'nonlocal', 'not', 'or', 'pass', 'raise',
  'return', 'try', 'while', 'with', 'yield',
])

/** `module.path:function`, each part a Python identifier that is not a keyword. */
export const RUN_TARGET = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*$/

export const isRunTarget = (s: string) => RUN_TARGET.test(s) && s.split(/[.:]/).every((p) => !PY_KEYWORDS.has(p))

/** The groups and leaves named by a set of dotted operation names. */
export interface OperationTree {
  has(name: string): boolean
  /** Immediate children of a group ('' is the root), as full dotted names, sorted; shared: read it, never change it. */
  children(parent: string): readonly string[]
  /** Whether `name` is an immediate child of `parent` (without sorting the children). */
  hasChild(parent: string, name: string): boolean
  all(): string[]
}

export function operationTree(names: Iterable<string>): OperationTree {
  const nodes = new Set<string>()
  const kids = new Map<string, Set<string>>()
  for (const name of names) {
    // Each prefix ending before a dot, then the name itself: what `split('.')` and joining its
    // first parts would give, without an array and a string per part.
    let parent = ''
    for (let from = 0; ; ) {
      const dot = name.indexOf('.', from)
      const node = dot < 0 ? name : name.slice(0, dot)
      nodes.add(node)
      let set = kids.get(parent)
      if (!set) kids.set(parent, (set = new Set()))
      set.add(node)
      if (dot < 0) break
      parent = node
      from = dot + 1
    }
  }
  // Sorted once per group: an operation's siblings are asked for by each of them.
  const sorted = new Map<string, readonly string[]>()
  return {
    has: (n) => nodes.has(n),
    children: (p) => {
      let list = sorted.get(p)
      if (!list) sorted.set(p, (list = [...(kids.get(p) ?? [])].sort()))
      return list
    },
    hasChild: (p, n) => kids.get(p)?.has(n) ?? false,
    all: () => [...nodes].sort(),
  }
}
