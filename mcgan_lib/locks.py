"""Exclusive use of a run folder, and a writability check before any work starts.

Two processes training into the same folder would interleave their checkpoints, metrics and run
descriptions, leaving files that describe different runs. :class:`FolderLock` takes an exclusive
advisory lock (``fcntl.flock``) on ``folder/.mcgan.lock``; a second process asking for it fails at
once with :class:`FolderInUseError` naming the folder. The holder removes the file when it releases the
lock; the operating system drops the lock when the holder exits, even after a crash or ``kill -9``, so
a lock file left behind never blocks a later run.

Within one process the lock is re-entrant: the command line holds it for a whole command while the
training loop it starts takes it again for the loop. On platforms without ``fcntl`` (Windows) the
lock only checks writability; concurrent writers are not detected there.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

LOCK_NAME = ".mcgan.lock"

_held: dict[str, list] = {}  # resolved folder -> [open lock file, count] for the locks of this process
_guard = threading.Lock()


class FolderInUseError(RuntimeError):
    """Another process holds the lock of a run folder."""


class FolderNotWritableError(PermissionError):
    """A folder cannot be created or written to."""


def check_writable_folder(folder: str | os.PathLike, what: str = "output folder") -> Path:
    """Create ``folder`` (with its parents) and write and remove a probe file in it.

    Raises :class:`FolderNotWritableError` naming the folder when either fails, before any work that
    would be lost because its results cannot be saved.
    """
    folder = Path(folder)
    probe = folder / f".mcgan-write-probe-{os.getpid()}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with open(probe, "wb") as handle:
            handle.write(b"probe")
        probe.unlink()
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise FolderNotWritableError(
            f"{what} {folder} is not writable ({reason}); choose a folder you can create files in"
        ) from None
    return folder


class FolderLock:
    """An exclusive, re-entrant (within a process) lock on a folder; use as a context manager.

    ``acquire`` first checks that the folder is writable (:func:`check_writable_folder`), then locks
    ``folder/.mcgan.lock`` without waiting: when another process holds it, :class:`FolderInUseError`.
    """

    def __init__(self, folder: str | os.PathLike, what: str = "run folder"):
        self.folder = Path(folder)
        self.what = what
        self._acquired = False
        self.key = ""

    def acquire(self) -> FolderLock:
        if self._acquired:
            return self
        check_writable_folder(self.folder, self.what)
        self.key = str(self.folder.resolve())
        with _guard:
            entry = _held.get(self.key)
            if entry is not None:
                entry[1] += 1
            else:
                _held[self.key] = [self._lock_file(), 1]
        self._acquired = True
        return self

    def _lock_file(self):
        path = self.folder / LOCK_NAME
        while True:
            handle = open(path, "a+")  # kept open while the lock is held
            if fcntl is None:  # pragma: no cover - Windows
                return handle
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                handle.seek(0)
                holder = handle.read().strip()
                handle.close()
                raise FolderInUseError(
                    f"{self.what} {self.folder} is in use by another process"
                    + (f" ({holder})" if holder else "")
                    + f"; wait until it finishes or choose another folder (lock file {path})"
                ) from None
            try:  # the holder before us removes the file as it releases: lock the file that is there now
                if os.stat(path).st_ino == os.fstat(handle.fileno()).st_ino:
                    break
            except FileNotFoundError:
                pass
            handle.close()
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}\n")
        handle.flush()
        return handle

    def release(self) -> None:
        if not self._acquired:
            return
        self._acquired = False
        with _guard:
            entry = _held.get(self.key)
            if entry is None:
                return
            entry[1] -= 1
            if entry[1] == 0:
                del _held[self.key]
                try:  # removed while still locked, so no other process can lock the removed file for good
                    os.unlink(self.folder / LOCK_NAME)
                except OSError:
                    pass
                entry[0].close()  # closing the file drops the flock

    def __enter__(self) -> FolderLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
