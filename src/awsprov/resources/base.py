"""The resource type contract (docs/architecture.md). Generic code talks to types only
through this. A type declares its properties once (`props`, a table of Prop) and writes
code only for what is genuinely its own; the registry refuses a type that misses a hook
it needs (`contract_problems`)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from awsprov.core.changes import AttributeChange, BaselineFinding, FieldKind, Severity
from awsprov.resources.props import Prop, dig

if TYPE_CHECKING:
    from awsprov.aws.context import AwsContext
    from awsprov.core.grants import GrantTarget
    from awsprov.core.stack import StackView
    from awsprov.cost.catalogue import Prices
    from awsprov.cost.model import CostComponent


@dataclass
class Problem:
    """A semantic problem in one resource's properties, found before any AWS call."""

    path: tuple
    message: str
    severity: Severity = Severity.ERROR
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
    # What else the type's own calls need to know of this resource (a queue's URL, a
    # key's id): a frozen dataclass of the type's own, never read by generic code.
    details: Any = field(default=None, repr=False)
    # True when `tags` came from aws.indexed_tags (the stack's one Tagging API read)
    tags_indexed: bool = False


@dataclass(frozen=True)
class Deletion:
    """How one live resource is to be deleted, decided when the plan is made (from the
    live resource and the spec's properties, None for an orphan) and handed to `delete`:
    nothing of it is written into the live object."""

    refusal: str | None = None  # why it must not be deleted (beyond deletion protection)
    empty_first: bool = False  # delete what it holds first (force_destroy)
    window_days: int | None = None  # the recovery window of a soft delete


Progress = Callable[[str], None]


@dataclass(frozen=True)
class Owner:
    """Who a resource should belong to: lets `read` find it by its awsprov:* tags when its
    name alone does not (a KMS key whose alias was never created: a killed apply)."""

    stack: str
    address: str
    env: str | None = None


