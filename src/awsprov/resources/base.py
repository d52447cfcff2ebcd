"""The resource type contract (DESIGN.md). Generic code talks to types only through this."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from awsprov.engine.changes import AttributeChange, FieldKind

if TYPE_CHECKING:
    from awsprov.aws.context import AwsContext
    from awsprov.cost.catalogue import Prices
    from awsprov.cost.model import CostComponent
    from awsprov.spec.model import Stack


@dataclass
class Problem:
    """A semantic problem in one resource's properties, found before any AWS call."""

    path: tuple
    message: str
    severity: str = "error"  # or "warning"
    # About an input outside the spec (an env var, a file) that only commands sending
    # values to AWS need: cost-estimate, iam-policy and destroy do not check it.
    external_input: bool = False


@dataclass
class Desired:
    """A resource as the spec wants it, references resolved as far as they can be."""

    section: str
    logical: str
    name: str
    props: dict[str, Any]
    state: dict[str, Any]
    tags: dict[str, str]
    ignore: frozenset[str] = frozenset()

    @property
    def address(self) -> str:
        return f"{self.section}.{self.logical}"


@dataclass
class Live:
    """A resource as AWS has it, normalized to the shape of Desired.state."""

    name: str
    arn: str
    state: dict[str, Any]
    tags: dict[str, str]
    attributes: dict[str, Any] = field(default_factory=dict)
    pending_deletion: bool = False
    data_at_risk: str | None = None
    deletion_protected: bool = False
    raw: dict[str, Any] = field(default_factory=dict, repr=False)
    # The spec's properties when a resource still in the spec is deleted (destroy), None
    # for an orphan: lets `delete` honour delete-time settings such as a deletion window.
    spec_props: dict[str, Any] | None = field(default=None, repr=False)
    # True when `tags` came from aws.indexed_tags (the stack's one Tagging API read)
    tags_indexed: bool = False


Progress = Callable[[str], None]


@dataclass(frozen=True)
class Owner:
    """Who a resource should belong to: lets `read` find it by its awsprov:* tags when its
    name alone does not (a KMS key whose alias was never created: a killed apply)."""

    stack: str
    address: str
    env: str | None = None


