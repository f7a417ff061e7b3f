# spepred HTTP service (`spepred serve`), built offline from wheels made beforehand:
#
#   pip wheel ".[server]" -w wheelhouse        # on the host: spepred and every dependency
#   docker build -t spepred .                  # no index is reached during the build
#   docker run --rm -p 8000:8000 spepred       # then: curl http://127.0.0.1:8000/health
#
# The wheels must match the image (CPython 3.11, manylinux x86_64 or aarch64): build them
# with a python3.11 on Linux, or pass --platform/--python-version/--only-binary=:all: to
# `pip wheel`. (Not built on the project machine, which runs no docker daemon; the same
# offline install from a wheelhouse and `spepred serve` answering /health were run in a venv.)
# A model of your own: mount it and pass --model, e.g.
#   docker run --rm -p 8000:8000 -v "$PWD/models/mine:/model:ro" spepred serve --host 0.0.0.0 --model /model
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MPLCONFIGDIR=/tmp/matplotlib

COPY wheelhouse/ /tmp/wheelhouse/
RUN pip install --no-index --find-links /tmp/wheelhouse "spepred[server]" \
    && rm -rf /tmp/wheelhouse \
    && useradd --create-home --uid 10001 spepred

USER spepred
WORKDIR /home/spepred
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4)"]
ENTRYPOINT ["spepred"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
