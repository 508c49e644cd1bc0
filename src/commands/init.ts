import { existsSync, writeFileSync } from 'node:fs'
import { basename, resolve } from 'node:path'
import { Flags } from '@oclif/core'
import chalk from 'chalk'
import { PulpoCommand } from '../base.js'
import { PulpoError } from '../errors.js'

/** A starter that validates as written: one database, one web process, dev and prod. */
export function starter(project: string): string {
  return `# yaml-language-server: $schema=./pulpo.schema.json
# Written by \`pulpo init\`. Check it with \`pulpo validate\`; see what runs with \`pulpo plan\`.
version: 1
project: ${project}
environment: dev

services:
  db:
    kind: mongodb          # mongod if installed, else a MongoDB-wire server; an image in docker mode
    port: 27017
    persist: true          # data survives \`pulpo down\`; \`pulpo down --volumes\` removes it

  web:
    command: [python3, -m, http.server, "\${services.web.port}", --bind, "\${services.web.bind}"]
    image: python:3.12-slim   # what docker mode runs the command in
    port: 8080
    env:
      MONGO_URL: \${services.db.url}
    depends_on:
      db: healthy
    ready: { http: /, timeout: 30s }

environments:
  dev:
    mode: local
  prod:
    mode: docker

# operations:               # Python callables, compiled into Prefect flows by \`pulpo compile\`
#   etl.extract: { run: etl.extract:run, params: { source: str } }
#   etl.load:    { run: etl.load:run, inputs: [etl.extract] }
`
}

export default class Init extends PulpoCommand {
  static summary = 'Write a starter pulpo.yaml in the current directory'
  static flags = {
    force: Flags.boolean({ description: 'overwrite an existing pulpo.yaml' }),
    project: Flags.string({ description: 'project name (default: the directory name)' }),
  }

  async run() {
    const { flags } = await this.parse(Init)
    // Loaded here, not at the top: every command module is evaluated at start-up.
    const [{ DEFAULT_FILE }, { SCHEMA_FILE, schemaText }] = await Promise.all([import('../config/source.js'), import('../config/schema-file.js')])
    const file = resolve(DEFAULT_FILE)
    if (existsSync(file) && !flags.force) {
      throw new PulpoError('exists', `${DEFAULT_FILE} already exists`, { hints: ['pass --force to overwrite it'] })
    }
    const project = flags.project ?? (basename(process.cwd()).toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/^[^a-z0-9]+/, '') || 'pulpo')
    if (!/^[a-z0-9][a-z0-9_-]*$/.test(project)) throw new PulpoError('project-name', `invalid project name '${project}'`, { exitCode: 2, hints: ["use lowercase letters, digits, '_' and '-'"] })
    writeFileSync(file, starter(project))
    // The modeline's target, so editors complete and document keys without this repository.
    writeFileSync(resolve(SCHEMA_FILE), schemaText())
    if (this.jsonEnabled()) return { file: DEFAULT_FILE, schema: SCHEMA_FILE, project }
    this.log(`${chalk.green('✔')} wrote ${DEFAULT_FILE} ${chalk.dim(`(project ${project})`)} and ${SCHEMA_FILE} ${chalk.dim('(for editors)')}; next: pulpo validate`)
  }
}
