import type { Problem } from '../errors.js'
import { didYouMean, someNames } from '../util/didyoumean.js'
import { problem, type Check } from './check-context.js'
import { entries, isRecord } from './model.js'

/**
 * `databases` belongs to a postgres service, `database` to a Prefect server and names a postgres
 * service, and a postgres service has a password: its superuser's, which initdb and the image set
 * once (trust authentication on a TCP port is not offered).
 */
export const checkPostgres: Check = (ctx) => {
  const out: Problem[] = []
  const services = entries(ctx.raw.services).filter(([, s]) => isRecord(s))
  const postgres = services.filter(([, s]) => s.kind === 'postgres').map(([n]) => n)
  const sites = [
    ...services.map(([name, s]) => ({ path: ['services', name], name, svc: s, kind: s.kind })),
    ...entries(ctx.raw.environments).flatMap(([env, e]) =>
      entries(isRecord(e) ? e.services : undefined)
        .filter(([, s]) => isRecord(s))
        .map(([name, s]) => ({ path: ['environments', env, 'services', name], name, svc: s, kind: s.kind ?? ctx.raw.services?.[name]?.kind })),
    ),
  ]
  for (const { path, name, svc, kind } of sites) {
    if (svc.databases !== undefined && kind !== 'postgres') out.push(problem(ctx, 'postgres', [...path, 'databases'], `'${name}' has databases but is not a postgres service`, 'databases: belongs to a service of kind: postgres'))
    // Not a string: the schema says so, and a name is what the rest of this check compares.
    if (typeof svc.database !== 'string') continue
    if (kind !== 'prefect') out.push(problem(ctx, 'postgres', [...path, 'database'], `'${name}' has database: but is not a prefect service`, "database: tells a Prefect server (kind: prefect) which postgres service keeps its data"))
    else if (!ctx.raw.services?.[svc.database]) out.push(problem(ctx, 'postgres', [...path, 'database'], `'${name}': database names unknown service '${svc.database}'`, didYouMean(svc.database, postgres) ?? (postgres.length ? `postgres services: ${someNames(postgres)}` : 'add a service with kind: postgres')))
    else if (ctx.raw.services[svc.database].kind !== 'postgres') out.push(problem(ctx, 'postgres', [...path, 'database'], `'${name}': database names '${svc.database}', which is not a postgres service`, postgres.length ? `postgres services: ${someNames(postgres)}` : `add kind: postgres to '${svc.database}'`))
  }
  for (const name of postgres) {
    const svc = ctx.raw.services![name]
    const password = svc.env?.POSTGRES_PASSWORD ?? ctx.raw.env?.POSTGRES_PASSWORD
    if (password === undefined || password === '') {
      out.push(problem(ctx, 'postgres', ['services', name, ...(isRecord(svc.env) ? ['env'] : [])], `postgres service '${name}' has no password`, 'set env: { POSTGRES_PASSWORD: ${PG_PASSWORD} } (from .env or the shell); pulpo never runs postgres without one on a TCP port', isRecord(svc.env) ? 'key' : 'key'))
    }
  }
  return out
}
