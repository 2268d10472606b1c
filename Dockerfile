# Relay as a single-container appliance. Data lives in the /data volume.
#   docker build -t relay .
#   docker run -d -p 5110:5110 -v relay-data:/data relay
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY relay ./relay
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin relay \
    && mkdir /data && chown relay:relay /data
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
ENV RELAY_DATA_DIR=/data \
    RELAY_HOST=0.0.0.0 \
    RELAY_PORT=5110 \
    PYTHONUNBUFFERED=1
USER relay
VOLUME /data
EXPOSE 5110
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 CMD ["relay", "health"]
STOPSIGNAL SIGTERM
CMD ["relay", "serve"]
