#!/usr/bin/env bash
# `make run`: migrate, load the demo data into an empty database, print the demo accounts, serve.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBUG="${DEBUG:-True}"
PORT="${PORT:-8000}"
export SITE_URL="${SITE_URL:-http://127.0.0.1:${PORT}}"  # links in mail point where the site is served
BIN=.venv/bin
export PATH="$PWD/.venv/bin:$PATH"  # the Procfile names gunicorn, uvicorn and celery

full=0
if [ -n "${REDIS_URL:-}" ] && [ -n "${DATABASE_URL:-}" ]; then
    full=1
    # As in production, nginx sits in front: the pages' JavaScript opens its socket at the
    # page's own origin, so /ws/ must reach uvicorn on the same port as the pages.
    # Debian puts nginx in /usr/sbin, which is not on a non-root user's PATH.
    NGINX="$(command -v nginx || true)"
    if [ -z "$NGINX" ] && [ -x /usr/sbin/nginx ]; then NGINX=/usr/sbin/nginx; fi
    if [ -z "$NGINX" ]; then
        echo "error: Full mode needs nginx in front of pages and sockets: apt-get install nginx (or unset REDIS_URL for embedded mode)." >&2
        exit 1
    fi
    WS_PORT="${WS_PORT:-8001}"
    WEB_PORT="${WEB_PORT:-8002}"
    if [ "$PORT" = "$WS_PORT" ] || [ "$PORT" = "$WEB_PORT" ] || [ "$WS_PORT" = "$WEB_PORT" ]; then
        echo "error: PORT ($PORT), WS_PORT ($WS_PORT) and WEB_PORT ($WEB_PORT) must be three different ports." >&2
        exit 1
    fi
fi

$BIN/python manage.py migrate --noinput --verbosity 0
$BIN/python manage.py seed_demo --if-empty
$BIN/python manage.py demo_accounts

if [ "$full" -eq 1 ]; then
    # nginx's configuration, pid and temporary files live in a directory of this run only.
    KNOOPPUNT_RUN_DIR="$(mktemp -d -t knooppunt-run.XXXXXX)"
    trap 'rm -rf "$KNOOPPUNT_RUN_DIR"' EXIT
    # Started as root, nginx's workers run as an unprivileged user and buffer request bodies here.
    chmod 755 "$KNOOPPUNT_RUN_DIR"
    sed -e "s/@PORT@/${PORT}/g" -e "s/@WS_PORT@/${WS_PORT}/g" -e "s/@WEB_PORT@/${WEB_PORT}/g" \
        deploy/nginx-local.conf.template > "$KNOOPPUNT_RUN_DIR/nginx.conf"
    export PORT WS_PORT WEB_PORT KNOOPPUNT_RUN_DIR KNOOPPUNT_NGINX="$NGINX"
    echo "Knooppunt is at http://127.0.0.1:${PORT} (full mode: nginx in front of gunicorn on port ${WEB_PORT}" \
        "for the pages and uvicorn on port ${WS_PORT} for /ws/; a Celery worker and beat. Ctrl-C stops all.)"
    # Not exec: the EXIT trap removes the run directory once honcho has stopped everything.
    # Ctrl-C reaches honcho from the terminal; a signal sent to this script alone (make passes
    # SIGTERM on) is passed on to honcho, which stops every process before it exits.
    $BIN/honcho --procfile Procfile start &
    honcho=$!
    trap 'kill -INT "$honcho" 2>/dev/null || true' INT
    trap 'kill -TERM "$honcho" 2>/dev/null || true' TERM
    while kill -0 "$honcho" 2>/dev/null; do wait "$honcho" || true; done
    status=0
    wait "$honcho" || status=$?
    exit "$status"
fi
echo "Knooppunt is at http://127.0.0.1:${PORT} (embedded mode; Ctrl-C stops it)"
exec $BIN/uvicorn community.asgi:application --host 127.0.0.1 --port "$PORT" --ws-max-size 65536
