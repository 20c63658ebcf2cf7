#!/bin/sh
# Makes sure the machine has what the PostgreSQL and Spark tests run on: a PostgreSQL server
# (initdb, pg_ctl; Debian's postgresql-15), Java 17 or newer for PySpark 4, and Chromium for the report
# test (Debian's chromium, driven by playwright; issue 13). Installs them with
# apt-get when missing and run as root on Debian; otherwise says what to install and exits 2.
set -eu

have_postgres() {
    ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1
}

have_java17() {
    command -v java >/dev/null 2>&1 || return 1
    major=$(java -version 2>&1 | sed -n 's/.*version "\([0-9][0-9]*\).*/\1/p' | head -n 1)
    [ -n "$major" ] && [ "$major" -ge 17 ]
}

have_chromium() {
    command -v chromium >/dev/null 2>&1
}

missing=""
have_postgres || missing="$missing postgresql-15"
have_java17 || missing="$missing openjdk-17-jre-headless"
have_chromium || missing="$missing chromium"
[ -z "$missing" ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing$missing (apt-get)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
    have_postgres && have_java17 && have_chromium && exit 0
    echo "still missing after apt-get:$missing" >&2
    exit 1
fi
echo "The engine tests need:$missing (Debian package names). Install them, or run as root to let this script do it." >&2
exit 2
