#!/usr/bin/env bash
# Installs (Debian packages) and starts the real services the test suite uses. Idempotent: anything
# already installed or running is left alone. Usage: bash .ci/services.sh [packages|mariadb|redis|all]
set -euo pipefail

PACKAGES=(mariadb-server mariadb-client redis-server redis-tools pebble dnsutils knot knot-dnsutils dnsperf
  php-cli php-xml php-mbstring simplesamlphp chromium shellcheck openssl ca-certificates webhook wrk apache2-utils
  lego certbot python3-certbot-dns-rfc2136 ddclient)
# A recursive resolver for the record check's "what the public sees" (test/integration/record-check.test.ts)
PACKAGES+=(unbound)
# The acme-dns client stand-in (Debian's lego lacks that provider): test/integration/update-clients.test.ts
PACKAGES+=(curl jq)

log() { printf '[services] %s\n' "$*" >&2; }

install_packages() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ "${#missing[@]}" -eq 0 ]; then return 0; fi
  if [ "$(id -u)" -ne 0 ]; then
    log "missing Debian packages: ${missing[*]} (run as root: apt-get install ${missing[*]})"
    return 1
  fi
  log "installing: ${missing[*]}"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

start_mariadb() {
  if mysqladmin -h127.0.0.1 -uroot ping >/dev/null 2>&1; then return 0; fi
  log "starting MariaDB"
  mkdir -p /run/mysqld
  chown mysql:mysql /run/mysqld 2>/dev/null || true
  if [ ! -d /var/lib/mysql/mysql ]; then mariadb-install-db --user=mysql >/dev/null 2>&1 || true; fi
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql
  for _ in $(seq 1 100); do
    if mysqladmin -uroot ping >/dev/null 2>&1; then break; fi
    sleep 0.1
  done
  # A fresh Debian root is unix_socket-only; tests connect over TCP as root with no password.
  if ! mysqladmin -h127.0.0.1 -uroot ping >/dev/null 2>&1 || ! mariadb -h127.0.0.1 -uroot -e 'select 1' >/dev/null 2>&1; then
    mariadb -uroot -e "ALTER USER root@localhost IDENTIFIED VIA mysql_native_password USING PASSWORD('') OR unix_socket;" || true
  fi
  mariadb -h127.0.0.1 -uroot -e 'select 1' >/dev/null
}

start_redis() {
  if redis-cli -h 127.0.0.1 ping >/dev/null 2>&1; then return 0; fi
  log "starting Redis"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  for _ in $(seq 1 50); do
    if redis-cli -h 127.0.0.1 ping >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  log "Redis did not start"; return 1
}

case "${1:-all}" in
  packages) install_packages ;;
  mariadb) start_mariadb ;;
  redis) start_redis ;;
  all) install_packages; start_mariadb; start_redis ;;
  *) echo "usage: $0 [packages|mariadb|redis|all]" >&2; exit 2 ;;
esac
