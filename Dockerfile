# The service image: the CLI, its configuration and templates. Runs as an unprivileged user.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY etl ./etl
COPY config ./config
COPY templates ./templates
RUN pip install --no-cache-dir . && useradd --create-home mscwatch && mkdir -p /app/var \
    && chown mscwatch /app/var
USER mscwatch
ENTRYPOINT ["mscwatch"]
CMD ["status"]
