#!/usr/bin/env bash
# Brings krust up on this machine: installs the system packages it needs, builds the binary and
# runs it. Today krust is its cluster store (the API server, scheduler, controllers and kubelet
# are being built, see docs/), so this runs the store demo against the embedded store in
# $KRUST_DATA_DIR (default /var/lib/krust).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
ensure_cargo
ensure_packages protobuf-compiler
cargo build --release --locked -p krust
exec ./target/release/krust store demo --data-dir "${KRUST_DATA_DIR:-/var/lib/krust}"
