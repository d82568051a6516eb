"""The project's own error classes: what a user did or gave that the tool cannot use.

`cli.py` turns these (and only these) into one-line messages; any other exception is a bug
and keeps its traceback. They subclass the builtin errors they refine, for callers' convenience.
"""

from __future__ import annotations


class PiiTaggerError(ValueError):
    """Bad input, option, file or state, with a message naming where and why."""


class MissingInputError(PiiTaggerError, FileNotFoundError):
    """A file or folder the command needs does not exist (or cannot be loaded)."""


class UnsafeOutputError(PiiTaggerError):
    """Writing there would destroy something this tool did not write, or one of its inputs."""


class PiiTaggerNotice(UserWarning):
    """Something the user should know that does not stop the command (an old cache, a cleaned-up
    leftover); `cli.py` prints these as notes."""


class NonFiniteError(PiiTaggerError):
    """NaN or infinity in features, weights or a loss: refused, never passed on silently."""
