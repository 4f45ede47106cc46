"""A process by pid, `self` or command name; its start time keeps a reused pid from mixing two processes."""

from __future__ import annotations

import errno
import os

from vaslayout.proc.reader import ProcError, _read_file, proc_path

COMM_LEN = 15  # TASK_COMM_LEN - 1: the kernel truncates comm to this


def _pid_dir(root: str, pid: int) -> str:
    return proc_path(root, str(pid))


def _read_proc(root: str, pid: int, name: str, what: str) -> bytes:
    """Read ROOT/proc/PID/name, turning every OSError into one clear ProcError."""
    path = os.path.join(_pid_dir(root, pid), name)
    if pid <= 0:
        raise ProcError(f"no process {pid}")
    try:
        return _read_file(path)
    except PermissionError:
        raise ProcError(f"permission denied reading {path}") from None
    except ProcessLookupError:
        raise ProcError(f"process {pid} exited while its {what} were read") from None
    except FileNotFoundError:
        if not os.path.isdir(_pid_dir(root, pid)):
            raise ProcError(f"no process {pid}") from None
        raise ProcError(f"process {pid} exited while its {what} were read") from None
    except OSError as exc:
        if exc.errno == errno.ESRCH:
            raise ProcError(f"process {pid} exited while its {what} were read") from None
        raise ProcError(f"cannot read {path}: {exc.strerror or exc}") from None


def _stat_fields(text: str) -> list[str]:
    """The fields of /proc/PID/stat from field 3 (state) on.

    The command name (field 2) is in parentheses and may itself hold ") ",
    so the fields are taken after the last ")".
    """
    return text[text.rfind(")") + 1:].split()


def _parse_start_time(text: str) -> int | None:
    fields = _stat_fields(text)  # starttime is field 22: the 20th from field 3
    if len(fields) < 20 or not fields[19].isdigit():
        return None
    return int(fields[19])


def _stat_or_none(root: str, pid: int) -> str | None:
    """/proc/PID/stat, or None when it cannot be read (the process is gone, or a fixture tree has none)."""
    try:
        with open(os.path.join(_pid_dir(root, pid), "stat"), "rb") as f:
            return f.read(4096).decode("ascii", "replace")
    except OSError:
        return None


def _exited(root: str, pid: int) -> bool:
    """The task is a zombie (Z) or dead (X): it has exited, its parent has not collected it yet."""
    fields = _stat_fields(_stat_or_none(root, pid) or "")
    return bool(fields) and fields[0] in ("Z", "X")


def start_time(pid: int, root: str = "/") -> int:
    """When the process started, in clock ticks after boot (field 22 of /proc/PID/stat).

    A pid alone does not name a process for long: once it exits, the kernel
    hands the number to the next new one. The pid and its start time do.
    """
    data = _read_proc(root, pid, "stat", "details")
    value = _parse_start_time(data.decode("ascii", "replace"))
    if value is None:
        raise ProcError(f"{os.path.join(_pid_dir(root, pid), 'stat')}: malformed")
    return value


def _start_time_or_none(root: str, pid: int) -> int | None:
    text = _stat_or_none(root, pid)
    return None if text is None else _parse_start_time(text)


def _reused(pid: int, root: str) -> ProcError:
    try:
        now = f" (now {comm(pid, root)!r})"
    except ProcError:
        now = ""
    return ProcError(f"process {pid} has exited and its pid was given to another process{now}")


def _check_same(pid: int, root: str, started: int | None) -> int | None:
    """The start time now; ProcError when it is not `started` (the pid was reused)."""
    now = _start_time_or_none(root, pid)
    if started is not None and now is not None and now != started:
        raise _reused(pid, root)
    return now



# --------------------------------------------------------------------------- processes


def comm(pid: int, root: str = "/") -> str:
    """The process's command name (at most 15 characters: the kernel truncates it)."""
    data = _read_proc(root, pid, "comm", "details")
    return data.decode("utf-8", "backslashreplace").removesuffix("\n")


def resolve_pid(spec: str, root: str = "/") -> int:
    """Turn "self", a number or a command name into a pid; a name must match exactly one process.

    Names longer than 15 characters are compared truncated, as the kernel
    stores them. The caller itself is never a match for a name.
    """
    s = spec.strip()
    if not s:
        raise ProcError("empty process: give a pid, a command name or 'self'")
    if s == "self":
        return os.getpid()
    if s.isascii() and s.isdigit():
        pid = int(s)
        if pid <= 0 or not os.path.isdir(_pid_dir(root, pid)):
            raise ProcError(f"no process {pid}")
        return pid
    proc = proc_path(root)
    try:
        entries = os.listdir(proc)
    except OSError as exc:
        raise ProcError(f"cannot list {proc}: {exc.strerror or exc}") from None
    want = s[:COMM_LEN]
    me = os.getpid() if os.path.realpath(proc) == "/proc" else None
    found = []
    for entry in entries:
        if not (entry.isascii() and entry.isdigit()):
            continue
        pid = int(entry)
        if pid == me:
            continue
        try:
            with open(os.path.join(proc, entry, "comm"), "rb") as f:
                name = f.read().decode("utf-8", "backslashreplace").removesuffix("\n")
        except OSError:
            continue  # exited or unreadable while we looked
        if name == want:
            found.append(pid)
    if not found:
        raise ProcError(f"no process named {s!r}")
    if len(found) > 1:
        found.sort()
        listed = ", ".join(map(str, found[:20])) + (f", ... ({len(found) - 20} more)" if len(found) > 20 else "")
        raise ProcError(f"{len(found)} processes named {s!r}: {listed}")
    return found[0]
