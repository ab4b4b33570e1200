#!/bin/sh
# Container entry point: `web` prepares the database and static files, then every role execs its server.
set -e
case "$1" in
    web)
        python manage.py migrate --noinput
        python manage.py collectstatic --noinput --verbosity 0
        exec gunicorn community.wsgi:application --bind 0.0.0.0:8000 \
            --workers "${WEB_WORKERS:-3}" --access-logfile -
        ;;
    ws)
        # No --proxy-headers: the app reads X-Forwarded-For itself, trusting exactly
        # TRUSTED_PROXY_COUNT proxies (uvicorn would believe the client's leftmost entry).
        exec uvicorn community.asgi:application --host 0.0.0.0 --port 8001 --ws-max-size 65536 --no-proxy-headers
        ;;
    worker)
        exec celery --app community worker --loglevel INFO --concurrency "${WORKER_CONCURRENCY:-2}"
        ;;
    beat)
        exec celery --app community beat --loglevel INFO --pidfile /tmp/celerybeat.pid \
            --scheduler django_celery_beat.schedulers:DatabaseScheduler
        ;;
    *)
        exec "$@"
        ;;
esac
