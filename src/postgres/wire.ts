import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto'
import net from 'node:net'

/*
 * Just enough of PostgreSQL's wire protocol (v3) for pulpo: is the server accepting connections,
 * and the simple query protocol with password authentication (SCRAM-SHA-256, md5, cleartext) to
 * list and create databases. pulpo needs no more of a client than this, and a driver would be a
 * dependency of the release binary for two queries.
 */

/** An ErrorResponse from the server: its SQLSTATE and message. */
export class PgError extends Error {
  constructor(readonly code: string, message: string) {
    super(message)
  }
}

/** SQLSTATEs pulpo tells apart. */
export const PG = { startingUp: '57P03', badPassword: '28P01', noSuchDatabase: '3D000' } as const

interface Message {
  type: string
  body: Buffer
}

/** Reads whole messages off a socket, one at a time. */
class Reader {
  private buf = Buffer.alloc(0)
  private waiting: ((m: Message | Error) => void) | undefined
  private failure: Error | undefined

  constructor(sock: net.Socket) {
    sock.on('data', (d) => {
      this.buf = Buffer.concat([this.buf, d])
      this.deliver()
    })
    const fail = (e: Error) => {
      this.failure ??= e
      this.deliver()
    }
    sock.on('error', fail)
    sock.on('close', () => fail(new Error('the server closed the connection')))
  }

  private take(): Message | undefined {
    if (this.buf.length < 5) return undefined
    const len = this.buf.readInt32BE(1)
    if (this.buf.length < 1 + len) return undefined
    const m = { type: String.fromCharCode(this.buf[0]), body: this.buf.subarray(5, 1 + len) }
    this.buf = this.buf.subarray(1 + len)
    return m
  }

  private deliver() {
    if (!this.waiting) return
    const m = this.take() ?? this.failure
    if (!m) return
    const w = this.waiting
    this.waiting = undefined
    w(m)
  }

  next(): Promise<Message> {
    return new Promise((resolve, reject) => {
      this.waiting = (m) => (m instanceof Error ? reject(m) : resolve(m))
      this.deliver()
    })
  }
}

const cstr = (s: string) => Buffer.concat([Buffer.from(s, 'utf8'), Buffer.from([0])])

function message(type: string, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts)
  const head = Buffer.alloc(5)
  head.write(type, 0, 'latin1')
  head.writeInt32BE(body.length + 4, 1)
  return Buffer.concat([head, body])
}

const int32 = (n: number) => {
  const b = Buffer.alloc(4)
  b.writeInt32BE(n)
  return b
}

function startup(user: string, database: string): Buffer {
  const body = Buffer.concat([int32(196608), cstr('user'), cstr(user), cstr('database'), cstr(database), Buffer.from([0])])
  return Buffer.concat([int32(body.length + 4), body])
}

function errorOf(body: Buffer): PgError {
  const fields: Record<string, string> = {}
  let i = 0
  while (i < body.length && body[i] !== 0) {
    const end = body.indexOf(0, i + 1)
    fields[String.fromCharCode(body[i])] = body.subarray(i + 1, end).toString('utf8')
    i = end + 1
  }
  return new PgError(fields.C ?? '', fields.M ?? 'error')
}

function connectSocket(host: string, port: number, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host, port })
    const timer = setTimeout(() => {
      sock.destroy()
      reject(new Error(`no answer from ${host}:${port} in ${timeoutMs} ms`))
    }, timeoutMs)
    sock.once('connect', () => {
      clearTimeout(timer)
      resolve(sock)
    })
    sock.once('error', (e) => {
      clearTimeout(timer)
      reject(e)
    })
  })
}

/**
 * Whether the server accepts connections, as pg_isready decides it: a startup message answered
 * by an authentication request (or by a refusal of these credentials) is a server that is up;
 * "the database system is starting up", a refused or silent port is not.
 */
export async function acceptsConnections(host: string, port: number, timeoutMs: number): Promise<boolean> {
  let sock: net.Socket | undefined
  try {
    sock = await connectSocket(host, port, timeoutMs)
    const reader = new Reader(sock)
    sock.write(startup('pulpo', 'postgres'))
    const m = await Promise.race([reader.next(), new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), timeoutMs))])
    if (m.type === 'R') return true
    if (m.type === 'E') return errorOf(m.body).code !== PG.startingUp
    return false
  } catch {
    return false
  } finally {
    sock?.destroy()
  }
}

export interface Credentials {
  host: string
  port: number
  user: string
  password: string
  database: string
}

/** One authenticated connection, for simple queries. */
export class PgConnection {
  private constructor(private sock: net.Socket, private reader: Reader) {}

