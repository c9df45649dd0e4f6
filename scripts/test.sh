#!/usr/bin/env bash
# Runs the whole test suite: unit tests, the store conformance suite against the embedded store
# and against a real etcd (Debian etcd-server), the crash test, and a smoke run of the
# benchmark. Installs the system packages the tests need. This is what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
ensure_cargo
ensure_packages protobuf-compiler etcd-server
# The Debian package starts an etcd service on the default ports; the tests start their own
# on free ports and do not need it.
cargo test --workspace --locked "$@"
