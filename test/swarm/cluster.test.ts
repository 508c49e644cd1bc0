/**
 * The test cluster is a real one: three daemons as three nodes, images pulled from the test
 * registry by nodes that never had them, and an overlay network that carries traffic between
 * tasks on different nodes, found by service name (endpoint_mode dnsrr: this kernel has no IPVS
 * for Swarm's virtual IPs).
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { dockerOn, eventually, jsonLines, setupSwarm, swarm, uniqueName, type Swarm } from './helpers.js'

// Answers every GET with the hostname of its container, which the service sets to its node's.
const SERVER = `
import http.server, socket
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = socket.gethostname().encode()
        self.send_response(200); self.send_header('Content-Length', str(len(body))); self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(('0.0.0.0', 8000), H).serve_forever()
`
// Resolves the service name to every task's address and asks each which node it runs on.
const CLIENT = `
import socket, sys, urllib.request
addrs = sorted({a[4][0] for a in socket.getaddrinfo(sys.argv[1], 8000, proto=socket.IPPROTO_TCP)})
for a in addrs:
    print(a, urllib.request.urlopen(f'http://{a}:8000/', timeout=10).read().decode())
`

interface Task {
  Node: string
  CurrentState: string
  DesiredState: string
}

async function runningTasks(manager: string, service: string, replicas: number): Promise<Task[] | undefined> {
  const tasks = jsonLines<Task>(await dockerOn(manager, 'service', 'ps', service, '--filter', 'desired-state=running', '--format', '{{json .}}'))
  const running = tasks.filter((t) => t.CurrentState.startsWith('Running'))
  return running.length === replicas ? running : undefined
}

describe('the test cluster (scripts/setup-swarm.sh)', () => {
  let s: Swarm
  const cleanup: string[][] = []
  before(() => {
    s = swarm()
  })
  let revive = false
  after(async () => {
    for (const args of cleanup.reverse()) await dockerOn(s.manager, ...args).catch(() => {})
    if (revive) setupSwarm()
  })

  it('has three Ready nodes, one of them the manager, each a daemon of its own', async () => {
    const nodes = jsonLines(await dockerOn(s.manager, 'node', 'ls', '--format', '{{json .}}'))
    assert.equal(nodes.length, 3, JSON.stringify(nodes))
    assert.ok(nodes.every((n) => n.Status === 'Ready'), JSON.stringify(nodes))
    assert.deepEqual(nodes.filter((n) => n.ManagerStatus === 'Leader').length, 1)
    assert.equal(nodes.filter((n) => n.ManagerStatus === '').length, 2)
    const ids = new Set<string>()
    for (const sock of s.nodes) {
      const info = JSON.parse(await dockerOn(sock, 'info', '--format', '{{json .Swarm}}'))
      assert.equal(info.LocalNodeState, 'active')
      ids.add(info.NodeID)
    }
    assert.equal(ids.size, 3, 'each socket is a different node')
  })

  it('spreads a service over the nodes, each pulling the image from the test registry', async () => {
    const name = uniqueName('spread')
    cleanup.push(['service', 'rm', name])
    await dockerOn(s.manager, 'service', 'create', '--detach', '--name', name, '--replicas', '3', '--replicas-max-per-node', '1', s.baseImage, 'sleep', 'infinity')
    const tasks = await eventually(`3 running tasks of ${name}`, () => runningTasks(s.manager, name, 3))
    assert.ok(new Set(tasks.map((t) => t.Node)).size >= 2, `tasks on ${tasks.map((t) => t.Node)}`)
    // An image a daemon pulled carries the registry's digest; one loaded or built locally does not.
    // Swarm pins the tag to a digest, so the workers hold the image by digest only.
    const repo = s.baseImage.replace(/:[^:/]+$/, '')
    for (const sock of s.nodes.slice(1)) {
      const container = (await dockerOn(sock, 'ps', '-q', '--filter', `label=com.docker.swarm.service.name=${name}`)).trim()
      const image = (await dockerOn(sock, 'inspect', '--format', '{{.Image}}', container)).trim()
      const digests = JSON.parse(await dockerOn(sock, 'image', 'inspect', '--format', '{{json .RepoDigests}}', image)) as string[]
      assert.ok(digests.some((d) => d.startsWith(`${repo}@sha256:`)), `${sock}: ${digests}`)
    }
  })

  it('carries traffic over an overlay network between tasks on different nodes, by service name', async () => {
    const net = uniqueName('net')
    const server = uniqueName('echo')
    const client = uniqueName('client')
    cleanup.push(['network', 'rm', net], ['service', 'rm', server], ['service', 'rm', client])
    await dockerOn(s.manager, 'network', 'create', '--driver', 'overlay', net)
    await dockerOn(s.manager, 'service', 'create', '--detach', '--name', server, '--network', net, '--endpoint-mode', 'dnsrr', '--mode', 'global', '--hostname', '{{.Node.Hostname}}', s.baseImage, 'python3', '-c', SERVER)
    await dockerOn(s.manager, 'service', 'create', '--detach', '--name', client, '--network', net, '--constraint', 'node.role == manager', s.baseImage, 'sleep', 'infinity')
    await eventually(`a task of ${server} on each node`, () => runningTasks(s.manager, server, 3))
    await eventually(`the task of ${client}`, () => runningTasks(s.manager, client, 1))
    const container = (await dockerOn(s.manager, 'ps', '-q', '--filter', `label=com.docker.swarm.service.name=${client}`)).trim()
    const manager = JSON.parse(await dockerOn(s.manager, 'info', '--format', '{{json .Name}}')) as string
    // DNS of a new task reaches every node's resolver a moment after the tasks run.
    const answers = await eventually(`${server} resolving to all 3 tasks`, async () => {
      const out = await dockerOn(s.manager, 'exec', container, 'python3', '-c', CLIENT, server)
      const lines = out.trim().split('\n')
      return lines.length === 3 ? lines.map((l) => l.split(' ')[1]) : undefined
    })
    assert.deepEqual(new Set(answers).size, 3, `answers: ${answers}`)
    assert.ok(answers.some((node) => node !== manager), `a task on another node than ${manager} answered: ${answers}`)
  })

  it("answers on a host-mode published port at each node's own address", async () => {
    const name = uniqueName('hostport')
    cleanup.push(['service', 'rm', name])
    const port = 18000 + Math.floor(Math.random() * 1000)
    await dockerOn(s.manager, 'service', 'create', '--detach', '--name', name, '--mode', 'global', '--hostname', '{{.Node.Hostname}}', '--publish', `mode=host,target=8000,published=${port}`, s.baseImage, 'python3', '-c', SERVER)
    await eventually(`a task of ${name} on each node`, () => runningTasks(s.manager, name, 3))
    const hostnames: string[] = []
    for (const addr of s.addrs) {
      const body = await eventually(`an answer on ${addr}:${port}`, async () => {
        const r = await fetch(`http://${addr}:${port}/`, { signal: AbortSignal.timeout(5000) })
        return r.ok ? r.text() : undefined
      })
      hostnames.push(body)
    }
    assert.equal(new Set(hostnames).size, 3, `each address is answered by its own node: ${hostnames}`)
  })

  // Last: the node comes back in \`after\`, which takes a daemon's start-up.
  it('loses a node killed by setup-swarm.sh --kill-node, reschedules its task, and gets it back', async () => {
    const name = uniqueName('failover')
    cleanup.push(['service', 'rm', name])
    await dockerOn(s.manager, 'service', 'create', '--detach', '--name', name, '--replicas', '2', '--constraint', 'node.role == worker', '--replicas-max-per-node', '2', s.baseImage, 'sleep', 'infinity')
    const before = await eventually(`2 running tasks of ${name}`, () => runningTasks(s.manager, name, 2))
    const victim = before[0].Node
    setupSwarm('--kill-node', `node${victim.replace(/^pulpo-node/, '')}`)
    revive = true
    await eventually(`${victim} Down`, async () => {
      const nodes = jsonLines(await dockerOn(s.manager, 'node', 'ls', '--format', '{{json .}}'))
      return nodes.some((n) => n.Hostname === victim && n.Status === 'Down') ? true : undefined
    })
    const after = await eventually(`2 running tasks of ${name} again, none on ${victim}`, async () => {
      const tasks = await runningTasks(s.manager, name, 2)
      return tasks?.every((t) => t.Node !== victim) ? tasks : undefined
    })
    assert.ok(after.every((t) => t.Node !== victim))
  })
})