  static async open(c: Credentials, timeoutMs = 10_000): Promise<PgConnection> {
    const sock = await connectSocket(c.host, c.port, timeoutMs)
    const conn = new PgConnection(sock, new Reader(sock))
    try {
      sock.write(startup(c.user, c.database))
      await conn.authenticate(c)
      return conn
    } catch (e) {
      sock.destroy()
      throw e
    }
  }

  private async authenticate(c: Credentials) {
    let scram: Scram | undefined
    for (;;) {
      const m = await this.reader.next()
      if (m.type === 'E') throw errorOf(m.body)
      if (m.type === 'Z') return
      if (m.type !== 'R') continue
      const code = m.body.readInt32BE(0)
      const data = m.body.subarray(4)
      if (code === 3) this.sock.write(message('p', cstr(c.password)))
      else if (code === 5) {
        const inner = createHash('md5').update(c.password + c.user).digest('hex')
        this.sock.write(message('p', cstr('md5' + createHash('md5').update(inner).update(data).digest('hex'))))
      } else if (code === 10) {
        if (!data.toString('utf8').split('\0').includes('SCRAM-SHA-256')) throw new PgError('', 'the server offers no SASL mechanism pulpo knows (SCRAM-SHA-256)')
        scram = new Scram(c.password)
        const first = Buffer.from(scram.clientFirst())
        this.sock.write(message('p', cstr('SCRAM-SHA-256'), int32(first.length), first))
      } else if (code === 11) this.sock.write(message('p', Buffer.from(scram!.clientFinal(data.toString('utf8')))))
      else if (code === 12) scram!.verify(data.toString('utf8'))
      else if (code !== 0) throw new PgError('', `unsupported authentication request ${code}`)
    }
  }

  /** Runs one statement; the rows as text, first column first. */
  async query(sql: string): Promise<(string | null)[][]> {
    this.sock.write(message('Q', cstr(sql)))
    const rows: (string | null)[][] = []
    let error: PgError | undefined
    for (;;) {
      const m = await this.reader.next()
      if (m.type === 'E') error = errorOf(m.body)
      else if (m.type === 'D') {
        const row: (string | null)[] = []
        let at = 2
        for (let i = 0; i < m.body.readInt16BE(0); i++) {
          const len = m.body.readInt32BE(at)
          at += 4
          row.push(len < 0 ? null : m.body.subarray(at, at + len).toString('utf8'))
          if (len > 0) at += len
        }
        rows.push(row)
      } else if (m.type === 'Z') {
        if (error) throw error
        return rows
      }
    }
  }

  close() {
    this.sock.end(message('X'))
    this.sock.destroy()
  }
}

/** SCRAM-SHA-256 (RFC 7677) as PostgreSQL does it: the user is the startup message's, not the SCRAM one. */
class Scram {
  private nonce = randomBytes(18).toString('base64')
  private bare = `n=,r=${this.nonce}`
  private expected: Buffer | undefined
  constructor(private password: string) {}

  clientFirst() {
    return `n,,${this.bare}`
  }

  clientFinal(serverFirst: string): string {
    const attrs = Object.fromEntries(serverFirst.split(',').map((kv) => [kv[0], kv.slice(2)]))
    if (!attrs.r?.startsWith(this.nonce)) throw new PgError('', 'SCRAM: the server answered another nonce')
    const salted = pbkdf2Sync(this.password.normalize('NFKC'), Buffer.from(attrs.s, 'base64'), Number(attrs.i), 32, 'sha256')
    const hmac = (key: Buffer, text: string) => createHmac('sha256', key).update(text).digest()
    const clientKey = hmac(salted, 'Client Key')
    const withoutProof = `c=biws,r=${attrs.r}`
    const auth = `${this.bare},${serverFirst},${withoutProof}`
    const signature = hmac(createHash('sha256').update(clientKey).digest(), auth)
    const proof = Buffer.from(clientKey.map((b, i) => b ^ signature[i]))
    this.expected = hmac(hmac(salted, 'Server Key'), auth)
    return `${withoutProof},p=${proof.toString('base64')}`
  }

  verify(serverFinal: string) {
    const v = serverFinal.split(',').find((a) => a.startsWith('v='))?.slice(2)
    if (!v || !this.expected || !Buffer.from(v, 'base64').equals(this.expected)) throw new PgError('', 'SCRAM: the server could not prove it knows the password')
  }
}

/** A SQL identifier, quoted: `"prefect"`, with any `"` doubled. */
export const ident = (name: string) => `"${name.replace(/"/g, '""')}"`
