// A small Node HTTP service for the local-backend tests: `node web.mjs NAME PORT [DELAY_MS]`.
// Records events in ./events.log in svc.py's format (process.hrtime is CLOCK_MONOTONIC too), and
// answers GET /health with 200 once ready.
import { appendFileSync, readFileSync } from 'node:fs'
import http from 'node:http'

const [name, port, delay = '0'] = process.argv.slice(2)
const pgid = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ')[2]
const record = (event) => appendFileSync('events.log', `${process.hrtime.bigint()} ${name} ${event} ${process.pid} ${pgid}\n`)

process.on('SIGTERM', () => {
  record('term')
  record('stop')
  process.exit(0)
})
record('start')
console.log(`${name} starting`)
setTimeout(() => {
  record('ready')
  http
    .createServer((req, res) => {
      res.writeHead(req.url === '/health' ? 200 : 404)
      res.end()
    })
    .listen(Number(port), '127.0.0.1', () => console.log(`${name} listening on ${port}`))
}, Number(delay))
