#!/usr/bin/env bash
# A real multi-node Docker Swarm on this one machine, for swarm mode and its tests.
#
# Each node is a dockerd of its own (data root, exec root with its own managed containerd, pidfile,
# socket, hostname) in a network namespace of its own, wired by a veth pair to a bridge this script
# creates; node 1 is the manager, the others join it as workers. A registry on the bridge (Debian's
# docker-registry, or the distribution registry built from the Go module proxy) is what every node
# pulls from, and a second one in read-only mode is a registry that refuses pushes. The base image
# local/python:bookworm (made offline by setup-docker.sh on the host's daemon) is pushed into it.
#
# Usage: scripts/setup-swarm.sh                   bring the cluster up (a second run reuses what is up)
#        scripts/setup-swarm.sh --down            remove everything: daemons, namespaces, bridge, data
#        scripts/setup-swarm.sh --kill-node NODE  a node dies (for failover tests); a plain run revives it
# Prints, for `eval`, the environment the tests need (PULPO_SWARM_*); progress goes to stderr.
# Needs root, and setup-docker.sh to have run (the engine packages and the base image).
set -euo pipefail
log() { echo "setup-swarm: $*" >&2; }
die() { log "$*"; exit 1; }

# The addresses are a private subnet this script owns; overlay networks get a pool of their own so
# they can never collide with the nodes' addresses.
workers=${PULPO_SWARM_WORKERS:-2}
net=10.213.0
bridge=pulposw0
overlay_pool=10.214.0.0/16
registry_addr=$net.1:5000
refusing_addr=$net.1:5001
base_image=local/python:bookworm
root=${PULPO_SWARM_ROOT:-/var/lib/pulpo-swarm}
# Sockets and exec roots stay under a short path: a unix socket's path has at most 107 bytes.
run=/run/pulpo-swarm
nodes=()
for i in $(seq 1 $((workers + 1))); do nodes+=("node$i"); done

[ "$(id -u)" -eq 0 ] || die "needs root (network namespaces, a bridge, dockerd)"

# One run at a time: test runs of several checkouts on one machine share the cluster, and two runs
# starting the same node's daemon at once would fight over its data root.
mkdir -p "$(dirname "$run")"
exec 9> "$run.lock"
flock 9

node_addr() { echo "$net.$((10 + ${1#node}))"; }
node_sock() { echo "unix://$run/$1.sock"; }
node_docker() { local node=$1; shift; docker -H "$(node_sock "$node")" "$@"; }
answers() { node_docker "$1" info >/dev/null 2>&1; }
# Whether a URL answers 2xx (python3 rather than curl: it is on every machine this runs on).
http_ok() {
  python3 - "$@" <<'PY' 2>/dev/null
import sys, urllib.request
req = urllib.request.Request(sys.argv[1], headers={'Accept': sys.argv[2]} if len(sys.argv) > 2 else {}, method='HEAD')
urllib.request.urlopen(req, timeout=5)
PY
}
pid_alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
forward_rule=(FORWARD -i "$bridge" -o "$bridge" -j ACCEPT)
# The nodes reach the outside through the host, as a cluster's machines do (a build on the manager
# installs packages): out from the bridge, the replies back, and their addresses masqueraded.
out_rules=("FORWARD -i $bridge ! -o $bridge -j ACCEPT" "FORWARD -o $bridge -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT")
nat_rule=(POSTROUTING -s "$net.0/24" ! -o "$bridge" -j MASQUERADE)

# Stops a process we started, by the pid we recorded; SIGKILL after a grace period.
stop_pid() {
  local pidfile=$1 grace=$2 pid
  pid_alive "$pidfile" || return 0
  pid=$(cat "$pidfile")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 $((grace * 5))); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.2; done
  kill -9 "$pid" 2>/dev/null || true
}

