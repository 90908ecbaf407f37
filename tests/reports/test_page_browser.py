"""The report page in a real headless browser (Debian's chromium): it renders, nothing it links is broken."""

from __future__ import annotations

import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from matplotlib.image import imread

_CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.images: list[str] = []
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "img" and values.get("src"):
            self.images.append(values["src"] or "")
        if tag == "a" and values.get("href"):
            self.hrefs.append(values["href"] or "")


def test_every_image_and_link_of_the_page_resolves(
    rendered_report: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    out, result = rendered_report
    assert result.returncode == 0, result.stderr
    links = _Links()
    links.feed((out / "index.html").read_text())
    assert len(links.images) >= 6
    for src in links.images:
        assert not urlparse(src).scheme, f"{src}: the page must load nothing from the network"
        pixels = imread(out / unquote(src))
        assert pixels.shape[0] > 0 and pixels.shape[1] > 0, src
    for href in links.hrefs:
        if href.startswith("#"):
            continue
        assert (out / unquote(href)).is_file(), f"broken link {href}"


@pytest.mark.skipif(
    _CHROMIUM is None, reason="chromium is not installed (run scripts/ensure-chromium.sh as root)"
)
def test_page_renders_non_blank_in_headless_chromium(
    rendered_report: tuple[Path, subprocess.CompletedProcess[str]], tmp_path: Path
) -> None:
    out, _ = rendered_report
    screenshot = tmp_path / "page.png"
    argv = [
        str(_CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
        f"--screenshot={screenshot}",
        "--window-size=1280,2000",
        "--virtual-time-budget=5000",  # let every image load before the shot
        (out / "index.html").resolve().as_uri(),
    ]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert screenshot.is_file(), (
        f"chromium wrote no screenshot (exit {result.returncode}): {result.stderr[-500:]}"
    )
    pixels = imread(screenshot)[..., :3]
    assert pixels.shape[:2] == (2000, 1280)
    # A blank or error page is (almost) one colour; the report has text, tables and charts in colour.
    assert pixels.std() > 0.05
    vermillion = (abs(pixels[..., 0] - 0xD5 / 255) < 0.08) & (abs(pixels[..., 1] - 0x5E / 255) < 0.08)
    assert vermillion.sum() > 100, "the pitfall colour is nowhere on screen: charts did not load"
