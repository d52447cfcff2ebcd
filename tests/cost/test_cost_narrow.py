"""The cost table in an 80-column terminal: every address whole, every figure whole."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from awsprov.cost.catalogue import Prices
from awsprov.engine.estimate import estimate
from awsprov.render.cost import money, render_text
from awsprov.spec.loader import load_stack

SPECS = Path(__file__).parents[2] / "specs"


@pytest.mark.parametrize("name", ["p2p-automation.yaml", "threat-engine.yaml",
                                  "auditflow.yaml"])
def test_an_80_column_terminal_shows_every_address_and_figure_whole(name):
    result = estimate(load_stack(SPECS / name), Prices("us-east-1"))
    buffer = io.StringIO()
    render_text(result, Console(file=buffer, width=80, force_terminal=True,
                                color_system=None, highlight=False))
    lines = buffer.getvalue().splitlines()
    assert max(len(line) for line in lines) <= 80
    for resource in result.resources:
        assert any(f"  {resource.address} " in f"{line} " for line in lines), resource.address
        if resource.any_known:
            assert any(line.rstrip().endswith(money(resource.monthly))
                       or f"{money(resource.monthly)} + unknown" in line for line in lines)
    assert "…" not in buffer.getvalue()


def test_the_environment_comparison_fits_80_columns_too():
    from awsprov.render.cost import render_compare_text

    dev, prod = (load_stack(SPECS / "vaultlink", env=env, inputs=False)
                 for env in ("dev", "prod"))
    left, right = estimate(dev, Prices(dev.region)), estimate(prod, Prices(prod.region))
    buffer = io.StringIO()
    render_compare_text(left, right, Console(file=buffer, width=80, force_terminal=True,
                                             color_system=None, highlight=False))
    lines = buffer.getvalue().splitlines()
    assert max(len(line) for line in lines) <= 80
    for resource in left.resources:
        assert any(line.startswith(f"{resource.address} ") for line in lines)
    assert "…" not in buffer.getvalue()
