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
  /** Immediate children of a group ('' is the root), as full dotted names, sorted. */
  children(parent: string): string[]
  all(): string[]
}

export function operationTree(names: Iterable<string>): OperationTree {
  const nodes = new Set<string>()
  const kids = new Map<string, Set<string>>()
  for (const name of names) {
    const segs = name.split('.')
    for (let i = 1; i <= segs.length; i++) {
      const node = segs.slice(0, i).join('.')
      const parent = segs.slice(0, i - 1).join('.')
      nodes.add(node)
      if (!kids.has(parent)) kids.set(parent, new Set())
      kids.get(parent)!.add(node)
    }
  }
  return {
    has: (n) => nodes.has(n),
    children: (p) => [...(kids.get(p) ?? [])].sort(),
    all: () => [...nodes].sort(),
  }
}
