import { existsSync, rmSync } from 'node:fs'
import net from 'node:net'
import type { Request, Response } from './protocol.js'

/**
 * The supervisor's Unix socket: one JSON line in, one JSON line out, then the connection closes.
 * `handle` gets the socket too, so a long wait can end when its client goes away, and `interim`
 * to answer a line before its final one (a held start).
 */
export async function serveSocket(path: string, handle: (req: Request, sock: net.Socket, interim: (res: Response) => void) => Promise<Response>): Promise<net.Server> {
  if (existsSync(path)) rmSync(path)
  const server = net.createServer((sock) => {
    let buf = ''
    sock.setEncoding('utf8')
    sock.on('error', () => {})
    sock.on('data', (chunk: string) => {
      buf += chunk
      const nl = buf.indexOf('\n')
      if (nl < 0) return
      const line = buf.slice(0, nl)
      buf = ''
      let req: Request
      try {
        req = JSON.parse(line)
      } catch {
        sock.end(JSON.stringify({ ok: false, error: 'bad request' }) + '\n')
        return
      }
      handle(req, sock, (res) => sock.write(JSON.stringify(res) + '\n')).then(
        (res) => sock.end(JSON.stringify(res) + '\n'),
        (err) => sock.end(JSON.stringify({ ok: false, error: String(err?.message ?? err) }) + '\n'),
      )
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(path, () => resolve())
  })
  return server
}