class ResourceType:
    """Base class: subclasses declare their schema and fields and implement the AWS calls."""

    section: ClassVar[str]             # spec section, e.g. "tables"
    kind: ClassVar[str]                # human name, e.g. "DynamoDB table"
    service: ClassVar[str]             # boto3 service name
    tagging_type: ClassVar[str]        # Resource Groups Tagging API type filter
    properties: ClassVar[dict]         # JSON Schema of each property
    required: ClassVar[tuple[str, ...]] = ("name",)
    fields: ClassVar[dict[str, FieldKind]] = {}
    reference_attributes: ClassVar[tuple[str, ...]] = ("arn", "name")
    holds_data: ClassVar[bool] = False
    # False for resources AWS cannot tag (CloudWatch dashboards): the planner then neither
    # diffs tags nor looks for them in the Tagging API; `read` decides ownership itself.
    taggable: ClassVar[bool] = True
    # True when `read` also finds the resource by its awsprov:* tags once its name is gone
    # (a KMS key whose alias is missing, see Owner): a name change then keeps the same
    # resource, so another live one tagged with the same address is a duplicate (a second
    # create whose answer was lost), never the old half of a rename.
    found_by_tags: ClassVar[bool] = False
    # >1 when AWS describes many resources in one call: the planner then calls
    # read_batch with up to this many names instead of read once per resource.
    batch_size: ClassVar[int] = 1
    # IAM actions plan/verify ("read") and apply/destroy ("write") need, on this type's ARN;
    # "lookup" actions cannot be scoped to a resource and are granted on "*"
    # ("write_lookup": the same, for apply/destroy only).
    permissions: ClassVar[dict[str, tuple[str, ...]]] = {}
    # Desired.state keys whose values are never shown (plan, JSON, plan files, logs).
    sensitive_fields: ClassVar[frozenset[str]] = frozenset()
    # Property paths holding file paths relative to the spec file that sets them; the
    # loader rewrites them relative to the working directory before any check runs.
    relative_paths: ClassVar[tuple[tuple[str, ...], ...]] = ()
    # JSON Schema of each key of this type's `usage:` block (cost-estimate only).
    usage_properties: ClassVar[dict] = {}

    # ---- pure: no AWS ----------------------------------------------------------------

    def physical_name(self, props: dict[str, Any]) -> str:
        return props["name"]

    def check(self, props: dict[str, Any]) -> list[Problem]:
        """Semantic checks the schema cannot express. Pure; never calls AWS."""
        return []

    def check_stack(self, address: str, props: dict[str, Any], stack: Stack) -> list[Problem]:
        """Checks across resources of the stack (a topic's key must let CloudWatch use it).
        Pure; runs after every resource passed `check` and every reference resolved to a
        resource of the stack. Paths are relative to this resource, as in `check`."""
        return []

    def missing_attribute(self, attribute: str, props: dict[str, Any]) -> str | None:
        """Why a resource with these props will never have `attribute` (a table without a
        stream has no stream_arn), or None. Pure: references are checked before any call."""
        return None

    def input_digests(self, props: dict[str, Any],
                      digest: Callable[[bytes], str]) -> dict[str, str]:
        """`digest` of each value this resource sends to AWS from outside the spec (an
        environment variable, a file), keyed by its property path: a saved plan binds them,
        so a value changed between plan and apply is refused. The value itself never leaves
        the type."""
        return {}

    def desired_state(self, props: dict[str, Any]) -> dict[str, Any]:
        """Normalize spec properties, AWS defaults filled in, to compare with Live.state."""
        raise NotImplementedError

    def diff(self, desired: Desired, live: Live) -> list[AttributeChange]:
        """Attribute changes from live to desired, each classed by its field kind."""
        changes: list[AttributeChange] = []
        for key, after in desired.state.items():
            kind = self.fields.get(key, FieldKind.UPDATE)
            if kind is FieldKind.COMPUTED or key in desired.ignore:
                continue
            changes.extend(self.key_changes(key, live.state.get(key), after, desired, live))
        return changes

    def key_changes(self, key: str, before: Any, after: Any, desired: Desired,
                    live: Live) -> list[AttributeChange]:
        """The changes of one state key that is neither ignored nor computed. A type
        overrides this for the keys it compares its own way (policies, sub-resources)."""
        return self.field_changes(key, before, after)

    def field_changes(self, key: str, before: Any, after: Any) -> list[AttributeChange]:
        """The leaf changes of one state key, each classed by that key's field kind."""
        kind = self.fields.get(key, FieldKind.UPDATE)
        return [AttributeChange(path, b, a, kind) for path, b, a in leaf_diff(key, before, after)]

    def refusal(self, desired: Desired, live: Live,
                changes: list[AttributeChange]) -> str | None:
        """Why AWS will refuse this change, known before calling it; None if it will not."""
        return None

    def change_notes(self, desired: Desired, live: Live,
                     changes: list[AttributeChange]) -> list[str]:
        """Warnings a user should read before applying (rebuilds, new ARNs, limits)."""
        return []

    def data_loss(self, desired: Desired, live: Live,
                  changes: list[AttributeChange]) -> list[str]:
        """Data these changes destroy by configuration alone, without any delete (a
        retention cut, backups turned off): one reason each. Apply refuses the resource's
        change unless --allow-data-loss is given. Only what is known, not merely possible:
        a risk that cannot be known cheaply belongs in change_notes."""
        return []

    def deletion_refusal(self, live: Live, props: dict[str, Any] | None) -> str | None:
        """Why deleting this live resource must not happen (beyond deletion protection)."""
        return None

    def identifiers(self, live: Live) -> frozenset[str]:
        """Every string by which another resource's state may name this one. A resource
        named so in the live state of another that stays is not deleted (engine/guards.py)."""
        return frozenset({live.arn})

    def created(self, live: Live) -> str | None:
        """When live was created (ISO 8601), if this type's read can tell; shown for
        duplicates so a user can tell them apart."""
        return None

    def baseline(self, live: Live) -> list[tuple[str, str, str]]:
        """Security-baseline findings (rule, severity, message) for `verify --baseline`."""
        return []

    def cost(self, props: dict[str, Any], usage: dict[str, Any],
             prices: Prices) -> list[CostComponent]:
        """Monthly cost components of a resource with these properties and this usage.
        Pure and offline; a quantity the usage leaves unknown is None, never 0."""
        return []

    def arn_pattern(self, name: str, region: str, account: str) -> list[str]:
        """The ARNs an IAM policy scopes this resource's actions to."""
        raise NotImplementedError

    def export(self, live: Live) -> dict[str, Any]:
        """Spec properties that reproduce live (AWS defaults left out): `awsprov export`."""
        raise NotImplementedError(f"{self.kind} cannot be exported yet")

    def name_from_arn(self, arn: str) -> str:
        return arn.rsplit("/", 1)[-1].rsplit(":", 1)[-1]

    # ---- AWS -------------------------------------------------------------------------

    def read(self, aws: AwsContext, name: str, owner: Owner | None = None) -> Live | None:
        """The live resource named `name`, or None. `owner` (absent for orphans) lets a type
        fall back to its awsprov:* tags where a name can go missing."""
        raise NotImplementedError

    def read_batch(self, aws: AwsContext,
                   items: list[tuple[str, Owner | None]]) -> dict[str, Live | None]:
        """Read up to `batch_size` resources at once: {name: Live or None}. Only called
        when batch_size > 1."""
        raise NotImplementedError

    def create(self, aws: AwsContext, desired: Desired, progress: Progress) -> None:
        raise NotImplementedError

    def update(self, aws: AwsContext, desired: Desired, live: Live,
               changes: list[AttributeChange], progress: Progress) -> None:
        raise NotImplementedError

    def delete(self, aws: AwsContext, live: Live, progress: Progress) -> None:
        raise NotImplementedError

    def restore(self, aws: AwsContext, desired: Desired, live: Live, progress: Progress) -> None:
        raise NotImplementedError(f"{self.kind} cannot be restored")

    def read_tags(self, aws: AwsContext, live: Live) -> dict[str, str]:
        """live's tags from the service itself. A type whose `read` takes tags from
        aws.indexed_tags implements this: the planner confirms a tag difference with it."""
        raise NotImplementedError

    def set_tags(self, aws: AwsContext, live: Live, tags: dict[str, str]) -> None:
        """Make live's tag set exactly `tags`."""
        raise NotImplementedError


def leaf_diff(path: str, before: Any, after: Any) -> list[tuple[str, Any, Any]]:
    """Differences between two normalized values, descending into maps for readable paths."""
    if before == after:
        return []
    if isinstance(before, dict) and isinstance(after, dict):
        out: list[tuple[str, Any, Any]] = []
        for key in sorted(set(before) | set(after), key=str):
            out.extend(leaf_diff(f"{path}.{key}", before.get(key), after.get(key)))
        return out
    return [(path, before, after)]
