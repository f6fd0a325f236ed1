"""One validated settings object, built from defaults, a TOML file and the environment."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, Mapping

import yaml

from pipeline.core.errors import ConfigError

DEVICES = ("cpu", "cuda")
BACKENDS = ("torch", "onnx")
PRECISIONS = ("auto", "fp32", "bf16")  # models.hate.precision
RUNNERS = ("threads", "dask")
# The pseudonym key older versions shipped as a default: anyone can reverse pseudonyms made with it.
PUBLISHED_KEYS = frozenset({"change-me"})
MIN_KEY_CHARS = 16


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything a run needs to know; passed explicitly to the stages that need it."""

    db: Path = Path("xenowatch.duckdb")
    encoder: str = "embedded:all-MiniLM-L6-v2"
    head: Path | None = None
    device: str = "cpu"
    backend: str = "torch"
    onnx_dir: Path | None = None
    batch_size: int = 64
    precision: str = "auto"  # the fine-tuned hate model: bf16 where the hardware has it (models.hate.precision)
    relevance_gate: float = 0.1  # on the cascade's score (models.relevance.lexicon.cascade), chosen on dev
    relevance_embedding: bool = True
    hate_threshold: float | None = None
    min_articles: int = 3
    user_agent: str = "xenowatch/0.1 (+https://github.com/xenowatch/xenowatch)"
    timeout_s: float = 20.0
    max_body_bytes: int = 10_000_000
    pseudonym_secret: str | None = None  # None: a random key made for the database (pipeline/core/keys.py)
    fetch_pages: bool = True
    per_host: int = 2
    politeness_s: float = 0.2
    retries: int = 2
    respect_robots: bool = True
    feed_concurrency: int = 128  # feeds in flight, over all hosts (per_host and politeness_s bound each host)
    retention_days: int = 0
    runner: str = "threads"
    dask_address: str | None = None
    classify_chunk: int = 256
    # Proxies whose X-Forwarded-For the workbench believes (comma-separated addresses or networks); none by default.
    trusted_proxies: str = ""
    allow_private_hosts: bool = False
    max_item_chars: int = 200_000
    social_pages: int = 3  # pages of older posts read per Mastodon or Bluesky poll, the first included

    def __post_init__(self) -> None:
        """Reject values that would only fail later."""
        if self.device not in DEVICES and not self.device.startswith("cuda:"):
            raise ConfigError(f"device {self.device!r} is invalid; must be one of: {', '.join(DEVICES)}")
        if self.backend not in BACKENDS:
            raise ConfigError(f"backend {self.backend!r} is invalid; must be one of: {', '.join(BACKENDS)}")
        if self.precision not in PRECISIONS:
            raise ConfigError(f"precision {self.precision!r} is invalid; must be one of: {', '.join(PRECISIONS)}")
        if self.classify_chunk < 1:
            raise ConfigError(f"classify_chunk {self.classify_chunk!r} must be at least 1")
        if self.batch_size < 1:
            raise ConfigError(f"batch_size {self.batch_size!r} must be at least 1")
        if not 0.0 <= self.relevance_gate <= 1.0:
            raise ConfigError(f"relevance_gate {self.relevance_gate!r} must be between 0 and 1")
        if self.hate_threshold is not None and not 0.0 < self.hate_threshold < 1.0:
            raise ConfigError(f"hate_threshold {self.hate_threshold!r} must be between 0 and 1")
        if self.per_host < 1 or self.feed_concurrency < 1:
            raise ConfigError("per_host and feed_concurrency must be at least 1")
        if self.retries < 0 or self.politeness_s < 0 or self.retention_days < 0:
            raise ConfigError("retries, politeness_s and retention_days must not be negative")
        if self.social_pages < 1:
            raise ConfigError(f"social_pages {self.social_pages!r} must be at least 1")
        if self.max_item_chars < 1_000:
            raise ConfigError(f"max_item_chars {self.max_item_chars!r} must be at least 1000")
        if self.min_articles < 1:
            raise ConfigError(f"min_articles {self.min_articles!r} must be at least 1")
        if self.pseudonym_secret is not None:
            check_pseudonym_secret(self.pseudonym_secret)
        if self.runner not in RUNNERS:
            raise ConfigError(f"runner {self.runner!r} is invalid; must be one of: {', '.join(RUNNERS)}")

    def with_values(self, values: Mapping[str, Any]) -> Settings:
        """A copy with the given values, converted to each field's type."""
        known = {f.name: f for f in fields(self)}
        changes: dict[str, Any] = {}
        for key, raw in values.items():
            if key not in known:
                raise ConfigError(f"unknown setting {key!r}; must be one of: {', '.join(known)}")
            changes[key] = _convert(key, raw, getattr(self, key))
        return replace(self, **changes)


