/** Where a value sits in the file's data: keys and indexes from the root. */
export type DataPath = (string | number)[]

/**
 * The data with `fn` applied to every string in it, copy on write: what holds no changed string is
 * returned as it is, not copied (a big file is mostly that). `path` is where the string is; it grows
 * and shrinks as the walk goes (take a copy to keep it), so there is no array per value of the file.
 */
export function mapStrings(value: unknown, fn: (s: string, path: DataPath) => unknown, path: DataPath = []): unknown {
  if (typeof value === 'string') return fn(value, path)
  if (Array.isArray(value)) {
    let out: unknown[] | undefined
    for (let i = 0; i < value.length; i++) {
      path.push(i)
      const w = mapStrings(value[i], fn, path)
      path.pop()
      if (w !== value[i]) (out ??= [...value])[i] = w
    }
    return out ?? value
  }
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>
    let out: Record<string, unknown> | undefined
    for (const k of Object.keys(obj)) {
      path.push(k)
      const w = mapStrings(obj[k], fn, path)
      path.pop()
      // defineProperty: a key `__proto__` is data here, as in the file.
      if (w !== obj[k]) Object.defineProperty((out ??= { ...obj }), k, { value: w, writable: true, enumerable: true, configurable: true })
    }
    return out ?? value
  }
  return value
}
