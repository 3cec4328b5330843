# Sourced by demo.sh and test.sh: makes .venv with dcctl and its test tools, from this checkout only.
# Safe to re-run: it installs only when pyproject.toml changed since the last install.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    missing=()
    python3 -m venv --help >/dev/null 2>&1 || missing+=(python3-venv)
    command -v git >/dev/null || missing+=(git)
    if [ ${#missing[@]} -gt 0 ]; then
        echo "==> apt-get install ${missing[*]}"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
    fi
fi

stamp=".venv/.dcctl-installed"
want="$(sha256sum pyproject.toml | cut -c1-16)"
if [ ! -x .venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "==> creating .venv and installing dcctl with its test tools"
    python3 -m venv .venv
    .venv/bin/python -m pip install -q --upgrade pip >/dev/null
    .venv/bin/python -m pip install -q -e '.[test]'
    echo "$want" > "$stamp"
fi
export PATH="$ROOT/.venv/bin:$PATH"
