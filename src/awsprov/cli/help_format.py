"""Help text people can read: `SPEC` and `--target ADDR`, not `{spec}` and `<list[str]>`,
and an example under every command.

Typer (>= 0.2x) formats arguments as `{spec}` / `spec <path>` whatever their metavar, and
options without a metavar by their Python type (`<list[str]>`). Rather than a metavar on
every parameter of every command (repeated, and forgotten on the next one), the names are
set here, once, by parameter name, and Typer's two argument formatters are replaced.
"""

from __future__ import annotations

import typer
from typer import core

# By parameter name: what a value of that option or argument is.
METAVARS = {
    "spec": "SPEC", "planfile": "PLANFILE", "env": "ENV", "compare": "ENV", "out": "PLANFILE",
    "target": "ADDR", "parallelism": "N", "usage": "FILE", "account_id": "ACCOUNT",
    "section": "SECTION", "names": "NAME", "port": "PORT", "profile": "PROFILE",
    "region": "REGION", "endpoint_url": "URL", "diff": "SPEC",
}

# One example (or a few) per command, shown at the end of its --help.
EXAMPLES = {
    "validate": ["awsprov validate specs/p2p-automation.yaml",
                 "awsprov validate specs/auditflow.yaml --env prod --output json"],
    "plan": ["awsprov plan specs/p2p-automation.yaml",
             "awsprov plan specs/auditflow.yaml --env prod --out prod.plan",
             "awsprov plan specs/p2p-automation.yaml --output json --detailed-exitcode"],
    "apply": ["awsprov apply specs/p2p-automation.yaml",
              "awsprov apply prod.plan",
              "awsprov apply specs/auditflow.yaml --env dev --yes --output json"],
    "verify": ["awsprov verify specs/p2p-automation.yaml",
               "awsprov verify specs/auditflow.yaml --baseline --output junit > verify.xml"],
    "destroy": ["awsprov destroy specs/auditflow.yaml --env dev",
                "awsprov destroy specs/p2p-automation.yaml --target tables.invoices --yes"],
    "unlock": ["awsprov unlock p2p-automation",
               "awsprov unlock specs/auditflow.yaml --env dev --yes"],
    "show": ["awsprov show prod.plan",
             "awsprov show prod.plan --output json | jq .summary"],
    "output": ["awsprov output specs/p2p-automation.yaml",
               "awsprov output specs/auditflow.yaml --env prod --output json "
               "| jq -r '.resources[\"tables.documents\"].arn'"],
    "schema": ["awsprov schema > awsprov.schema.json"],
    "cost-estimate": ["awsprov cost-estimate specs/p2p-automation.yaml",
                      "awsprov cost-estimate specs/auditflow.yaml --env dev --compare prod",
                      "awsprov cost-estimate specs/p2p-automation.yaml --output markdown"],
    "iam-policy": ["awsprov iam-policy specs/p2p-automation.yaml --account-id 123456789012",
                   "awsprov iam-policy specs/p2p-automation.yaml --read-only"],
    "export": ["awsprov export tables Orders Customers --region eu-west-1 > existing.yaml",
               "awsprov export buckets my-logs --output json"],
    "start": ["awsprov local start", "awsprov local start --port 4600"],
    "stop": ["awsprov local stop"],
    "status": ["awsprov local status", "awsprov local status --output json"],
    "local": ["awsprov local start && awsprov --local apply specs/p2p-automation.yaml --yes"],
    "awsprov": ["awsprov validate specs/p2p-automation.yaml",
                "awsprov plan specs/p2p-automation.yaml --out p2p.plan",
                "awsprov apply p2p.plan",
                "awsprov verify specs/p2p-automation.yaml"],
}


def epilog(command: str) -> str | None:
    """The Examples paragraph of a command's help; `\\b` keeps click from rewrapping it."""
    lines = EXAMPLES.get(command)
    if not lines:
        return None
    return "\b\nExamples:\n" + "\n".join(f"  {line}" for line in lines)


def add_examples(app: typer.Typer, name: str = "awsprov") -> None:
    """Give `app`, every command registered on it and its sub-apps their Examples epilog."""
    if _unset(app.info.epilog):
        app.info.epilog = epilog(name)
    for info in app.registered_commands:
        command = info.name or (info.callback.__name__.replace("_", "-")
                                if info.callback else "")
        if _unset(info.epilog):
            info.epilog = epilog(command)
    for group in app.registered_groups:
        if group.typer_instance is not None and group.name:
            if _unset(group.epilog):
                group.epilog = epilog(group.name)
            add_examples(group.typer_instance, group.name)


def _unset(value: object) -> bool:
    """None, or Typer's DefaultPlaceholder of None."""
    return getattr(value, "value", value) is None


def metavar(param: core._TyperParameter) -> str:
    return param.metavar or METAVARS.get(param.name or "", (param.name or "VALUE").upper())


def _argument_usage(self: core.TyperArgument) -> str:
    name = metavar(self)
    if self.nargs != 1:
        name += "..."
    return name if self.required else f"[{name}]"


def _argument_help_name(self: core.TyperArgument) -> str:
    return metavar(self) + ("..." if self.nargs != 1 else "")


def _option_value(self: core.TyperOption, ctx) -> str | None:
    if self.is_flag or self.count:
        return None
    if self.metavar is not None:
        return self.metavar
    described = getattr(self, "type_descriptor", None)
    if described is not None and described.is_choice and not described.is_list:
        return self.display_type(ctx).strip("<>")  # a choice: `text|json` says it all
    return metavar(self)


def install() -> None:
    """Replace Typer's argument and option formatters (usage line and help rows)."""
    core.TyperArgument._usage_display_name = _argument_usage
    core.TyperArgument._rich_display_name = _argument_help_name
    core.TyperArgument.display_type_rich = lambda self, ctx: None
    core.TyperOption.display_type_rich = _option_value
