#!/bin/sh
# Migrate, then serve. Migrations are idempotent, so every replica may run them;
# Alembic takes the version row, so concurrent starts apply each revision once.
set -eu
casework migrate
exec casework serve --host 0.0.0.0 --port "${PORT:-8000}" --workers "${WORKERS:-2}"
