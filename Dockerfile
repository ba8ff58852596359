FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    PROMETHEUS_MULTIPROC_DIR=/app/metrics
WORKDIR /app

# The exact versions of every dependency, checked against their hashes (`make lock`
# refreshes the lock); then the tracker itself, which may bring in nothing else.
COPY requirements.lock ./
RUN pip install --require-hashes -r requirements.lock
COPY pyproject.toml README.md babel.cfg ./
COPY tracker ./tracker
COPY templates ./templates
COPY migrations ./migrations
RUN pip install --no-deps . && pybabel compile -d tracker/translations -f \
    && useradd --create-home --uid 1000 tracker && mkdir -p /app/instance /app/metrics \
    && chown tracker /app/instance /app/metrics
USER tracker

EXPOSE 8000
# The config file keeps /metrics right across gunicorn's several processes.
CMD ["gunicorn", "--config", "python:tracker.gunicorn_conf", "--bind", "0.0.0.0:8000", \
     "--workers", "3", "--timeout", "600", "tracker:create_app()"]
