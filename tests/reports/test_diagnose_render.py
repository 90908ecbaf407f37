"""`reports.diagnose` renders a diagnosis (golden: the recorded catalogue documents) into a page, a
summary and one chart per exercised route, at the theme's exact pixel size, without starting anything."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from matplotlib.image import imread

from awaitbench.detect.diagnose.document import Diagnosis, RouteDiagnosis
from reports.diagnose import PHASE_COLUMNS, diagnosis_markdown, phase_rows, render_diagnosis
from reports.theme import THEMES, ThemeName
from tests.awaitbench.detect.diagnose.catalogue_fixtures import FIXTURES


def _diagnosis() -> Diagnosis:
    """The sync client pitfall and its fix as two routes of one app, plus a route that was not exercised."""
    bad = Diagnosis.from_json(json.loads((FIXTURES / "sync_client__sync_in_async.json").read_text()))
    good = Diagnosis.from_json(json.loads((FIXTURES / "sync_client__async_client.json").read_text()))
    skipped = RouteDiagnosis(
        method="POST", path="/upload", name="upload", exercised=False, reason="multipart body"
    )
    routes = (bad.routes[0], replace(good.routes[0], path="/ask-async"), skipped)
    return replace(bad, app="myservice.main:app", routes=routes)


@pytest.mark.parametrize("theme", ["paper", "talk"])
def test_page_summary_and_charts(tmp_path: Path, theme: ThemeName) -> None:
    files = render_diagnosis(_diagnosis(), theme=THEMES[theme], out_dir=tmp_path)
    assert len(files.charts) == 2
    for chart in files.charts:
        height, width = imread(chart.png).shape[:2]
        assert (width, height) == THEMES[theme].size_px
        assert chart.svg.is_file()
    page = files.index_html.read_text()
    assert "Async pitfalls in <code>myservice.main:app</code>" in page
    assert page.count('class="finding sev-high"') == 1
    assert "No pitfall found on this route." in page
    assert "Not exercised: multipart body" in page
    assert "blocking stack (most recent call last)" in page
    assert "img/route01-post-ask.png" in page


def test_summary_markdown_has_a_row_per_finding_and_per_clean_route() -> None:
    text = diagnosis_markdown(_diagnosis())
    assert "| `POST /ask` | `sync_client` | high |" in text
    assert "| `POST /ask-async` | none | - | - | - | - |" in text
    assert "- `POST /upload` (upload): multipart body" in text


def test_phase_rows_follow_the_columns() -> None:
    figures = _diagnosis().routes[0].figures
    assert figures is not None
    rows = phase_rows(figures)
    assert [row[0] for row in rows] == ["one user", "load"]
    assert all(len(row) == len(PHASE_COLUMNS) for row in rows)
    assert rows[1][8] == "1"  # the upstream never had two calls in flight
