# One image for every Xinsheng service and process type; docker-compose.yml gives each container
# its command (python -m services web|worker SERVICE, migrate, import-directory).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN groupadd --system --gid 10001 xinsheng \
 && useradd --system --uid 10001 --gid xinsheng --create-home xinsheng

WORKDIR /app

# The CJK font of reports' monthly PDF (REPORT_FONT); nothing else from Debian.
RUN apt-get update \
 && apt-get install -y --no-install-recommends fonts-wqy-microhei \
 && rm -rf /var/lib/apt/lists/*

# Dependencies first, so a code change does not reinstall them.
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY . .
# The metrics directory belongs to the app user: an empty named volume mounted there takes its
# owner from the image, so web and worker (non-root) can both write to it.
RUN python -m services compile-translations \
 && mkdir -p var /var/run/xinsheng-metrics \
 && chown xinsheng:xinsheng var /var/run/xinsheng-metrics

# Bind every interface: the web process's own default (127.0.0.1) is unreachable from outside.
ENV PROMETHEUS_MULTIPROC_DIR=/var/run/xinsheng-metrics \
    HOST=0.0.0.0
USER xinsheng
EXPOSE 8001 8002 8003 8004
CMD ["python", "-m", "services", "web", "intake"]
