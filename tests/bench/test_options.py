"""`bench.options`: a config dataclass as the single source of flags, env vars and docs."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pytest

from bench.errors import UsageError
from bench.options import add_arguments, markdown_table, option, values_from


@dataclass(frozen=True, kw_only=True)
class _Demo:
    names: tuple[str, ...] = option((), positional=True, metavar="NAME", help="names")
    quick: bool = option(False, help="fast")
    rate: float = option(1.5, quick=0.5, help="per second")
    count: int = option(3, help="how many")
    mode: Literal["a", "b"] = option("a", help="which mode")
    out: Path | None = option(None, metavar="DIR", help="where")
    hidden: int = 7  # not an option


def _values(argv: list[str], environ: dict[str, str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser()
    add_arguments(parser, _Demo, env_prefix="DEMO_")
    return values_from(_Demo, parser.parse_args(argv), environ=environ or {}, env_prefix="DEMO_")


def test_nothing_given_leaves_the_dataclass_defaults() -> None:
    assert _values([]) == {}
    assert _Demo(**_values([])) == _Demo()


def test_flags_win_over_env_vars_which_win_over_defaults() -> None:
    assert _values(["--count", "5"], {"DEMO_COUNT": "9", "DEMO_RATE": "2"}) == {"count": 5, "rate": 2.0}


def test_quick_changes_only_the_defaults_not_what_was_given() -> None:
    assert _values(["--quick"]) == {"quick": True, "rate": 0.5}
    assert _values(["--quick", "--rate", "4"]) == {"quick": True, "rate": 4.0}
    assert _values([], {"DEMO_QUICK": "yes"}) == {"quick": True, "rate": 0.5}


def test_positional_paths_and_choices() -> None:
    assert _values(["x", "y", "--out", "d", "--mode", "b"]) == {
        "names": ("x", "y"),
        "out": Path("d"),
        "mode": "b",
    }


@pytest.mark.parametrize(
    ("argv", "environ", "message"),
    [
        (["--rate", "nan"], {}, "--rate: 'nan' is not a valid float"),
        (["--rate", "inf"], {}, "--rate: 'inf'"),
        (["--count", "2.5"], {}, "--count: '2.5' is not a valid int"),
        ([], {"DEMO_COUNT": "many"}, "DEMO_COUNT: 'many'"),
        ([], {"DEMO_MODE": "c"}, "DEMO_MODE 'c' is not one of: a, b"),
        ([], {"DEMO_QUICK": "maybe"}, "DEMO_QUICK: 'maybe'"),
    ],
)
def test_bad_values_name_the_flag_or_env_var(argv: list[str], environ: dict[str, str], message: str) -> None:
    with pytest.raises(UsageError, match=message.replace("(", r"\(")):
        _values(argv, environ)


def test_the_docs_table_lists_every_option_once() -> None:
    table = markdown_table(_Demo, env_prefix="DEMO_")
    assert "`DEMO_RATE` | `1.5` | `0.5` | per second |" in table
    assert "`--quick / --no-quick`" in table
    assert "hidden" not in table and table.count("\n") == 2 + 6