def check_pseudonym_secret(secret: str) -> str:
    """A configured pseudonym key, refused when it is the published default or too short to resist guessing."""
    if secret in PUBLISHED_KEYS:
        raise ConfigError(f"pseudonym_secret is the published default {secret!r}: anyone could reverse the "
                          "pseudonyms by hashing candidate handles; remove the setting to use a random key made "
                          f"for the database, or set at least {MIN_KEY_CHARS} random characters")
    if len(secret) < MIN_KEY_CHARS:
        raise ConfigError(f"pseudonym_secret has {len(secret)} characters; use at least {MIN_KEY_CHARS} random "
                          "characters, or remove the setting to use a random key made for the database")
    return secret


def _convert(key: str, raw: Any, default: Any) -> Any:
    """Convert a raw (often string) value to the type of the field's default."""
    if raw is None or raw == "":
        return None if key in ("head", "hate_threshold", "dask_address", "onnx_dir", "pseudonym_secret") else default
    try:
        if key in ("db", "head", "onnx_dir"):
            return Path(raw)
        if key == "hate_threshold" or isinstance(default, float):
            return float(raw)
        if isinstance(default, bool):
            return str(raw).lower() in ("1", "true", "yes", "on")
        if isinstance(default, int):
            return int(raw)
    except ValueError as exc:
        raise ConfigError(f"setting {key}={raw!r} is not a valid {type(default).__name__}") from exc
    return str(raw)


def load_settings(config_file: Path | None = None, env: Mapping[str, str] | None = None,
                  **overrides: Any) -> Settings:
    """Defaults, then the TOML file ([xenowatch] table), then XENOWATCH_* variables, then overrides."""
    env = os.environ if env is None else env
    settings = Settings()
    path = config_file or (Path(env["XENOWATCH_CONFIG"]) if env.get("XENOWATCH_CONFIG") else None)
    if path is not None:
        settings = settings.with_values(_read_toml(path))
    from_env = {f.name: env[f"XENOWATCH_{f.name.upper()}"] for f in fields(Settings)
                if f"XENOWATCH_{f.name.upper()}" in env}
    settings = settings.with_values(from_env)
    return settings.with_values({k: v for k, v in overrides.items() if v is not None})


def _read_toml(path: Path) -> dict[str, Any]:
    """The [xenowatch] table of a TOML file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from exc
    table = data.get("xenowatch", data)
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [xenowatch] must be a table of settings")
    return table


def read_yaml_mapping(path: Path, what: str) -> dict[str, Any]:
    """A YAML file that must hold a mapping (rubric, lexicons, claim library), or a clear ConfigError."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the {what} ({exc.strerror or exc}); "
                          "pass the path of an existing YAML file") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc}); fix the syntax") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: the {what} must be a mapping, not {type(raw).__name__}")
    return dict(raw)


def setup_offline_env() -> None:
    """Prefect analytics off and quiet libraries, unless the user chose otherwise."""
    for key, value in {
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1",
        # the temporary API server of a run without a Prefect server; its 20 s default is short on a busy laptop
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
        "PREFECT_LOGGING_LEVEL": "WARNING", "TRANSFORMERS_VERBOSITY": "error",
        "TOKENIZERS_PARALLELISM": "false", "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    }.items():
        os.environ.setdefault(key, value)
