"""The warehouses the tests build on besides DuckDB: a throwaway PostgreSQL server and a local Spark.

PostgreSQL: Debian's server binaries (initdb, pg_ctl) on a temporary data directory, listening on
a free loopback port only, run as the `postgres` user when the tests run as root (initdb refuses
root). Spark: dbt-spark's `session` method, an in-process PySpark on local Java 17, with its Hive
metastore (Derby) and warehouse in a temporary directory. Both load the raw events into a table,
since on every engine but DuckDB the source is a table named by the events_* vars.
"""

from __future__ import annotations

import csv
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

RAW_COLUMNS = ["event_id", "occurred_at", "user_id", "account_id", "event_type", "properties", "loaded_at"]


def find_postgres_bin() -> Path | None:
    """The newest installed PostgreSQL server's bin directory (Debian layout), or the one on PATH."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if candidates:
        return Path(candidates[-1]).parent
    found = shutil.which("initdb")
    return Path(found).resolve().parent if found else None


def free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PostgresServer:
    """A PostgreSQL server of its own: initdb on a temporary directory, pg_ctl start/stop."""

    user = "engagement"
    dbname = "engagement"

    def __init__(self, bin_dir: Path):
        self.bin_dir = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="engagement-pg-"))
        self.data_dir = self.root / "data"
        self.port = free_loopback_port()
        self.run_as = None
        if os.geteuid() == 0:
            # initdb and postgres refuse to run as root: use the package's service user.
            self.run_as = "postgres"
            entry = pwd.getpwnam(self.run_as)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self.started = False

    def _run(self, *args: str, timeout: int = 120) -> subprocess.CompletedProcess:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if self.run_as:
            command = ["runuser", "-u", self.run_as, "--", *command]
        completed = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=self.root)
        if completed.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed ({completed.returncode}):\n"
                               f"{completed.stdout[-2000:]}\n{completed.stderr[-2000:]}")
        return completed

    def start(self) -> "PostgresServer":
        self._run("initdb", "--pgdata", str(self.data_dir), "--username", self.user, "--auth", "trust",
                  "--encoding", "UTF8", "--locale", "C.UTF-8", "--no-sync")
        options = (f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c TimeZone=UTC")
        self._run("pg_ctl", "--pgdata", str(self.data_dir), "--log", str(self.root / "server.log"),
                  "--options", options, "--wait", "--timeout", "60", "start")
        self.started = True
        connection = self.connect("postgres")
        try:
            connection.autocommit = True
            with connection.cursor() as cursor:
                cursor.execute(f"create database {self.dbname}")
        finally:
            connection.close()
        return self

    def stop(self) -> None:
        try:
            if self.started:
                self._run("pg_ctl", "--pgdata", str(self.data_dir), "--mode", "fast", "--wait", "stop")
                self.started = False
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def log_tail(self) -> str:
        log = self.root / "server.log"
        return log.read_text(errors="replace")[-3000:] if log.exists() else ""

    def connect(self, dbname: str | None = None):
        import psycopg2

        connection = psycopg2.connect(host="127.0.0.1", port=self.port, user=self.user, dbname=dbname or self.dbname)
        return connection

    def env(self) -> dict:
        """The env vars that point the profile's postgres target at this server."""
        return {
            "ENGAGEMENT_POSTGRES_HOST": "127.0.0.1",
            "ENGAGEMENT_POSTGRES_PORT": str(self.port),
            "ENGAGEMENT_POSTGRES_USER": self.user,
            "ENGAGEMENT_POSTGRES_PASSWORD": "",
            "ENGAGEMENT_POSTGRES_DBNAME": self.dbname,
            "ENGAGEMENT_POSTGRES_SSLMODE": "disable",
        }

    def load_raw_events(self, csv_path: Path, schema: str = "raw", table: str = "events") -> None:
        """The raw CSV into a text table, with COPY's CSV rules (an empty unquoted field is null)."""
        connection = self.connect()
        with connection, connection.cursor() as cursor:
            cursor.execute(f"create schema if not exists {schema}")
            cursor.execute(f"drop table if exists {schema}.{table}")
            cursor.execute(f"create table {schema}.{table} ({', '.join(f'{c} text' for c in RAW_COLUMNS)})")
            with csv_path.open(encoding="utf-8") as handle:
                cursor.copy_expert(f"copy {schema}.{table} from stdin with (format csv, header true)", handle)
        connection.close()

    def query(self, sql: str) -> list[tuple]:
        connection = self.connect()
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql)
                return cursor.fetchall()
        finally:
            connection.close()

    def execute(self, sql: str) -> None:
        """Runs statements and commits them (query() reads, and rolls back whatever it ran)."""
        connection = self.connect()
        try:
            with connection, connection.cursor() as cursor:
                cursor.execute(sql)
        finally:
            connection.close()


def wait_for(predicate, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


class LocalSpark:
    """dbt-spark's session method: the SparkSession dbt creates in this process, on a temporary directory.

    The profile's spark target builds the session from ENGAGEMENT_SPARK_DIR; this points that at a
    temporary directory, and reads and loads tables through the same session once dbt has made it.
    """

    def __init__(self):
        self.root = Path(tempfile.mkdtemp(prefix="engagement-spark-"))

    def env(self) -> dict:
        return {"ENGAGEMENT_SPARK_DIR": str(self.root), "ENGAGEMENT_SPARK_METHOD": "session"}

    @staticmethod
    def session():
        """The session dbt created (dbt-spark's session method calls getOrCreate with the profile's settings)."""
        from pyspark import SparkContext
        from pyspark.sql import SparkSession

        if SparkContext._active_spark_context is None:
            raise RuntimeError("no Spark session yet: run a dbt command on the spark target first")
        return SparkSession.builder.getOrCreate()

    def load_raw_events(self, csv_path: Path, schema: str = "raw", table: str = "events") -> None:
        """The raw CSV into a Parquet table of strings, with the same CSV rules as the other engines."""
        from pyspark.sql.types import StringType, StructField, StructType

        spark = self.session()
        with csv_path.open(newline="", encoding="utf-8") as handle:
            rows = [tuple(value if value != "" else None for value in row) for row in csv.reader(handle)][1:]
        frame = spark.createDataFrame(rows, StructType([StructField(c, StringType(), True) for c in RAW_COLUMNS]))
        spark.sql(f"create database if not exists {schema}")
        spark.sql(f"drop table if exists {schema}.{table}")
        frame.coalesce(1).write.format("parquet").mode("overwrite").saveAsTable(f"{schema}.{table}")

    def query(self, sql: str) -> list[tuple]:
        return [tuple(row) for row in self.session().sql(sql).collect()]

    def stop(self) -> None:
        try:
            from pyspark import SparkContext

            if SparkContext._active_spark_context is not None:
                self.session().stop()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
