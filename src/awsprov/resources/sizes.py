"""Counts and byte sizes as people read them, for data-at-risk notes and summaries."""

from __future__ import annotations


def human_bytes(size: int) -> str:
    """`512 bytes`, `1.5 KiB`, ... up to TiB (larger sizes stay in TiB)."""
    value = float(size)
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{int(value)} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} bytes"


def plural(count: int, noun: str) -> str:
    """`1 item`, `2 items`, `12,345 objects`."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"
