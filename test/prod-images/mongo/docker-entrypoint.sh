#!/bin/sh
# mongo:7's interface over FerretDB: the command is mongod's (`mongod --bind_ip_all --port N
# [--dbpath DIR]`, or only its flags), which pulpo gives a mongodb service in a container.
set -eu
[ "${1:-}" = mongod ] && shift
port=27017 bind=127.0.0.1 dbpath=/data/db
while [ $# -gt 0 ]; do
  case $1 in
    --port) port=$2; shift ;;
    --port=*) port=${1#*=} ;;
    --bind_ip_all) bind=0.0.0.0 ;;
    --bind_ip) bind=$2; shift ;;
    --dbpath) dbpath=$2; shift ;;
    --dbpath=*) dbpath=${1#*=} ;;
    *) echo "docker-entrypoint.sh: the FerretDB stand-in does not take mongod's $1" >&2; exit 2 ;;
  esac
  shift
done
# warn would log lines for every client that disconnects (its endSessions).
exec ferretdb --handler=sqlite "--sqlite-url=file:$dbpath/" "--state-dir=$dbpath" "--listen-addr=$bind:$port" \
  --debug-addr=127.0.0.1:0 --telemetry=disable --log-level=error
