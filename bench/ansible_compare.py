"""awsprov against Ansible (amazon.aws / community.aws) on one moto server, one after the other.

The same mix of N resources (KMS keys with aliases, secrets under those keys, buckets with
SSE-S3 or SSE-KMS, tables with two global indexes, a local index and TTL, topics, alarms on
the tables acting on the topics) is written as an awsprov spec and as an Ansible playbook
(both generated here, into bench/ansible/generated/). For each size and each repeat, each
tool in turn, on fresh moto state (POST /moto-api/reset):

- create: the first apply (`awsprov apply --yes`, `ansible-playbook`);
- no-op: the second apply, which must change nothing;
- plan: `awsprov plan --detailed-exitcode` against `ansible-playbook --check`.

After every create both tools' resources are read back through boto3 and compared type by
type (count and shape: SSE algorithm, index counts, TTL, actions...); a difference stops the
run. Figures are medians of REPEATS runs, each a fresh process (start-up counted); the load
average is printed before and after each size. Ansible is installed, pinned by
bench/ansible/requirements.txt, into bench/.venv-ansible (created on first use; never the
project's venv). Not part of `make test`.

    .venv/bin/python bench/ansible_compare.py [--sizes 10,50] [--repeats 3] [--src OTHER/src]
                                             [--write-only]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
ANSIBLE_DIR = HERE / "ansible"
GENERATED = ANSIBLE_DIR / "generated"
VENV = HERE / ".venv-ansible"
REGION = "us-east-1"
SECRET_ENV = "BENCH_SECRET_VALUE"
SECRET_VALUE = "bench-secret-value-0123456789"
# The 50-resource mix; other sizes keep its proportions (largest remainder, at least one each)
MIX_50 = {"keys": 8, "secrets": 8, "buckets": 10, "tables": 8, "topics": 8, "alarms": 8}
DENY_INSECURE = "DenyInsecureTransport"


def mix(n: int) -> dict[str, int]:
    shares = {kind: count * n / 50 for kind, count in MIX_50.items()}
    counts = {kind: max(1, int(share)) for kind, share in shares.items()}
    by_remainder = sorted(shares, key=lambda kind: shares[kind] - int(shares[kind]),
                          reverse=True)
    for kind in by_remainder[: max(0, n - sum(counts.values()))]:
        counts[kind] += 1
    return counts


def resources(n: int, prefix: str) -> dict[str, list[dict]]:
    """The mix as plain records, named under `prefix` (one prefix per tool)."""
    c = mix(n)
    keys = [{"id": f"k{i}", "alias": f"alias/{prefix}-key-{i}"} for i in range(c["keys"])]
    secrets = [{"id": f"s{i}", "name": f"{prefix}/secret-{i}", "key": keys[i % len(keys)]}
               for i in range(c["secrets"])]
    buckets = [{"id": f"b{i}", "name": f"{prefix}-bucket-{i}",
                "key": keys[i % len(keys)] if i % 2 else None}
               for i in range(c["buckets"])]
    tables = [{"id": f"t{i}", "name": f"{prefix}-table-{i}"} for i in range(c["tables"])]
    topics = [{"id": f"n{i}", "name": f"{prefix}-topic-{i}", "display": f"Alerts {i}"}
              for i in range(c["topics"])]
    alarms = [{"id": f"a{i}", "name": f"{prefix}-alarm-{i}", "table": tables[i % len(tables)],
               "topic": topics[i % len(topics)], "threshold": 10 + i}
              for i in range(c["alarms"])]
    return {"keys": keys, "secrets": secrets, "buckets": buckets, "tables": tables,
            "topics": topics, "alarms": alarms}


def awsprov_spec(n: int, prefix: str) -> dict:
    r = resources(n, prefix)
    return {
        "stack": f"{prefix}-stack", "region": REGION, "tags": {"Project": "bench"},
        "keys": {k["id"]: {"alias": k["alias"], "description": f"{prefix} key"}
                 for k in r["keys"]},
        "secrets": {s["id"]: {"name": s["name"], "kms_key": f"${{keys.{s['key']['id']}}}",
                              "value": {"from_env": SECRET_ENV}}
                    for s in r["secrets"]},
        "buckets": {b["id"]: {"name": b["name"], "encryption":
                              {"kms_key": f"${{keys.{b['key']['id']}}}", "bucket_key": True}
                              if b["key"] else {"sse": "AES256"}}
                    for b in r["buckets"]},
        "tables": {t["id"]: {
            "name": t["name"], "hash_key": "id", "range_key": "ts",
            "attributes": {"id": "S", "ts": "N", "kind": "S", "user": "S"},
            "global_indexes": {"by-kind": {"hash_key": "kind", "range_key": "ts"},
                               "by-user": {"hash_key": "user", "projection": "KEYS_ONLY"}},
            "local_indexes": {"by-kind-local": {"range_key": "kind"}},
            "ttl": "expires_at"} for t in r["tables"]},
        "topics": {t["id"]: {"name": t["name"], "display_name": t["display"]}
                   for t in r["topics"]},
        "alarms": {a["id"]: {
            "name": a["name"], "namespace": "AWS/DynamoDB", "metric": "ThrottledRequests",
            "dimensions": {"TableName": f"${{tables.{a['table']['id']}.name}}"},
            "statistic": "Sum", "period": 60, "evaluation_periods": 1,
            "threshold": a["threshold"], "comparison": ">",
            "treat_missing_data": "notBreaching",
            "actions": [f"${{topics.{a['topic']['id']}}}"]} for a in r["alarms"]},
    }


def _tls_policy(bucket: str) -> dict:
    # What awsprov merges into every bucket's policy by default (enforce_tls)
    return {"Version": "2012-10-17", "Statement": [{
        "Sid": DENY_INSECURE, "Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}


def ansible_playbook(n: int, prefix: str) -> list[dict]:
    """The playbook a team would write for the same resources: one task per type, looping
    over its items; each bucket gets what awsprov gives it by default (all four public access
    blocks, ACLs disabled, the deny-without-TLS statement) so both make the same buckets."""
    r = resources(n, prefix)
    def tags():
        return {"Project": "bench"}  # a new dict each time: no YAML anchors in the playbook
    key_arn = "{{ key_arns[item.key] }}"
    tasks = [
        {"name": "KMS keys with aliases", "register": "keys_out",
         "loop": [{"alias": k["alias"]} for k in r["keys"]],
         "amazon.aws.kms_key": {"alias": "{{ item.alias }}", "description": f"{prefix} key",
                                "enable_key_rotation": True, "tags": tags()}},
        {"name": "Key ARNs by alias", "ansible.builtin.set_fact": {
            "key_arns": "{{ dict(keys_out.results | map(attribute='item.alias') | "
                        "zip(keys_out.results | map(attribute='key_arn'))) }}"}},
        {"name": "Secrets under the keys",
         "loop": [{"name": s["name"], "key": s["key"]["alias"]} for s in r["secrets"]],
         "community.aws.secretsmanager_secret": {
             "name": "{{ item.name }}", "kms_key_id": key_arn,
             "secret": f"{{{{ lookup('ansible.builtin.env', '{SECRET_ENV}') }}}}",
             "tags": tags()}},
        {"name": "Buckets, SSE-S3 or SSE-KMS",
         "loop": [{"name": b["name"], "key": b["key"]["alias"] if b["key"] else None,
                   "policy": _tls_policy(b["name"])} for b in r["buckets"]],
         "amazon.aws.s3_bucket": {
             "name": "{{ item.name }}",
             "encryption": "{{ 'aws:kms' if item.key else 'AES256' }}",
             "encryption_key_id": "{{ key_arns[item.key] if item.key else omit }}",
             "bucket_key_enabled": "{{ true if item.key else omit }}",
             "public_access": {"block_public_acls": True, "block_public_policy": True,
                               "ignore_public_acls": True, "restrict_public_buckets": True},
             "object_ownership": "BucketOwnerEnforced",
             "policy": "{{ item.policy | to_json }}", "tags": tags()}},
        {"name": "Tables with global and local indexes",
         "loop": [{"name": t["name"]} for t in r["tables"]],
         "community.aws.dynamodb_table": {
             "name": "{{ item.name }}", "billing_mode": "PAY_PER_REQUEST",
             "hash_key_name": "id", "hash_key_type": "STRING",
             "range_key_name": "ts", "range_key_type": "NUMBER",
             "indexes": [
                 {"name": "by-kind", "type": "global_all", "hash_key_name": "kind",
                  "hash_key_type": "STRING", "range_key_name": "ts",
                  "range_key_type": "NUMBER"},
                 {"name": "by-user", "type": "global_keys_only", "hash_key_name": "user",
                  "hash_key_type": "STRING"},
                 {"name": "by-kind-local", "type": "all", "hash_key_name": "id",
                  "hash_key_type": "STRING", "range_key_name": "kind",
                  "range_key_type": "STRING"}],
             "tags": tags()}},
        {"name": "TTL on the tables",
         "loop": [{"name": t["name"]} for t in r["tables"]],
         "community.aws.dynamodb_ttl": {"table_name": "{{ item.name }}", "state": "enable",
                                        "attribute_name": "expires_at"}},
        {"name": "Topics", "register": "topics_out",
         "loop": [{"name": t["name"], "display": t["display"]} for t in r["topics"]],
         "community.aws.sns_topic": {"name": "{{ item.name }}",
                                     "display_name": "{{ item.display }}", "tags": tags()}},
        {"name": "Topic ARNs by name", "ansible.builtin.set_fact": {
            "topic_arns": "{{ dict(topics_out.results | map(attribute='item.name') | "
                          "zip(topics_out.results | map(attribute='sns_arn'))) }}"}},
        {"name": "Alarms on the tables, acting on the topics",
         "loop": [{"name": a["name"], "table": a["table"]["name"],
                   "topic": a["topic"]["name"], "threshold": a["threshold"]}
                  for a in r["alarms"]],
         "amazon.aws.cloudwatch_metric_alarm": {
             "name": "{{ item.name }}", "namespace": "AWS/DynamoDB",
             "metric_name": "ThrottledRequests", "dimensions": {"TableName": "{{ item.table }}"},
             "statistic": "Sum", "period": 60, "evaluation_periods": 1,
             "threshold": "{{ item.threshold }}", "comparison": "GreaterThanThreshold",
             "treat_missing_data": "notBreaching",
             "alarm_actions": ["{{ topic_arns[item.topic] }}"]}},
    ]
    return [{"name": f"bench {prefix}", "hosts": "localhost", "connection": "local",
             "gather_facts": False,
             "vars": {"ansible_python_interpreter": "{{ ansible_playbook_python }}"},
             "tasks": tasks}]


# --- boto3 read-back: both tools must have made the same resources --------------------------

def inventory(url: str, prefix: str) -> dict[str, list]:
    """Per type, the sorted shapes of the resources named under `prefix`, names relative."""
    import boto3

    def client(service):
        return boto3.client(service, region_name=REGION, endpoint_url=url,
                            aws_access_key_id="bench", aws_secret_access_key="bench")

    def rel(name: str) -> str:
        return name.replace(prefix, "P")

    kms, sm, s3 = client("kms"), client("secretsmanager"), client("s3")
    ddb, sns, cw = client("dynamodb"), client("sns"), client("cloudwatch")
    aliases = {a["AliasName"]: a["TargetKeyId"] for a in kms.list_aliases()["Aliases"]
               if a["AliasName"].startswith(f"alias/{prefix}-")}
    arn_to_alias = {kms.describe_key(KeyId=k)["KeyMetadata"]["Arn"]: rel(a)
                    for a, k in aliases.items()}
    keys = [(rel(a), kms.describe_key(KeyId=k)["KeyMetadata"]["KeyState"],
             kms.get_key_rotation_status(KeyId=k)["KeyRotationEnabled"])
            for a, k in aliases.items()]
    secrets = []
    for page in sm.get_paginator("list_secrets").paginate():
        for s in page["SecretList"]:
            if s["Name"].startswith(f"{prefix}/"):
                value = sm.get_secret_value(SecretId=s["ARN"])["SecretString"]
                secrets.append((rel(s["Name"]), arn_to_alias.get(s.get("KmsKeyId"),
                                                                  s.get("KmsKeyId")),
                                value == SECRET_VALUE))
    buckets = []
    for b in s3.list_buckets()["Buckets"]:
        if b["Name"].startswith(f"{prefix}-"):
            rule = s3.get_bucket_encryption(Bucket=b["Name"])[
                "ServerSideEncryptionConfiguration"]["Rules"][0]
            sse = rule["ApplyServerSideEncryptionByDefault"]
            block = s3.get_public_access_block(Bucket=b["Name"])[
                "PublicAccessBlockConfiguration"]
            policy = json.loads(s3.get_bucket_policy(Bucket=b["Name"])["Policy"])
            ownership = s3.get_bucket_ownership_controls(Bucket=b["Name"])[
                "OwnershipControls"]["Rules"][0]["ObjectOwnership"]
            buckets.append((rel(b["Name"]), sse["SSEAlgorithm"],
                            arn_to_alias.get(sse.get("KMSMasterKeyID")),
                            all(block.values()), ownership, len(policy["Statement"])))
    tables = []
    for page in ddb.get_paginator("list_tables").paginate():
        for name in page["TableNames"]:
            if name.startswith(f"{prefix}-"):
                t = ddb.describe_table(TableName=name)["Table"]
                ttl = ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
                tables.append((rel(name), t["BillingModeSummary"]["BillingMode"],
                               sorted(i["IndexName"] for i in t.get("GlobalSecondaryIndexes", [])),
                               sorted(i["IndexName"] for i in t.get("LocalSecondaryIndexes", [])),
                               ttl.get("TimeToLiveStatus"), ttl.get("AttributeName")))
    topics = []
    for page in sns.get_paginator("list_topics").paginate():
        for t in page["Topics"]:
            name = t["TopicArn"].rsplit(":", 1)[1]
            if name.startswith(f"{prefix}-"):
                attrs = sns.get_topic_attributes(TopicArn=t["TopicArn"])["Attributes"]
                topics.append((rel(name), attrs.get("DisplayName")))
    alarms = [(rel(a["AlarmName"]), a["MetricName"], a["Threshold"],
               a["ComparisonOperator"], [rel(x.rsplit(":", 1)[1]) for x in a["AlarmActions"]],
               [d["Value"].replace(prefix, "P") for d in a["Dimensions"]])
              for a in cw.describe_alarms(AlarmNamePrefix=f"{prefix}-")["MetricAlarms"]]
    found = {"keys": keys, "secrets": secrets, "buckets": buckets, "tables": tables,
             "topics": topics, "alarms": alarms}
    return {kind: sorted(json.dumps(x) for x in items) for kind, items in found.items()}


# --- processes ---------------------------------------------------------------------------------

def ensure_ansible() -> Path:
    playbook = VENV / "bin" / "ansible-playbook"
    if not playbook.exists():
        print(f"installing Ansible into {VENV} ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(VENV / "bin" / "pip"), "install", "--quiet", "-r",
                        str(ANSIBLE_DIR / "requirements.txt")], check=True)
    return playbook


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_moto() -> tuple[subprocess.Popen, str]:
    port = _free_port()
    server = subprocess.Popen([sys.executable, str(ANSIBLE_DIR / "moto_server.py"),
                               "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return server, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.05)
    server.kill()
    raise SystemExit("moto server did not start")


def reset_moto(url: str) -> None:
    urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST"),
                           timeout=30).read()


def timed(argv: list[str], env: dict[str, str], ok: set[int] = frozenset({0})
          ) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode not in ok:
        raise SystemExit(f"{' '.join(argv)} exited {done.returncode}:\n"
                         f"{done.stdout[-3000:]}\n{done.stderr[-2000:]}")
    return elapsed, done.stdout


def ansible_changed(recap: str) -> int:
    """The `changed=` count of the play recap."""
    line = [x for x in recap.splitlines() if x.startswith("localhost")][-1]
    return int(line.split("changed=")[1].split()[0])


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


class Tools:
    def __init__(self, url: str, src: Path, home: Path):
        base = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        base.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench",
                    AWS_DEFAULT_REGION=REGION, AWS_REGION=REGION,
                    **{SECRET_ENV: SECRET_VALUE})
        self.awsprov_env = {**base, "PYTHONPATH": str(src), "AWSPROV_HOME": str(home)}
        # AWS_URL: the endpoint the amazon.aws / community.aws modules document
        self.ansible_env = {**base, "AWS_URL": url, "ANSIBLE_HOME": str(home / "ansible"),
                            "ANSIBLE_LOCAL_TEMP": str(home / "ansible-tmp"),
                            "ANSIBLE_LOCALHOST_WARNING": "False",
                            "ANSIBLE_INVENTORY_UNPARSED_WARNING": "False",
                            "ANSIBLE_NOCOLOR": "1"}
        self.awsprov = [sys.executable, "-m", "awsprov", "--no-color", "--endpoint-url", url]
        self.playbook = [str(ensure_ansible()), "-i", "localhost,"]

    def awsprov_round(self, spec: Path) -> dict[str, float]:
        create, _ = timed([*self.awsprov, "apply", str(spec), "--yes"], self.awsprov_env)
        noop, out = timed([*self.awsprov, "apply", str(spec), "--yes"], self.awsprov_env)
        if "No changes." not in out:
            raise SystemExit(f"awsprov's second apply changed something:\n{out[-3000:]}")
        plan, _ = timed([*self.awsprov, "plan", str(spec), "--detailed-exitcode"],
                        self.awsprov_env)
        return {"create": create, "noop": noop, "plan": plan}

    def ansible_create(self, playbook: Path) -> float:
        return timed([*self.playbook, str(playbook)], self.ansible_env)[0]

    def ansible_rest(self, playbook: Path) -> dict:
        noop, out = timed([*self.playbook, str(playbook)], self.ansible_env)
        plan, check_out = timed([*self.playbook, str(playbook), "--check"], self.ansible_env)
        return {"noop": noop, "plan": plan, "noop_changed": ansible_changed(out),
                "check_changed": ansible_changed(check_out)}


def compare(url: str, n: int, b_prefix: str, got_a: dict) -> None:
    """Both tools made the same resources, as many of each type as the mix has."""
    got_b = inventory(url, b_prefix)
    for kind, count in mix(n).items():
        if len(got_a[kind]) != count or got_a[kind] != got_b[kind]:
            raise SystemExit(f"{kind}: {count} expected; differ:\n  awsprov: {got_a[kind]}\n  "
                             f"ansible: {got_b[kind]}")


def write_inputs(n: int) -> tuple[Path, Path]:
    """The awsprov spec and the playbook for N resources (committed for N = 10 and 50)."""
    GENERATED.mkdir(parents=True, exist_ok=True)
    spec = GENERATED / f"awsprov-{n}.yaml"
    playbook = GENERATED / f"playbook-{n}.yml"
    header = "# Generated by bench/ansible_compare.py: edit that script, not this file.\n"
    spec.write_text(header + yaml.safe_dump(awsprov_spec(n, f"ap{n}"), sort_keys=False))
    playbook.write_text(header + yaml.safe_dump(ansible_playbook(n, f"an{n}"),
                                                sort_keys=False, width=100))
    return spec, playbook


def run_size(n: int, repeats: int, url: str, tools: Tools) -> dict:
    ap, an = f"ap{n}", f"an{n}"
    spec, playbook = write_inputs(n)
    times: dict[str, dict[str, list[float]]] = {
        "awsprov": {"create": [], "noop": [], "plan": []},
        "ansible": {"create": [], "noop": [], "plan": []}}
    notes = set()
    loads = [load()]
    for r in range(repeats):
        reset_moto(url)
        got = tools.awsprov_round(spec)
        for what in ("create", "noop", "plan"):
            times["awsprov"][what].append(got[what])
        seen = inventory(url, ap)
        reset_moto(url)
        times["ansible"]["create"].append(tools.ansible_create(playbook))
        compare(url, n, an, seen)
        rest = tools.ansible_rest(playbook)
        times["ansible"]["noop"].append(rest["noop"])
        times["ansible"]["plan"].append(rest["plan"])
        if rest["noop_changed"] or rest["check_changed"]:
            notes.add(f"ansible second run changed={rest['noop_changed']}, "
                      f"--check changed={rest['check_changed']}")
        print(f"N={n} run {r + 1}: " + ", ".join(
            f"{tool} {what} {times[tool][what][-1]:.2f}s" for tool in times
            for what in times[tool]) + f", load {load()}", file=sys.stderr)
    loads.append(load())
    medians = {tool: {what: statistics.median(v) for what, v in by.items()}
               for tool, by in times.items()}
    # Each run's two tools ran back to back under the same load: their ratio is paired
    ratios = {what: [b / a for a, b in zip(times["awsprov"][what], times["ansible"][what],
                                           strict=True)]
              for what in medians["awsprov"]}
    return {"n": n, "mix": mix(n), "medians": medians, "times": times, "ratios": ratios,
            "loads": loads, "notes": sorted(notes)}


def markdown(rows: list[dict]) -> str:
    out = ["| resources | step | awsprov | Ansible | ÷ of the medians | "
           "÷ per run: median (min to max) |",
           "|---:|---|---:|---:|---:|---:|"]
    names = {"create": "create (1st apply)", "noop": "no-op apply (2nd)",
             "plan": "plan / --check"}
    for row in rows:
        m = row["medians"]
        for what, label in names.items():
            a, b = m["awsprov"][what], m["ansible"][what]
            paired = row["ratios"][what]
            out.append(f"| {row['n']} | {label} | {a:.2f} s | {b:.2f} s | {b / a:.1f}\u00d7 | "
                       f"{statistics.median(paired):.1f}\u00d7 ({min(paired):.1f} to "
                       f"{max(paired):.1f}) |")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,50")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--src", default=str(HERE.parent / "src"),
                        help="the awsprov source to time (another commit's, for a before)")
    parser.add_argument("--write-only", action="store_true",
                        help="write the spec and playbook of each size, run nothing")
    args = parser.parse_args()
    if args.write_only:
        for n in args.sizes.split(","):
            print(*write_inputs(int(n)))
        return
    tools_home = Path(tempfile.mkdtemp(prefix="awsprov-ansible-"))
    server, url = start_moto()
    try:
        tools = Tools(url, Path(args.src), tools_home)
        rows = [run_size(int(n), args.repeats, url, tools) for n in args.sizes.split(",")]
    finally:
        server.terminate()
        server.wait(10)
    print(markdown(rows))
    for row in rows:
        print(f"\nN={row['n']}: mix {row['mix']}; load before/after {row['loads']}")
        for note in row["notes"]:
            print(f"  note: {note}")
    print(f"\n{os.cpu_count()} CPUs; medians of {args.repeats}; each run a fresh process")


if __name__ == "__main__":
    main()
