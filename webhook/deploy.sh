#!/usr/bin/env bash
# Deploys one image tag to the running Swarm stack. Run by the webhook (hooks.json) with TAG taken from
# the signed payload, or by hand:  TAG=staging-sha-1a2b3c ./deploy.sh
# Only the image changes; environment, secrets and replicas come from `docker stack deploy`.
# Exits non-zero, with the reason in the journal (tag starchart-deploy) and on stderr, when the tag is
# not acceptable, a service is missing, or Swarm could not complete the update (e.g. it rolled back).
set -euo pipefail

IMAGE="${STARCHART_IMAGE:-ghcr.io/developingspace/starchart}"
STACK="${STARCHART_STACK:-starchart}"
# Updated in this order; the first is required, the others are updated when present.
SERVICES="${STARCHART_SERVICES:-mycustomdomain worker}"
TAG_PATTERN='^(staging|production)-sha-[0-9a-f]{6,40}$'
LOCK_FILE="${STARCHART_DEPLOY_LOCK:-/tmp/starchart-deploy.lock}"

log() {
  echo "starchart-deploy: $*" >&2
  if command -v logger >/dev/null 2>&1; then
    logger -t starchart-deploy -- "$*" 2>/dev/null || true
  fi
}

fail() {
  log "DEPLOY FAILED: $*"
  exit 1
}

TAG="${TAG:-}"
[[ -n "$TAG" ]] || fail "no TAG given"
[[ "$TAG" =~ $TAG_PATTERN ]] ||
  fail "refusing tag '$TAG': expected staging-sha-<hex> or production-sha-<hex>"
# A staging host should never run a production build and vice versa (set in the webhook's env file).
if [[ -n "${DEPLOY_TAG_PREFIX:-}" && "$TAG" != "$DEPLOY_TAG_PREFIX"* ]]; then
  fail "this host deploys only ${DEPLOY_TAG_PREFIX}* tags, not $TAG"
fi
command -v docker >/dev/null 2>&1 || fail "docker CLI not found in PATH"

# One deployment at a time: a second webhook call waits for the first to finish.
exec 9>"$LOCK_FILE"
flock -w 1800 9 || fail "timed out waiting for another deployment to finish"

first=1
for svc in $SERVICES; do
  name="${STACK}_${svc}"
  if ! docker service inspect "$name" >/dev/null 2>&1; then
    if [[ $first -eq 1 ]]; then
      fail "service $name not found; deploy the stack first (docker stack deploy -c docker-<env>.yml $STACK)"
    fi
    log "service $name not present; skipping it"
    continue
  fi
  first=0
  log "updating $name to $IMAGE:$TAG"
  docker service update --with-registry-auth --detach=false --quiet --image "$IMAGE:$TAG" "$name" ||
    fail "docker service update failed for $name"
  state="$(docker service inspect --format '{{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}}' "$name")" ||
    fail "could not read the update status of $name"
  case "$state" in
    "" | completed) log "$name now runs $IMAGE:$TAG" ;;
    *) fail "$name update ended in state '$state' (Swarm rolled back or paused it; see docker service ps $name)" ;;
  esac
done
log "deployment of $IMAGE:$TAG finished"
