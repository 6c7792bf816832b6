"""Rendering what a person sees: LibreOffice (headless) turns workbooks into PDF, poppler turns
PDF into text with positions and into PNG pictures a reviewer can open. Tests that need them
skip cleanly when the tools are absent (scripts/_env.sh installs them where it can)."""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
needs_soffice = pytest.mark.skipif(SOFFICE is None or shutil.which("pdftotext") is None,
                                   reason="cần LibreOffice và poppler (apt install libreoffice-calc-nogui poppler-utils)")


def to_pdf(files: list[Path], out: Path) -> list[Path]:
    """Convert workbooks to PDF with LibreOffice as printed (its page set-up, print titles,
    footers), in one process; a private profile keeps runs independent."""
    out.mkdir(parents=True, exist_ok=True)
    profile = out / ".lo-profile"
    env = {**os.environ, "HOME": str(out)}
    subprocess.run([SOFFICE, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
                    "--convert-to", "pdf", "--outdir", str(out), *map(str, files)],
                   check=True, capture_output=True, timeout=240, env=env)
    pdfs = [out / (f.stem + ".pdf") for f in files]
    missing = [p for p in pdfs if not p.exists()]
    assert not missing, f"LibreOffice did not write {missing}"
    return pdfs


def to_png(pdf: Path, out: Path, dpi: int = 60, first: int = 1, last: int | None = None) -> list[Path]:
    """Pages as PNG files (named <pdf stem>-<page>.png) for a reviewer to look at."""
    out.mkdir(parents=True, exist_ok=True)
    args = ["pdftoppm", "-r", str(dpi), "-png", "-f", str(first)]
    if last is not None:
        args += ["-l", str(last)]
    subprocess.run([*args, str(pdf), str(out / pdf.stem)], check=True)
    return sorted(out.glob(f"{pdf.stem}-*.png"))


def page_count(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))


def page_size(pdf: Path) -> tuple[float, float]:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    m = re.search(r"^Page size:\s+([\d.]+) x ([\d.]+)", info, re.M)
    return float(m.group(1)), float(m.group(2))


def pdf_text(pdf: Path, *args: str) -> str:
    return subprocess.run(["pdftotext", "-layout", *args, str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout


@dataclass
class Word:
    page: int
    text: str
    x0: float
    y0: float
    x1: float
    y1: float


def words(pdf: Path) -> list[Word]:
    """Every word with its box in points (pdftotext -bbox), pages numbered from 1."""
    xhtml = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True,
                           check=True).stdout
    out, page = [], 0
    for line in xhtml.splitlines():
        if "<page " in line:
            page += 1
        m = re.search(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*)</word>', line)
        if m:
            out.append(Word(page, html.unescape(m.group(5)), *(float(m.group(i)) for i in range(1, 5))))
    return out
