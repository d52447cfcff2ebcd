"""What one run (plan, apply, verify, destroy, output) was asked to do: built once, from
the command line, and read by the planner, the executor and the AWS context."""

from __future__ import annotations

from dataclasses import dataclass

# Resources read or changed at once; the sub-read pool and the connection pool are sized
# from it (aws/context.py, cli/context.py).
DEFAULT_PARALLELISM = 16


@dataclass(frozen=True, kw_only=True)
class RunOptions:
    targets: tuple[str, ...] = ()
    force_adopt: bool = False
    prune: bool = False
    parallelism: int = DEFAULT_PARALLELISM
    # Apply's guards: each lets through one kind of change a plain apply refuses.
    allow_replace: bool = False
    allow_irreversible: bool = False
    allow_data_loss: bool = False
    find_orphans: bool = True
    # False for destroy: read live and locate everything, but diff nothing (a diff would
    # need inputs such as secret values that destroy neither has nor needs).
    compare: bool = True
