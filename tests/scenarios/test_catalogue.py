"""The registry and the metadata every other package reads: complete, consistent, importable."""

from __future__ import annotations

import ast
import importlib
import inspect
from dataclasses import replace
from pathlib import Path

import pytest

import scenarios
from bench.results.named_figures import check_figure
from fake_llm.cli import build_parser, flag_settings, load_config
from fake_llm.errors import ConfigError
from fake_llm.launch import fake_llm_argv
from fake_llm.settings import SETTINGS
from scenarios import SCENARIO_MODULES, catalogue, get
from scenarios._database import QUERY_MS, WRITE_MS
from scenarios.errors import UnknownScenarioError
from scenarios.model import (
    HEADLINE_PLACEHOLDERS,
    SDK_APP_CEILING_RPS,
    Scenario,
    TheoryInput,
    UpstreamProfile,
    fixed_latency,
)

CORE_SIX = ("sync_client", "per_request_client", "serial_awaits", "fan_out", "blocking_work", "cpu_work")
BRIEF: tuple[str, ...] = (*CORE_SIX, "timeouts", "retries", "threadpool", "background_work", "streaming")
BRIEF += ("forgotten_await", "client_backend", "sync_db_driver", "db_session_held")

ROOT = Path(__file__).resolve().parents[2]


def test_catalogue_has_the_whole_brief_in_order() -> None:
    assert SCENARIO_MODULES == BRIEF
    assert tuple(s.id for s in catalogue()) == BRIEF
    assert tuple(s.id for s in catalogue() if s.core) == CORE_SIX


def test_importing_the_package_imports_no_scenario() -> None:
    # Nothing at import: the package lists module names, the modules load on demand.
    source = inspect.getsource(scenarios)
    imported = [n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.ImportFrom)]
    assert all((node.module or "").split(".")[-1] not in BRIEF for node in imported)


def test_get_unknown_scenario_lists_the_valid_ids() -> None:
    with pytest.raises(UnknownScenarioError) as excinfo:
        get("no_such")
    assert "no_such" in str(excinfo.value) and "sync_client" in str(excinfo.value)


def test_unknown_variant_lists_the_valid_ids() -> None:
    with pytest.raises(UnknownScenarioError) as excinfo:
        get("fan_out").variant("nope")
    assert str(excinfo.value) == "scenario 'fan_out' has no variant 'nope' (variants: unbounded, semaphore)"


@pytest.mark.parametrize("scenario", catalogue(), ids=lambda s: s.id)
def test_metadata_is_consistent(scenario: Scenario) -> None:
    ids = [v.id for v in scenario.variants]
    assert len(set(ids)) == len(ids) >= 2
    assert scenario.variant(scenario.pitfall_variant).role == "pitfall"
    assert scenario.variant(scenario.fix_variant).role == "fix"
    assert ids[:2] == [scenario.pitfall_variant, scenario.fix_variant]  # the pair first
    for text in (scenario.title, scenario.pitfall, scenario.fix, scenario.signature):
        assert text.strip() and "\n" not in text
    assert scenario.upstream.latency_ms > 0
    for name in scenario.app_env:
        assert name.startswith("AWAITBENCH_")


@pytest.mark.parametrize("scenario", catalogue(), ids=lambda s: s.id)
def test_upstream_settings_are_a_valid_fake_llm_command_line(scenario: Scenario) -> None:
    # The bench starts fake_llm with exactly this argv; fake_llm's own parser must read it back as the
    # scenario's typed settings, in range (a name, type or range mistake fails here, not in a run).
    argv = fake_llm_argv(port=8000, settings=scenario.upstream.fake_llm)
    config = load_config(flags=flag_settings(build_parser().parse_args(argv[3:])))
    for name, value in scenario.upstream.fake_llm.items():
        section = SETTINGS[name].section
        assert section is not None
        assert getattr(getattr(config, section), name) == value


def test_upstream_profile_rejects_untyped_or_unknown_settings() -> None:
    with pytest.raises(ConfigError, match=r"setting hang_rate .* must be a number, not '0\.1'"):
        UpstreamProfile(latency_ms=100.0, fake_llm={"hang_rate": "0.1"})
    with pytest.raises(ConfigError, match="unknown setting 'hang_rates'"):
        fixed_latency(100.0, hang_rates=0.1)


@pytest.mark.parametrize("scenario", catalogue(), ids=lambda s: s.id)
def test_every_factory_is_a_named_function_of_the_scenario_module(scenario: Scenario) -> None:
    module = importlib.import_module(f"scenarios.{scenario.id}")
    slide = module.__doc__ or ""
    assert len(slide.splitlines()) <= 5 and all(f"{part}:" in slide for part in ("Bug", "Fix", "Theory"))
    assert f"### `{scenario.id}`" in (ROOT / "docs" / "scenarios.md").read_text()  # the whole story
    for variant in scenario.variants:
        module_name, _, function = variant.factory.partition(":")
        assert module_name == module.__name__
        factory = getattr(module, function)
        assert callable(factory) and function in module.__all__
        assert not inspect.signature(factory).parameters  # zero-argument factory


