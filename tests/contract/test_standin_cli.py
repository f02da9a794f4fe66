"""The stand-in's command line: background start, standin.json, TLS with its CA, clean stop."""

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

RUN_PY = Path(__file__).resolve().parents[1] / "standin" / "run.py"


def wait_for(path: Path, process, seconds: float = 60) -> dict:
    """The state file's content once it exists."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if path.exists():
            return json.loads(path.read_text())
        assert process.poll() is None, process.communicate()
        time.sleep(0.1)
    raise AssertionError("standin.json did not appear")


def test_cli_start_announce_stop(tmp_path):
    """run.py writes {url, token, ca_path, version, pid}, serves HTTPS with its CA, removes the file on SIGTERM."""
    command = [sys.executable, str(RUN_PY), "--version", "2024.10.5", "--state-dir", str(tmp_path), "--key-size", "2048"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:
        try:
            state = wait_for(tmp_path / "standin.json", process)
            assert set(state) == {"url", "token", "ca_path", "version", "pid"}
            assert state["pid"] == process.pid and state["version"] == "2024.10.5"
            session = requests.Session()
            session.trust_env = False
            headers = {"Authorization": f"Bearer {state['token']}"}
            answer = session.get(state["url"] + "/api/v3/admin/version/", headers=headers, verify=state["ca_path"], timeout=10)
            assert answer.json()["version_current"] == "2024.10.5"
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
    assert process.returncode == 0
    assert not (tmp_path / "standin.json").exists()
