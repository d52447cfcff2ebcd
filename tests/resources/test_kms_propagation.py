"""KMS's eventual consistency after a write, injected into moto's backend in-process: a
change "is usually visible in less than a few seconds, in some cases several minutes"
(KMS developer guide), and reads may answer from replicas that lag, so the old value
comes back now and then before the new one holds (moto shows every write at once:
KNOWN_EMULATOR_GAPS). The plan right after an apply must be clean."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import pytest

from awsprov.core.run import RunOptions
from awsprov.engine.executor import apply_plan
from awsprov.engine.planner import make_plan
from awsprov.spec.loader import load_stack
from tests.helpers import write_spec

LAGGING_READS = 8  # reads after a write that may still show the old value
# Of each three reads while lagging, the third shows the old value (a lagging replica).
STALE_EVERY = 3


@dataclass
class Lag:
    """Per key and field: the old value and how many more reads may still show it."""

    pending: dict[tuple[str, str], list] = field(default_factory=dict)  # [old, reads left]
    stale_served: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def wrote(self, key_id: str, what: str, old) -> None:
        with self.lock:
            self.pending[(key_id, what)] = [old, LAGGING_READS]

    def shown(self, key_id: str, what: str, new):
        with self.lock:
            entry = self.pending.get((key_id, what))
            if not entry or entry[1] <= 0:
                return new
            entry[1] -= 1
            if entry[1] % STALE_EVERY == 0:
                self.stale_served += 1
                return entry[0]
            return new


@pytest.fixture
def kms_lag(moto, monkeypatch):
    from moto.kms.models import KmsBackend

    lag = Lag()
    put, get = KmsBackend.put_key_policy, KmsBackend.get_key_policy
    enable, disable, describe = (KmsBackend.enable_key, KmsBackend.disable_key,
                                 KmsBackend.describe_key)

    def put_key_policy(self, key_id, policy):
        key_id = self.get_key_id(key_id)
        lag.wrote(key_id, "policy", get(self, key_id))
        return put(self, key_id, policy)

    def get_key_policy(self, key_id):
        return lag.shown(self.get_key_id(key_id), "policy", get(self, key_id))

    def state_change(real):
        def change(self, key_id):
            lag.wrote(key_id, "state", self.keys[key_id].key_state)
            return real(self, key_id)
        return change

    def describe_key(self, key_id):
        key = describe(self, key_id)
        state = lag.shown(key.id, "state", key.key_state)
        if state == key.key_state:
            return key
        return _StaleKey(key, state)

    monkeypatch.setattr(KmsBackend, "put_key_policy", put_key_policy)
    monkeypatch.setattr(KmsBackend, "get_key_policy", get_key_policy)
    monkeypatch.setattr(KmsBackend, "enable_key", state_change(enable))
    monkeypatch.setattr(KmsBackend, "disable_key", state_change(disable))
    monkeypatch.setattr(KmsBackend, "describe_key", describe_key)
    return lag


class _StaleKey:
    """A key as a lagging replica describes it: the old state, all else current."""

    def __init__(self, key, state: str) -> None:
        self._key, self._state = key, state

    def __getattr__(self, name):
        return getattr(self._key, name)

    def to_dict(self):
        answer = self._key.to_dict()
        answer["KeyMetadata"] = {**answer["KeyMetadata"], "KeyState": self._state,
                                 "Enabled": self._state == "Enabled"}
        return answer


BEFORE = """
stack: lag
region: us-east-1
keys:
  data:
    alias: alias/lag-data
"""
AFTER = """
stack: lag
region: us-east-1
keys:
  data:
    alias: alias/lag-data
    enabled: false
    policy:
      Version: "2012-10-17"
      Statement:
        - Sid: Root
          Effect: Allow
          Principal: {AWS: "arn:aws:iam::${account_id}:root"}
          Action: "kms:*"
          Resource: "*"
        - Sid: Auditors
          Effect: Allow
          Principal: {AWS: "arn:aws:iam::${account_id}:role/auditor"}
          Action: [kms:DescribeKey, kms:GetKeyPolicy]
          Resource: "*"
"""


def _converge(ctx, tmp_path, text: str) -> None:
    stack = load_stack(write_spec(tmp_path, text))
    report = apply_plan(stack, make_plan(stack, ctx, RunOptions()), ctx, RunOptions())
    assert report.failures == [], report.failures


def test_the_plan_right_after_a_policy_and_state_change_is_clean(aws, kms_lag, tmp_path):
    ctx, _ = aws
    _converge(ctx, tmp_path, BEFORE)
    _converge(ctx, tmp_path, AFTER)
    assert kms_lag.stale_served > 0  # the model did lag during the apply
    again = make_plan(load_stack(write_spec(tmp_path, AFTER)), ctx, RunOptions())
    assert not again.plan.has_changes, [c.attributes for c in again.plan.changes]
