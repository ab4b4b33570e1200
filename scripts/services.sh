#!/usr/bin/env bash
# Make sure PostgreSQL and Redis answer on 127.0.0.1 for the test suite.
# A service that is installed but stopped is started with the same command the
# machine uses at boot; one that is missing is named, with how to install it.
set -uo pipefail

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for() {  # name port
    for _ in $(seq 1 60); do
        listening "$2" && return 0
        sleep 0.5
    done
    echo "error: $1 did not start listening on 127.0.0.1:$2 within 30 seconds." >&2
    return 1
}

missing=0

if listening 5432; then
    echo "PostgreSQL: running on 127.0.0.1:5432"
elif command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ] && [ -n "$(ls /etc/postgresql)" ]; then
    version=$(ls /etc/postgresql | sort -V | tail -n 1)
    echo "PostgreSQL: installed but stopped; starting cluster $version/main"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start && wait_for PostgreSQL 5432 || missing=1
else
    echo "error: PostgreSQL is not installed (Debian: apt-get install postgresql), or not listening on 127.0.0.1:5432." >&2
    missing=1
fi

if listening 6379; then
    echo "Redis: running on 127.0.0.1:6379"
elif command -v redis-server >/dev/null 2>&1; then
    echo "Redis: installed but stopped; starting it"
    mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
        --dir /var/lib/redis --logfile /var/log/redis/ci.log && wait_for Redis 6379 || missing=1
else
    echo "error: Redis is not installed (Debian: apt-get install redis-server), or not listening on 127.0.0.1:6379." >&2
    missing=1
fi

exit "$missing"
