"""The CPU a PostgreSQL backend has used, read from /proc: what the database did for a
measured step, whatever the machine's load."""

import os
from pathlib import Path


def backend_cpu(connection) -> tuple[int, float | None]:
    """``connection``'s backend process id and its CPU seconds (user + system) so far;
    ``None`` for the seconds when the server is not a readable process of this machine."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    return pid, process_cpu(pid)


def process_cpu(pid: int) -> float | None:
    """Process ``pid``'s CPU seconds (user + system) so far, ``None`` when unreadable (no
    statement is run: a step can be bracketed without adding one)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
