#!/bin/sh
# Container entrypoint (run under tini). For the service command it first brings the database schema up
# to date, then replaces itself with the service so SIGTERM from Docker reaches Node directly.
#
# DANGER_DATABASE_WIPE_REINITIALIZE=1 is handled by the migration step, inside the application, under
# the database's schema lock: the first replica to get the lock wipes the database and the queue's
# Redis keys (prefix "starchart:") and recreates the schema; a replica starting at the same time sees
# the fresh wipe and skips it. Any failure stops the container before the service starts.
set -eu

# `node [flags…] dist/src/main.js`: the service (the image's CMD), not a one-off command.
is_service() {
  [ "$#" -ge 2 ] || return 1
  eval "last=\${$#}"
  # shellcheck disable=SC2154 # set by the eval above
  [ "$1" = "node" ] && [ "$last" = "dist/src/main.js" ]
}

if is_service "$@"; then
  echo "docker-entrypoint: applying database migrations" >&2
  node dist/src/cli/db-migrate.js
  # The wipe (if requested) has just been done, or skipped because a sibling did it; the service must
  # not consider it again.
  unset DANGER_DATABASE_WIPE_REINITIALIZE
fi

exec "$@"
