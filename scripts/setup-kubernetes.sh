#!/usr/bin/env bash
# What the Kubernetes export tests validate with, offline: kubeconform (built from the Go module
# proxy) and the official API schemas of a current Kubernetes version (from the PyPI package
# kubernetes-validate, installed into a directory of its own, never the project's .venv), with
# their `$ref`s inlined so kubeconform can read them. Also checks that kubectl (for `kubectl
# kustomize`) is there, installing it from the distribution's packages when it can.
#
# Everything is cached under ${XDG_CACHE_HOME:-$HOME/.cache}/pulpo/; a second run does nothing.
# Prints, for `eval`, the environment the tests need (PULPO_KUBECONFORM, PULPO_K8S_SCHEMAS,
# PULPO_K8S_VERSION, and PULPO_KUBECTL or PULPO_KUBECTL_MISSING); progress goes to stderr.
set -euo pipefail
log() { echo "setup-kubernetes: $*" >&2; }
die() { log "$*"; exit 1; }

kubeconform_version=v0.8.0
validate_version=${PULPO_KUBERNETES_VALIDATE_VERSION:-1.37.0}
cache="${XDG_CACHE_HOME:-$HOME/.cache}/pulpo"
mkdir -p "$cache"

# --- kubeconform
kubeconform="$cache/kubeconform-$kubeconform_version/kubeconform"
if [ ! -x "$kubeconform" ]; then
  command -v go >/dev/null 2>&1 || die "go is missing: kubeconform is built from the Go module proxy"
  log "building kubeconform $kubeconform_version (once)"
  GOBIN="$(dirname "$kubeconform")" go install "github.com/yannh/kubeconform/cmd/kubeconform@$kubeconform_version" >&2
fi

# --- the schemas: kubernetes-validate ships the API's JSON schemas per Kubernetes version; its
# definitions sit in one file that every schema refers to, which kubeconform cannot follow.
pkg="$cache/kubernetes-validate-$validate_version"
if [ ! -d "$pkg/kubernetes_validate" ]; then
  log "installing kubernetes-validate $validate_version into $pkg (once)"
  rm -rf "$pkg.tmp"
  # Only its data is used (no import, so no dependencies); pip of a private venv when python3 has none.
  pip=(python3 -m pip)
  if ! python3 -m pip --version >/dev/null 2>&1; then
    [ -x "$cache/pip-venv/bin/pip" ] || python3 -m venv "$cache/pip-venv" >&2
    pip=("$cache/pip-venv/bin/pip")
  fi
  PIP_ROOT_USER_ACTION=ignore "${pip[@]}" install --quiet --disable-pip-version-check --no-deps --target "$pkg.tmp" "kubernetes-validate==$validate_version" >&2
  mv "$pkg.tmp" "$pkg"
fi
schemas_root="$pkg/kubernetes_validate/kubernetes-json-schema"
[ -d "$schemas_root" ] || die "kubernetes-validate $validate_version has no kubernetes-json-schema directory"
# The newest Kubernetes version it has schemas for (directories like v1.33.0-standalone-strict or v1.33.0).
k8s_version=${PULPO_K8S_VERSION:-$(ls "$schemas_root" | sed -n 's/^v\([0-9]*\.[0-9]*\.[0-9]*\).*/\1/p' | sort -t. -k1,1n -k2,2n -k3,3n | tail -n1)}
[ -n "$k8s_version" ] || die "no Kubernetes version found under $schemas_root"
out="$cache/kubernetes-schemas-$validate_version/v$k8s_version-standalone-strict"
if [ ! -f "$out/.complete" ]; then
  log "inlining the schemas of Kubernetes $k8s_version into $out (once)"
  rm -rf "$out"
  mkdir -p "$out"
  python3 - "$schemas_root" "$k8s_version" "$out" <<'PY' >&2
import json, os, sys

root, version, out = sys.argv[1], sys.argv[2], sys.argv[3]
# The strict variant (additionalProperties: false everywhere) when the package has it.
candidates = [d for d in os.listdir(root) if d.startswith(f"v{version}")]
candidates.sort(key=lambda d: ("strict" not in d, "standalone" not in d, d))
src = os.path.join(root, candidates[0])
cache = {}

def load(path):
    if path not in cache:
        with open(path) as f:
            cache[path] = json.load(f)
    return cache[path]

def pointer(doc, frag):
    for part in [p for p in frag.split("/") if p]:
        doc = doc[part.replace("~1", "/").replace("~0", "~")]
    return doc

def inline(node, base, stack):
    """Replaces every $ref with the schema it names, resolved against the file it was written in."""
    if isinstance(node, list):
        return [inline(v, base, stack) for v in node]
    if not isinstance(node, dict):
        return node
    if isinstance(node.get("$ref"), str):
        ref = node["$ref"]
        target, _, frag = ref.partition("#")
        # "/api/_definitions.json" means the definitions file beside the schemas.
        path = base if not target else os.path.join(src, os.path.basename(target)) if target.startswith("/") else os.path.normpath(os.path.join(os.path.dirname(base), target))
        key = (path, frag)
        if key in stack:
            # A recursive type (JSONSchemaProps): below the first level, anything goes.
            return {}
        resolved = inline(pointer(load(path), frag), path, stack | {key})
        rest = {k: inline(v, base, stack) for k, v in node.items() if k != "$ref"}
        return {**resolved, **rest} if rest else resolved
    return {k: inline(v, base, stack) for k, v in node.items() if not (k in ("$schema", "$id") and isinstance(v, str))}

count = 0
for name in sorted(os.listdir(src)):
    path = os.path.join(src, name)
    if not name.endswith(".json") or name.startswith("_") or not os.path.isfile(path):
        continue
    # Only the API's objects (a kind of their own) are what manifests are; their parts need no file.
    if "x-kubernetes-group-version-kind" not in load(path):
        continue
    doc = inline(load(path), path, frozenset())
    with open(os.path.join(out, name), "w") as f:
        json.dump(doc, f, sort_keys=True)
    count += 1
print(f"inlined {count} schemas from {src}")
PY
  touch "$out/.complete"
fi

# --- kubectl, for `kubectl kustomize` (client only, no cluster needed).
kubectl=$(command -v kubectl || true)
if [ -z "$kubectl" ] && [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  for p in kubectl kubernetes-client; do
    if apt-cache policy "$p" 2>/dev/null | grep -q 'Candidate: [0-9]'; then
      log "installing $p"
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$p" >/dev/null 2>&1 && break
    fi
  done
  kubectl=$(command -v kubectl || true)
fi

log "kubeconform $kubeconform_version, schemas of Kubernetes $k8s_version (kubernetes-validate $validate_version), kubectl: ${kubectl:-missing}"
echo "export PULPO_KUBECONFORM=$kubeconform"
echo "export PULPO_K8S_SCHEMAS=$out"
echo "export PULPO_K8S_VERSION=$k8s_version"
if [ -n "$kubectl" ]; then
  echo "export PULPO_KUBECTL=$kubectl"
else
  echo "export PULPO_KUBECTL_MISSING='no kubectl on PATH and no kubectl or kubernetes-client package to install'"
fi
