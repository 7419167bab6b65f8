"""`mmp dev` stops cleanly on SIGTERM and SIGINT: exit 0 / 130, and no process it started is left."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from mmp_resources.services import stop_process_group
from tests.automation.synthetic import REPO


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _descendants(pid: int) -> set[int]:
    """Every live process below `pid`, found through /proc parent links."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _cmdlines(pids: set[int]) -> str:
    out = []
    for pid in pids:
        try:
            out.append(Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:120])
        except OSError:
            pass
    return "\n".join(out)


@pytest.mark.slow
@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 0), (signal.SIGINT, 130)])
def test_mmp_dev_stops_its_whole_process_tree_on_a_signal(tiny_project: Path, signum: int, code: int) -> None:
    (tiny_project / "workspace.yaml").write_text((REPO / "workspace.yaml").read_text())
    port = _free_port()
    # started the way a shell starts a background job: SIGINT ignored, which Python would inherit
    process = subprocess.Popen(
        [sys.executable, "-m", "mmp_assets.cli", "dev", "--port", str(port)], cwd=tiny_project,
        env={**os.environ, "MMP_PROJECT_DIR": str(tiny_project)}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        start_new_session=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    try:
        deadline = time.monotonic() + 240
        while True:
            assert process.poll() is None, process.stderr.read().decode()[-3000:]
            assert time.monotonic() < deadline, "mmp dev's webserver never answered"
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=2) as response:
                    if response.status == 200 and "dagster._daemon run" in _cmdlines(_descendants(process.pid)):
                        break
            except OSError:
                pass
            time.sleep(1)
        started = _descendants(process.pid)
        assert len(started) >= 3, _cmdlines(started)  # dagster dev, its webserver and its daemon (and code servers)
        os.kill(process.pid, signum)
        assert process.wait(timeout=60) == code
        time.sleep(0.5)
        left = {pid for pid in started if _alive(pid)}
        assert not left, f"still running after mmp dev exited:\n{_cmdlines(left)}"
    finally:
        if process.poll() is None:
            stop_process_group(process.pid, 10)
        process.stderr.close()