@pytest.mark.parametrize("scenario", catalogue(), ids=lambda s: s.id)
@pytest.mark.parametrize("users", [1, 10, 100])
def test_theory_predicts_every_variant(scenario: Scenario, users: int) -> None:
    given = TheoryInput(users=users, upstream_latency_ms=scenario.upstream.latency_ms, workers=1, cpu_cores=2)
    predictions = scenario.theory(given)
    assert set(predictions) == {v.id for v in scenario.variants}
    for prediction in predictions.values():
        assert prediction.throughput_rps > 0
        assert prediction.latency_ms >= scenario.upstream.latency_ms * 0.99  # no faster than the upstream
        # Little's law holds for every closed-loop prediction: X = U / R counts every answer; goodput
        # (what is predicted) is that or less when some answers are errors (fan_out beyond the cap, a
        # pool's timeouts: `failed_rps`).
        answered = prediction.throughput_rps + prediction.failed_rps
        assert answered <= users * 1000.0 / prediction.latency_ms * (1 + 1e-9)
        if "429" not in prediction.note:
            assert answered == pytest.approx(users * 1000.0 / prediction.latency_ms)


def _predict(scenario_id: str, variant: str, users: int) -> float:
    scenario = get(scenario_id)
    given = TheoryInput(users=users, upstream_latency_ms=100.0, workers=1, cpu_cores=2)
    return scenario.theory(given)[variant].throughput_rps


def test_theory_matches_the_brief() -> None:
    # sync_in_async: X = W / L, flat whatever U; sync_in_def: 40 / L; async: U / L.
    assert _predict("sync_client", "sync_in_async", 100) == pytest.approx(10.0)
    assert _predict("sync_client", "sync_in_def", 100) == pytest.approx(400.0)
    assert _predict("sync_client", "async_client", 100) == pytest.approx(1000.0)
    # serial: R = 3L; gather: R = L.
    assert _predict("serial_awaits", "serial", 10) == pytest.approx(
        _predict("serial_awaits", "gather", 10) / 3
    )
    # threads do not scale CPU work; a process pool scales to the cores.
    cpu_thread, cpu_pool = _predict("cpu_work", "to_thread", 100), _predict("cpu_work", "process_pool", 100)
    assert cpu_pool == pytest.approx(2 * cpu_thread)
    # unbounded fan-out: fine while U·N fits under the cap, goodput collapses beyond it; the semaphore
    # keeps k / (N·L) whatever the load.
    assert _predict("fan_out", "unbounded", 1) == pytest.approx(10.0)
    assert _predict("fan_out", "unbounded", 10) < 0.1 * _predict("fan_out", "semaphore", 10)
    assert _predict("fan_out", "unbounded", 100) < 0.001 * _predict("fan_out", "semaphore", 100)
    assert _predict("fan_out", "semaphore", 100) == pytest.approx(_predict("fan_out", "semaphore", 10))
    # the 40-token threadpool plateau.
    assert _predict("threadpool", "default_limiter", 100) == pytest.approx(400.0)
    # a blocking driver: 1 / q whatever the users; the awaited one U / (L + q).
    assert _predict("sync_db_driver", "sync_driver", 100) == pytest.approx(1000.0 / QUERY_MS)
    assert _predict("sync_db_driver", "async_driver", 10) == pytest.approx(10_000.0 / (100.0 + QUERY_MS))
    # a session held across the call: P / (L + q) beyond the pool, the rest time out; short sessions U / S.
    held = get("db_session_held").theory(TheoryInput(users=40, upstream_latency_ms=500.0, cpu_cores=2))
    service_ms = 500.0 + QUERY_MS + WRITE_MS
    assert held["session_held"].throughput_rps == pytest.approx(10_000.0 / service_ms)
    assert held["session_held"].failed_rps == pytest.approx(30.0 - 10_000.0 / service_ms)
    assert held["short_sessions"].throughput_rps == pytest.approx(40_000.0 / service_ms)


@pytest.mark.parametrize("scenario", catalogue(), ids=lambda s: s.id)
def test_every_scenario_declares_a_headline_metric_and_its_reference_load(scenario: Scenario) -> None:
    headline = scenario.headline
    check_figure(headline.metric)  # one the results can read (bench.results.named_figures)
    assert headline.better in ("higher", "lower") and headline.name.strip()
    # The reference load is one of the scenario's default loads, which span below, at and beyond the
    # pitfall's limit: at least four for the core six, two for the others.
    assert headline.users in scenario.loads
    assert len(scenario.loads) >= (4 if scenario.core else 2)
    assert list(scenario.loads) == sorted(set(scenario.loads))
    filled = headline.text.format(**dict.fromkeys(HEADLINE_PLACEHOLDERS, "1"))
    assert filled.strip() and "{" not in filled
    assert "headline" not in {v.id for v in scenario.variants}  # --summary-json keeps that key per scenario


@pytest.mark.parametrize("scenario", catalogue(), ids=lambda s: s.id)
def test_the_fix_is_not_cpu_bound_at_the_reference_load(scenario: Scenario) -> None:
    """Where the headline is read, the theory keeps the fix well below one process's SDK ceiling, so the
    pair differs by the pitfall. `client_backend` is the exception by design: its pitfall IS that ceiling."""
    if scenario.id == "client_backend":
        return
    given = TheoryInput(
        users=scenario.headline.users,
        upstream_latency_ms=scenario.upstream.latency_ms,
        workers=1,
        cpu_cores=2,
    )
    fix = scenario.theory(given)[scenario.fix_variant]
    assert fix.throughput_rps <= 0.75 * SDK_APP_CEILING_RPS


def test_a_headline_load_outside_the_loads_is_refused_with_the_fix() -> None:
    with pytest.raises(ValueError, match="reference load 7 is not one of its loads"):
        replace(get("sync_client"), headline=replace(get("sync_client").headline, users=7))
    with pytest.raises(ValueError, match="placeholders are"):
        replace(get("sync_client"), headline=replace(get("sync_client").headline, text="{speedup} faster"))
