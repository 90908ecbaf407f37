"""`awaitbench.options`: a config dataclass as the single source of flags, env vars, checks and docs; the
one-line parser and the SIGTERM handler of every command line."""

from __future__ import annotations

import argparse
import os
import signal
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pytest

from awaitbench.options import (
    OneLineParser,
    Options,
    above,
    at_least,
    between,
    check_fields,
    interrupt_on_sigterm,
    option,
)


class DemoError(Exception):
    pass


@dataclass(frozen=True, kw_only=True)
class _Demo:
    names: tuple[str, ...] = option((), positional=True, metavar="NAME", help="names")
    quick: bool = option(False, help="fast")
    rate: float = option(1.5, quick=0.5, help="per second", check=above(0))
    count: int = option(3, help="how many", check=at_least(1, "1 = one"))
    mode: Literal["a", "b"] = option("a", help="which mode")
    out: Path | None = option(None, metavar="DIR", help="where")
    share: float = option(0.5, help="a share", check=between(0, 1))
    hidden: int = 7  # not an option

    def __post_init__(self) -> None:
        check_fields(self, DemoError)


OPTIONS = Options(_Demo, env_prefix="DEMO_", error=DemoError, docs="docs/demo.md")


def _load(argv: list[str], environ: dict[str, str] | None = None) -> _Demo:
    parser = argparse.ArgumentParser()
    OPTIONS.add_arguments(parser)
    return OPTIONS.load(parser.parse_args(argv), environ or {})


def test_nothing_given_leaves_the_dataclass_defaults() -> None:
    parser = argparse.ArgumentParser()
    OPTIONS.add_arguments(parser)
    assert OPTIONS.from_args(parser.parse_args([])) == {}
    assert _load([]) == _Demo()


def test_flags_win_over_env_vars_which_win_over_defaults() -> None:
    assert _load(["--count", "5"], {"DEMO_COUNT": "9", "DEMO_RATE": "2"}) == _Demo(count=5, rate=2.0)


def test_quick_changes_only_the_defaults_not_what_was_given() -> None:
    assert _load(["--quick"]) == _Demo(quick=True, rate=0.5)
    assert _load(["--quick", "--rate", "4"]) == _Demo(quick=True, rate=4.0)
    assert _load([], {"DEMO_QUICK": "yes"}) == _Demo(quick=True, rate=0.5)


def test_positional_paths_and_choices() -> None:
    assert _load(["x", "y", "--out", "d", "--mode", "b"]) == _Demo(names=("x", "y"), out=Path("d"), mode="b")


@pytest.mark.parametrize(
    ("argv", "environ", "message"),
    [
        (["--rate", "nan"], {}, "--rate must be a finite number, not nan"),
        (["--rate", "inf"], {}, "--rate must be a finite number, not inf"),
        (["--rate", "0"], {}, "--rate must be > 0, got 0.0"),
        (["--count", "2.5"], {}, "--count (flag) must be a whole number, not '2.5'"),
        (["--count", "0"], {}, "--count must be >= 1 (1 = one), got 0"),
        (["--share", "nan"], {}, "--share must be between 0 and 1, got nan"),
        ([], {"DEMO_COUNT": "many"}, "--count (env) must be a whole number, not 'many'"),
        ([], {"DEMO_MODE": "c"}, "--mode (env) must be one of a, b, not 'c'"),
        ([], {"DEMO_QUICK": "maybe"}, "--quick (env) must be true or false, not 'maybe'"),
    ],
)
def test_bad_values_name_the_flag_and_where_it_came_from(
    argv: list[str], environ: dict[str, str], message: str
) -> None:
    with pytest.raises(DemoError) as caught:
        _load(argv, environ)
    assert str(caught.value) == message


def test_typed_values_are_never_parsed_and_name_the_setting() -> None:
    assert OPTIONS.typed({"rate": 2, "mode": "b"}, origin="test") == {"rate": 2.0, "mode": "b"}
    with pytest.raises(DemoError, match=r"^setting count \(test\) must be a whole number, not '2'; see"):
        OPTIONS.typed({"count": "2"}, origin="test")
    with pytest.raises(DemoError, match=r"^unknown setting .counts. in test; settings are the flags in docs"):
        OPTIONS.typed({"counts": 2}, origin="test")


def test_env_vars_of_other_names_are_left_alone_unless_extras_are_named() -> None:
    environ = {"DEMO_COUNT": "4", "DEMO_DIR": "/x", "DEMO_RATE": "", "OTHER": "1"}
    assert OPTIONS.from_env(environ) == {"count": "4"}
    assert OPTIONS.from_env(environ, extras=("dir",)) == {"count": "4", "dir": "/x"}
    with pytest.raises(DemoError, match="unknown setting 'dir' in env var DEMO_DIR"):
        OPTIONS.from_env(environ, extras=())


def test_the_docs_table_lists_every_option_once() -> None:
    table = OPTIONS.markdown_table()
    assert "`DEMO_RATE` | `1.5` | `0.5` | per second |" in table
    assert "`--quick` / `--no-quick`" in table
    assert "| which mode: `a`, `b` |" in table
    assert "hidden" not in table and table.count("\n") == 2 + 7


def test_the_parser_error_is_one_line_naming_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    parser = OneLineParser(prog="tool sub")
    with pytest.raises(SystemExit) as caught:
        parser.parse_args(["--nope"])
    assert caught.value.code == 2
    assert capsys.readouterr().err == "tool: error: unrecognized arguments: --nope (see 'tool sub --help')\n"
    assert OneLineParser(prog="python -m tool", tag="tool").tag == "tool"


def test_sigterm_stops_like_ctrl_c() -> None:
    previous = signal.getsignal(signal.SIGTERM)
    try:
        interrupt_on_sigterm()
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGTERM)  # the handler runs before the next bytecode
    finally:
        signal.signal(signal.SIGTERM, previous)


@dataclass(frozen=True, kw_only=True)
class _Section:
    latency_ms: float = option(1.0, help="latency", check=at_least(0))


@dataclass(frozen=True, kw_only=True)
class _Sectioned:
    upstream: _Section = field(default_factory=_Section)

    def __post_init__(self) -> None:
        check_fields(self, DemoError)


def test_sections_are_flat_names_and_toml_tables(tmp_path: Path) -> None:
    options = Options(_Sectioned, env_prefix="S_", error=DemoError, docs="d.md", toml=True)
    assert options.specs["latency_ms"].section == "upstream"
    config_file = tmp_path / "c.toml"
    config_file.write_text("[upstream]\nlatency-ms = 5\n")
    values = options.merge([(options.from_toml(config_file), "config file")])
    assert options.build(values) == _Sectioned(upstream=_Section(latency_ms=5.0))
    with pytest.raises(DemoError, match=r"^--latency-ms must be >= 0, got -1\.0$"):
        options.build({"latency_ms": -1.0})
    assert "| **upstream** (`[upstream]`) | | | | |" in options.markdown_table()
