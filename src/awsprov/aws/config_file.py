"""The profile's region read from the AWS config files without boto3 or botocore.

`validate` and `${region}` need it at load time, where loading boto3 is not allowed
(`awsprov validate` must stay fast and offline). It reads the same files, in the same
order, as botocore: AWS_CONFIG_FILE (else ~/.aws/config), `[default]` or `[profile X]`,
then AWS_SHARED_CREDENTIALS_FILE (else ~/.aws/credentials), `[X]`, which wins.
"""

from __future__ import annotations

import configparser
import os
from pathlib import Path


def active_profile(profile: str | None = None) -> str:
    """--profile, then AWS_PROFILE, then AWS_DEFAULT_PROFILE, then `default` (as botocore)."""
    return (profile or os.environ.get("AWS_PROFILE") or os.environ.get("AWS_DEFAULT_PROFILE")
            or "default")


def profile_region(profile: str | None = None) -> str | None:
    name = active_profile(profile)
    config_sections = ["default", "profile default"] if name == "default" else [f"profile {name}"]
    region = None
    for path, sections in ((_path("AWS_CONFIG_FILE", "config"), config_sections),
                           (_path("AWS_SHARED_CREDENTIALS_FILE", "credentials"), [name])):
        region = _read_region(path, sections) or region
    return region


def _path(variable: str, file_name: str) -> Path:
    value = os.environ.get(variable)
    return Path(value).expanduser() if value else Path.home() / ".aws" / file_name


def _read_region(path: Path, sections: list[str]) -> str | None:
    parser = configparser.RawConfigParser()
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, OSError, UnicodeDecodeError):
        return None  # botocore reports a broken file when a command builds its clients
    for section in sections:
        if parser.has_option(section, "region"):
            return parser.get(section, "region").strip() or None
    return None
