from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bench.errors import UsageError
from bench.paths import check_out_dir, check_writable_file
from bench.run.config import RunConfig, default_reference_users, parse_rates, parse_users


def test_parse_users_sorts_and_dedupes() -> None:
    assert parse_users("100, 10,1,10") == (1, 10, 100)


@pytest.mark.parametrize("text", ["", " , ", "1,x", "0", "-5", "1,999999", "1.5", "10,,20", "10,"])
def test_parse_users_rejects_bad_lists(text: str) -> None:
    with pytest.raises(UsageError, match="--users"):
        parse_users(text)


def test_reference_users_defaults_to_100_or_highest() -> None:
    assert default_reference_users((10, 100, 200)) == 100
    assert default_reference_users((1, 20)) == 20


def test_config_rejects_reference_load_not_measured() -> None:
    with pytest.raises(UsageError, match="--reference-users 50"):
        RunConfig(users=(10, 100), reference_users=50)
    with pytest.raises(UsageError, match="--reference-users 0"):
        RunConfig(reference_users=0)


def test_without_users_each_scenario_brings_its_own_loads() -> None:
    config = RunConfig()
    assert config.users is None
    assert RunConfig(reference_users=50).reference_users == 50  # checked against each scenario's loads


@pytest.mark.parametrize(
    "kwargs",
    [{"duration_s": 0}, {"warmup_s": -1}, {"processes": 0}, {"app_workers": 0}, {"loop": "trio"}],
)
def test_config_rejects_bad_values(kwargs: dict[str, Any]) -> None:
    with pytest.raises(UsageError):
        RunConfig(**kwargs)


def test_loops_both_means_uvloop_then_asyncio() -> None:
    assert RunConfig(loop="both").loops == ("uvloop", "asyncio")


def test_out_dir_checks(tmp_path: Path) -> None:
    check_out_dir(tmp_path / "new" / "dir")  # created
    assert (tmp_path / "new" / "dir").is_dir()
    a_file = tmp_path / "file"
    a_file.write_text("x")
    with pytest.raises(UsageError, match="is a file"):
        check_out_dir(a_file)
    with pytest.raises(UsageError, match="not writable"):
        check_out_dir(a_file / "sub")
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine")
    with pytest.raises(UsageError, match="not an awaitbench results directory"):
        check_out_dir(busy)
    (busy / "manifest.json").write_text("{}")
    check_out_dir(busy)  # a previous results directory may be reused


def test_summary_file_checks(tmp_path: Path) -> None:
    check_writable_file(tmp_path / "sub" / "summary.json", flag="--summary-json")
    with pytest.raises(UsageError, match="is a directory"):
        check_writable_file(tmp_path, flag="--summary-json")


def test_parse_rates_sorts_dedupes_and_keeps_fractions() -> None:
    assert parse_rates("40, 5,2.5,40") == (2.5, 5.0, 40.0)


@pytest.mark.parametrize("text", ["", "0", "-1", "nan", "inf", "5,,40", "x", "1e9"])
def test_parse_rates_rejects_what_is_not_a_positive_finite_rate(text: str) -> None:
    with pytest.raises(UsageError, match="--rate"):
        parse_rates(text)


def test_open_loop_options_need_their_mode() -> None:
    assert RunConfig(rates=(5.0, 40.0)).open_loop
    assert RunConfig(rates=(5.0,)).arrival_process == "constant"
    assert RunConfig(rates=(5.0,), arrival="poisson").arrival_process == "poisson"
    assert RunConfig(find_capacity=True, slo_p99_ms=500.0).open_loop
    assert not RunConfig().open_loop
    with pytest.raises(UsageError, match="--rate and --users"):
        RunConfig(rates=(5.0,), users=(10,))
    with pytest.raises(UsageError, match="--slo-p99-ms MS"):
        RunConfig(find_capacity=True)
    with pytest.raises(UsageError, match="only applies with --find-capacity"):
        RunConfig(slo_p99_ms=500.0)
    with pytest.raises(UsageError, match="--arrival applies"):
        RunConfig(arrival="poisson")
    with pytest.raises(UsageError, match="--reference-users applies to closed-loop"):
        RunConfig(rates=(5.0,), reference_users=10)
