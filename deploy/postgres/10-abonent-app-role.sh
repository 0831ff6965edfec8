#!/bin/sh
# Run once by the postgres image when the data directory is created: the role the
# application connects as. Row-level security binds it (not a superuser, not the tables'
# owner); `manage.py migrate` runs as POSTGRES_USER (DATABASE_MIGRATE_URL) and grants it its
# rights on the tables after every migration (core/rls.py).
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v app_password="$ABONENT_APP_PASSWORD" <<'SQL'
CREATE ROLE abonent_app LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD :'app_password';
GRANT CONNECT ON DATABASE abonent TO abonent_app;
SQL
