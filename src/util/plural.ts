/** `1 service`, `2 services`: a count with its noun, for every number pulpo prints. */
export const count = (n: number, word: string, plural = `${word}s`): string => `${n} ${n === 1 ? word : plural}`
