# The register's command line and API, for use with docker-compose.yml (Neo4j runs in its own container).
FROM python:3.11-slim
WORKDIR /app
COPY . .
RUN pip install --no-cache-dir . && useradd --create-home spr
USER spr
EXPOSE 8000
CMD ["sh", "-c", "spr schema apply && spr serve --host 0.0.0.0 --port 8000"]
