#!/usr/bin/env bash
# Brings krust up on this machine: installs the system packages it needs, builds the binary,
# starts `krust server` (the API server on the embedded store, and the scheduler) in the
# background, and shows it working with the real kubectl. Today krust has its store, API server
# and scheduler; the controllers and kubelet that turn objects into containers are being built
# (see docs/).
#
#   KRUST_DATA_DIR   where the cluster keeps its state (default /var/lib/krust)
#   KRUST_PORT       the API server's HTTPS port (default 6443)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
ensure_cargo
ensure_packages protobuf-compiler
data="${KRUST_DATA_DIR:-/var/lib/krust}"
port="${KRUST_PORT:-6443}"
cargo build --release --locked -p krust
bash scripts/fetch-clients.sh >/dev/null
kubectl="$PWD/.cache/clients/kubectl"
mkdir -p "$data"
if [ -f "$data/server.pid" ] && kill -0 "$(cat "$data/server.pid")" 2>/dev/null; then
    echo "krust server already running (pid $(cat "$data/server.pid"))"
else
    nohup ./target/release/krust server --data-dir "$data" --https-listen-port "$port" >"$data/server.log" 2>&1 &
    echo $! >"$data/server.pid"
fi
export KUBECONFIG="$data/server/cred/admin.kubeconfig"
for _ in $(seq 1 100); do
    [ -f "$KUBECONFIG" ] && "$kubectl" get --raw /readyz >/dev/null 2>&1 && break
    sleep 0.1
done
"$kubectl" get --raw /readyz >/dev/null || { echo "krust server did not start; see $data/server.log" >&2; exit 1; }
"$kubectl" version
"$kubectl" get namespace hello >/dev/null 2>&1 || "$kubectl" create -f examples/hello.yaml
"$kubectl" get all -n hello
cat <<MSG

krust is running (pid $(cat "$data/server.pid"), log $data/server.log). Use it with:
  export KUBECONFIG=$KUBECONFIG
  $kubectl get ns
Stop it with: kill \$(cat $data/server.pid)
MSG