teardown() {
  local node pid ns
  # Every node there is, also those of a run with more workers than this one.
  for ns in /var/run/netns/pulpo-node*; do
    [ -e "$ns" ] && [[ " ${nodes[*]} " != *" ${ns##*/pulpo-} "* ]] && nodes+=("${ns##*/pulpo-}")
  done
  log "stopping ${#nodes[@]} daemons and the registries"
  # Side by side: each daemon takes seconds to leave its containers and the swarm.
  for node in "${nodes[@]}"; do stop_pid "$run/$node.pid" 30 & done
  stop_pid "$root/registry.pid" 5 &
  stop_pid "$root/refusing-registry.pid" 5 &
  wait
  # A containerd (or shim) of a node whose dockerd was killed outlives it: find those by our exec
  # root in their command line and stop them by pid.
  for pid in $(grep -l -s -F "$run/" /proc/[0-9]*/cmdline | cut -d/ -f3); do
    kill -9 "$pid" 2>/dev/null || true
  done
  # Mounts the daemons left (overlay layers, network namespaces), deepest first.
  awk -v a="$root/" -v b="$run/" 'index($5, a) == 1 || index($5, b) == 1 {print $5}' /proc/self/mountinfo \
    | sort -r | while read -r mnt; do umount -l "$mnt" 2>/dev/null || true; done
  for node in "${nodes[@]}"; do
    ip netns del "pulpo-$node" 2>/dev/null || true
    ip link del "psw-$node" 2>/dev/null || true
  done
  ip link del "$bridge" 2>/dev/null || true
  while iptables -C "${forward_rule[@]}" 2>/dev/null; do iptables -D "${forward_rule[@]}"; done
  for rule in "${out_rules[@]}"; do
    # shellcheck disable=SC2086 # the rules are fixed words
    while iptables -C $rule 2>/dev/null; do iptables -D $rule; done
  done
  while iptables -t nat -C "${nat_rule[@]}" 2>/dev/null; do iptables -t nat -D "${nat_rule[@]}"; done
  rm -rf "$root" "$run"
  log "removed"
}

# A node dies as a machine would: its daemon and containerd killed, its network cut. Its containers
# are left to the cluster to replace. The next plain run brings the node back.
kill_node() {
  local node=$1 pidfile
  [[ " ${nodes[*]} " == *" $node "* ]] || die "no node '$node' (nodes: ${nodes[*]})"
  ip link set "psw-$node" down 2>/dev/null || true
  for pidfile in "$run/$node.pid" "$run/$node/containerd/containerd.pid"; do
    pid_alive "$pidfile" && kill -9 "$(cat "$pidfile")"
  done
  log "$node killed (daemon, containerd, network); run setup-swarm.sh again to bring it back"
}

case "${1:-}" in
  --down) teardown; exit 0 ;;
  --kill-node) [ $# -eq 2 ] || die "usage: setup-swarm.sh --kill-node NODE"; kill_node "$2"; exit 0 ;;
  "") ;;
  *) die "unknown argument: $1 (usage: setup-swarm.sh [--down | --kill-node NODE])" ;;
esac

command -v dockerd >/dev/null 2>&1 || die "dockerd is missing: run scripts/setup-docker.sh first"
if ! command -v ip >/dev/null 2>&1 || ! command -v iptables >/dev/null 2>&1 || ! command -v nsenter >/dev/null 2>&1; then
  log "installing iproute2, iptables, util-linux"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iproute2 iptables util-linux >/dev/null
fi
mkdir -p "$root" "$run"

# --- the registry binary: Debian's package unpacked into the cache (installing it would start a
# system service on every interface), else the distribution registry from the Go module proxy.
cache="${XDG_CACHE_HOME:-$HOME/.cache}/pulpo"
registry_bin=""
for candidate in "$cache/docker-registry/usr/bin/docker-registry" "$cache/registry-v3.1.2/registry"; do
  [ -x "$candidate" ] && { registry_bin=$candidate; break; }
done
if [ -z "$registry_bin" ]; then
  log "fetching a registry (once)"
  tmp=$(mktemp -d)
  if (cd "$tmp" && { apt-get download -qq docker-registry 2>/dev/null \
        || { apt-get update -qq && apt-get download -qq docker-registry; }; }) >&2; then
    mkdir -p "$cache/docker-registry"
    dpkg-deb -x "$tmp"/docker-registry_*.deb "$cache/docker-registry"
    registry_bin="$cache/docker-registry/usr/bin/docker-registry"
  else
    log "no docker-registry package; building the distribution registry v3.1.2 (about 2 minutes)"
    GOBIN="$cache/registry-v3.1.2" go install github.com/distribution/distribution/v3/cmd/registry@v3.1.2 >&2
    registry_bin="$cache/registry-v3.1.2/registry"
  fi
  rm -rf "$tmp"
