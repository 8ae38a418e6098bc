# Handoff: `docker build -t handoff .` then
#   docker run --env-file .env -p 3000:3000 -v handoff-data:/data handoff
# Serves POST /slack/events, POST /api/messages (Teams), GET /healthz and /readyz on port 3000,
# and upgrades the database on start.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
# Only what the package needs; .dockerignore keeps .env, .venv, databases and tests out.
COPY pyproject.toml README.md constraints.txt ./
COPY api ./api
COPY bot ./bot
COPY db ./db
COPY migrations ./migrations
# The same pinned versions as make install and CI.
RUN pip install -c constraints.txt . \
    && rm -rf /src \
    && useradd --create-home --uid 10001 --shell /usr/sbin/nologin handoff \
    && mkdir /data \
    && chown handoff:handoff /data

# The embedded default: SQLite on the /data volume. For more than one replica, set
# DATABASE_URL=postgresql://user:password@host:5432/handoff instead.
ENV DATABASE_URL=sqlite:////data/handoff.db
VOLUME ["/data"]
WORKDIR /data
USER handoff

EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:3000/healthz', timeout=4).status != 200)"]
CMD ["handoff", "serve", "--host", "0.0.0.0", "--port", "3000"]
