"""Credentials for live syncs: from the environment, or from a config file
that only its owner can read. Never stored in the workspace, never printed."""

from __future__ import annotations

import os
import stat
import tomllib
from pathlib import Path

from koers.connectors.runner import SyncError


def config_path() -> Path:
    return Path(os.environ.get("KOERS_CONFIG") or Path.home() / ".config" / "koers" / "credentials.toml")


def secret(env: str, source: str, key: str) -> str:
    """$env, else `key` under [source] in the credentials file.

    The file is refused when its group or others may read it, as ssh refuses
    a private key: a secret others can read is no longer a secret."""
    value = optional_secret(env, source, key)
    if value:
        return value
    raise SyncError(f"no {key} for {source}: set {env}, or {key} under [{source}] in {config_path()} (chmod 600)")


def optional_secret(env: str, source: str, key: str) -> str | None:
    """What secret() finds, or None where neither gives it (a setting with a
    default, such as the mail server's port)."""
    value = os.environ.get(env)
    if value:
        return value
    path = config_path()
    if path.exists():
        mode = path.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise SyncError(
                f"{path} can be read by others (mode {stat.filemode(mode)}); "
                f"make it readable by its owner alone: chmod 600 {path}"
            )
        with open(path, "rb") as f:
            try:
                value = tomllib.load(f).get(source, {}).get(key)
            except tomllib.TOMLDecodeError as e:
                raise SyncError(f"{path} is not valid TOML: {e}") from None
        if value not in (None, ""):
            return str(value)
    return None
