"""A typed config dataclass is the single source of its command-line flags, env vars and docs table.

Why: `awaitbench run` and `awaitbench perf` used to spell each option three times (argparse, the mapping
onto the config, the docs) with defaults repeated in each. Here a field declares its option once
(`option(default, help=...)`); `add_arguments` generates the argparse flags, `values_from` reads flags
over env vars (`AWAITBENCH_RUN_USERS=10,100`) over defaults, and `markdown_table` renders the docs.

Precedence: the field's default (or its `quick` default under `--quick`) < env var < flag. Every parse
error raises `UsageError` naming the flag or the env var and what a valid value looks like.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

from bench.errors import UsageError

__all__ = [
    "Option",
    "OptionSpec",
    "add_arguments",
    "finite_float",
    "markdown_table",
    "option",
    "option_specs",
    "values_from",
]

_UNSET: Any = object()
_DEST = "opt__"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True, kw_only=True)
class Option:
    """How one config field appears on the command line and in the environment.

    Args:
        help: one line for `--help` and the docs table.
        parse: text -> value; None derives it from the field's type (int, float, str, Path, bool, Literal).
        flag: the flag; default `--` + the field name with dashes.
        metavar: shown in `--help`.
        quick: the default under `--quick` (a field named `quick` must exist), when it differs.
        positional: a positional argument (never an env var).
        doc_default: how the docs show a default that is computed (e.g. a timestamped directory).
    """

    help: str
    parse: Callable[[str], object] | None = None
    flag: str | None = None
    metavar: str | None = None
    quick: object = _UNSET
    positional: bool = False
    doc_default: str | None = None


def option(
    default: object = _UNSET, *, default_factory: Callable[[], object] | None = None, **kw: Any
) -> Any:
    """A dataclass field that is also a command-line option (see `Option` for the keywords)."""
    metadata = {"option": Option(**kw)}
    if default_factory is not None:
        return dataclasses.field(default_factory=default_factory, metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


@dataclass(frozen=True, kw_only=True)
class OptionSpec:
    """A resolved option: what the parser, the environment reader and the docs share."""

    name: str
    flag: str
    env_var: str | None
    kind: type
    choices: tuple[str, ...] | None
    default: object
    option: Option

    @property
    def is_bool(self) -> bool:
        return self.kind is bool


def finite_float(text: str) -> float:
    """A float that is a real number: `nan` and `inf` are rejected (they pass every range check)."""
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text!r} is not a finite number")
    return value


def _base_type(hint: object) -> tuple[type, tuple[str, ...] | None]:
    """(the scalar type, Literal choices) of a field's annotation; `X | None` counts as X."""
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        inner = [arg for arg in get_args(hint) if arg is not type(None)]
        return _base_type(inner[0])
    if origin is Literal:
        return str, tuple(str(arg) for arg in get_args(hint))
    if origin is tuple:
        return tuple, None
    return (hint if isinstance(hint, type) else str), None


def option_specs(cls: type, *, env_prefix: str) -> tuple[OptionSpec, ...]:
    """Every option of the config dataclass `cls`, in field order."""
    hints = typing.get_type_hints(cls)
    specs = []
    for f in dataclasses.fields(cls):
        opt = f.metadata.get("option")
        if opt is None:
            continue
        kind, choices = _base_type(hints[f.name])
        default = f.default if f.default is not dataclasses.MISSING else _UNSET
        if f.default_factory is not dataclasses.MISSING:
            default = f.default_factory()
        flag = opt.flag or "--" + f.name.replace("_", "-")
        specs.append(
            OptionSpec(
                name=f.name,
                flag=flag,
                env_var=None if opt.positional else env_prefix + flag[2:].upper().replace("-", "_"),
                kind=kind,
                choices=choices,
                default=default,
                option=opt,
            )
        )
    return tuple(specs)


