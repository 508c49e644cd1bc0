import type { Probe, Project } from '../config/types.js'

export type { Probe }

/**
 * The address to reach a service on from this machine, given the address it listens on: a
 * wildcard (`0.0.0.0`, `::`) is reached on the loopback.
 */
export function probeHost(bind: string): string {
  return bind === '0.0.0.0' || bind === '::' || bind === '' ? '127.0.0.1' : bind
}

/** Where a service of the project answers from this machine (a container's port is published on the loopback). */
export function hostOf(project: Pick<Project, 'mode' | 'bind'>): string {
  return project.mode === 'local' ? probeHost(project.bind) : '127.0.0.1'
}

/** `host:port` for a URL: an IPv6 address goes in brackets. */
export function urlAuthority(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`
}

/**
 * What a probe checks, for a person (in failures: `not ready after 2s (tcp port 8000)`). With the
 * host an http probe names its URL; without (a container's healthcheck runs inside it) its path.
 */
export function describeProbe(p: Probe, host?: string): string {
  switch (p.kind) {
    case 'http':
      return host ? `GET http://${urlAuthority(host, p.port)}${p.path}` : `GET ${p.path} on port ${p.port}`
    case 'tcp':
      return `tcp port ${p.port}`
    case 'exec':
      return `exec ${JSON.stringify(p.command)}`
    case 'log':
      return `log /${p.pattern}/`
    case 'mongodb':
      return `mongodb ping on port ${p.port}`
    case 'postgres':
      return `postgres accepting connections on port ${p.port}`
  }
}
