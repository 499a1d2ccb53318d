# One image for every service; the command picks the service:
#   docker run cfz cfz run registry
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    GATEWAY_HOST=0.0.0.0 CFZ_METRICS_HOST=0.0.0.0
WORKDIR /app
COPY pyproject.toml README.md ./
COPY services ./services
RUN pip install --no-cache-dir "setuptools>=68,<81" wheel \
 && pip install --no-cache-dir . \
 && useradd --system --uid 10001 cfz
USER cfz
EXPOSE 8000 9100
# nameko finishes in-flight work on SIGTERM; give it time before SIGKILL
STOPSIGNAL SIGTERM
CMD ["cfz", "run"]
