"""Typed options: a frozen config dataclass declares each option once (`option(...)`); its flags, env vars,
TOML keys, checks and docs table follow. Plus the one-line parser and SIGTERM handler of our command lines.

Precedence, lowest first: field default < preset (or `--quick`'s defaults) < config file < env vars < flags.
A leaf: it imports nothing of ours, so `fake_llm` and `bench` both build on it (docs/contracts.md).
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import signal
import tomllib
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import FrameType, MappingProxyType
from typing import Any, Generic, Literal, NoReturn, TypeVar, Union, get_args, get_origin

__all__ = [
    "Check",
    "OneLineParser",
    "Option",
    "Options",
    "Spec",
    "above",
    "at_least",
    "between",
    "check_fields",
    "interrupt_on_sigterm",
    "option",
]

C = TypeVar("C")
_UNSET: Any = object()
_DEST = "opt__"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
_KIND_NAMES: Mapping[type, str] = {
    bool: "true or false",
    int: "a whole number",
    float: "a number",
    str: "a string",
}


@dataclass(frozen=True, kw_only=True)
class Check:
    """A condition on an option's value; a value that fails it is an error `--flag must be {text}, got V`.

    A value `ok` lets through must still be finite: a one-sided bound (`at_least`, `above`) lets `nan` and
    the infinities through to that check, whose message names them; `between` states the range instead.
    """

    text: str
    ok: Callable[[Any], bool]


def _why(text: str, why: str) -> str:
    return f"{text} ({why})" if why else text


def at_least(low: float, why: str = "") -> Check:
    """`value >= low`; `why` says what the bound means (e.g. "0 = no cap")."""
    return Check(text=_why(f">= {low:g}", why), ok=lambda value: not math.isfinite(value) or value >= low)


def above(low: float, why: str = "") -> Check:
    """`value > low`."""
    return Check(text=_why(f"> {low:g}", why), ok=lambda value: not math.isfinite(value) or value > low)


def between(low: float, high: float, why: str = "") -> Check:
    """`low <= value <= high`."""
    return Check(text=_why(f"between {low:g} and {high:g}", why), ok=lambda value: low <= value <= high)


@dataclass(frozen=True, kw_only=True)
class Option:
    """How one config field appears to a user (the field's type gives its kind and `Literal` choices).

    Args:
        help: one line for `--help` and the docs table.
        flag: the flag; default `--` + the field name with dashes (the env var follows the flag).
        metavar: shown in `--help`.
        parse: text -> value, raising ValueError or the component's error; None: from the field's type.
        quick: the default under `--quick` (the config has a `quick` option), when it differs.
        positional: a positional argument (never an env var).
        doc_default: how docs and `--help` show a default that is computed (e.g. a timestamped directory).
        check: a bound the value must meet (`at_least`, `above`, `between` or any `Check`).
    """

    help: str
    flag: str | None = None
    metavar: str | None = None
    parse: Callable[[str], object] | None = None
    quick: object = _UNSET
    positional: bool = False
    doc_default: str | None = None
    check: Check | None = None


def option(
    default: object = _UNSET, *, default_factory: Callable[[], object] | None = None, **kw: Any
) -> Any:
    """A dataclass field that is also an option (see `Option` for the keywords)."""
    metadata = {"option": Option(**kw)}
    if default_factory is not None:
        return dataclasses.field(default_factory=default_factory, metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


@dataclass(frozen=True, kw_only=True)
class Spec:
    """One option as the parser, the environment, the config file and the docs see it."""

    name: str
    section: str | None
    flag: str
    env_var: str | None
    kind: type
    choices: tuple[str, ...] | None
    default: object
    option: Option

    @property
    def help(self) -> str:
        return self.option.help


def _flag(name: str, opt: Option) -> str:
    return opt.flag or "--" + name.replace("_", "-")


def _base_type(hint: object) -> tuple[type, tuple[str, ...] | None]:
    """(the scalar type, Literal choices) of a field's annotation; `X | None` counts as X."""
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        return _base_type(next(arg for arg in get_args(hint) if arg is not type(None)))
    if origin is Literal:
        return str, tuple(str(arg) for arg in get_args(hint))
    if origin is tuple:
        return tuple, None
    return (hint if isinstance(hint, type) else str), None


_Rule = tuple[str, str, tuple[str, ...] | None, Check | None]
_RULES: dict[type, tuple[_Rule, ...]] = {}


def _rules(cls: type) -> tuple[_Rule, ...]:
    """(field, flag, choices, check) of every option field of the dataclass `cls`."""
    if cls not in _RULES:
        hints = typing.get_type_hints(cls)
        _RULES[cls] = tuple(
            (f.name, _flag(f.name, opt), _base_type(hints[f.name])[1], opt.check)
            for f in dataclasses.fields(cls)
            if (opt := f.metadata.get("option")) is not None
        )
    return _RULES[cls]


def check_fields(config: Any, error: type[Exception]) -> None:
    """Check each option of `config` (and of its section dataclasses) against its choices, finiteness and
    `check`, once, from the config's `__post_init__`.

    Raises:
        error: `--flag must be ..., got VALUE` for the first value out of bounds.
    """
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            check_fields(value, error)
    for name, flag, choices, check in _rules(type(config)):
        value = getattr(config, name)
        if value is None:
            continue
        if choices is not None and value not in choices:
            raise error(f"{flag} must be one of {', '.join(choices)}, not {value!r}")
        if check is not None and not check.ok(value):
            raise error(f"{flag} must be {check.text}, got {value!r}")
        if isinstance(value, float) and not math.isfinite(value):
            raise error(f"{flag} must be a finite number, not {value!r}")


def _show(value: object) -> str:
    """A default as a flag value: `—` for none, `on`/`off`, `3` for 3.0, lists joined by commas."""
    if value is _UNSET or value is None or value == "":
        return "—"
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value) or "—"
    if isinstance(value, bool):
        return "on" if value else "off"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _toml(value: object) -> str:
    """A default as a config file writes it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return f'"{value}"' if isinstance(value, str) else repr(value)


class Options(Generic[C]):
    """The options of one component's frozen config dataclass `cls`, whose fields are `option(...)`s or
    section dataclasses of them (flat, unique names: `--ttft-ms` is `[latency] ttft_ms`).

    Args:
        env_prefix: env vars are this + the flag in capitals (`AWAITBENCH_RUN_` -> `AWAITBENCH_RUN_USERS`).
        error: the component's usage error, raised for every bad name or value.
        docs: the docs page with the options table (`python scripts/docs_tables.py` writes it).
        toml: the component reads a config file (the table gets a TOML key column and TOML defaults).
    """

    def __init__(
        self, cls: type[C], *, env_prefix: str, error: type[Exception], docs: str, toml: bool = False
    ) -> None:
        self.cls, self.env_prefix, self.error, self.docs, self.toml = cls, env_prefix, error, docs, toml
        self.sections: dict[str, type] = {}
        specs: dict[str, Spec] = {}
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):  # type: ignore[arg-type]
            section = hints[f.name]
            if "option" in f.metadata:
                specs[f.name] = self._spec(section, f, None)
            elif isinstance(section, type) and dataclasses.is_dataclass(section):  # other fields: no options
                self.sections[f.name] = section
                inner = typing.get_type_hints(section)
                specs.update(
                    (g.name, self._spec(inner[g.name], g, f.name)) for g in dataclasses.fields(section)
                )
        self.specs: Mapping[str, Spec] = MappingProxyType(specs)

    def _spec(self, hint: object, f: dataclasses.Field[Any], section: str | None) -> Spec:
        opt: Option = f.metadata["option"]
        kind, choices = _base_type(hint)
        flag = _flag(f.name, opt)
        default = f.default if f.default is not dataclasses.MISSING else _UNSET
        if f.default_factory is not dataclasses.MISSING:
            default = f.default_factory()
        env = None if opt.positional else self.env_prefix + flag[2:].upper().replace("-", "_")
        return Spec(
            name=f.name,
            section=section,
            flag=flag,
            env_var=env,
            kind=kind,
            choices=choices,
            default=default,
            option=opt,
        )

    # ------------------------------------------------------------------ reading values from each layer

    def add_arguments(self, parser: argparse.ArgumentParser, names: Iterable[str] | None = None) -> None:
        """One flag per option (all, or those in `names`); an absent flag reads as None (`from_args`)."""
        for spec in self.specs.values() if names is None else [self.specs[n] for n in names]:
            opt, dest = spec.option, _DEST + spec.name
            if opt.positional:
                parser.add_argument(dest, nargs="*", metavar=opt.metavar, help=opt.help, default=None)
                continue
            parts = [] if (shown := opt.doc_default or _show(spec.default)) == "—" else [f"default {shown}"]
            if opt.quick is not _UNSET:
                parts.append(f"--quick: {_show(opt.quick)}")
            help_ = f"{opt.help} ({'; '.join([*parts, f'env {spec.env_var}'])})"
            if spec.kind is bool:
                action = argparse.BooleanOptionalAction
                parser.add_argument(spec.flag, dest=dest, action=action, default=None, help=help_)
                continue
            metavar = None if spec.choices else opt.metavar or spec.flag[2:].upper().replace("-", "_")
            parser.add_argument(
                spec.flag, dest=dest, metavar=metavar, choices=spec.choices, default=None, help=help_
            )

    def from_args(self, args: argparse.Namespace) -> dict[str, object]:
        """The options given on the command line (values as typed: strings, switches, positional lists)."""
        values: dict[str, object] = {}
        for spec in self.specs.values():
            given = getattr(args, _DEST + spec.name, None)
            if given is not None and given != []:
                values[spec.name] = tuple(given) if spec.option.positional else given
        return values

    def from_env(
        self, environ: Mapping[str, str], *, extras: tuple[str, ...] | None = None
    ) -> dict[str, str]:
        """The non-empty env vars of the options, by option name.

        With `extras`, every other name under the prefix is an error unless listed there (e.g. "config");
        those are returned too, in lower case. Without, other names are left alone.
        """
        by_var = {spec.env_var: spec.name for spec in self.specs.values() if spec.env_var}
        values: dict[str, str] = {}
        for key, value in environ.items():
            if not key.startswith(self.env_prefix) or value == "":
                continue
            if key in by_var:
                values[by_var[key]] = value
            elif extras is not None:
                name = key.removeprefix(self.env_prefix).lower()
                if name not in extras:
                    raise self._unknown(name, f"env var {key}")
                values[name] = value
        return values

    def from_toml(self, path: Path, *, extras: tuple[str, ...] = ()) -> dict[str, object]:
        """A config file's values by option name: flat keys or section tables, dashes or underscores."""
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise self.error(f"--config {path}: no such file; pass an existing TOML file") from None
        except OSError as exc:
            raise self.error(f"--config {path}: cannot read it ({exc.strerror})") from None
        except tomllib.TOMLDecodeError as exc:
            raise self.error(f"--config {path}: not valid TOML ({exc})") from None
        values: dict[str, object] = {}
        for key, value in data.items():
            table = key in self.sections and isinstance(value, dict)
            for sub_key, sub_value in value.items() if table else [(key, value)]:
                name = sub_key.replace("-", "_")
                if name not in self.specs and name not in extras:
                    raise self._unknown(name, f"config file {path}")
                values[name] = sub_value
        return values

    # ------------------------------------------------------------------ typing, layering, building

    def _unknown(self, name: str, origin: str) -> Exception:
        return self.error(
            f"unknown setting {name!r} in {origin}; settings are the flags in {self.docs} with underscores"
        )

    def _coerce(self, spec: Spec, value: object, origin: str, *, text: bool) -> object:
        """`value` as the option's type; with `text`, strings are parsed (flags, env vars, config files)."""
        label = spec.flag if text else f"setting {spec.name}"
        wrong = f"{label} ({origin}) must be {_KIND_NAMES.get(spec.kind, 'valid')}, not {value!r}"
        hint = "" if text else f"; see '{spec.flag}' in {self.docs}"
        if text and isinstance(value, str):
            try:
                value = _parse(spec, value)
            except ValueError as exc:
                if isinstance(exc, self.error):
                    raise
                raise self.error(wrong) from None
        if spec.kind is float and type(value) is int:
            value = float(value)
        if spec.kind in _KIND_NAMES and type(value) is not spec.kind:
            raise self.error(wrong + hint)
        if spec.choices is not None and value not in spec.choices:
            raise self.error(f"{label} ({origin}) must be one of {', '.join(spec.choices)}, not {value!r}")
        return value

    def merge(
        self, layers: Iterable[tuple[Mapping[str, object], str]], *, text: bool = True
    ) -> dict[str, Any]:
        """The values of `layers` ((values by name, origin), lowest first), typed, the later winning.

        Raises:
            error: an unknown name, or a value of the wrong type or outside its choices, naming the origin.
        """
        merged: dict[str, Any] = {}
        for values, origin in layers:
            for name, value in values.items():
                if name not in self.specs:
                    raise self._unknown(name, origin)
                merged[name] = self._coerce(self.specs[name], value, origin, text=text)
        return merged

    def typed(self, values: Mapping[str, object], *, origin: str) -> Mapping[str, Any]:
        """Typed values checked by name and type (never parsed from text; an int widens to a float), as a
        read-only copy. Bounds are checked when a config is built (`build`)."""
        return MappingProxyType(self.merge([(values, origin)], text=False))

    def build(self, values: Mapping[str, Any], **fixed: Any) -> C:
        """The config: defaults, with `values` (typed) on top, sorted into sections; `fixed` are further
        constructor arguments that are not options."""
        if not self.sections:
            return self.cls(**values, **fixed)
        parts: dict[str, dict[str, Any]] = {name: {} for name in self.sections}
        for name, value in values.items():
            parts[str(self.specs[name].section)][name] = value
        return self.cls(**{name: self.sections[name](**part) for name, part in parts.items()}, **fixed)

    def load(self, args: argparse.Namespace, environ: Mapping[str, str], **fixed: Any) -> C:
        """The config from flags over env vars over `--quick`'s defaults (when quick is on) over defaults."""
        given = self.merge([(self.from_env(environ), "env"), (self.from_args(args), "flag")])
        quick = [spec for spec in self.specs.values() if spec.option.quick is not _UNSET]
        base = {spec.name: spec.option.quick for spec in quick} if given.get("quick") else {}
        return self.build({**base, **given}, **fixed)

    # ------------------------------------------------------------------ docs

    def markdown_table(self) -> str:
        """The docs table: flag, [TOML key], env var, default, [`--quick`], meaning; by section."""
        quick = any(spec.option.quick is not _UNSET for spec in self.specs.values())
        head = ["flag", *(["TOML key"] if self.toml else []), "env var", "default"]
        head += [*(["`--quick`"] if quick else []), "meaning"]
        rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        section = None
        for spec in self.specs.values():
            if spec.section != section and spec.section is not None:
                rows.append(f"| **{spec.section}** (`[{spec.section}]`) |" + " |" * (len(head) - 1))
            section, opt = spec.section, spec.option
            flag = f"`{opt.metavar or spec.name if opt.positional else spec.flag}`"
            if spec.kind is bool:
                flag = f"`{spec.flag}` / `--no-{spec.flag[2:]}`"
            default = opt.doc_default or (_toml(spec.default) if self.toml else _show(spec.default))
            meaning = opt.help + (": " + ", ".join(f"`{c}`" for c in spec.choices) if spec.choices else "")
            cells = [flag, *([f"`{spec.name}`"] if self.toml else [])]
            cells += [f"`{spec.env_var}`" if spec.env_var else "—", f"`{default}`"]
            if quick:
                cells.append("" if opt.quick is _UNSET else f"`{_show(opt.quick)}`")
            rows.append("| " + " | ".join([*cells, meaning.replace("|", "\\|")]) + " |")
        return "\n".join(rows) + "\n"


def _parse(spec: Spec, text: str) -> object:
    if spec.option.parse is not None:
        return spec.option.parse(text)
    if spec.kind is bool:
        if text.strip().lower() not in _TRUE | _FALSE:
            raise ValueError(text)
        return text.strip().lower() in _TRUE
    if spec.kind in (int, float):
        return spec.kind(text.strip())
    return Path(text) if spec.kind is Path else text


# ---------------------------------------------------------------------- what every command line shares


class OneLineParser(argparse.ArgumentParser):
    """An argparse parser whose errors are one line a user (or a log) can read, exit 2:
    `TAG: error: MESSAGE (see 'PROG --help')`; TAG defaults to the first word of `prog`."""

    def __init__(self, *args: Any, tag: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tag = tag or self.prog.split()[0]

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.tag}: error: {message} (see '{self.prog} --help')\n")


def _raise_keyboard_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def interrupt_on_sigterm() -> None:
    """Make SIGTERM (CI, `timeout`, a parent process) stop this process exactly as Ctrl-C does."""
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
