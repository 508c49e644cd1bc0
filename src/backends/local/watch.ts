import { existsSync, watch } from 'node:fs'

/** What a running program writes beside its sources (Python's bytecode cache, editors' swap files): not a change of the sources, and restarting on it would loop. */
const IGNORED_CHANGES = /(^|\/)(__pycache__|\.git|node_modules|\.pytest_cache|\.mypy_cache)(\/|$)|\.(pyc|pyo|swp|swx|tmp)$|~$/

/**
 * Calls `changed` once a burst of changes under `paths` (a service's `watch:`) has settled for
 * 300 ms. Undefined when there is nothing to watch.
 */
export function watchSources(paths: string[], changed: () => void): { close(): void } | undefined {
  if (!paths.length) return undefined
  let timer: NodeJS.Timeout | undefined
  const watchers = paths.filter(existsSync).map((p) =>
    watch(p, { recursive: true }, (_event, file) => {
      if (file && IGNORED_CHANGES.test(String(file))) return
      clearTimeout(timer)
      timer = setTimeout(changed, 300)
    }),
  )
  return {
    close: () => {
      clearTimeout(timer)
      watchers.forEach((w) => w.close())
    },
  }
}
