import { builtin } from '../../util/builtin.js'

/** What a line-reading client of a Unix socket is told. */
export interface LineHandlers {
  /** One line (without its newline). */
  line(text: string): void
  /** The connection failed or ended. */
  end(): void
}

interface BunSocket {
  write(data: string): number
  end(): void
}
type BunConnect = (opts: {
  unix: string
  socket: {
    open(s: BunSocket): void
    data(s: BunSocket, chunk: Uint8Array): void
    drain(s: BunSocket): void
    close(): void
    error(): void
    connectError(): void
  }
}) => Promise<BunSocket>

const bunConnect = (globalThis as { Bun?: { connect?: BunConnect } }).Bun?.connect

/**
 * Connects to a Unix socket, writes `first`, and hands each line it answers to `on.line`; the
 * returned function closes it. In the binary, Bun's own sockets: node:net there sets up Node's
 * stream classes, ≈ 5 ms of a 40 ms `status`. Under node (tests, the dev path), node:net.
 */
export function connectLines(path: string, first: string, on: LineHandlers): () => void {
  return bunConnect ? viaBun(bunConnect, path, first, on) : viaNode(path, first, on)
}

function splitter(on: LineHandlers) {
  let buf = ''
  return (text: string) => {
    buf += text
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const line = buf.slice(0, nl)
      buf = buf.slice(nl + 1)
      on.line(line)
    }
  }
}

function viaBun(connect: BunConnect, path: string, first: string, on: LineHandlers): () => void {
  const decoder = new TextDecoder()
  const feed = splitter(on)
  let pending = first
  let socket: BunSocket | undefined
  let closed = false
  let ended = false
  const end = () => {
    if (ended) return
    ended = true
    on.end()
  }
  const flush = (s: BunSocket) => {
    if (!pending) return
    const n = s.write(pending)
    // A partial write: the rest once the socket drains.
    pending = pending.slice(Math.max(n, 0))
  }
  connect({
    unix: path,
    socket: {
      open: (s) => {
        socket = s
        if (closed) return s.end()
        flush(s)
      },
      data: (_s, chunk) => feed(decoder.decode(chunk, { stream: true })),
      drain: flush,
      close: end,
      error: end,
      connectError: end,
    },
  }).catch(end)
  return () => {
    closed = true
    socket?.end()
    end()
  }
}

function viaNode(path: string, first: string, on: LineHandlers): () => void {
  const feed = splitter(on)
  const net = builtin<typeof import('node:net')>('node:net')
  const sock = net.connect(path)
  sock.setEncoding('utf8')
  sock.on('connect', () => sock.write(first))
  sock.on('data', feed)
  sock.on('error', () => on.end())
  sock.on('close', () => on.end())
  return () => sock.destroy()
}
