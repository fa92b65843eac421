"""Settings: a TOML file in the user config directory, overridden by environment variables."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

APP = "helsami-tui"
ENV = {
    "portal": "HELSAMI_PORTAL",
    "language": "HELSAMI_LANG",
    "theme": "HELSAMI_THEME",
    "idle_lock_minutes": "HELSAMI_IDLE_LOCK_MINUTES",
}
DEFAULTS: dict[str, Any] = {"portal": "", "language": "nb", "theme": "helsami", "idle_lock_minutes": 5}


def config_path() -> Path:
    return Path(os.environ.get("HELSAMI_CONFIG") or Path(platformdirs.user_config_dir(APP, appauthor=False)) / "config.toml")


@dataclass
class Settings:
    portal: str = ""
    language: str = "nb"
    theme: str = "helsami"
    idle_lock_minutes: float = 5
    keys: dict[str, str] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)  # setting -> "default" | "file" | "env" | "flag"
    path: Path = field(default_factory=config_path)
    problems: list[str] = field(default_factory=list)


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
        except (tomllib.TOMLDecodeError, OSError, UnicodeDecodeError) as e:
            s.problems.append(f"{path}: {e}")
    for key in DEFAULTS:
        if key in data:
            values[key] = data[key]
            sources[key] = "file"
        if env.get(ENV[key]):
            values[key] = env[ENV[key]]
            sources[key] = "env"
    keys = data.get("keys", {})
    if isinstance(keys, dict):
        s.keys = {str(k): str(v) for k, v in keys.items()}
    s.portal = str(values["portal"]).rstrip("/")
    s.language = str(values["language"])
    s.theme = str(values["theme"])
    try:
        s.idle_lock_minutes = float(values["idle_lock_minutes"])
    except (TypeError, ValueError):
        s.problems.append(f"idle_lock_minutes must be a number, not {values['idle_lock_minutes']!r}")
        s.idle_lock_minutes = DEFAULTS["idle_lock_minutes"]
        sources["idle_lock_minutes"] = "default"
    s.sources = sources
    return s


def describe(s: Settings) -> str:
    lines = [f"config file: {s.path} ({'exists' if s.path.exists() else 'not created; defaults in effect'})", ""]
    for key in DEFAULTS:
        lines.append(f"{key:>18} = {getattr(s, key)!r:<40} ({s.sources.get(key, 'default')}, env {ENV[key]})")
    for action, key in sorted(s.keys.items()):
        lines.append(f"{'keys.' + action:>18} = {key!r}")
    for p in s.problems:
        lines.append(f"problem: {p}")
    lines += ["", "Example file:", '  portal = "https://portal.example.no"', '  language = "nb"   # or "en"',
              '  theme = "helsami"   # or "helsami-high-contrast"', "  idle_lock_minutes = 5",
              "  [keys]", '  claim = "c"']
    return "\n".join(lines)
