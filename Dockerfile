# The service image: the mscwatch command, its configuration and templates, and gunicorn for the
# web app. One image for every service in docker-compose.yml; each picks its command. Runs as an
# unprivileged user; python is there for health checks (slim images have no curl).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MSCWATCH_CONFIG_DIR=/app/config
WORKDIR /app
# A font with Chinese glyphs: the evidence map's PNG charts (the digest's chart) draw their
# Chinese labels with it; without one they are drawn in English.
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-wqy-microhei \
    && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml setup.py README.md constraints.txt ./
COPY etl ./etl
COPY templates ./templates
COPY config ./config
# constraints.txt pins every dependency at the version CI tested: the same image every build.
RUN pip install --no-cache-dir -c constraints.txt . \
    && useradd --create-home --uid 10001 mscwatch \
    && mkdir -p /app/var \
    && chown mscwatch /app/var
USER mscwatch
# The web app in production (docker-compose.yml runs gunicorn with this port).
EXPOSE 8000
# /app/var holds the archive, the outbox and the trained models: mount a volume there.
ENTRYPOINT ["mscwatch"]
CMD ["status"]