class ResourceType(ABC):
    """Base class: subclasses declare their properties and implement the AWS calls."""

    section: ClassVar[str]             # spec section, e.g. "tables"
    kind: ClassVar[str]                # human name, e.g. "DynamoDB table"
    service: ClassVar[str]             # boto3 service name
    # The Resource Groups Tagging API type filter; None for a type that API does not list
    # (AWS documents IAM roles so): its `list_owned` finds the stack's own instead.
    tagging_type: ClassVar[str | None]
    # Each property once (resources/props.py). `properties` (the JSON Schema), `fields`
    # (diff kinds) and `sensitive_fields` are derived from it when the class is made.
    props: ClassVar[dict[str, Prop]] = {}
    properties: ClassVar[dict]         # JSON Schema of each property
    required: ClassVar[tuple[str, ...]] = ("name",)
    # Field kinds of state keys other than UPDATE; derived from `props`, plus the state
    # keys a type adds beyond its properties.
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
    # True when `grant` turns an access level on this resource into IAM statements (the
    # `grants` of a role); the registry then requires `grant`.
    grantable: ClassVar[bool] = False
    # Properties whose whole-value references resolve to grant targets (Prop.grant_targets).
    grant_target_props: ClassVar[frozenset[str]] = frozenset()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        table = cls.__dict__.get("props")
        if not table:
            return
        cls.properties = {name: prop.json_schema() for name, prop in table.items()}
        cls.fields = {**{name: prop.change for name, prop in table.items()
                         if prop.change is not FieldKind.UPDATE},
                      **cls.__dict__.get("fields", {})}
        cls.sensitive_fields = frozenset(
            {*cls.__dict__.get("sensitive_fields", ()),
             *(name for name, prop in table.items() if prop.sensitive)})
        cls.grant_target_props = frozenset(name for name, prop in table.items()
                                           if prop.grant_targets)

    # ---- derived from the property table -----------------------------------------------

    def simple_desired(self, props: dict[str, Any]) -> dict[str, Any]:
        """Desired state of every property in the compared state: the spec's value, or the
        AWS default when the spec leaves it out."""
        return {name: props.get(name, prop.unset) for name, prop in self.props.items()
                if prop.state}

    def simple_live(self, answer: dict[str, Any]) -> dict[str, Any]:
        """Live state of every property with a `describe` path, from one describe answer."""
        return {name: dig(answer, prop.describe, prop.unset)
                for name, prop in self.props.items() if prop.describe}

    def simple_request(self, state: dict[str, Any],
                       names: set[str] | None = None) -> dict[str, Any]:
        """Request parameters of the properties with a `request` key (only `names` when
        given; None left out: an AWS default is sent when the state holds it, so a create
        that should leave defaults unsaid passes the names that differ)."""
        return {prop.request: state[name] for name, prop in self.props.items()
                if prop.request and name in state and (names is None or name in names)
                and state[name] is not None}

    def sensitive_marked(self, changes: list[AttributeChange]) -> list[AttributeChange]:
        """`changes` with every change under a sensitive property marked so (its values
        are then never shown), whichever diff path made it."""
        for change in changes:
            if change.prop in self.sensitive_fields:
                change.sensitive = True
        return changes

    # ---- pure: no AWS ----------------------------------------------------------------

    def physical_name(self, props: dict[str, Any]) -> str:
        return props["name"]

    def check(self, props: dict[str, Any]) -> list[Problem]:
        """Semantic checks the schema cannot express. Pure; never calls AWS."""
        return []

    def check_stack(self, address: str, props: dict[str, Any], stack: StackView) -> list[Problem]:
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
        """Normalize spec properties, AWS defaults filled in, to compare with Live.state.
        The property table's simple keys; a type adds what needs code."""
        return self.simple_desired(props)

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

    def deletion(self, live: Live, props: dict[str, Any] | None) -> Deletion:
        """How to delete live: whether it must not be (beyond deletion protection) and the
        delete-time settings of the spec's `props` (None for an orphan)."""
        return Deletion()

    def identifiers(self, live: Live) -> frozenset[str]:
        """Every string by which another resource's state may name this one. A resource
        named so in the live state of another that stays is not deleted (engine/guards.py)."""
        return frozenset({live.arn})

    def created(self, live: Live) -> str | None:
        """When live was created (ISO 8601), if this type's read can tell; shown for
        duplicates so a user can tell them apart."""
        return None

    def baseline(self, live: Live) -> list[BaselineFinding]:
        """Security-baseline findings for `verify --baseline`."""
        return []

    def cost(self, props: dict[str, Any], usage: dict[str, Any],
             prices: Prices) -> list[CostComponent]:
        """Monthly cost components of a resource with these properties and this usage.
        Pure and offline; a quantity the usage leaves unknown is None, never 0."""
        return []

    @abstractmethod
    def arn_pattern(self, name: str, region: str, account: str) -> list[str]:
        """The ARNs an IAM policy scopes this resource's actions to."""

    def grant(self, access: str, target: GrantTarget) -> list[dict[str, Any]]:
        """IAM statements (Effect, Action, Resource, optional Condition) that let a
        principal do `access` (core.grants.ACCESS_LEVELS) on `target` and no more: the
        actions a client doing that access calls, on the resource's ARNs and its parts',
        and the use of the customer KMS key that encrypts it. Pure and offline; a value not
        known yet (an ARN before create) stays KNOWN_AFTER_APPLY in the statements."""
        raise NotImplementedError(f"{self.kind} cannot be granted")

    def export(self, live: Live) -> dict[str, Any]:
        """Spec properties that reproduce live (AWS defaults left out): `awsprov export`.
        From the property table: every exported property whose live value is not its AWS
        default, and the user's tags."""
        if not self.props:
            raise NotImplementedError(f"{self.kind} cannot be exported yet")
        spec: dict[str, Any] = {"name": live.name}
        for name, prop in self.props.items():
            value = live.state.get(name)
            if name in spec or not (prop.exported and prop.state) or value == prop.unset \
                    or value in (None, [], {}):
                continue
            spec[name] = value
        user_tags = {k: v for k, v in live.tags.items() if not k.startswith(("awsprov:", "aws:"))}
        if user_tags:
            spec["tags"] = user_tags
        return spec

    def name_from_arn(self, arn: str) -> str:
        return arn.rsplit("/", 1)[-1].rsplit(":", 1)[-1]

    # ---- AWS -------------------------------------------------------------------------

    @abstractmethod
    def read(self, aws: AwsContext, name: str, owner: Owner | None = None) -> Live | None:
        """The live resource named `name`, or None. `owner` (absent for orphans) lets a type
        fall back to its awsprov:* tags where a name can go missing."""

    def read_batch(self, aws: AwsContext,
                   items: list[tuple[str, Owner | None]]) -> dict[str, Live | None]:
        """Read up to `batch_size` resources at once: {name: Live or None}. Only called
        when batch_size > 1."""
        raise NotImplementedError

    def list_owned(self, aws: AwsContext, stack: str) -> dict[str, dict[str, str]]:
        """{ARN: tags} of every live resource of this type tagged with `stack`, for a type
        the Tagging API does not list (tagging_type None): the orphan search asks it."""
        raise NotImplementedError

    @abstractmethod
    def create(self, aws: AwsContext, desired: Desired, progress: Progress) -> None:
        """Create it, tags in the create call itself; safe to repeat after a lost answer."""

    @abstractmethod
    def update(self, aws: AwsContext, desired: Desired, live: Live,
               changes: list[AttributeChange], progress: Progress) -> None:
        """Apply `changes` in place."""

    @abstractmethod
    def delete(self, aws: AwsContext, live: Live, how: Deletion, progress: Progress) -> None:
        """Delete live as `how` (from `deletion`) says."""

    def restore(self, aws: AwsContext, desired: Desired, live: Live, progress: Progress) -> None:
        raise NotImplementedError(f"{self.kind} cannot be restored")

    def read_tags(self, aws: AwsContext, live: Live) -> dict[str, str]:
        """live's tags from the service itself. A type whose `read` takes tags from
        aws.indexed_tags implements this: the planner confirms a tag difference with it."""
        raise NotImplementedError

    def set_tags(self, aws: AwsContext, live: Live, tags: dict[str, str]) -> None:
        """Make live's tag set exactly `tags`."""
        raise NotImplementedError


def contract_problems(cls: type[ResourceType]) -> list[str]:
    """What a type misses of the contract: the abstract hooks, and the hooks its own
    declarations call for. The registry refuses a type with any."""
    problems = [f"{name} is not implemented" for name in sorted(cls.__abstractmethods__)]
    for attribute in ("section", "kind", "service", "tagging_type", "properties"):
        if not hasattr(cls, attribute):
            problems.append(f"declares no {attribute}")

    def overrides(hook: str) -> bool:
        return getattr(cls, hook) is not getattr(ResourceType, hook)

    needs = {
        "set_tags": cls.taggable,
        "read_batch": cls.batch_size > 1,
        "list_owned": cls.taggable and getattr(cls, "tagging_type", "") is None,
        "export": not cls.props,
        "grant": cls.grantable,
    }
    problems += [f"{hook} is not implemented" for hook, needed in needs.items()
                 if needed and not overrides(hook)]
    return problems


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
