# One image for every modelmix process; the command picks the part:
#   collector | assemble --loop | dashboard | db upgrade | demo | report ...
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /opt/modelmix
COPY pyproject.toml README.md alembic.ini ./
COPY modelmix ./modelmix
COPY collector ./collector
COPY app ./app
COPY migrations ./migrations
RUN pip install . \
    && useradd --system --create-home --uid 10001 modelmix \
    && mkdir -p /var/lib/modelmix && chown modelmix /var/lib/modelmix

# The source tree is imported first: migrations, alembic.ini and the dashboard's pages are read
# from beside the package, exactly as in a checkout.
ENV PYTHONPATH=/opt/modelmix \
    MODELMIX_DATA_DIR=/var/lib/modelmix \
    MODELMIX_OTLP_HOST=0.0.0.0 \
    MODELMIX_DASHBOARD_HOST=0.0.0.0

USER modelmix
EXPOSE 4317 4318 8501
ENTRYPOINT ["modelmix"]
CMD ["up"]
