"""The shared deployment's servers and processes for its tests (tests/test_shared_deployment.py):
a real PostgreSQL and a real Redis on loopback, each started as its own system user on a free
port, then a dagster-daemon and two Celery workers with deploy/shared/ as it is, the same commands
README "Shared deployment" gives. Every process is stopped at the end, by its own process group."""

from __future__ import annotations

import glob
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from overgang.settings import PROJECT_DIR
from overgang.tenants import TENANTS_ENV
from tests.cli import child_env

SHARED = PROJECT_DIR / "deploy" / "shared"
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _postgres_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise RuntimeError("PostgreSQL is not installed (initdb); .ci/run installs it: apt-get install postgresql")
    return Path(found[-1]).parent


def _wait(what: str, ready, proc: subprocess.Popen | None = None, timeout: float = 60) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if ready():
            return
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what} stopped at start (exit {proc.returncode})")
        time.sleep(0.1)
    raise RuntimeError(f"{what} was not ready within {timeout} s")


def _stop(proc: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 20) -> None:
    """Stop the process group `proc` leads (it was started in a session of its own)."""
    if proc.poll() is None:
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
    # A worker's pool children live in its group too.
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)


@dataclass
class Servers:
    postgres_url: str  # for psycopg2.connect
    dagster_postgres_url: str  # for dagster-postgres (SQLAlchemy, with the driver)
    broker_url: str
    folder: Path
    redis_port: int
    redis_cmd: list[str] = field(default_factory=list)
    redis: subprocess.Popen | None = None
    postgres_cmd: list[str] = field(default_factory=list)
    postgres_isready: list[str] = field(default_factory=list)
    postgres_stop_cmd: list[str] = field(default_factory=list)
    postgres: subprocess.Popen | None = None

    def start_postgres(self) -> None:
        # Its log beside its data (postgres.log): what it said of a shutdown or a refused client.
        with (self.folder / "postgres.log").open("ab") as log:
            self.postgres = subprocess.Popen(self.postgres_cmd, start_new_session=True, stdout=log, stderr=log)
        _wait("postgres", lambda: subprocess.run(self.postgres_isready).returncode == 0, self.postgres)

    def stop_postgres(self) -> None:
        """A fast shutdown (pg_ctl -m fast: open sessions are ended, their transactions rolled back),
        waited for. Not a signal to the group: `runuser` would answer it with SIGTERM to the server
        and SIGKILL 2 s later, a crash rather than a shutdown. `start_postgres` brings it back on
        the same data folder and port."""
        assert self.postgres is not None
        subprocess.run(self.postgres_stop_cmd, check=True, capture_output=True, timeout=60)
        _stop(self.postgres)  # runuser, ended with its server

    def start_redis(self) -> None:
        self.redis = subprocess.Popen(self.redis_cmd, start_new_session=True, stdout=subprocess.DEVNULL)
        _wait("redis-server", self.redis_ready, self.redis)

    def restart_redis(self) -> None:
        assert self.redis is not None
        _stop(self.redis)
        self.start_redis()

    def redis_ready(self) -> bool:
        with socket.socket() as s:
            s.settimeout(0.5)
            try:
                s.connect(("127.0.0.1", self.redis_port))
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
            except OSError:
                return False


