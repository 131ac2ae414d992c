# syntax=docker/dockerfile:1
#
# bme-bot: the Telegram triage-education bot.
#
#   docker build -t bme-bot .
#   docker run -d -e TELEGRAM_BOT_TOKEN=... -v bme-data:/data bme-bot
#
# BASE is any Debian-like image with Python >= 3.11 and the venv module
# (python:3.12-slim by default; scripts/docker-smoke.sh builds a local
# debootstrap base where no registry is reachable). See docs/DOCKER.md.
ARG BASE=python:3.12-slim

# ---------------------------------------------------------------------------
# Stage 1: build the bme-bot wheel and install it, with its runtime
# dependencies only, into the venv /opt/venv. Nothing else from this stage
# (build tools, wheels, sources, pip's caches) reaches the final image.
# ---------------------------------------------------------------------------
FROM ${BASE} AS build

# Optional package-index settings, passed by the build script from the host's
# own pip configuration (no index is written here; PyPI is pip's default, and
# pip ignores these variables while they are empty). They live in this stage
# only and never reach the final image.
ARG PIP_INDEX_URL=""
ARG PIP_EXTRA_INDEX_URL=""
ARG PIP_TRUSTED_HOST=""

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_DEFAULT_TIMEOUT=120

SHELL ["/bin/sh", "-eu", "-c"]

# A throw-away venv with the build backend (Debian's own pip is externally
# managed, PEP 668), and the runtime venv that the final stage copies.
RUN python3 -m venv /opt/build \
 && /opt/build/bin/pip install "hatchling==1.33.0" \
 && python3 -m venv /opt/venv

WORKDIR /src

# Runtime dependencies first, read from pyproject.toml alone, so that a change
# to the code reuses this layer and a warm build needs no network.
COPY pyproject.toml ./
RUN /opt/build/bin/python -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]))' > /tmp/requirements.txt \
 && /opt/venv/bin/pip install --requirement /tmp/requirements.txt

# Then the project itself, built offline with the pinned backend. flows/ and
# content/ are force-included into the wheel under bme_bot/_shipped/ (see
# pyproject.toml). pip and setuptools then leave the runtime venv: nothing
# needs them at run time (half the venv's size, and no installer in the image).
COPY README.md ./
COPY bme_bot ./bme_bot
COPY flows ./flows
COPY content ./content
RUN /opt/build/bin/pip wheel --no-deps --no-build-isolation --wheel-dir /tmp/wheels . \
 && /opt/venv/bin/pip install --no-deps /tmp/wheels/*.whl \
 && /opt/venv/bin/pip check \
 && /opt/venv/bin/python -m pip uninstall --yes pip setuptools \
 && /opt/venv/bin/bme-bot --help > /dev/null

# ---------------------------------------------------------------------------
# Stage 2: the runtime image: the base, a non-root user, and the venv.
# ---------------------------------------------------------------------------
FROM ${BASE} AS runtime

LABEL org.opencontainers.image.title="bme-bot" \
      org.opencontainers.image.description="Triage education for hip, knee, ankle and foot pain (bone marrow edema). It never diagnoses." \
      org.opencontainers.image.licenses="MIT"

SHELL ["/bin/sh", "-eu", "-c"]

# A fixed numeric user and group, so that orchestrators can check
# runAsNonRoot and a bind-mounted /data can be chown'ed to 10001 on the host.
ARG UID=10001
ARG GID=10001
RUN groupadd --gid "${GID}" bme \
 && useradd --no-log-init --uid "${UID}" --gid "${GID}" --home-dir /data \
      --no-create-home --shell /usr/sbin/nologin bme \
 && mkdir -p /data \
 && chown "${UID}:${GID}" /data \
 && chmod 0750 /data

# The venv from the build stage: same base, same path, so its interpreter
# links and script shebangs stay valid. Owned by root, read-only for the bot.
COPY --from=build /opt/venv /opt/venv

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    BME_DATA_DIR=/data \
    STORE_URL=sqlite:////data/bme-bot.sqlite3 \
    LOG_LEVEL=INFO \
    WEBHOOK_LISTEN=0.0.0.0 \
    WEBHOOK_PORT=8080

# The token is never baked in: give TELEGRAM_BOT_TOKEN at run time, or mount
# a secret file and point TELEGRAM_BOT_TOKEN_FILE at it, for example
# TELEGRAM_BOT_TOKEN_FILE=/run/secrets/telegram_bot_token (compose secrets).

VOLUME ["/data"]
WORKDIR /data
USER ${UID}:${GID}

# Webhook mode only (WEBHOOK_URL set); polling mode listens on nothing.
EXPOSE 8080

# `bme-bot health`: configuration valid, flows load, store reachable;
# exit 0 or 1 with a one-line reason.
HEALTHCHECK --interval=30s --timeout=10s --start-period=20s --retries=3 \
  CMD ["bme-bot", "health"]

ENTRYPOINT ["bme-bot"]
CMD ["telegram"]
