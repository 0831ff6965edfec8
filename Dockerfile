# Abonent: one image for web (gunicorn), worker and beat (celery); see docker-compose.yml.

# Translations are compiled here so the runtime image needs no gettext.
FROM python:3.11-slim AS messages
RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/*
COPY locale /locale
RUN find /locale -name '*.po' -exec sh -c 'msgfmt --check -o "${1%.po}.mo" "$1"' _ {} \;

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MEDIA_ROOT=/app/var/media
WORKDIR /app

# WeasyPrint renders the documents' PDFs with Pango; DejaVu has the Polish letters;
# ping for the login window's "additional information".
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
       fonts-dejavu-core iputils-ping \
    && rm -rf /var/lib/apt/lists/*

# Dependencies first, in their own layer: they change less often than the code.
# "--group" (PEP 735 dependency groups) needs pip >= 25.1.
COPY pyproject.toml ./
RUN pip install "pip>=25.1" && pip install --group run

RUN useradd --system --uid 10001 --user-group --home-dir /app --no-create-home abonent
COPY --chown=abonent:abonent . .
COPY --from=messages --chown=abonent:abonent /locale /app/locale
# var/ holds collected static files (written at start) and the media volume's mount point.
RUN mkdir -p var/static var/media && chown -R abonent:abonent var

USER abonent
EXPOSE 8000
CMD ["gunicorn", "config.wsgi", "--config", "deploy/gunicorn.conf.py"]
