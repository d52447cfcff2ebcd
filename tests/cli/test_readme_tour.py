"""The README's tour, run as written: every command of its `<!-- tour -->` blocks, in order,
through the real `awsprov` entry point as a subprocess against moto's ThreadedMotoServer,
and each output line the README shows must be one the command printed.

How a block is read: `$ COMMAND` lines are commands, the lines under one are what it
printed (stdout and stderr together), `...` stands for lines left out. Lines are compared
with runs of spaces collapsed and durations (`0.2s`) and pids left out; everything else
(addresses, names, reasons, counts, costs) must be exact. `--local` is replaced by the
test server's `--endpoint-url` (and back, where awsprov echoes it), and `awsprov local
start` is not run: the server stands in for it (tests/cli/test_e2e.py starts and stops the
real one). The hand-made changes the README describes in prose are made with boto3 before
the command they come before (BY_HAND).
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import boto3
import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
BUCKET = "p2p-payment-xml-storage-20250721-005155-6839"


@dataclass
class Command:
    line: str                      # as the README writes it (after `$ `)
    shown: list[str] = field(default_factory=list)


def tour_commands(text: str) -> list[Command]:
    commands: list[Command] = []
    for block in re.findall(r"<!-- tour -->\n```\w*\n(.*?)```", text, re.S):
        for line in block.splitlines():
            if line.startswith("$ "):
                commands.append(Command(line[2:]))
            elif commands and line.strip():
                commands[-1].shown.append(line)
    return commands


def normalized(line: str) -> str:
    line = re.sub(r"\b\d+(\.\d+)?s\b", "Ns", line)  # durations
    line = re.sub(r"\(pid \d+\)", "(pid N)", line)
    return " ".join(line.split())


def _client(endpoint: str, service: str):
    return boto3.client(service, region_name="us-east-1", endpoint_url=endpoint,
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def drift_by_hand(endpoint: str) -> None:
    """"Someone turns on PITR, adds a tag and suspends versioning by hand"."""
    ddb, s3 = _client(endpoint, "dynamodb"), _client(endpoint, "s3")
    ddb.update_continuous_backups(TableName="InvoicesTable", PointInTimeRecoverySpecification={
        "PointInTimeRecoveryEnabled": True})
    arn = ddb.describe_table(TableName="PaymentsTable")["Table"]["TableArn"]
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "Owner", "Value": "someone"}])
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Suspended"})


def write_an_invoice(endpoint: str) -> None:
    """"with one invoice in it"."""
    _client(endpoint, "dynamodb").put_item(TableName="InvoicesTable",
                                           Item={"id": {"S": "INV-1"}})


def write_audit_events(endpoint: str) -> None:
    """"once it holds events"."""
    logs = _client(endpoint, "logs")
    logs.create_log_stream(logGroupName="/example/audit", logStreamName="app-1")


def protect_vendors_by_hand(endpoint: str) -> None:
    """"after someone turned on deletion protection by hand"."""
    _client(endpoint, "dynamodb").update_table(TableName="VendorsTable",
                                               DeletionProtectionEnabled=True)


# The command (as the README writes it) each hand-made change comes just before (its first
# occurrence).
BY_HAND = {
    "awsprov --local verify specs/p2p-automation.yaml": drift_by_hand,
    "awsprov --local plan specs/examples/p2p-with-a-range-key.yaml": write_an_invoice,
    "awsprov --local plan specs/examples/log-group-retention-cut.yaml": write_audit_events,
    "awsprov --local apply p.json": protect_vendors_by_hand,
}
# Commands the README shows failing, or finding drift; every other one must exit 0.
EXIT_CODES = {
    "awsprov --local verify specs/p2p-automation.yaml": [2, 0],  # drift, then clean
    "awsprov --local apply specs/examples/p2p-with-a-range-key.yaml --yes": [1],
    "awsprov --local apply specs/examples/log-group-retention-cut.yaml --yes": [1],
    "awsprov --local apply p.json": [1],
    "awsprov --region eu-west-1 apply p.json": [1],  # a saved plan stays in its region
}


def _awsprov() -> list[str]:
    script = Path(sys.executable).parent / "awsprov"
    return [str(script)] if script.exists() else [sys.executable, "-m", "awsprov"]


@pytest.fixture
def endpoint(moto_endpoint):
    return moto_endpoint


class Shell:
    """Runs tour lines: `VAR=value awsprov ...`, `export VAR=value ...`."""

    def __init__(self, endpoint: str, cwd: Path):
        self.endpoint, self.cwd = endpoint, cwd
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("AWS")}
        self.env.update({"AWS_CONFIG_FILE": str(cwd / "none"),
                         "AWS_SHARED_CREDENTIALS_FILE": str(cwd / "none"),
                         "AWS_EC2_METADATA_DISABLED": "true", "HOME": str(cwd),
                         "AWSPROV_HOME": str(cwd / ".awsprov"), "NO_COLOR": "1",
                         "COLUMNS": "100", "AWS_ACCESS_KEY_ID": "testing",
                         "AWS_SECRET_ACCESS_KEY": "testing"})

    def run(self, line: str) -> tuple[int, list[str]] | None:
        words = shlex.split(line, comments=True)
        if words[0] == "export":
            self.env.update(word.split("=", 1) for word in words[1:])
            return None
        env = dict(self.env)
        while "=" in words[0]:
            name, value = words.pop(0).split("=", 1)
            env[name] = value
        assert words[0] == "awsprov", line
        args = ["--endpoint-url" if w == "--local" else w for w in words[1:]]
        args = [a for w in args for a in ([w, self.endpoint] if w == "--endpoint-url" else [w])]
        done = subprocess.run([*_awsprov(), *args], capture_output=True, text=True,
                              timeout=180, env=env, cwd=self.cwd)
        assert "Traceback" not in done.stderr, done.stderr
        # awsprov echoes the endpoint option it was given (the apply hint): as typed, --local
        printed = (done.stdout + done.stderr).replace(f"--endpoint-url {self.endpoint}",
                                                      "--local")
        return done.returncode, printed.splitlines()


def test_the_readme_tour_prints_what_the_readme_shows(endpoint, tmp_path):
    (tmp_path / "specs").symlink_to(ROOT / "specs")
    shell = Shell(endpoint, tmp_path)
    commands = tour_commands(README.read_text())
    assert len(commands) >= 12, "the tour blocks are marked <!-- tour -->"
    codes = {line: list(expected) for line, expected in EXIT_CODES.items()}
    by_hand = dict(BY_HAND)
    dump = os.environ.get("AWSPROV_TOUR_DUMP")
    for command in commands:
        if command.line.startswith("awsprov local start"):
            continue  # the ThreadedMotoServer stands in for it
        key = command.line.split("#")[0].strip()
        if key in by_hand:
            by_hand.pop(key)(endpoint)
        result = shell.run(command.line)
        if result is None:
            continue
        code, printed = result
        if dump:
            print(f"$ {command.line}  [exit {code}]", *printed, sep="\n")
        expected = codes[key].pop(0) if codes.get(key) else 0
        assert code == expected, (command.line, code, printed)
        have = {normalized(line) for line in printed}
        missing = [line for line in command.shown
                   if line.strip() != "..." and normalized(line) not in have]
        if not dump:
            assert missing == [], (f"`{command.line}` did not print what README.md shows",
                                   missing, printed)
    assert all(not left for left in codes.values()), codes
    assert by_hand == {}, "a hand-made change's command is no longer in the tour"


def test_the_chatbot_without_openai_is_the_chatbot_less_its_openai_secret():
    """The tour's copy must follow specs/chatbot/, or its prune would delete more."""
    import yaml

    def merge(into: dict, more: dict) -> None:
        for key, value in more.items():
            if isinstance(value, dict) and isinstance(into.get(key), dict):
                merge(into[key], value)
            else:
                into[key] = value

    def stack(folder: Path) -> dict:
        merged: dict = {}
        for file in sorted(folder.glob("*.yaml")):
            merge(merged, yaml.safe_load(file.read_text()))
        return merged

    chatbot = stack(ROOT / "specs" / "chatbot")
    copy = stack(ROOT / "specs" / "examples" / "chatbot-without-openai")
    del chatbot["secrets"]["openai"]
    del chatbot["environments"]["dev"]["overrides"]["secrets"]["openai"]
    assert copy == chatbot


def test_the_retention_cut_is_the_retention_example_less_89_days():
    import yaml

    cut = yaml.safe_load((ROOT / "specs/examples/log-group-retention-cut.yaml").read_text())
    whole = yaml.safe_load((ROOT / "specs/examples/log-group-retention.yaml").read_text())
    assert whole["log_groups"]["audit"]["retention_days"] == 90
    whole["log_groups"]["audit"]["retention_days"] = 1
    assert cut == whole
