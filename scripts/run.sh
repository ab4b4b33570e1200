#!/usr/bin/env bash
# `make run`: migrate, load the demo data into an empty database, print the demo accounts, serve.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBUG="${DEBUG:-True}"
PORT="${PORT:-8000}"
BIN=.venv/bin
export PATH="$PWD/.venv/bin:$PATH"  # the Procfile names gunicorn, uvicorn and celery

$BIN/python manage.py migrate --noinput --verbosity 0
$BIN/python manage.py seed_demo --if-empty
$BIN/python manage.py demo_accounts

if [ -n "${REDIS_URL:-}" ] && [ -n "${DATABASE_URL:-}" ]; then
    echo "Full mode: pages at http://127.0.0.1:${PORT} (gunicorn), sockets on port ${WS_PORT:-8001} (uvicorn), worker and beat. Ctrl-C stops all."
    export PORT
    exec $BIN/honcho --procfile Procfile start
fi
echo "Knooppunt is at http://127.0.0.1:${PORT} (embedded mode; Ctrl-C stops it)"
exec $BIN/uvicorn community.asgi:application --host 127.0.0.1 --port "$PORT" --ws-max-size 65536
