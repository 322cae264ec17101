# PracOps production image: gunicorn for the web, the same image for Celery worker and beat.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PRACOPS_VAR_DIR=/var/lib/pracops

# WeasyPrint renders prior-authorization packets with Pango.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home /app pracops && mkdir -p /var/lib/pracops && chown pracops /var/lib/pracops

WORKDIR /app
COPY pyproject.toml README.md ./
COPY pracops ./pracops
COPY priorauth ./priorauth
COPY documentation ./documentation
COPY billing ./billing
COPY manage.py ./
COPY docker ./docker
# Static files as production serves them (hashed names and their manifest): docker/collectstatic.
RUN pip install --no-cache-dir . \
 && sh docker/collectstatic

USER pracops
EXPOSE 8000
# Logs without query strings or patient data: see pracops/gunicorn.conf.py.
CMD ["gunicorn", "-c", "pracops/gunicorn.conf.py", "pracops.wsgi"]
