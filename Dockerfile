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
# The default command runs everything, gateway included; a container running
# one service gets `cfz healthcheck <service>` from docker-compose.yml.
HEALTHCHECK --interval=15s --timeout=5s --start-period=90s --retries=3 \
  CMD ["cfz", "healthcheck", "gateway", "--quiet"]
CMD ["cfz", "run"]
