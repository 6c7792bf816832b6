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
# JavaScript is turned off for printing through the DevTools protocol (`_print_via_devtools`):
# the pages are static (charts are SVG images), so nothing on a page built from shared sheets
# runs code in the browser that prints it. (`--blink-settings=scriptEnabled=false` would be
# simpler, but headless Chromium then prints nothing at all.)
HEADLESS_FLAGS = (
    "--headless", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-extensions", "--disable-default-apps", "--mute-audio", "--hide-scrollbars",
)
NO_SANDBOX = "--no-sandbox"


def needs_no_sandbox() -> bool:
    """Chromium refuses to start its sandbox as root; everywhere else it keeps it."""
    return hasattr(os, "geteuid") and os.geteuid() == 0


def browser_flags(no_sandbox: bool | None = None) -> list[str]:
    """The command-line flags for printing (`--no-sandbox` only where it is required)."""
    flags = list(HEADLESS_FLAGS)
    if needs_no_sandbox() if no_sandbox is None else no_sandbox:
        flags.insert(1, NO_SANDBOX)
    return flags
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
    """Print ``html_path`` to ``pdf_path`` with a throw-away browser profile and JavaScript
    off; raise PdfError on failure. Where the DevTools pipe is not available (Windows), the
    browser's own --print-to-pdf prints it, and the page's Content-Security-Policy
    (script-src 'none') is what keeps scripts from running."""
    pdf_path = pdf_path.resolve()
    pdf_path.parent.mkdir(parents=True, exist_ok=True)
    if pdf_path.exists():
        pdf_path.unlink()
    start = time.perf_counter()
    no_sandbox = needs_no_sandbox()
    for _attempt in range(2):
        with tempfile.TemporaryDirectory(prefix="sheetsync-chromium-") as profile:
            if os.name == "posix":
                ok, detail = _print_via_devtools(browser, html_path, pdf_path, profile, no_sandbox, timeout)
            else:
                ok, detail = _print_via_flag(browser, html_path, pdf_path, profile, no_sandbox, timeout)
        # A machine without user namespaces cannot start the sandbox: then, and only then, print
        # without it.
        if ok or no_sandbox or "sandbox" not in detail.lower():
            break
        no_sandbox = True
    if not pdf_path.is_file() or pdf_path.stat().st_size == 0:
        lines = [x for x in detail.strip().splitlines() if "dbus" not in x][-3:]
        raise PdfError(f"Trình duyệt {browser} không tạo được tệp PDF {pdf_path.name}. " + " | ".join(lines))
    return PdfResult(pdf_path, time.perf_counter() - start, browser)


def _print_via_flag(browser: Path, html_path: Path, pdf_path: Path, profile: str, no_sandbox: bool,
                    timeout: float) -> tuple[bool, str]:
    cmd = [str(browser), *browser_flags(no_sandbox), f"--user-data-dir={profile}",
           f"--print-to-pdf={pdf_path}", "--no-pdf-header-footer", html_path.resolve().as_uri()]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as exc:
        raise PdfError(f"Trình duyệt {browser} không in xong PDF sau {timeout:.0f} giây.") from exc
    except OSError as exc:
        raise PdfError(f"Không chạy được trình duyệt {browser}: {exc}") from exc
    return pdf_path.is_file() and pdf_path.stat().st_size > 0, (proc.stderr or proc.stdout or "")


class _DevTools:
    """The Chrome DevTools Protocol over --remote-debugging-pipe: JSON messages ending in NUL,
    the browser reading file descriptor 3 and writing 4."""

    def __init__(self, proc: subprocess.Popen, to_browser: int, from_browser: int, deadline: float) -> None:
        self.proc, self.to_browser, self.from_browser, self.deadline = proc, to_browser, from_browser, deadline
        self.buffer = b""
        self.next_id = 0
        self.events: list[dict] = []

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        import json

        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.to_browser, json.dumps(msg).encode() + b"\0")
        while True:
            reply = self.receive()
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise PdfError(f"Trình duyệt từ chối lệnh {method}: {reply['error'].get('message')}")
                return reply.get("result", {})
            self.events.append(reply)

    def receive(self) -> dict:
        import json
        import select

        while b"\0" not in self.buffer:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            ready, _, _ = select.select([self.from_browser], [], [], min(left, 1.0))
            if not ready:
                if self.proc.poll() is not None:
                    raise EOFError
                continue
            chunk = os.read(self.from_browser, 1 << 20)
            if not chunk:
                raise EOFError
            self.buffer += chunk
        raw, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(raw)

    def wait_event(self, method: str, session: str) -> dict:
        while True:
            for i, ev in enumerate(self.events):
                if ev.get("method") == method and ev.get("sessionId") == session:
                    return self.events.pop(i)
            self.events.append(self.receive())


def _print_via_devtools(browser: Path, html_path: Path, pdf_path: Path, profile: str, no_sandbox: bool,
                        timeout: float) -> tuple[bool, str]:
    import base64
    import fcntl

    def high(fd: int) -> int:  # above 4, so the shell's 3<& and 4>& cannot clobber it
        moved = fcntl.fcntl(fd, fcntl.F_DUPFD, 10)
        os.close(fd)
        return moved

    to_r, to_w = map(high, os.pipe())  # sheetsync → browser (its fd 3)
    from_r, from_w = map(high, os.pipe())  # browser → sheetsync (its fd 4)

    # The browser expects the pipe on descriptors 3 and 4 exactly: a tiny trampoline puts them
    # there and becomes the browser.
    trampoline = ("import os, sys\n"
                  f"os.dup2({to_r}, 3); os.dup2({from_w}, 4); os.close({to_r}); os.close({from_w})\n"
                  "os.execv(sys.argv[1], sys.argv[1:])")
    cmd = [sys.executable, "-c", trampoline, str(browser), *browser_flags(no_sandbox), f"--user-data-dir={profile}",
           "--remote-debugging-pipe", "about:blank"]
    log = tempfile.TemporaryFile(mode="w+")
    try:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log, pass_fds=(to_r, from_w))
    except OSError as exc:
        raise PdfError(f"Không chạy được trình duyệt {browser}: {exc}") from exc
    finally:
        os.close(to_r)
        os.close(from_w)
    cdp = _DevTools(proc, to_w, from_r, time.monotonic() + timeout)
    try:
        target = cdp.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = cdp.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        cdp.send("Emulation.setScriptExecutionDisabled", {"value": True}, session)
        cdp.send("Page.enable", {}, session)
        cdp.send("Page.navigate", {"url": html_path.resolve().as_uri()}, session)
        cdp.wait_event("Page.loadEventFired", session)
        data = cdp.send("Page.printToPDF", {"printBackground": True, "preferCSSPageSize": True,
                                            "displayHeaderFooter": False}, session)["data"]
        pdf_path.write_bytes(base64.b64decode(data))
        try:
            cdp.send("Browser.close")
        except (EOFError, TimeoutError, OSError):
            pass
        return True, ""
    except TimeoutError:
        raise PdfError(f"Trình duyệt {browser} không in xong PDF sau {timeout:.0f} giây.") from None
    except (EOFError, OSError, ValueError, KeyError):
        log.seek(0)
        return False, log.read()
    finally:
        os.close(to_w)
        os.close(from_r)
        if proc.poll() is None:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()
