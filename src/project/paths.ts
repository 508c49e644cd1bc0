import { createHash } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** Where generated files go, under the project's directory (`pulpo compile`). */
export const RUN_CACHE = 'run_cache'

/** Where pulpo keeps a project's local state: everything under <project>/.pulpo/. */
export class StateDir {
  readonly root: string
  constructor(projectDir: string) {
    this.root = join(projectDir, '.pulpo')
  }
  get state() {
    return join(this.root, 'state.json')
  }
  get lock() {
    return join(this.root, 'lock')
  }
  get supervisorLog() {
    return join(this.root, 'supervisor.log')
  }
  get logs() {
    return join(this.root, 'logs')
  }
  log(service: string) {
    return join(this.root, 'logs', `${service}.log`)
  }
  get dataRoot() {
    return join(this.root, 'data')
  }
  data(service: string) {
    return join(this.root, 'data', service)
  }
  /**
   * The supervisor's socket. A Unix socket path is limited to 107 bytes, so a deep project
   * directory gets one in the temp directory, named by a hash of the project's path.
   */
  get socket() {
    const inside = join(this.root, 'supervisor.sock')
    if (Buffer.byteLength(inside) <= 100) return inside
    return join(tmpdir(), `pulpo-${createHash('sha256').update(this.root).digest('hex').slice(0, 16)}.sock`)
  }
}
