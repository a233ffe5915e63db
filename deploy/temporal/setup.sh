#!/bin/sh
# Prepares the Temporal namespace Convene runs in, once the server answers:
# creates it when missing and registers Convene's custom search attributes
# (the server image, unlike `convene dev`, registers none). Safe to run again:
# an existing namespace is kept and existing attributes of the same type are
# skipped by the server.
#
# Keep the attribute list in step with devstack.ConveneSearchAttributes().
set -eu

address=${TEMPORAL_ADDRESS:-temporal:7233}
namespace=${TEMPORAL_NAMESPACE:-default}
tries=${SETUP_TRIES:-60}

# retry runs "$@" until it succeeds, every 2 seconds, at most $tries times:
# the server takes a while to start, and a new namespace takes a few seconds
# to reach every frontend cache.
retry() {
	n=1
	until "$@"; do
		if [ "$n" -ge "$tries" ]; then
			echo "temporal-setup: gave up after $tries tries: $*" >&2
			return 1
		fi
		echo "temporal-setup: not yet ($n/$tries), retrying in 2s"
		n=$((n + 1))
		sleep 2
	done
}

ensure_namespace() {
	temporal operator namespace describe --address "$address" --namespace "$namespace" >/dev/null 2>&1 ||
		temporal operator namespace create --address "$address" --namespace "$namespace"
}

add_search_attributes() {
	temporal operator search-attribute create --address "$address" --namespace "$namespace" \
		--name ConveneOrgId --type Keyword \
		--name ConveneEventId --type Keyword \
		--name ConveneUserId --type Keyword \
		--name ConveneStatus --type Keyword
}

echo "temporal-setup: waiting for $address"
retry temporal operator cluster health --address "$address"
retry ensure_namespace
retry add_search_attributes
temporal operator search-attribute list --address "$address" --namespace "$namespace"
echo "temporal-setup: namespace $namespace ready"
