#!/usr/bin/env bash
# Install Debian's chromium for the report's headless-browser test, once. Tests that need it skip
# with a clear reason when it is absent and this machine cannot install it (not root, no apt).
set -euo pipefail
command -v chromium >/dev/null 2>&1 && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing chromium (Debian package) for the report's browser test..."
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
else
    echo "chromium not found and cannot be installed here: the browser test will be skipped" >&2
fi
