"""The two errors the CLI and the pages print as one line."""


class WarehouseError(Exception):
    """A problem with the warehouse file that the user must act on."""


class UsageError(Exception):
    """A bad argument the user must fix (a week, an id); the CLI prints it as one line."""
