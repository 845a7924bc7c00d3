"""``python -m twin.cli``: the same program as the ``dctwin`` script."""

from twin.cli import entry

# Guarded: the worker processes of a ``--scheduler local:N`` cluster are spawned, and a
# spawned process imports the parent's main module (as ``__mp_main__``) before its work.
if __name__ == "__main__":
    entry()
