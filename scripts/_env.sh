# Shared by scripts/test and scripts/demo: a project-local virtual environment with the
# package installed (editable), created on first use and refreshed when pyproject changes.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${SHEETSYNC_VENV:-$ROOT/.venv}"
PY="${PYTHON:-python3}"

ensure_venv() {
  local extras="$1"
  if [ ! -x "$VENV/bin/python" ]; then
    echo "» Tạo môi trường Python tại $VENV" >&2
    if ! "$PY" -m venv "$VENV" 2>/dev/null; then
      # Debian without python3-venv: fall back to virtualenv from PyPI.
      "$PY" -m pip install --user --quiet virtualenv
      "$PY" -m virtualenv --quiet "$VENV"
    fi
  fi
  local stamp="$VENV/.sheetsync-installed-$extras"
  if [ ! -f "$stamp" ] || [ "$ROOT/pyproject.toml" -nt "$stamp" ] || [ "$ROOT/emulator/pyproject.toml" -nt "$stamp" ]; then
    echo "» Cài sheetsync và thư viện cần thiết ($extras)" >&2
    "$VENV/bin/python" -m pip install --quiet --upgrade pip >/dev/null 2>&1 || true
    "$VENV/bin/python" -m pip install --quiet -e "$ROOT[$extras]"
    # The Google Sheets emulator is its own package (stdlib only); tests and demos need it.
    "$VENV/bin/python" -m pip install --quiet -e "$ROOT/emulator"
    touch "$stamp"
  fi
}

# Headless Chromium (PDF and page tests), poppler (PDF to text/image), LibreOffice Calc (workbooks
# as printed) and fonts (Times- and Calibri-compatible, Vietnamese glyphs), from Debian's packages
# when this machine can install them.
ensure_system_packages() {
  local need=()
  command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || command -v google-chrome >/dev/null 2>&1 || need+=(chromium)
  command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)
  # Debian 12's fonts-liberation (1.07) lacks Vietnamese letters; fonts-liberation2 has them.
  fc-list ':lang=vi' family 2>/dev/null | grep -qi "Liberation Serif\|Times New Roman\|Tinos" || need+=(fonts-liberation2 fontconfig)
  # LibreOffice (headless) renders workbooks to PDF for the tests that look at them; Carlito has
  # Calibri's metrics, so column widths print as in Excel (openpyxl's default font is Calibri).
  command -v soffice >/dev/null 2>&1 || need+=(libreoffice-calc-nogui)
  fc-list 2>/dev/null | grep -qi carlito || need+=(fonts-crosextra-carlito)
  [ ${#need[@]} -eq 0 ] && return 0
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo -n"; else
      echo "» Không cài được ${need[*]} (cần quyền root): các bài kiểm tra trình duyệt/PDF sẽ được bỏ qua." >&2
      return 0
    fi
  fi
  if command -v apt-get >/dev/null 2>&1; then
    echo "» Cài gói hệ thống: ${need[*]}" >&2
    $sudo apt-get update -qq >/dev/null 2>&1 || true
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null 2>&1 \
      || echo "» Cài ${need[*]} không thành công: các bài kiểm tra trình duyệt/PDF sẽ được bỏ qua." >&2
  fi
}
