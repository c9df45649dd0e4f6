# Shared helpers for krust's scripts. Sourced, not run.

# ensure_packages PKG...: installs the Debian packages that are missing (apt-get, as root or
# through sudo). Prints what it installs; fails with a message saying what to do otherwise.
ensure_packages() {
    local missing=()
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null; then sudo="sudo"; else
            echo "krust needs these Debian packages: ${missing[*]}; install them as root (apt-get install ${missing[*]})" >&2
            return 1
        fi
    fi
    if ! command -v apt-get >/dev/null; then
        echo "krust needs these packages: ${missing[*]} (Debian names); this system has no apt-get, install their equivalents" >&2
        return 1
    fi
    echo "installing ${missing[*]} ..." >&2
    $sudo apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

ensure_cargo() {
    if ! command -v cargo >/dev/null; then
        echo "krust is built with cargo; install a Rust toolchain (https://rustup.rs) and run this again" >&2
        return 1
    fi
}
