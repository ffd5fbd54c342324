"""The `make bench` table: every bench adds its figures with `bench_table.add(...)`, and one
table prints at the end of the session, each rate beside its ratio to pgbench TPS.

Absolute figures move with the machine and its load; pgbench (TPC-B, scale 10, 2 clients) run
on a scratch database at the start and at the end of the same session is the anchor the
issue's goals are stated against (issue 13: the sweeps at >= 0.25 x pgbench TPS)."""

import os
import platform
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
PGBENCH_SECONDS = int(os.environ.get("PAYDESK_PGBENCH_SECONDS", "10"))


@dataclass
class Row:
    name: str
    value: float
    unit: str
    goal: str


@dataclass
class BenchTable:
    rows: list[Row] = field(default_factory=list)
    tps: list[float] = field(default_factory=list)

    def add(self, name: str, value: float, unit: str, goal: str = "") -> None:
        """One figure. A rate (`unit` ending in "/s") prints its ratio to pgbench TPS; a
        latency in ms prints how many pgbench transactions fit in it."""
        self.rows.append(Row(name, value, unit, goal))

    @property
    def anchor(self) -> float | None:
        return sum(self.tps) / len(self.tps) if self.tps else None

    def ratio(self, row: Row) -> str:
        if not self.anchor:
            return "-"
        if row.unit.endswith("/s"):
            return f"{row.value / self.anchor:.3f}"
        if row.unit == "ms":
            return f"= {row.value * self.anchor / 1000:.0f} txn"
        return "-"


_TABLE = BenchTable()
_COMMITS = {"synchronous_commit": "not read"}


@pytest.fixture(scope="session", autouse=True)
def like_production(django_db_blocker):
    """The suite commits without waiting for the disk and connects for each use
    (config/test_settings); a benchmark measures what production does, in this process and in
    the sweeps it starts as children: durable commits, connections kept open (a sweep's
    follow-up task otherwise closed its connection, and the next statement opened another).
    The commit setting its connections run with prints above the table."""
    from django.conf import settings
    from django.db import connection, connections

    os.environ["PAYDESK_TEST_LIKE_PRODUCTION"] = "1"
    settings.DATABASES["default"].get("OPTIONS", {}).pop("options", None)
    settings.DATABASES["default"]["CONN_MAX_AGE"] = settings.DATABASE_CONN_MAX_AGE
    connections.close_all()
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('synchronous_commit')")
        _COMMITS["synchronous_commit"] = cursor.fetchone()[0]


def _pgbench_tool(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    return str(candidates[-1]) if candidates else None


def _pgbench_env() -> tuple[dict[str, str], str] | None:
    url = urlsplit(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/paydesk"))
    if not url.scheme.startswith("postgres"):
        return None
    env = {**os.environ, "PGHOST": url.hostname or "127.0.0.1", "PGPORT": str(url.port or 5432)}
    env["PGUSER"] = url.username or "postgres"
    if url.password:
        env["PGPASSWORD"] = url.password
    scratch = f"{os.environ.get('PAYDESK_TEST_DB', 'test_paydesk')}_pgbench"
    return env, scratch


def _run_pgbench() -> float | None:
    """TPC-B at scale 10 with 2 clients, for PGBENCH_SECONDS, on a scratch database."""
    pgbench, setup = _pgbench_tool("pgbench"), _pgbench_env()
    if not pgbench or not setup:
        return None
    env, scratch = setup
    psql = _pgbench_tool("psql") or "psql"
    run = dict(env=env, capture_output=True, text=True, check=True)
    subprocess.run([psql, "-d", "postgres", "-c", f'DROP DATABASE IF EXISTS "{scratch}"'], **run)
    subprocess.run([psql, "-d", "postgres", "-c", f'CREATE DATABASE "{scratch}"'], **run)
    try:
        subprocess.run([pgbench, "-i", "-q", "-s", "10", scratch], **run)
        out = subprocess.run(
            [pgbench, "-c", "2", "-j", "2", "-T", str(PGBENCH_SECONDS), scratch], **run
        ).stdout
    finally:
        subprocess.run([psql, "-d", "postgres", "-c", f'DROP DATABASE "{scratch}"'], **run)
    found = re.search(r"tps = ([\d.]+)", out)
    return float(found.group(1)) if found else None


@pytest.fixture(scope="session")
def bench_table():
    """Measure pgbench before the first bench and after the last, around every figure."""
    before = _run_pgbench()
    if before:
        _TABLE.tps.append(before)
    yield _TABLE
    after = _run_pgbench()
    if after:
        _TABLE.tps.append(after)


def _cpu_model() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or "unknown CPU"
    found = re.search(r"model name\s*:\s*(.+)", text)
    return found.group(1).strip() if found else "unknown CPU"


def _commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=False
        ).stdout.strip()

    dirty = " (uncommitted changes)" if git("status", "--porcelain", "--untracked-files=no") else ""
    return (git("rev-parse", "--short", "HEAD") or "unknown") + dirty


def pytest_terminal_summary(terminalreporter) -> None:
    if not _TABLE.rows:
        return
    write = terminalreporter.write_line
    write("")
    write(f"machine: {_cpu_model()}, {os.cpu_count()} cores; commit {_commit()}")
    tps = ", ".join(f"{t:.0f}" for t in _TABLE.tps) or "not measured (no pgbench)"
    anchor = f"{_TABLE.anchor:.0f}" if _TABLE.anchor else "-"
    write(f"pgbench TPC-B scale 10, 2 clients, {PGBENCH_SECONDS} s: {tps} TPS (anchor {anchor})")
    write(f"the benchmarks' connections: synchronous_commit={_COMMITS['synchronous_commit']}")
    width = max(len(row.name) for row in _TABLE.rows)
    write(f"{'figure':<{width}}  {'value':>10} {'unit':<12} {'ratio':>10}  goal")
    for row in _TABLE.rows:
        write(
            f"{row.name:<{width}}  {row.value:>10.1f} {row.unit:<12} "
            f"{_TABLE.ratio(row):>10}  {row.goal}"
        )
