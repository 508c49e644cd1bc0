/**
 * The edit distance between two words where swapping two adjacent letters counts as one edit
 * (optimal string alignment): `wbe` is one typo away from `web`, as a person sees it, where plain
 * Levenshtein counts two.
 */
export function osaDistance(a: string, b: string, max = Infinity): number {
  if (a === b) return 0
  if (!a.length) return b.length
  if (!b.length) return a.length
  // Three rows of the dynamic-programming table: the transposition looks two rows back.
  let before = new Array<number>(b.length + 1).fill(0)
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j)
  let cur = new Array<number>(b.length + 1).fill(0)
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i
    let rowMin = i
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let d = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, before[j - 2] + 1)
      cur[j] = d
      if (d < rowMin) rowMin = d
    }
    // Every later row is at least this row's minimum: past `max`, the exact figure does not matter.
    if (rowMin > max) return max + 1
    ;[before, prev, cur] = [prev, cur, before]
  }
  return prev[b.length]
}

const lowered = new WeakMap<readonly string[], string[]>()

/**
 * The candidates in lower case, computed once per list: one list of a thousand services serves a
 * thousand problems. (A list grown since is computed again; callers do not edit lists in place.)
 */
function lowerCase(candidates: Iterable<string>): { names: readonly string[]; lower: readonly string[] } {
  const names = Array.isArray(candidates) ? (candidates as readonly string[]) : [...candidates]
  let lower = lowered.get(names)
  if (!lower || lower.length !== names.length) {
    lower = names.map((c) => c.toLowerCase())
    lowered.set(names, lower)
  }
  return { names, lower }
}

/**
 * The candidate closest to `word`, if it is close enough to be a plausible typo: within a third of
 * the word's length (at least 1, at most 3 edits), or differing only in case.
 */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined
  let bestDistance = Infinity
  const limit = Math.min(3, Math.max(1, Math.floor(word.length / 3)))
  const lower = word.toLowerCase()
  const { names, lower: lowerNames } = lowerCase(candidates)
  for (let i = 0; i < names.length; i++) {
    const candidate = names[i]
    const c = lowerNames[i]
    if (c === lower) return candidate
    // `TERM` for `SIGTERM`: a prefix or suffix left out is a typo too.
    if (word.length >= 3 && (c.endsWith(lower) || c.startsWith(lower))) return candidate
    // The distance is at least the difference in length: most candidates are ruled out unread.
    if (Math.abs(candidate.length - word.length) > Math.min(limit, bestDistance)) continue
    const d = osaDistance(word, candidate, Math.min(limit, bestDistance))
    if (d < bestDistance) {
      best = candidate
      bestDistance = d
    }
  }
  return bestDistance <= limit ? best : undefined
}

export const didYouMean = (word: string, candidates: Iterable<string>): string | undefined => {
  const match = closest(word, candidates)
  return match === undefined ? undefined : `did you mean '${match}'?`
}

/**
 * Names for a hint (`services are: ...`), at most `max` of them: a file with a thousand services
 * and a thousand typos would otherwise print a million names.
 */
export function someNames(names: readonly string[], max = 10): string {
  return names.length <= max ? names.join(', ') : `${names.slice(0, max).join(', ')}, … (${names.length} in all)`
}
