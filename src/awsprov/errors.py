"""Error types of every layer; the CLI boundary turns them into one line and an exit code."""

from __future__ import annotations

from dataclasses import dataclass

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CHANGES = 2  # plan --detailed-exitcode with changes; verify with drift


@dataclass(frozen=True)
class Location:
    """Where a value came from: a spec file and a 1-based line."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


class AwsprovError(Exception):
    """An error the user can act on. Printed as one line; exit code 1 unless stated."""

    exit_code = EXIT_ERROR

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class SpecError(AwsprovError):
    """Bad input: always names the file, the line and the property path."""

    def __init__(self, message: str, location: Location | None = None, path: str = ""):
        self.location = location
        self.path = path
        where = f"{location}: " if location else ""
        what = f"{path}: " if path else ""
        super().__init__(f"{where}{what}{message}")


class SpecErrors(AwsprovError):
    """Several independent spec problems found in one pass; the first is the headline."""

    def __init__(self, errors: list[SpecError]):
        self.errors = errors
        super().__init__("\n".join(e.message for e in errors))


class AwsAccessError(AwsprovError):
    """Credentials missing or refused, endpoint unreachable: nothing was changed."""


class PlanStaleError(AwsprovError):
    """A saved plan no longer matches live state or the spec."""


class LeaseHeld(AwsprovError):
    """Another apply of this stack holds its lease (after --lock-timeout): nothing was read
    or changed."""


class ApplyFailed(AwsprovError):
    """Apply finished what it could; some resources failed or were refused."""
