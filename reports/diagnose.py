"""`awaitbench diagnose --out DIR`: a diagnosis as `index.html`, `summary.md` and one chart per route.

Reads only `awaitbench.detect.diagnose`'s plain data; never starts a process."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import jinja2

from awaitbench.detect.diagnose.document import Diagnosis, RouteDiagnosis
from awaitbench.detect.diagnose.evidence import PhaseFigures, RouteEvidence
from reports.chart_files import Chart, new_figure, save_figure, themed
from reports.theme import FIX_COLOR, IDEAL_COLOR, PITFALL_COLOR, Theme

__all__ = ["PHASE_COLUMNS", "DiagnosisFiles", "diagnosis_markdown", "render_diagnosis", "throughput_chart"]

PHASE_COLUMNS = (
    "phase",
    "users",
    "req/s",
    "Little's bound req/s",
    "p50 ms",
    "p99 ms",
    "upstream calls/req",
    "new conns/call",
    "upstream peak",
    "loop CPU ms/req",
    "loop blocked",
    "threadpool",
)


@dataclass(frozen=True, kw_only=True)
class DiagnosisFiles:
    """What `render_diagnosis` wrote."""

    index_html: Path
    summary_md: Path
    charts: tuple[Chart, ...]


def _num(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.{digits}f}"


def _bound(evidence: RouteEvidence, users: int) -> float | None:
    r1 = evidence.one_user.latency_p50_ms
    return users * 1000.0 / r1 if r1 else None


def _phases(evidence: RouteEvidence) -> list[PhaseFigures]:
    return [p for p in (evidence.one_user, evidence.load, evidence.threadpool) if p is not None]


def phase_rows(evidence: RouteEvidence) -> list[tuple[str, ...]]:
    """The figures table of one route, in PHASE_COLUMNS order."""
    rows: list[tuple[str, ...]] = []
    for p in _phases(evidence):
        pool = p.loop.threadpool_total
        rows.append(
            (
                p.name.replace("_", " "),
                str(p.users),
                _num(p.throughput_rps),
                _num(_bound(evidence, p.users)),
                _num(p.latency_p50_ms),
                _num(p.latency_p99_ms),
                _num(p.calls_per_request, 2),
                _num(p.new_connections_per_call, 2),
                str(p.upstream.peak_in_flight),
                _num(p.loop_cpu_ms_per_request),
                f"{p.blocked_share:.0%}",
                f"{p.loop.threadpool_peak}/{pool}" if pool is not None else "-",
            )
        )
    return rows


def _stem(route: RouteDiagnosis, index: int) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", f"{route.method} {route.path}".lower()).strip("-")
    return f"route{index:02d}-{slug[:60]}"


def throughput_chart(route: RouteDiagnosis, index: int, *, theme: Theme, out_dir: Path) -> Chart | None:
    """Measured throughput per phase against Little's bound N / R₁ (None when there is nothing to draw)."""
    evidence = route.figures
    if evidence is None or not evidence.one_user.latency_p50_ms:
        return None
    phases = _phases(evidence)
    users = [p.users for p in phases]
    measured = [p.throughput_rps for p in phases]
    top = max(users)
    with themed(theme):
        fig, (ax,) = new_figure(theme)
        ax.plot(
            [0, top],
            [0, _bound(evidence, top) or 0],
            color=IDEAL_COLOR,
            linestyle="--",
            label="Little's bound N / R₁",
        )
        color = PITFALL_COLOR if route.findings else FIX_COLOR
        ax.plot(users, measured, color=color, marker="o", label="measured")
        for x, y in zip(users, measured, strict=True):
            ax.annotate(f"{y:,.1f}", (x, y), textcoords="offset points", xytext=(-8, 6), ha="right")
        ax.set_xlabel("concurrent users (closed loop)")
        ax.set_ylabel("requests / s")
        ax.set_xlim(left=0)
        ax.set_ylim(bottom=0)
        ax.set_title(route.label)
        ax.legend(loc="upper left")
        found = ", ".join(f.pitfall for f in route.findings) or "no pitfall found"
        return save_figure(
            fig,
            out_dir=out_dir,
            stem=_stem(route, index),
            title=f"{route.label}: throughput vs Little's bound",
            caption=f"R₁ = {_num(evidence.one_user.latency_p50_ms)} ms with one user; {found}.",
            theme=theme,
        )


def _escape(cell: str) -> str:
    return cell.replace("|", "\\|").replace("\n", " ")


def diagnosis_markdown(diagnosis: Diagnosis) -> str:
    """`summary.md`: one row per finding (and per clean route), then what could not be exercised."""
    lines = [
        f"# awaitbench diagnose: `{diagnosis.app}`",
        "",
        f"Started {diagnosis.started_at}, {diagnosis.duration_s:.0f} s; "
        f"{diagnosis.settings.get('users')} users, "
        f"upstream latency {diagnosis.settings.get('upstream_latency_ms')} ms; "
        f"{diagnosis.machine.get('cpu_count', '?')} CPUs, "
        f"load average {diagnosis.machine.get('load_average_1m', '?')}.",
        "",
        "| route | finding | severity | evidence | location | cost |",
        "|---|---|---|---|---|---|",
    ]
    for route in diagnosis.routes:
        if not route.exercised:
            continue
        if not route.findings:
            lines.append(f"| `{route.label}` | none | - | - | - | - |")
        for f in route.findings:
            severity = f.severity + (" (ambiguous)" if f.ambiguous else "")
            cells = (f"`{route.label}`", f"`{f.pitfall}`", severity, f.evidence, f.location or "-", f.cost)
            lines.append("| " + " | ".join(_escape(c) for c in cells) + " |")
    skipped = [r for r in diagnosis.routes if not r.exercised]
    if skipped:
        lines += ["", "## Not exercised", ""]
        lines += [f"- `{r.label}` ({r.name}): {r.reason}" for r in skipped]
    lines.append("")
    return "\n".join(lines)


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("reports", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_diagnosis(diagnosis: Diagnosis, *, theme: Theme, out_dir: Path) -> DiagnosisFiles:
    """Write index.html, summary.md and img/ into `out_dir` (created if needed)."""
    image_dir = out_dir / "img"
    routes = []
    charts: list[Chart] = []
    for index, route in enumerate(diagnosis.routes, start=1):
        chart = throughput_chart(route, index, theme=theme, out_dir=image_dir) if route.exercised else None
        if chart is not None:
            charts.append(chart)
        routes.append(
            {
                "route": route,
                "anchor": _stem(route, index),
                "chart": None
                if chart is None
                else {
                    "png": f"img/{chart.png.name}",
                    "svg": f"img/{chart.svg.name}",
                    "width": chart.width_px,
                    "height": chart.height_px,
                    "caption": chart.caption,
                },
                "rows": phase_rows(route.figures) if route.figures is not None else [],
            }
        )
    html = (
        _environment()
        .get_template("diagnose.html.j2")
        .render(diagnosis=diagnosis, routes=routes, phase_columns=PHASE_COLUMNS, theme_name=theme.name)
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    index_html = out_dir / "index.html"
    index_html.write_text(html, encoding="utf-8")
    summary_md = out_dir / "summary.md"
    summary_md.write_text(diagnosis_markdown(diagnosis), encoding="utf-8")
    return DiagnosisFiles(index_html=index_html, summary_md=summary_md, charts=tuple(charts))
