"""Settings: a TOML file in the user config directory, overridden by environment variables."""

from __future__ import annotations

import datetime as dt
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from . import clinical_time

APP = "helsami-tui"
ENV = {
    "portal": "HELSAMI_PORTAL",
    "language": "HELSAMI_LANG",
    "theme": "HELSAMI_THEME",
    "idle_lock_minutes": "HELSAMI_IDLE_LOCK_MINUTES",
    "time_zone": "HELSAMI_TIME_ZONE",
    "unit_templates": "HELSAMI_UNIT_TEMPLATES",
}
DEFAULTS: dict[str, Any] = {
    "portal": "",
    "language": "nb",
    "theme": "helsami",
    "idle_lock_minutes": 5,
    "time_zone": clinical_time.DEFAULT_ZONE,
    "unit_templates": "",
}


def config_path() -> Path:
    return Path(
        os.environ.get("HELSAMI_CONFIG") or Path(platformdirs.user_config_dir(APP, appauthor=False)) / "config.toml"
    )


@dataclass
class Settings:
    portal: str = ""
    language: str = "nb"
    theme: str = "helsami"
    idle_lock_minutes: float = 5
    time_zone: str = clinical_time.DEFAULT_ZONE  # the clinical zone (IANA name), never the host's
    unit_templates: str = ""  # a TOML file of the unit's reply templates (helsami_tui.templates)
    keys: dict[str, str] = field(default_factory=dict)
    # Reply templates: the user's own ([[templates]] in the file) and the unit's (from unit_templates).
    personal_templates: list[Any] = field(default_factory=list)
    unit_template_list: list[Any] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)  # setting -> "default" | "file" | "env" | "flag"
    path: Path = field(default_factory=config_path)
    problems: list[str] = field(default_factory=list)  # in English, for logs
    # The same problems as catalog keys ("config.problem.<name>") and arguments, for `describe`.
    problem_keys: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def clinical_zone(self) -> dt.tzinfo:
        try:
            return clinical_time.zone(self.time_zone)
        except ValueError:
            return clinical_time.CLINICAL_ZONE


def _problem(s: Settings, name: str, english: str, **args: str) -> None:
    s.problems.append(english)
    s.problem_keys.append((f"config.problem.{name}", args))


def load(path: Path | None = None, environ: dict[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    path = path or config_path()
    s = Settings(path=path)
    values: dict[str, Any] = dict(DEFAULTS)
    sources = {k: "default" for k in DEFAULTS}
    data: dict[str, Any] = {}
    if path.exists():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as e:
            # tomllib says where in English ("Invalid value (at line 2, column 12)"): keep the place,
            # say the rest in the user's language.
            at = re.search(r"at line (\d+), column (\d+)", str(e))
            if at:
                _problem(s, "toml", f"{path}: {e}", path=str(path), line=at[1], column=at[2])
            else:
                _problem(s, "toml_end", f"{path}: {e}", path=str(path))
        except UnicodeDecodeError as e:
            _problem(s, "encoding", f"{path}: {e}", path=str(path))
        except OSError as e:
            _problem(s, "file", f"{path}: {e}", path=str(path))
    for key in DEFAULTS:
        if key in data:
            values[key] = data[key]
            sources[key] = "file"
        if env.get(ENV[key]) and not (key == "language" and "language" in data):
            values[key] = env[ENV[key]]
            sources[key] = "env"
    if sources["language"] == "default":
        # The language: the setting, else HELSAMI_LANG (above), else the locale (LC_ALL, LC_MESSAGES,
        # LANG), else bokmål.
        from .i18n import language_from_env

        values["language"] = language_from_env({k: v for k, v in env.items() if k != ENV["language"]})
        if any(env.get(v) for v in ("LC_ALL", "LC_MESSAGES", "LANG")):
            sources["language"] = "locale"
    keys = data.get("keys", {})
    if isinstance(keys, dict):
        s.keys = {str(k): str(v) for k, v in keys.items()}
    from . import templates

    problems: list[templates.Problem] = []
    s.personal_templates = templates.parse(data, "personal", problems, str(path))
    s.unit_templates = str(values["unit_templates"] or "")
    if s.unit_templates:
        s.unit_template_list = templates.load_file(Path(s.unit_templates).expanduser(), "unit", problems)
    for name, english, args in problems:
        _problem(s, name, english, **args)
    s.portal = str(values["portal"]).rstrip("/")
    s.language = str(values["language"])
    s.theme = str(values["theme"])
    try:
        s.idle_lock_minutes = float(values["idle_lock_minutes"])
    except (TypeError, ValueError):
        _problem(
            s,
            "idle_lock_minutes",
            f"idle_lock_minutes must be a number, not {values['idle_lock_minutes']!r}",
            value=repr(values["idle_lock_minutes"]),
        )
        s.idle_lock_minutes = DEFAULTS["idle_lock_minutes"]
        sources["idle_lock_minutes"] = "default"
    s.time_zone = str(values["time_zone"])
    try:
        clinical_time.zone(s.time_zone)
    except ValueError:
        _problem(
            s,
            "time_zone",
            f"time_zone must be an IANA zone such as Europe/Oslo, not {s.time_zone!r}",
            value=repr(s.time_zone),
        )
        s.time_zone = DEFAULTS["time_zone"]
        sources["time_zone"] = "default"
    s.sources = sources
    return s


def describe(s: Settings) -> str:
    """What `helsami-tui config` prints, in the current language (setting names stay as in the file)."""
    from .i18n import t

    state = t("config.file_exists") if s.path.exists() else t("config.file_missing")
    lines = [t("config.file", path=str(s.path), state=state), ""]
    for key in DEFAULTS:
        source = s.sources.get(key, "default")
        said = t(f"config.source.{source}")
        lines.append(
            t(
                "config.line",
                setting=f"{key:>18}",
                value=f"{getattr(s, key)!r:<40}",
                source=source if said.startswith("config.") else said,
                env=ENV[key],
            )
        )
    for action, key in sorted(s.keys.items()):
        lines.append(f"{'keys.' + action:>18} = {key!r}")
    for problem_key, args in s.problem_keys:
        lines.append(t("config.problem", problem=t(problem_key, **args)))
    lines += [
        "",
        t("config.example"),
        '  portal = "https://portal.example.no"',
        f'  language = "nb"   # {t("config.example.language")} "en"',
        f'  theme = "helsami"   # {t("config.example.language")} "helsami-high-contrast"',
        "  idle_lock_minutes = 5",
        f'  time_zone = "Europe/Oslo"   # {t("config.example.time_zone")}',
        "  [keys]",
        '  claim = "c"',
    ]
    return "\n".join(lines)
