#!/usr/bin/env bash
# Asks a deployment host to run an image tag: POSTs {"tag": TAG} to its webhook, signed with
# HMAC-SHA256 over the exact body (header X-Hub-Signature-256: sha256=<hex>), as hooks.json expects.
# Used by .github/workflows/ci.yml (staging) and release.yml (production); handy by hand too:
#   WEBHOOK_SECRET=... webhook/call-webhook.sh https://mycustomdomain-dev.example.edu/hooks/deploy staging-sha-1a2b3c
# Exits non-zero (and says why) when the host does not answer 2xx.
set -euo pipefail

usage() {
  echo "usage: WEBHOOK_SECRET=... $0 <webhook-url> <tag>" >&2
  exit 2
}

[[ $# -eq 2 ]] || usage
url="$1"
tag="$2"
[[ -n "${WEBHOOK_SECRET:-}" ]] || {
  echo "call-webhook: WEBHOOK_SECRET is not set" >&2
  exit 2
}
[[ "$tag" =~ ^(staging|production)-sha-[0-9a-f]{6,40}$ ]] || {
  echo "call-webhook: '$tag' is not a staging-sha-<hex> or production-sha-<hex> tag" >&2
  exit 2
}

body="{\"tag\":\"${tag}\"}"
signature="$(printf '%s' "$body" | openssl dgst -sha256 -hmac "$WEBHOOK_SECRET" -r | cut -d' ' -f1)"

echo "call-webhook: asking ${url} to deploy ${tag}" >&2
curl --silent --show-error --fail-with-body --max-time 30 \
  --retry "${WEBHOOK_RETRIES:-3}" --retry-delay 5 \
  -H 'Content-Type: application/json' \
  -H "X-Hub-Signature-256: sha256=${signature}" \
  --data "$body" \
  "$url"
echo
