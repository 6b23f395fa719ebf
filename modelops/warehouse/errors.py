"""The errors the user can fix, which the CLI and the pages print as one line.

Everything the user can act on (a bad argument, a warehouse that cannot be opened, a
catalog location without its data directory) derives from UserError: `modelops` prints
its message as one line and exits 2. Any other exception is a bug and keeps its
traceback (exit 3), so a programming error is never passed off as the user's.
"""


class UserError(Exception):
    """A problem the user must act on; its message is the whole explanation."""


class WarehouseError(UserError):
    """A problem with the warehouse file that the user must act on."""


class UsageError(UserError):
    """A bad argument the user must fix (a week, an id); the CLI prints it as one line."""


class UnknownEntity(UsageError):
    """An entity name the contract does not have (`--entity`, a file's stem)."""
