# The app's image, used by compose.yaml: the `coviu-slack` command on Python 3.11.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip install . \
    && useradd --system --create-home --home-dir /home/coviu coviu

# Not root; the working directory is where plain `serve` keeps its SQLite file.
USER coviu
WORKDIR /home/coviu
ENV PORT=3000
EXPOSE 3000
CMD ["coviu-slack", "serve", "--host", "0.0.0.0"]
