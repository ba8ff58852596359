FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
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
    && useradd --create-home --uid 1000 tracker && mkdir -p /app/instance \
    && chown tracker /app/instance
USER tracker

EXPOSE 8000
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "600", "tracker:create_app()"]