@contextmanager
def servers() -> Iterator[Servers]:
    """PostgreSQL (as the user postgres) and Redis (as the user redis), loopback only, free ports,
    their files in a fresh folder they own; both stopped and the folder removed afterwards."""
    pg_bin = _postgres_bin()
    folder = Path(tempfile.mkdtemp(prefix="overgang-shared-"))
    folder.chmod(0o755)
    data, redis_dir = folder / "pg", folder / "redis"
    data.mkdir()
    redis_dir.mkdir()
    shutil.chown(data, "postgres", "postgres")
    shutil.chown(redis_dir, "redis", "redis")
    as_postgres = ["runuser", "-u", "postgres", "--"]
    subprocess.run(
        [
            *as_postgres,
            str(pg_bin / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "--auth=trust",
            "--no-sync",
            "-E",
            "UTF8",
        ],
        check=True,
        capture_output=True,
    )
    pg_port, redis_port = free_port(), free_port()
    box = Servers(
        postgres_url=f"postgresql://postgres@127.0.0.1:{pg_port}/overgang",
        dagster_postgres_url=f"postgresql+psycopg2://postgres@127.0.0.1:{pg_port}/overgang",
        broker_url=f"redis://127.0.0.1:{redis_port}/0",
        folder=folder,
        redis_port=redis_port,
        postgres_cmd=[
            *as_postgres,
            str(pg_bin / "postgres"),
            "-D",
            str(data),
            "-p",
            str(pg_port),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            f"unix_socket_directories={data}",
            "-c",
            "fsync=off",
            "-c",
            "max_connections=200",
        ],
        postgres_isready=[str(pg_bin / "pg_isready"), "-h", "127.0.0.1", "-p", str(pg_port), "-q"],
        postgres_stop_cmd=[*as_postgres, str(pg_bin / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
        redis_cmd=[
            *["runuser", "-u", "redis", "--"],
            "redis-server",
            *["--port", str(redis_port), "--bind", "127.0.0.1", "--dir", str(redis_dir)],
            # Persistent, as a broker and result backend must be: a restarted Redis without its
            # file forgets the state of a running run's task, and the daemon's run monitoring then
            # takes the run for dead and fails it while its worker still writes the tenant's files.
            *["--save", "", "--appendonly", "yes", "--appendfsync", "always"],
        ],
    )
    try:
        box.start_postgres()
        subprocess.run(
            [
                *as_postgres,
                str(pg_bin / "createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(pg_port),
                "-U",
                "postgres",
                "overgang",
            ],
            check=True,
            capture_output=True,
        )
        box.start_redis()
        yield box
    finally:
        if box.redis is not None:
            _stop(box.redis)
        if box.postgres is not None:
            _stop(box.postgres, signal.SIGINT)  # fast shutdown
        shutil.rmtree(folder, ignore_errors=True)


@dataclass
class Deployment:
    env: dict[str, str]
    dagster_home: Path
    servers: Servers
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    logs: Path | None = None

    def start(self, name: str, *cmd: str) -> subprocess.Popen:
        assert self.logs is not None
        out = (self.logs / f"{name}.log").open("ab")
        proc = subprocess.Popen(
            list(cmd), env=self.env, cwd=PROJECT_DIR, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.processes[name] = proc
        return proc

    def start_worker(self, name: str) -> subprocess.Popen:
        return self.start(
            name,
            str(BIN / "dagster-celery"),
            *["worker", "start", "-A", "dagster_celery.app", "-y", str(SHARED / "celery.yaml"), "-n", name],
            *["--", "--concurrency=1"],
        )

    def stop(self, name: str, sig: int = signal.SIGTERM) -> None:
        _stop(self.processes.pop(name), sig)

    def log(self, name: str) -> str:
        assert self.logs is not None
        return (self.logs / f"{name}.log").read_text(errors="replace")

    def submit(self, *tenants: str, timeout: float = 180) -> list[str]:
        return self.queue("submit", *tenants, timeout=timeout)

    def queue(self, *args: str, timeout: float = 180) -> list[str]:
        """`python -m pipelines.shared ARGS` (submit, national); the run ids it prints."""
        done = subprocess.run(
            [sys.executable, "-m", "pipelines.shared", *args],
            env=self.env,
            cwd=PROJECT_DIR,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        # The code server the command starts writes its own log lines to the same output.
        return re.findall(r"^[0-9a-f]{8}-[0-9a-f-]{27}$", done.stdout, re.MULTILINE)


@contextmanager
def deployment(box: Servers, folder: Path, tenants_file: Path, **env: str) -> Iterator[Deployment]:
    """deploy/shared/ on `box`: DAGSTER_HOME with its dagster.yaml, the tables made once, then the
    daemon and two workers (w1, w2)."""
    dagster_home = folder / "dagster"
    dagster_home.mkdir(parents=True)
    shutil.copy(SHARED / "dagster.yaml", dagster_home / "dagster.yaml")
    logs = folder / "logs"
    logs.mkdir()
    full_env = child_env(
        DAGSTER_HOME=str(dagster_home),
        OVERGANG_POSTGRES_URL=box.dagster_postgres_url,
        OVERGANG_BROKER_URL=box.broker_url,
        **{TENANTS_ENV: str(tenants_file)},
        PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        **env,
    )
    # The storage's tables, made by one process before the daemon and the workers open it at once.
    subprocess.run(
        [sys.executable, "-c", "from dagster import DagsterInstance; DagsterInstance.get().dispose()"],
        env=full_env,
        check=True,
        timeout=120,
    )
    dep = Deployment(env=full_env, dagster_home=dagster_home, servers=box, logs=logs)
    try:
        dep.start("daemon", str(BIN / "dagster-daemon"), "run", "-w", str(SHARED / "workspace.yaml"))
        dep.start_worker("w1")
        dep.start_worker("w2")
        yield dep
    finally:
        # Killed, not shut down: the daemon's orderly stop takes about 5 s (its threads, its code
        # server), and everything it would tidy is thrown away with the servers' folder.
        for name in list(dep.processes):
            dep.stop(name, signal.SIGKILL)
