"""Writing outputs safely: every file, and every set of files, is all-or-nothing.

A single file is written to a temporary file beside the target and renamed into
place (:func:`write_atomic`). A set of files (a report's JSON, Markdown and HTML and
its diagrams) is staged in a temporary folder beside the target folder and moved
into place only when every file of the set has been written (:class:`OutputSet`);
on any failure or interrupt the target is left as it was. Errors name the file the
user asked for, never the temporary one.

Interrupts: the command line's SIGINT handler calls :func:`note_interrupt` before
raising ``KeyboardInterrupt``. A ``KeyboardInterrupt`` can be swallowed where Python
cannot propagate it (a finaliser prints "Exception ignored" and carries on), so a
set checks :func:`interrupted` before it commits and refuses to publish.

Publication is the point of no return. A SIGINT that arrives while files are moved
into place is held; once they are in place it is dropped (the run completed, and
:func:`published` tells the command line's handler to ignore any later one), and
only when the move failed is it delivered. So a run either publishes and ends with
its own exit code, or publishes nothing and ends interrupted — never "interrupted"
with its outputs in place.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType, TracebackType

from twin.errors import OutputError

__all__ = [
    "OutputSet",
    "emit",
    "interrupted",
    "note_interrupt",
    "published",
    "reset_interrupt",
    "write_atomic",
]

_STAGING_PREFIX = ".dctwin-staging-"
_interrupt = threading.Event()
_published = threading.Event()


def note_interrupt() -> None:
    """Record that the user interrupted the run (called from the SIGINT handler)."""
    _interrupt.set()


def reset_interrupt() -> None:
    """Forget an earlier interrupt and publication (a new command starts)."""
    _interrupt.clear()
    _published.clear()


def published() -> bool:
    """Whether the run has published an output (a set of files or a single file).

    The run's outcome is then settled: its outputs are in place and cannot be taken
    back, so an interrupt arriving afterwards must not report it as interrupted.
    """
    return _published.is_set()


def interrupted() -> bool:
    """Whether the run was interrupted, even if the ``KeyboardInterrupt`` was swallowed."""
    return _interrupt.is_set()


def _check_interrupt() -> None:
    if _interrupt.is_set():
        raise KeyboardInterrupt


def _reason(error: OSError) -> str:
    return error.strerror or str(error) or type(error).__name__


def write_atomic(path: str | Path, content: str | bytes) -> Path:
    """Write ``content`` to ``path`` atomically (same directory temp file + rename).

    Raises :class:`twin.errors.OutputError` naming ``path`` when it cannot be written.
    """
    target = Path(path)
    data = content.encode("utf-8") if isinstance(content, str) else content
    tmp: str | None = None
    try:
        if target.is_dir():
            raise IsADirectoryError(21, "is a directory")
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; published files follow the umask
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        _check_interrupt()
        with _sigint_deferred() as publication:
            os.replace(tmp, target)
            tmp = None
            publication.done()
    except OSError as error:
        raise OutputError(target, _reason(error)) from None
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
    return target


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def emit(content: str, out: str | None) -> None:
    """Print ``content`` to stdout, or write it atomically to ``out`` when given."""
    if out is None or out == "-":
        sys.stdout.write(content)
        sys.stdout.flush()
    else:
        write_atomic(out, content)


class _Publication:
    """What :func:`_sigint_deferred` needs to know: did the files reach their place?"""

    def __init__(self) -> None:
        self.complete = False

    def done(self) -> None:
        """The outputs are in place: from here on an interrupt changes nothing."""
        self.complete = True
        _published.set()


@contextmanager
def _sigint_deferred() -> Iterator[_Publication]:
    """Hold SIGINT back while files are moved into place (a short, bounded step), so an
    interrupt cannot leave half of a set published.

    The body calls ``done()`` on what this yields once everything is in place. A SIGINT
    held meanwhile is then dropped: the outputs are published, the command completed,
    and reporting it as interrupted would be false. Without ``done()`` (the move
    failed, nothing is published) the held SIGINT is delivered on the way out.

    Python runs signal handlers in the main thread only, between bytecodes; the
    handler is swapped for one that merely records the signal, so no
    ``KeyboardInterrupt`` can be raised anywhere inside, even between the rename and
    ``done()``. Elsewhere than the main thread the handler cannot be swapped (and a
    SIGINT interrupts the main thread, not this one).
    """
    publication = _Publication()
    if threading.current_thread() is not threading.main_thread():
        yield publication
        return
    held: list[int] = []

    def hold(signum: int, frame: FrameType | None) -> None:
        held.append(signum)

    previous = signal.signal(signal.SIGINT, hold)
    try:
        yield publication
    finally:
        signal.signal(signal.SIGINT, signal.SIG_DFL if previous is None else previous)
        if held and not publication.complete:
            signal.raise_signal(signal.SIGINT)  # to the handler it was held from


class OutputSet:
    """Files published together into ``root`` or not at all.

    Use as a context manager: :meth:`write` files (paths relative to ``root``); on a
    clean exit they are moved into place, on an exception (an interrupt included)
    the staging folder is removed and ``root`` is exactly as it was.

    Where ``root`` does not exist yet, the whole set (with any missing parent
    folders) is staged beside it and published with one rename. Where it exists,
    files are staged in a hidden folder inside it and moved in one by one; should a
    move fail, the ones already moved are put back.

    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "report"
    >>> with OutputSet(out) as files:
    ...     _ = files.write("a.txt", "A")
    ...     _ = files.write("sub/b.txt", "B")
    >>> sorted(str(p.relative_to(out)) for p in out.rglob("*"))
    ['a.txt', 'sub', 'sub/b.txt']
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.written: list[Path] = []
        self._files: dict[Path, Path] = {}  # target → staged file
        self._staging: Path | None = None
        self._content: Path | None = None  # where ``root``'s files are staged
        self._top: Path | None = None  # the missing folder published by one rename

    # ------------------------------------------------------------------ staging

    def __enter__(self) -> OutputSet:
        root = self.root
        try:
            if root.exists() and not root.is_dir():
                raise NotADirectoryError(20, "not a directory")
            if root.exists():
                self._staging = Path(tempfile.mkdtemp(prefix=_STAGING_PREFIX, dir=root))
                self._content = self._staging
            else:
                top = root
                while not top.parent.exists():
                    top = top.parent
                if not top.parent.is_dir():
                    raise NotADirectoryError(20, f"{top.parent} is not a directory")
                self._staging = Path(
                    tempfile.mkdtemp(prefix=f".{top.name}{_STAGING_PREFIX}", dir=top.parent)
                )
                os.chmod(self._staging, 0o777 & ~_umask())
                self._top = top
                self._content = self._staging / root.relative_to(top)
                self._content.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            self._discard()
            raise OutputError(root, _reason(error)) from None
        return self

    def target(self, relative: str | Path) -> Path:
        """Where ``relative`` will be published."""
        return self.root / relative

    def write(self, relative: str | Path, content: str | bytes) -> Path:
        """Stage ``content`` for ``root / relative``; return the path it will have."""
        if self._content is None:
            raise RuntimeError("OutputSet.write outside its with-block")
        target = self.target(relative)
        staged = self._content / relative
        data = content.encode("utf-8") if isinstance(content, str) else content
        try:
            staged.parent.mkdir(parents=True, exist_ok=True)
            with open(staged, "wb") as handle:
                handle.write(data)
            os.chmod(staged, 0o666 & ~_umask())
        except OSError as error:
            raise OutputError(target, _reason(error)) from None
        self._files[target] = staged
        self.written.append(target)
        return target

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if exc_type is None:
                _check_interrupt()
                self._commit()
        finally:
            self._discard()

    # ------------------------------------------------------------------ publishing

    def _commit(self) -> None:
        assert self._staging is not None
        with _sigint_deferred() as publication:
            if self._top is not None:
                try:
                    os.rename(self._staging, self._top)
                except OSError as error:
                    raise OutputError(self.root, _reason(error)) from None
                self._staging = None
            else:
                self._move_in()
            publication.done()

    def _move_in(self) -> None:
        assert self._staging is not None
        backups = self._staging / ".replaced"
        moved: list[tuple[Path, Path | None]] = []
        made: list[Path] = []
        current = self.root
        try:
            for target, staged in sorted(self._files.items()):
                current = target
                for folder in reversed(target.relative_to(self.root).parents):
                    absolute = self.root / folder
                    if not absolute.exists():
                        absolute.mkdir()
                        made.append(absolute)
                if target.is_dir():
                    raise IsADirectoryError(21, "is a directory")
                backup: Path | None = None
                if target.exists() or target.is_symlink():
                    backup = backups / target.relative_to(self.root)
                    backup.parent.mkdir(parents=True, exist_ok=True)
                    os.replace(target, backup)
                os.replace(staged, target)
                moved.append((target, backup))
        except OSError as error:
            for target, backup in reversed(moved):
                if backup is not None:
                    os.replace(backup, target)
                else:
                    target.unlink(missing_ok=True)
            for folder in reversed(made):
                shutil.rmtree(folder, ignore_errors=True)
            raise OutputError(current, _reason(error)) from None

    def _discard(self) -> None:
        if self._staging is not None:
            shutil.rmtree(self._staging, ignore_errors=True)
            self._staging = None
