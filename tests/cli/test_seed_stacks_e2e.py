"""Every seed stack through the real entry point (`python -m awsprov` as a subprocess)
against one moto ThreadedMotoServer on 127.0.0.1, reset between stacks:
plan → apply → verify → plan --detailed-exitcode (no changes) → cost-estimate (JSON, the
SPEC.md shape) → destroy."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from awsprov.resources.sizes import plural
from tests.cli.test_e2e import _clean_env, endpoint, server  # noqa: F401 - fixtures
from tests.test_examples import EXAMPLE_ENV

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SEEDS = [("p2p-automation", "specs/p2p-automation.yaml", None),
         ("auditflow", "specs/auditflow.yaml", None),
         ("threat-engine", "specs/threat-engine.yaml", None),
         ("chatbot", "specs/chatbot", "prod"),
         ("vaultlink", "specs/vaultlink", "prod")]
# Seeds whose destroy is refused by design (SPEC.md: the data-loss guards): address →
# why, as the apply summary states it. Tables with deletion protection on (auditflow
# outside dev, chatbot in prod) stay, and so does the key they are encrypted with:
# refused in the plan already, naming the tables (deleting it would leave the kept
# tables unreadable; docs/spec.md "A resource still in use is not deleted").
# vaultlink's logs bucket receives the S3 server access logs of its other buckets (the
# emulator delivers them as S3 does): a bucket holding objects is never deleted without
# force_destroy.
PROTECTED = "refused: deletion protection is on: not deleted"
REFUSED = {"auditflow": {"tables.documents": PROTECTED, "tables.audit_records": PROTECTED,
                         "keys.data": "refused: still used by tables.audit_records, "
                                      "tables.documents (which stay)"},
           "chatbot": {"tables.sessions": PROTECTED, "tables.chat_history": PROTECTED,
                       "keys.chatbot": "refused: still used by tables.chat_history, "
                                       "tables.sessions (which stay)"},
           "vaultlink": {"buckets.logs": "refused: bucket holds "}}


class Awsprov:
    """`python -m awsprov --endpoint-url E ...` with the seeds' secret values set."""

    def __init__(self, url: str, tmp_path: Path):
        self.endpoint, self.tmp_path = url, tmp_path
        self.env = _clean_env(tmp_path, AWS_ACCESS_KEY_ID="testing",
                              AWS_SECRET_ACCESS_KEY="testing", **EXAMPLE_ENV)

    def __call__(self, *args: str, code: int = 0) -> subprocess.CompletedProcess:
        argv = [sys.executable, "-m", "awsprov", "--endpoint-url", self.endpoint, *args]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=120,
                              env=self.env, cwd=self.tmp_path)
        assert done.returncode == code, (args, done.returncode, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr
        return done


def _cost_shape(doc: dict, env: str | None) -> None:
    """SPEC.md: {version, currency: "USD", prices_as_of, region, env, total: {monthly,
    complete}, resources: [{address, monthly, complete, components: [{name, unit,
    quantity, unit_price, monthly}]}]}."""
    assert {"version", "currency", "prices_as_of", "region", "env", "total",
            "resources"} <= set(doc)
    assert doc["currency"] == "USD" and doc["env"] == env
    assert {"monthly", "complete"} <= set(doc["total"])
    assert doc["resources"], "every seed has priced resources"
    for resource in doc["resources"]:
        assert {"address", "monthly", "complete", "components"} <= set(resource)
        for component in resource["components"]:
            assert {"name", "unit", "quantity", "unit_price", "monthly"} <= set(component)
    known = [r["monthly"] for r in doc["resources"] if r["monthly"] is not None]
    assert doc["total"]["monthly"] == pytest.approx(sum(known), abs=0.01)


@pytest.mark.parametrize(("name", "path", "env"), SEEDS, ids=[s[0] for s in SEEDS])
def test_seed_stack_lifecycle(endpoint, tmp_path, name, path, env):  # noqa: F811
    awsprov = Awsprov(endpoint, tmp_path)
    spec = [str(ROOT / path), *(["--env", env] if env else [])]

    planned = json.loads(awsprov("plan", *spec, "--output", "json").stdout)
    assert planned["summary"]["create"] == len(planned["changes"]) > 0
    addresses = {c["address"] for c in planned["changes"]}
    assert "Apply complete" in awsprov("apply", *spec, "--yes").stderr
    assert json.loads(awsprov("verify", *spec, "--output", "json").stdout)["clean"] is True
    assert "No changes." in awsprov("plan", *spec, "--detailed-exitcode").stdout
    _cost_shape(json.loads(awsprov("cost-estimate", *spec, "--output", "json").stdout), env)

    refused = REFUSED.get(name, {})
    destroyed = awsprov("destroy", *spec, "--yes", code=1 if refused else 0)
    failures = {line.split()[1].rstrip(":"): line.split(": ", 1)[1]
                for line in destroyed.stderr.splitlines() if line.startswith("  ✗ ")}
    assert failures.keys() == refused.keys(), destroyed.stderr
    for address, why in refused.items():
        assert failures[address].startswith(why), (address, failures[address])
    if refused:
        assert f"Destroy finished with {plural(len(refused), 'failure')} " in destroyed.stderr
        assert destroyed.stderr.strip().splitlines()[-1] == \
            f"error: {plural(len(refused), 'resource')} not deleted"
    # Afterwards the refused resources are unchanged; everything else is gone (or pending
    # deletion: keys and secrets, which a plan would restore).
    after = json.loads(awsprov("plan", *spec, "--output", "json").stdout)
    actions = {c["address"]: c["action"] for c in after["changes"]}
    assert {a for a, action in actions.items() if action in ("create", "restore")} \
        == addresses - refused.keys(), actions
    assert not set(actions) & refused.keys(), "refused resources must be left as they were"
