"""Byte counts as people read them, for data-at-risk notes."""

from __future__ import annotations


def human_bytes(size: int) -> str:
    """`512 bytes`, `1.5 KiB`, ... up to TiB (larger sizes stay in TiB)."""
    value = float(size)
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{int(value)} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} bytes"
