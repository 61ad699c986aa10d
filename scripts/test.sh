#!/usr/bin/env bash
# Installs what the test suite needs on a Debian machine with Python, then runs the whole suite.
# Debian packages: sip-tester (sipp), iproute2 (ip, for the loopback-only namespace),
# sipvicious (svcrack, svwar) and baresip-core (a second softphone), installed only where
# missing.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v sipp >/dev/null 2>&1 || need+=(sip-tester)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v svcrack >/dev/null 2>&1 || need+=(sipvicious)
command -v baresip >/dev/null 2>&1 || need+=(baresip-core)
if ((${#need[@]})); then
    if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}"
fi

# Debian's packages above may reinstall its Python's "externally managed" marker; this
# script installs into whatever python3 runs it, as the README's run command does.
export PIP_BREAK_SYSTEM_PACKAGES=1
python3 -m pip install -q -e ".[test]"
python3 -m ruff check softswitch tests bench
exec python3 -m pytest "$@"
