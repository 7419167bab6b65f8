"""The dev environment's MLflow tracking server, started and stopped by `mmp services up|down`.

`up` starts `mlflow server` on loopback with its backend store on PostgreSQL (databases are created
by `mmp_resources.postgres`); `down` stops only the server it started, by the pid in
`<data_dir>/services/mlflow.pid`.

With `mlflow.auth: basic` the server runs MLflow's authentication (`--app-name basic-auth`): its user
store is `<data_dir>/services/basic_auth.db`, described by the `basic_auth.ini` written beside it
(`MLFLOW_AUTH_CONFIG_PATH`); the first admin's credentials come only from the environment
(`MLFLOW_AUTH_ADMIN_USERNAME`, `MLFLOW_AUTH_ADMIN_PASSWORD`), which MLflow reads itself.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

from mmp_resources.postgres import safe_url
from mmp_resources.settings import PlatformConfig

_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class MlflowServer:
    """The dev tracking server: `mlflow server` on loopback, backend store and artifact root from config."""

    def __init__(self, config: PlatformConfig):
        self.config = config
        self.state_dir = Path(config.data_dir) / "services"
        self.pid_file = self.state_dir / "mlflow.pid"
        self.log_file = self.state_dir / "mlflow.log"
        parsed = urlparse(config.tracking_uri)
        self.managed = parsed.scheme == "http" and parsed.hostname in _LOOPBACK and bool(config.mlflow.backend_store_uri)
        self.host, self.port = parsed.hostname or "127.0.0.1", parsed.port or 5000

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def pid(self) -> int | None:
        """The pid of the server this project started, when it is still alive."""
        try:
            pid = int(self.pid_file.read_text().strip())
            os.kill(pid, 0)
        except (FileNotFoundError, ValueError, ProcessLookupError, PermissionError):
            return None
        cmdline = Path(f"/proc/{pid}/cmdline")
        if cmdline.exists() and b"mlflow" not in cmdline.read_bytes():
            return None  # the pid was reused by an unrelated process: never signal it
        return pid

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/health", timeout=2) as response:  # noqa: S310 - loopback http
                return response.status == 200
        except OSError:
            return False

    def start(self, timeout_s: float = 90) -> str:
        """Start the server unless one answers already; wait until /health says OK."""
        if not self.managed:
            raise RuntimeError(
                f"config/{self.config.env}.yaml: mlflow.tracking_uri ({safe_url(self.config.tracking_uri)}) is not an http URL on "
                "loopback with mlflow.backend_store_uri set; mmp starts a tracking server only for that dev setup"
            )
        if self.healthy():
            return f"already running at {self.url}"
        self.state_dir.mkdir(parents=True, exist_ok=True)
        artifacts = self.config.artifact_root
        if artifacts.startswith("file://"):
            artifacts = urlparse(artifacts).path
            Path(artifacts).mkdir(parents=True, exist_ok=True)
        # the backend store URL travels in the child's environment, not its argv, so `ps` never shows it
        env = {**os.environ, "MLFLOW_BACKEND_STORE_URI": self.config.mlflow.backend_store_uri.get_secret_value()}
        # the server's job runner (a dozen huey workers for GenAI jobs) is nothing mmp uses; it triples start-up time
        env.setdefault("MLFLOW_SERVER_ENABLE_JOB_EXECUTION", "false")
        cmd = [sys.executable, "-m", "mlflow", "server", "--host", self.host, "--port", str(self.port),
               "--artifacts-destination", artifacts, "--workers", "1"]  # fmt: skip
        if self.config.mlflow.auth == "basic":
            env["MLFLOW_AUTH_CONFIG_PATH"] = str(self.write_auth_config())
            # the auth app's CSRF key: the env's when set (several servers must share one), else one per start, kept nowhere
            env.setdefault("MLFLOW_FLASK_SERVER_SECRET_KEY", secrets.token_urlsafe(32))
            cmd += ["--app-name", "basic-auth"]
        with open(self.log_file, "ab") as log:
            process = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        self.pid_file.write_text(str(process.pid))
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if process.poll() is not None:
                self.pid_file.unlink(missing_ok=True)
                raise RuntimeError(f"mlflow server exited with code {process.returncode}; see {self.log_file}")
            if self.healthy():
                return f"started at {self.url} (pid {process.pid})"
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"mlflow server did not answer {self.url}/health within {timeout_s:.0f}s; see {self.log_file}")

    def write_auth_config(self) -> Path:
        """`basic_auth.ini` for the auth app: its user store under data_dir, no password (admin's come from the env)."""
        store = self.state_dir / "basic_auth.db"
        if not store.exists() and not os.environ.get("MLFLOW_AUTH_ADMIN_PASSWORD"):
            raise RuntimeError(f"config/{self.config.env}.yaml: mlflow.auth is basic and {store} does not exist yet; set "
                               "MLFLOW_AUTH_ADMIN_PASSWORD (and MLFLOW_AUTH_ADMIN_USERNAME, default admin) for the first admin")
        path = self.state_dir / "basic_auth.ini"
        path.write_text(auth_ini(f"sqlite:///{store.resolve()}", cache_ttl_s=self.config.mlflow.auth_cache_ttl_s), encoding="utf-8")
        return path

    def stop(self, timeout_s: float = 20) -> str:
        """Stop the server this project started: its whole process group (the server and its workers)."""
        pid = self.pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return "not running (no live pid file)"
        stop_process_group(pid, timeout_s)
        self.pid_file.unlink(missing_ok=True)
        return f"stopped (pid {pid})"


def auth_ini(database_uri: str, default_permission: str = "READ", cache_ttl_s: int = 0) -> str:
    """The auth app's configuration: users in `database_uri`, every user READ unless granted more, verified
    credentials kept `cache_ttl_s` seconds (the server runs one worker, so an API change reaches it at once); no secret in it."""
    return ("[mlflow]\n"
            f"default_permission = {default_permission}\n"
            f"database_uri = {database_uri}\n"
            "admin_username = admin\n"
            "authorization_function = mlflow.server.auth:authenticate_request_basic_auth\n"
            f"auth_cache_ttl_seconds = {cache_ttl_s}\n")


def stop_process_group(pid: int, timeout_s: float) -> None:
    """SIGTERM the process group led by `pid`, wait up to `timeout_s` for it to exit, then SIGKILL it."""
    os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.2)
    if _alive(pid):
        os.killpg(pid, signal.SIGKILL)


def _alive(pid: int) -> bool:
    try:
        reaped, _ = os.waitpid(pid, os.WNOHANG)  # our own child: reap it so it does not linger as a zombie
        if reaped:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
