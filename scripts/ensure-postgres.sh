#!/usr/bin/env bash
# Install Debian's PostgreSQL server for the database scenarios, once. `awaitbench run` starts a fresh server
# of its own per run; without one (not root, no apt) it skips those scenarios with one line saying why, and
# their tests skip with the same reason.
set -euo pipefail
if [ -n "${AWAITBENCH_PG_BINDIR:-}" ] || compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null \
    || command -v postgres >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing postgresql (Debian package) for the database scenarios..."
    # No cluster of the package's own: nothing would stop it, and the bench needs none.
    if [ ! -e /etc/postgresql-common/createcluster.conf ]; then
        mkdir -p /etc/postgresql-common
        echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.conf
    fi
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o Dpkg::Options::=--force-confold \
        postgresql >/dev/null
else
    echo "PostgreSQL not found and cannot be installed here: the database scenarios will be skipped" >&2
fi