fi

# --- the bridge and one namespace per node.
if ! ip link show "$bridge" >/dev/null 2>&1; then
  log "creating bridge $bridge ($net.1/24)"
  ip link add "$bridge" type bridge
  ip addr add "$net.1/24" dev "$bridge"
fi
ip link set "$bridge" up
# The host's dockerd sets FORWARD's policy to DROP and bridged frames go through iptables
# (bridge-nf-call-iptables), which would cut the nodes off from each other.
iptables -C "${forward_rule[@]}" 2>/dev/null || iptables -I "${forward_rule[@]}"
for rule in "${out_rules[@]}"; do
  # shellcheck disable=SC2086 # the rules are fixed words
  iptables -C $rule 2>/dev/null || iptables -I $rule
done
iptables -t nat -C "${nat_rule[@]}" 2>/dev/null || iptables -t nat -A "${nat_rule[@]}"

for node in "${nodes[@]}"; do
  ns=pulpo-$node
  [ -e "/var/run/netns/$ns" ] || ip netns add "$ns"
  if ! ip link show "psw-$node" >/dev/null 2>&1; then
    ip link add "psw-$node" type veth peer name eth0 netns "$ns"
    ip link set "psw-$node" master "$bridge"
    ip -n "$ns" addr add "$(node_addr "$node")/24" dev eth0
  fi
  ip link set "psw-$node" up
  ip -n "$ns" link set lo up
  ip -n "$ns" link set eth0 up
  ip -n "$ns" route replace default via "$net.1"
done

# --- the registries, on the bridge's address only (reachable from the host and every node).
start_registry() {
  local name=$1 addr=$2 readonly=$3
  if http_ok "http://$addr/v2/"; then return 0; fi
  stop_pid "$root/$name.pid" 5
  mkdir -p "$root/$name"
  cat > "$root/$name.yml" <<EOF
version: 0.1
log: { level: warn }
storage:
  filesystem: { rootdirectory: $root/$name }
  delete: { enabled: true }
  maintenance: { readonly: { enabled: $readonly } }
http: { addr: "$addr" }
EOF
  log "starting $name on $addr"
  setsid "$registry_bin" serve "$root/$name.yml" > "$root/$name.log" 2>&1 < /dev/null 9>&- &
  echo $! > "$root/$name.pid"
  for _ in $(seq 1 50); do http_ok "http://$addr/v2/" && return 0; sleep 0.2; done
  die "$name did not answer on $addr; see $root/$name.log"
}
start_registry registry "$registry_addr" false
start_registry refusing-registry "$refusing_addr" true

# --- one dockerd per node, in its namespace (nsenter, not `ip netns exec`: that remounts /sys and
# dockerd then finds no cgroup mounts) and in a UTS namespace of its own, so each node has its own
# hostname in `docker node ls`.
start_node() {
  local node=$1 dir=$root/$1
  answers "$node" && return 0
  stop_pid "$run/$node.pid" 10
  mkdir -p "$dir" "$run/$node"
  # An empty config file keeps a host's /etc/docker/daemon.json from applying to the nodes.
  echo '{}' > "$dir/daemon.json"
  log "starting dockerd for $node ($(node_addr "$node"))"
  setsid nsenter --net="/var/run/netns/pulpo-$node" unshare --uts -- \
    sh -c 'hostname "$0" && exec dockerd "$@"' "pulpo-$node" \
    --config-file "$dir/daemon.json" \
    --data-root "$dir/data" --exec-root "$run/$node" --pidfile "$run/$node.pid" \
    -H "$(node_sock "$node")" \
    --containerd-namespace "pulpo-$node" --containerd-plugins-namespace "pulpo-$node-plugins" \
    --insecure-registry "$net.0/24" \
    --swarm-default-advertise-addr "$(node_addr "$node")" \
    > "$dir/dockerd.log" 2>&1 < /dev/null 9>&- &
}
for node in "${nodes[@]}"; do start_node "$node"; done
for node in "${nodes[@]}"; do
  for _ in $(seq 1 150); do answers "$node" && break; sleep 0.2; done
  answers "$node" || die "dockerd of $node did not answer; see $root/$node/dockerd.log"
