#!/usr/bin/env bash
# Installs the official Python Kubernetes client (PyPI `kubernetes`), used by the black-box test
# crates/krust/tests/python_client.rs, into a virtualenv of its own.
#
# Usage: scripts/fetch-python-client.sh
#   KRUST_PYTHON_CLIENT_DIR  the virtualenv (default: <repo>/.cache/python-client)
#
# Idempotent: does nothing if the virtualenv already has the pinned version. Needs python3; on
# Debian without the venv module it installs python3-venv (as root or through sudo).
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$repo_root/scripts/lib.sh"
venv="${KRUST_PYTHON_CLIENT_DIR:-$repo_root/.cache/python-client}"
version="37.0.2"

works() {
    [[ -x "$venv/bin/python" ]] &&
        "$venv/bin/python" -c "import sys, kubernetes; sys.exit(kubernetes.__version__ != '$version')" 2>/dev/null
}

if works; then
    echo "fetch-python-client: kubernetes $version already in $venv"
    exit 0
fi

command -v python3 >/dev/null || ensure_packages python3
if [[ ! -x "$venv/bin/python" ]]; then
    rm -rf "$venv"
    if ! python3 -m venv "$venv" 2>/dev/null; then
        # Debian's python3 has the venv module in a package of its own.
        rm -rf "$venv"
        ensure_packages python3-venv
        python3 -m venv "$venv"
    fi
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "kubernetes==$version"
works || {
    echo "fetch-python-client: kubernetes $version is still not importable from $venv/bin/python" >&2
    exit 1
}
echo "fetch-python-client: installed kubernetes $version in $venv"
