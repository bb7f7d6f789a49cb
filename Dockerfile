# syntax=docker/dockerfile:1
# Build stage: turn the project into wheels (the exporter and its dependencies).
FROM python:3.12-slim AS build
WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY exporter ./exporter
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

# Run stage: no compiler, no build tools, no pip cache, no secrets in any layer.
FROM python:3.12-slim
COPY --from=build /wheels /wheels
# The wheel by its file, not by name==version: a version bump needs no edit here.
RUN pip install --no-cache-dir --no-index --find-links=/wheels /wheels/openrouter_exporter-*.whl \
    && rm -rf /wheels \
    && useradd --system --uid 10001 --user-group --no-create-home exporter \
    && mkdir -p /var/lib/openrouter-exporter \
    && chown exporter:exporter /var/lib/openrouter-exporter
COPY config.example.yaml /etc/openrouter-exporter/config.yaml
# Nothing is written outside the state volume, so the root filesystem can be read-only
# (docker run --read-only): no bytecode caches at run time (install compiled them).
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
# State (request log, last good data) lives on a volume so the root filesystem can be
# read-only and the budget survives container restarts.
VOLUME ["/var/lib/openrouter-exporter"]
WORKDIR /var/lib/openrouter-exporter
USER 10001:10001
EXPOSE 10110
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:10110/healthz', timeout=4)"]
ENTRYPOINT ["openrouter-exporter"]
# The key comes from OPENROUTER_API_KEY or a mounted secret (openrouter.api_key_file).
CMD ["run", "--config.file=/etc/openrouter-exporter/config.yaml"]
