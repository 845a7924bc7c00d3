"""``python -m twin.cli``: the same program as the ``dctwin`` script."""

from twin.cli import entry

entry()
