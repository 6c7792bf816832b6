#!/usr/bin/env bash
# A throwaway PostgreSQL server for the store tests, on 127.0.0.1 and a free port.
#
#   eval "$(bash scripts/start_postgres.sh)"      # or: source scripts/start_postgres.sh
#   pytest tests/history                            # uses SHEETSYNC_TEST_PG_URL
#   bash scripts/start_postgres.sh --stop           # stops $SHEETSYNC_TEST_PG_DIR, else the last one started
#
# Installs PostgreSQL from Debian when no initdb/pg_ctl is found (needs root or sudo). The
# cluster lives in a temporary directory owned by an unprivileged user (PostgreSQL refuses to
# run as root), trusts loopback connections only, and is disposable. Progress goes to stderr;
# stdout carries only the `export SHEETSYNC_TEST_PG_URL=...` line (and the data directory).

LAST_FILE="${TMPDIR:-/tmp}/sheetsync-test-pg.last"  # the base directory of the last cluster started
log() { echo "» $*" >&2; }

find_bin() {
  local name="$1" dir
  if command -v "$name" >/dev/null 2>&1; then command -v "$name"; return 0; fi
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$dir/$name" ] && { echo "$dir/$name"; return 0; }
  done
  return 1
}

as_owner() {
  # Run a command as the cluster's owner: ourselves, or an unprivileged user when root.
  if [ "$(id -u)" -ne 0 ]; then "$@"; return; fi
  if command -v runuser >/dev/null 2>&1; then runuser -u "$PG_USER" -- "$@"
  else su -s /bin/sh "$PG_USER" -c "$(printf '%q ' "$@")"; fi
}

stop_cluster() {
  local base="${SHEETSYNC_TEST_PG_DIR:-}"
  [ -n "$base" ] || { [ -f "$LAST_FILE" ] && base="$(cat "$LAST_FILE")"; }
  if [ -z "$base" ] || [ ! -f "$base/state" ]; then
    log "Không có cụm PostgreSQL thử nghiệm nào đang chạy."; return 0
  fi
  # shellcheck disable=SC1091
  source "$base/state"
  as_owner "$PG_CTL" -D "$PG_DATA" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$base"
  if [ -f "$LAST_FILE" ] && [ "$(cat "$LAST_FILE")" = "$base" ]; then rm -f "$LAST_FILE"; fi
  log "Đã dừng và xoá cụm PostgreSQL thử nghiệm tại $base."
}

main() {
  if [ "${1:-}" = "--stop" ]; then
    PG_USER="${SHEETSYNC_PG_OS_USER:-postgres}"
    stop_cluster
    return 0
  fi

  if ! find_bin initdb >/dev/null || ! find_bin pg_ctl >/dev/null; then
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
      if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo -n"
      else log "Không có PostgreSQL và không có quyền cài đặt (cần root hoặc sudo)."; return 1; fi
    fi
    log "Cài PostgreSQL từ Debian (apt-get install postgresql)"
    $sudo apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >/dev/null
  fi
  INITDB="$(find_bin initdb)"
  PG_CTL="$(find_bin pg_ctl)"
  local bindir
  bindir="$(dirname "$(readlink -f "$PG_CTL")")"
  local createdb="$bindir/createdb"
  [ -x "$createdb" ] || createdb="$(find_bin createdb)"

  PG_USER="$(id -un)"
  if [ "$(id -u)" -eq 0 ]; then
    PG_USER="${SHEETSYNC_PG_OS_USER:-postgres}"
    if ! id "$PG_USER" >/dev/null 2>&1; then
      log "Tạo người dùng hệ thống $PG_USER để chạy PostgreSQL"
      useradd --system --no-create-home --shell /usr/sbin/nologin "$PG_USER"
    fi
  fi

  local base port
  base="$(mktemp -d "${TMPDIR:-/tmp}/sheetsync-pg.XXXXXX")"
  chmod 755 "$base"
  PG_DATA="$base/data"
  mkdir -p "$PG_DATA" "$base/run"
  [ "$(id -u)" -eq 0 ] && chown -R "$PG_USER" "$base"
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"

  log "Khởi tạo cụm tại $PG_DATA (cổng $port)"
  as_owner "$INITDB" -D "$PG_DATA" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null 2>&1 \
    || as_owner "$INITDB" -D "$PG_DATA" -U postgres --auth=trust --encoding=UTF8 --locale=C >/dev/null
  as_owner "$PG_CTL" -D "$PG_DATA" -l "$base/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $base/run -c fsync=off -c max_connections=100" start >/dev/null
  as_owner "$createdb" -h 127.0.0.1 -p "$port" -U postgres sheetsync_test

  cat >"$base/state" <<EOF
PG_DATA=$PG_DATA
PG_CTL=$PG_CTL
PG_USER=$PG_USER
EOF
  echo "$base" >"$LAST_FILE"
  SHEETSYNC_TEST_PG_URL="postgresql+psycopg://postgres@127.0.0.1:$port/sheetsync_test"
  export SHEETSYNC_TEST_PG_URL
  log "PostgreSQL sẵn sàng: $SHEETSYNC_TEST_PG_URL (dừng: bash scripts/start_postgres.sh --stop)"
  echo "export SHEETSYNC_TEST_PG_URL=$SHEETSYNC_TEST_PG_URL"
  echo "export SHEETSYNC_TEST_PG_DIR=$base"
}

if [ "${BASH_SOURCE[0]}" != "$0" ]; then
  # Sourced: strict mode only inside a subshell, so a failure never closes the caller's shell.
  eval "$(set -euo pipefail; main "$@")"
else
  set -euo pipefail
  main "$@"
fi
