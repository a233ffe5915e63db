#!/bin/sh
# Creates Temporal's two databases in the shared Postgres and brings their
# schemas up to the version this temporalio/admin-tools image ships. Every step
# is idempotent (an existing database or schema version is left alone), so the
# temporal-schema service of docker-compose.yml runs it on every `up`, and
# upgrading the admin-tools and server images together upgrades the schema.
#
# temporal-sql-tool reads SQL_PLUGIN, SQL_HOST, SQL_PORT, SQL_USER and
# SQL_PASSWORD from the environment; DBNAME and VISIBILITY_DBNAME are the names
# the server is given too.
set -eu

schemas=/etc/temporal/schema/postgresql/v12

setup() {
	db=$1
	dir=$2
	echo "temporal-schema: database $db"
	temporal-sql-tool --db "$db" create
	temporal-sql-tool --db "$db" setup-schema -v 0.0
	temporal-sql-tool --db "$db" update-schema -d "$dir"
}

setup "${DBNAME:-temporal}" "$schemas/temporal/versioned"
setup "${VISIBILITY_DBNAME:-temporal_visibility}" "$schemas/visibility/versioned"
echo "temporal-schema: done"
