#!/bin/sh
# Applies the audit ledger's migrations (the V<NNN>__<name>.sql files beside this script,
# or in MIGRATIONS_DIR) to one database. Safe to run on every deploy:
#   - each applied version is recorded with the sha256 of its file in
#     audit_migrations.applied; applied ones are skipped, pending ones are applied in
#     version order, each in one transaction together with its record;
#   - it stops, before applying anything further, when an applied migration's file has
#     changed, when the database has a migration this directory lacks (an older package),
#     or when a pending migration is older than an applied one;
#   - concurrent runs queue on a session advisory lock; the later ones find nothing to do.
# A migration holds no transaction control of its own (the runner wraps it).
#
# Needs only a POSIX shell and psql (it runs in the official postgres image). Connects as
# psql does: the libpq environment (PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD or
# PGPASSFILE, PGSSLMODE, ...); its arguments go to psql (e.g. a connection URI). It runs
# as the database owner: the login itself, or a NOLOGIN role the login is a member of,
# chosen with PGOPTIONS='-c role=<role>'. That role needs CREATEROLE while the ledger's
# group roles do not exist yet, or else membership in audit_owner (see V001). The
# server's built-in sha256() hashes each file's bytes.
set -eu

dir=${MIGRATIONS_DIR:-$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)}
case $dir in
  *"'"* | *'\'* | *"
"*) echo "migrate.sh: the migrations directory must not contain quotes, backslashes or newlines in its path: $dir" >&2; exit 2 ;;
esac

# The migrations, checked before anything connects, as "<version> <name>" lines.
found=''
for file in "$dir"/V*__*.sql; do
  [ -e "$file" ] || { echo "migrate.sh: no migrations (V<NNN>__<name>.sql) in $dir" >&2; exit 2; }
  base=$(basename "$file" .sql)
  digits=${base%%__*}
  digits=${digits#V}
  case $digits in
    '' | *[!0-9]*) echo "migrate.sh: $file: the version must be digits, as in V001__name.sql" >&2; exit 2 ;;
  esac
  case $base in
    *[!A-Za-z0-9_]*) echo "migrate.sh: $file: use only letters, digits and _ in a migration's name" >&2; exit 2 ;;
  esac
  version=$(printf '%s' "$digits" | sed 's/^0*//')
  found="$found${version:-0} $base
"
done
migrations=$(printf '%s' "$found" | sort -n)
duplicate=$(printf '%s\n' "$migrations" | cut -d' ' -f1 | uniq -d | head -n 1)
if [ -n "$duplicate" ]; then
  echo "migrate.sh: two migrations have version $duplicate" >&2
  exit 2
fi
known=$(printf '%s\n' "$migrations" | cut -d' ' -f1 | paste -s -d, -)

# The psql script: one session, so that the advisory lock is held throughout.
script() {
  cat <<SQL
SET client_min_messages = warning;
SELECT current_setting('server_version_num')::int < 150000 AS too_old \\gset
\\if :too_old
  DO \$\$ BEGIN RAISE EXCEPTION 'the audit ledger needs PostgreSQL 15 or later; this server is %', current_setting('server_version'); END \$\$;
\\endif
-- The lock key is 'audit' in ASCII; advisory locks are per database.
SELECT pg_advisory_lock(418581342580) \\g /dev/null
CREATE SCHEMA IF NOT EXISTS audit_migrations;
CREATE TABLE IF NOT EXISTS audit_migrations.applied (
  version    integer     PRIMARY KEY,
  name       text        NOT NULL,
  sha256     text        NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now(),
  applied_by name        NOT NULL DEFAULT session_user
);
-- Whether a migration is pending. Raises when it was applied with other content, when a
-- later version is applied already, or when the database has versions this directory
-- lacks (it was migrated by a newer package: older code must not run against it).
CREATE OR REPLACE FUNCTION audit_migrations.pending(v integer, migration text, sha text, known integer[])
RETURNS boolean
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS \$\$
DECLARE
  unknown text;
  applied_sha text;
  latest integer;
BEGIN
  SELECT string_agg(a.version::text, ', ' ORDER BY a.version) INTO unknown
    FROM audit_migrations.applied a WHERE a.version <> ALL (known);
  IF unknown IS NOT NULL THEN
    RAISE EXCEPTION 'the database has audit migration versions % that this package lacks: deploy the package that applied them', unknown;
  END IF;
  SELECT a.sha256 INTO applied_sha FROM audit_migrations.applied a WHERE a.version = v;
  IF applied_sha = sha THEN
    RETURN false;
  ELSIF applied_sha IS NOT NULL THEN
    RAISE EXCEPTION 'migration % was applied with sha256 % but the file now has sha256 %: an applied migration must not change; add a new one instead',
      migration, applied_sha, sha;
  END IF;
  SELECT max(a.version) INTO latest FROM audit_migrations.applied a;
  IF latest > v THEN
    RAISE EXCEPTION 'migration % is pending but version % is applied already: give it a version after %', migration, latest, latest;
  END IF;
  RETURN true;
END
\$\$;
SQL
  printf '%s\n' "$migrations" | while read -r version base; do
    # psql drops one trailing newline from a backquoted command's output: the "." after
    # the file keeps the file's own last newline, and left(..., -1) removes the ".".
    cat <<SQL
\\set content \`cat '$dir/$base.sql' && echo .\`
SELECT encode(sha256(convert_to(left(:'content', -1), 'UTF8')), 'hex') AS sha \\gset
SELECT audit_migrations.pending($version, '$base', :'sha', '{$known}') AS pending \\gset
\\if :pending
  \\echo applying $base
  BEGIN;
  \\i '$dir/$base.sql'
  -- The migration may have switched to audit_owner (SET LOCAL ROLE); the record is ours.
  RESET ROLE;
  INSERT INTO audit_migrations.applied (version, name, sha256) VALUES ($version, '$base', :'sha');
  COMMIT;
\\endif
SQL
  done
  cat <<'SQL'
SELECT max(version) AS at FROM audit_migrations.applied \gset
\echo audit ledger schema at version :at
SQL
}

sql=$(script)
printf '%s\n' "$sql" | PGAPPNAME=${PGAPPNAME:-audit-migrate} psql -X -q -v ON_ERROR_STOP=1 "$@"
