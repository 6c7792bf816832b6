"""PDF of the HTML page, printed by a headless Chromium-family browser (Chromium, Chrome, Edge).

A real browser engine prints exactly what the office sees on screen (same CSS, SVG charts, header
rows repeated on each page), and Chrome or Edge is already installed on nearly every Windows PC in
a ward office, where WeasyPrint would need a separate GTK/Pango install.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

ENGINE_ENV = "SHEETSYNC_CHROMIUM"
PATH_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome",
              "msedge", "microsoft-edge", "microsoft-edge-stable")
# Flags that keep a headless browser quiet and offline in a sandbox or a locked-down office PC.
HEADLESS_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-extensions", "--disable-default-apps", "--mute-audio", "--hide-scrollbars",
)
NO_ENGINE_MESSAGE = (
    "Chưa tạo được tệp PDF vì máy chưa có trình duyệt để in PDF (Chrome, Edge hoặc Chromium). "
    "Các tệp Excel (.xlsx) và trang HTML vẫn đã được tạo. Để có PDF: trên Windows, cài Google Chrome "
    "hoặc Microsoft Edge; trên Linux, chạy lệnh `sudo apt install chromium`; hoặc đặt biến môi trường "
    f"{ENGINE_ENV} là đường dẫn tới tệp chạy của trình duyệt. Cũng có thể mở trang HTML và chọn In → Lưu "
    "dưới dạng PDF."
)


class PdfError(RuntimeError):
    """The browser was found but did not produce the PDF; the message is for the office, in Vietnamese."""


def _windows_candidates() -> Iterable[Path]:
    roots = [os.environ.get(v) for v in ("PROGRAMFILES", "PROGRAMFILES(X86)", "LOCALAPPDATA")]
    for root in filter(None, roots):
        yield Path(root, "Google", "Chrome", "Application", "chrome.exe")
        yield Path(root, "Microsoft", "Edge", "Application", "msedge.exe")
        yield Path(root, "Chromium", "Application", "chrome.exe")


def _mac_candidates() -> Iterable[Path]:
    yield Path("/Applications/Google Chrome.app/Contents/MacOS/Google Chrome")
    yield Path("/Applications/Chromium.app/Contents/MacOS/Chromium")
    yield Path("/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge")


def find_browser() -> Path | None:
    """The browser to print with: $SHEETSYNC_CHROMIUM, then PATH, then the usual install places."""
    configured = os.environ.get(ENGINE_ENV, "").strip()
    if configured:
        found = shutil.which(configured)
        return Path(found) if found else (Path(configured) if Path(configured).is_file() else None)
    for name in PATH_NAMES:
        found = shutil.which(name)
        if found:
            return Path(found)
    candidates = _windows_candidates() if sys.platform == "win32" else _mac_candidates()
    return next((p for p in candidates if p.is_file()), None)


@dataclass(frozen=True)
class PdfResult:
    path: Path
    seconds: float
    browser: Path


def print_pdf(html_path: Path, pdf_path: Path, browser: Path, timeout: float = 120.0) -> PdfResult:
    """Print ``html_path`` to ``pdf_path`` with a throw-away browser profile; raise PdfError on failure."""
    pdf_path = pdf_path.resolve()
    pdf_path.parent.mkdir(parents=True, exist_ok=True)
    if pdf_path.exists():
        pdf_path.unlink()
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="sheetsync-chromium-") as profile:
        cmd = [
            str(browser), *HEADLESS_FLAGS, f"--user-data-dir={profile}",
            f"--print-to-pdf={pdf_path}", "--no-pdf-header-footer",
            html_path.resolve().as_uri(),
        ]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                                  stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired as exc:
            raise PdfError(f"Trình duyệt {browser} không in xong PDF sau {timeout:.0f} giây.") from exc
        except OSError as exc:
            raise PdfError(f"Không chạy được trình duyệt {browser}: {exc}") from exc
    if not pdf_path.is_file() or pdf_path.stat().st_size == 0:
        detail = (proc.stderr or proc.stdout or "").strip().splitlines()[-3:]
        raise PdfError(f"Trình duyệt {browser} không tạo được tệp PDF {pdf_path.name} "
                       f"(mã thoát {proc.returncode}). " + " | ".join(detail))
    return PdfResult(pdf_path, time.perf_counter() - start, browser)