def add_arguments(parser: argparse.ArgumentParser, cls: type, *, env_prefix: str) -> None:
    """Add one flag per option of `cls`; every default is None so `values_from` can tell what was given."""
    for spec in option_specs(cls, env_prefix=env_prefix):
        opt = spec.option
        default = opt.doc_default or _show(spec.default)
        parts = [] if default == "—" else [f"default {default}"]
        if opt.quick is not _UNSET:
            parts.append(f"--quick: {_show(opt.quick)}")
        parts.append(f"env {spec.env_var}")
        help_ = f"{opt.help} ({'; '.join(parts)})"
        if opt.positional:
            parser.add_argument(spec.name, nargs="*", metavar=opt.metavar, help=opt.help, default=None)
        elif spec.is_bool:
            parser.add_argument(
                spec.flag,
                dest=_DEST + spec.name,
                action=argparse.BooleanOptionalAction,
                default=None,
                help=help_,
            )
        else:
            parser.add_argument(
                spec.flag,
                dest=_DEST + spec.name,
                metavar=None if spec.choices else opt.metavar or spec.flag[2:].upper().replace("-", "_"),
                choices=spec.choices,
                default=None,
                help=help_,
            )


def _parser_for(spec: OptionSpec) -> Callable[[str], object]:
    if spec.option.parse is not None:
        return spec.option.parse
    if spec.kind is float:
        return finite_float
    if spec.kind is bool:
        return _parse_bool
    if spec.kind in (int, Path):
        return spec.kind
    return str


def _parse_bool(text: str) -> bool:
    value = text.strip().lower()
    if value not in _TRUE | _FALSE:
        raise ValueError(f"{text!r} is not true or false")
    return value in _TRUE


def _parse(spec: OptionSpec, text: str, where: str) -> object:
    if spec.choices is not None and text not in spec.choices:
        raise UsageError(f"{where} {text!r} is not one of: {', '.join(spec.choices)}")
    try:
        return _parser_for(spec)(text)
    except UsageError:
        raise
    except (TypeError, ValueError) as exc:
        kind = spec.kind.__name__ if spec.kind is not tuple else "list"
        raise UsageError(f"{where}: {text!r} is not a valid {kind} ({exc})") from None


def values_from(
    cls: type, namespace: argparse.Namespace, *, environ: Mapping[str, str], env_prefix: str
) -> dict[str, Any]:
    """The options given by flags or env vars (flags win), plus `quick` defaults where they apply.

    Options given neither way are left out, so the dataclass's own defaults apply.
    """
    specs = option_specs(cls, env_prefix=env_prefix)
    values: dict[str, Any] = {}
    for spec in specs:
        given = getattr(namespace, spec.name if spec.option.positional else _DEST + spec.name, None)
        if spec.option.positional:
            if given:
                values[spec.name] = tuple(given)
        elif given is not None:
            values[spec.name] = given if isinstance(given, bool) else _parse(spec, given, spec.flag)
        elif spec.env_var is not None and environ.get(spec.env_var, "") != "":
            values[spec.name] = _parse(spec, environ[spec.env_var], spec.env_var)
    if values.get("quick"):
        for spec in specs:
            if spec.name not in values and spec.option.quick is not _UNSET:
                values[spec.name] = spec.option.quick
    return values


def _show(value: object) -> str:
    if value is _UNSET or value is None:
        return "—"
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value) or "—"
    if isinstance(value, bool):
        return "on" if value else "off"
    return f"{value:g}" if isinstance(value, float) else str(value)


def markdown_table(cls: type, *, env_prefix: str) -> str:
    """The docs table of `cls`'s options: flag, env var, default, `--quick` default, meaning."""
    rows = ["| flag | env var | default | `--quick` | meaning |", "|---|---|---|---|---|"]
    for spec in option_specs(cls, env_prefix=env_prefix):
        flag = spec.option.metavar or spec.name if spec.option.positional else spec.flag
        if spec.is_bool:
            flag = f"{spec.flag} / --no-{spec.flag[2:]}"
        env = f"`{spec.env_var}`" if spec.env_var else "—"
        quick = "" if spec.option.quick is _UNSET else f"`{_show(spec.option.quick)}`"
        default = spec.option.doc_default or _show(spec.default)
        rows.append(f"| `{flag}` | {env} | `{default}` | {quick} | {spec.option.help} |")
    return "\n".join(rows) + "\n"
