"""A run's options: one frozen object built once from the command line, by keyword, with
one default parallelism; the sub-read pool is the run's, sized from it and shut down with
it (src/awsprov/core/run.py, aws/sub_reads.py, cli/context.py)."""

from __future__ import annotations

import dataclasses
import threading
import time

import click
import pytest

from awsprov.aws.sub_reads import SubReadPool
from awsprov.cli import commands, context
from awsprov.core.run import DEFAULT_PARALLELISM, RunOptions


def test_run_options_are_frozen_and_built_by_keyword():
    options = RunOptions(targets=("tables.a",), prune=True, parallelism=3)
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.prune = False  # type: ignore[misc]
    with pytest.raises(TypeError):
        RunOptions(("tables.a",), False, True, 3)  # type: ignore[misc]
    assert RunOptions().parallelism == DEFAULT_PARALLELISM


def test_the_cli_default_parallelism_is_the_run_default():
    assert commands.PARALLELISM_OPT.default == DEFAULT_PARALLELISM


def _most_at_once(pool: SubReadPool, tasks: int) -> int:
    lock, now, most = threading.Lock(), [0], [0]

    def call() -> None:
        with lock:
            now[0] += 1
            most[0] = max(most[0], now[0])
        time.sleep(0.05)
        with lock:
            now[0] -= 1

    for future in [pool.start(call) for _ in range(tasks)]:
        future.result()
    return most[0]


def test_the_sub_read_pool_is_sized_from_the_run_parallelism():
    aws = context.aws_context("us-east-1", context.GlobalOptions(), parallelism=3)
    with aws:
        assert aws.sub_reads.workers == 3
        assert _most_at_once(aws.sub_reads, 9) == 3


def test_the_sub_read_pool_is_shut_down_when_the_command_ends():
    run = RunOptions(parallelism=2)
    with click.Context(click.Command("plan")) as ctx:
        aws = context.run_context(ctx, "us-east-1", context.GlobalOptions(), run)
        assert aws.sub_reads.start(lambda: "read").result() == "read"
    with pytest.raises(RuntimeError, match="shut down"):
        aws.sub_reads.start(lambda: "read")


def test_two_runs_have_pools_of_their_own():
    first = context.aws_context("us-east-1", context.GlobalOptions(), parallelism=1)
    second = context.aws_context("us-east-1", context.GlobalOptions(), parallelism=1)
    first.close()
    assert second.sub_reads.start(lambda: "still open").result() == "still open"
    second.close()
