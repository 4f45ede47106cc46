"""How /proc files are read: one read to EOF, and a `cat` child that copies while we import."""

from __future__ import annotations

import os

from vaslayout.errors import UserError


def proc_path(root: str, *parts: str) -> str:
    """ROOT/proc/PARTS: every reader takes a system root ("/" live, a capture's directory otherwise)."""
    return os.path.join(root, "proc", *parts)


class ProcError(UserError):
    """A user error reading /proc or /boot; str() is one line that names the input."""


def _read_file(path: str) -> bytes:
    """One open, then read until EOF (seq_file hands back about a page per read)."""
    with open(path, "rb", buffering=0) as f:
        return f.readall()


def read_text(path: str) -> str | None:
    """A small kernel file as text, or None when it cannot be read (absent, or not this kernel's)."""
    try:
        return _read_file(path).decode("utf-8", "backslashreplace")
    except OSError:
        return None


class ChildRead:
    """A file copied by `cat` into an anonymous memory file while this process goes on.

    The kernel spends ~20 ms writing out a 65,530-line maps file, a page per
    read() call. A thread would wait for the GIL after each call, and a forked
    Python would make every page this process then writes a copy-on-write
    fault; cat, started with posix_spawn (vfork: nothing copied), reads on
    another CPU while this process imports. `data` is set on leaving the
    `with` block, or stays None when the copy failed, could not start or is
    empty: the caller then reads as usual, and reports what went wrong.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.data: bytes | None = None
        self._fd = self._child = -1

    def __enter__(self) -> ChildRead:
        cat = next((c for c in _CATS if os.access(c, os.X_OK)), None)
        if cat is None or not hasattr(os, "memfd_create"):
            return self
        try:
            self._fd = os.memfd_create("vaslayout-read", os.MFD_CLOEXEC)
            self._child = os.posix_spawn(cat, ["cat", "--", self.path], {}, file_actions=[
                (os.POSIX_SPAWN_DUP2, self._fd, 1), (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0)])
        except OSError:
            self._close()
        return self

    def __exit__(self, *exc_info: object) -> None:
        try:
            if self._child > 0:
                _, status = os.waitpid(self._child, 0)
                if os.waitstatus_to_exitcode(status) == 0:
                    # b"" is read again: a cat that takes /proc's size of 0 for the truth copies nothing
                    self.data = os.pread(self._fd, os.fstat(self._fd).st_size, 0) or None
        finally:
            self._close()

    def _close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


_CATS = ("/bin/cat", "/usr/bin/cat")
