import { distance } from 'fastest-levenshtein'

/**
 * The candidate closest to `word`, if it is close enough to be a plausible typo: within a third of
 * the word's length (at least 1, at most 3 edits), or differing only in case.
 */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined
  let bestDistance = Infinity
  const limit = Math.min(3, Math.max(1, Math.floor(word.length / 3)))
  for (const candidate of candidates) {
    if (candidate.toLowerCase() === word.toLowerCase()) return candidate
    // `TERM` for `SIGTERM`: a prefix or suffix left out is a typo too.
    if (word.length >= 3 && (candidate.toLowerCase().endsWith(word.toLowerCase()) || candidate.toLowerCase().startsWith(word.toLowerCase()))) return candidate
    const d = distance(word, candidate)
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