done

# --- the swarm: node1 is the manager; a worker that belongs to another swarm (an old manager's)
# leaves it and joins this one.
manager=${nodes[0]}
manager_addr=$(node_addr "$manager")
swarm_state() { node_docker "$1" info --format '{{.Swarm.LocalNodeState}}'; }
if [ "$(swarm_state "$manager")" != active ]; then
  log "swarm init on $manager"
  node_docker "$manager" swarm init --advertise-addr "$manager_addr" --listen-addr "$manager_addr:2377" \
    --default-addr-pool "$overlay_pool" >/dev/null
fi
token=$(node_docker "$manager" swarm join-token -q worker)
members=$(node_docker "$manager" node ls --format '{{.ID}}')
for node in "${nodes[@]:1}"; do
  if [ "$(swarm_state "$node")" = active ]; then
    grep -qx "$(node_docker "$node" info --format '{{.Swarm.NodeID}}')" <<<"$members" && continue
    node_docker "$node" swarm leave --force >/dev/null
  fi
  log "$node joins the swarm"
  node_docker "$node" swarm join --token "$token" --advertise-addr "$(node_addr "$node")" \
    "$manager_addr:2377" >/dev/null
done
# Nodes left Down by an earlier cluster (a worker that left and joined again) are forgotten.
for id in $(node_docker "$manager" node ls --format '{{.ID}} {{.Status}}' | awk '$2 == "Down" {print $1}'); do
  node_docker "$manager" node rm --force "$id" >/dev/null 2>&1 || true
done
ready=0
for _ in $(seq 1 150); do
  ready=$(node_docker "$manager" node ls --format '{{.Status}}' | grep -c '^Ready$' || true)
  [ "$ready" -ge "${#nodes[@]}" ] && break
  sleep 0.2
done
[ "$ready" -ge "${#nodes[@]}" ] || die "only $ready of ${#nodes[@]} nodes are Ready"

# --- the base image, in the registry (pushed from the manager, which trusts the plain-HTTP registry;
# the host's daemon does not). Builds on the manager also start FROM it, so it stays loaded there.
pushed=$registry_addr/$base_image
docker image inspect "$base_image" >/dev/null 2>&1 \
  || die "the host's daemon has no $base_image: run scripts/setup-docker.sh first"
if ! node_docker "$manager" image inspect "$base_image" >/dev/null 2>&1; then
  log "loading $base_image into $manager"
  docker save "$base_image" | node_docker "$manager" load >/dev/null
fi
if ! http_ok "http://$registry_addr/v2/${base_image%%:*}/manifests/${base_image##*:}" \
    'application/vnd.docker.distribution.manifest.v2+json'; then
  log "pushing $pushed"
  node_docker "$manager" tag "$base_image" "$pushed"
  node_docker "$manager" push "$pushed" >/dev/null
fi

log "swarm ready: ${#nodes[@]} nodes ($manager manager), registry $registry_addr, image $pushed"
socks=() addrs=()
for node in "${nodes[@]}"; do socks+=("$(node_sock "$node")") addrs+=("$(node_addr "$node")"); done
cat <<EOF
export PULPO_SWARM_MANAGER=$(node_sock "$manager")
export PULPO_SWARM_NODES=$(IFS=,; echo "${socks[*]}")
export PULPO_SWARM_ADDRS=$(IFS=,; echo "${addrs[*]}")
export PULPO_SWARM_REGISTRY=$registry_addr
export PULPO_SWARM_REFUSING_REGISTRY=$refusing_addr
export PULPO_SWARM_BASE_IMAGE=$pushed
export PULPO_SWARM_RUN=$run
EOF
