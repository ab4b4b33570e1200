# The Knooppunt application image; docker-compose.yml runs it as web, ws, worker and beat.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Pango and the DejaVu fonts for WeasyPrint (the digest PDFs; DejaVu Sans covers Latin and Arabic).
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --system --create-home --home-dir /home/knooppunt knooppunt
WORKDIR /app

# Dependencies first, so code changes do not reinstall them.
COPY pyproject.toml README.md ./
RUN mkdir community && touch community/__init__.py && pip install -e . && rm -rf community

COPY . .
# collectstatic needs settings that load; these placeholders are used at build time only
# (nothing connects to them) and never reach a running container.
RUN pybabel --quiet compile --domain django --directory locale \
    && env DEBUG=False SECRET_KEY=build-only-placeholder ALLOWED_HOSTS=build SITE_URL=https://build.invalid \
        REDIS_URL=redis://build.invalid:6379/0 DATABASE_URL=postgres://build@build.invalid/build \
        EMAIL_URL=dummy: DEFAULT_FROM_EMAIL=build@build.invalid \
        python manage.py collectstatic --noinput --verbosity 0 \
    && chown -R knooppunt /app/staticfiles

USER knooppunt
EXPOSE 8000 8001
ENTRYPOINT ["/app/deploy/entrypoint.sh"]
CMD ["web"]
