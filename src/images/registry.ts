/** An image reference split into what a registry's HTTP API needs. */
export interface ImageRef {
  /** `host[:port]` of the registry. */
  registry: string
  /** The repository path inside it, e.g. `team/shop-api`. */
  repository: string
  tag: string
}

/** `reg:5000/team/shop-api:abc` → registry, repository and tag. */
export function parseRef(ref: string): ImageRef {
  const slash = ref.indexOf('/')
  const colon = ref.lastIndexOf(':')
  return { registry: ref.slice(0, slash), repository: ref.slice(slash + 1, colon), tag: ref.slice(colon + 1) }
}

const MANIFESTS = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
].join(', ')

/**
 * The digest of `ref` in its registry, asked over the registry's HTTP API (HTTPS, then plain HTTP
 * as Docker does for an insecure registry); undefined when it is not there, or when the registry
 * cannot say (unreachable from here, or it wants credentials) — then pushing decides.
 */
export async function registryDigest(ref: string): Promise<string | undefined> {
  const { registry, repository, tag } = parseRef(ref)
  for (const scheme of ['https', 'http']) {
    try {
      const r = await fetch(`${scheme}://${registry}/v2/${repository}/manifests/${tag}`, {
        method: 'HEAD',
        headers: { Accept: MANIFESTS },
        signal: AbortSignal.timeout(5000),
      })
      if (r.ok) return r.headers.get('docker-content-digest') ?? undefined
      return undefined
    } catch {
      // Not this scheme (a plain-HTTP registry refuses TLS); try the next.
    }
  }
  return undefined
}
