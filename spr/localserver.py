"""The local Neo4j Community server the register installs and runs itself (no Docker needed).

Maven resolves the server's modules from Maven Central with strict checksum checks (the same modules the
official standalone distribution is assembled from; Central does not carry that tar.gz) into
``<neo4j_dir>/dist/<version>/lib``. Each *instance* is a Neo4j home of its own (conf, data, logs, run,
password) started with the distribution's own launcher, ``org.neo4j.server.startup.Neo4jBoot``. The
default instance is ``main`` on 127.0.0.1:7687; tests create throwaway instances on free ports.

Status never trusts the pid file alone: it checks that the process exists, is this instance's Neo4j, and
that Bolt answers, so it stays truthful after the server was killed with -9.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

POM_RESOURCE = "neo4j-server-pom.xml"
VERSION_POM_RESOURCE = "neo4j-version-pom.xml"
SERVER_CLASS = "org.neo4j.server.CommunityEntryPoint"
BOOT_CLASS = "org.neo4j.server.startup.Neo4jBoot"
ADMIN_CLASS = "org.neo4j.cli.AdminTool"

# JVM flags the official distribution's neo4j.conf ships with (server.jvm.additional).
JVM_ADDITIONAL = [
    "-XX:+UseG1GC",
    "-XX:-OmitStackTraceInFastThrow",
    "-XX:+AlwaysPreTouch",
    "-XX:+UnlockExperimentalVMOptions",
    "-XX:+TrustFinalNonStaticFields",
    "-XX:+DisableExplicitGC",
    "-Djdk.nio.maxCachedBufferSize=1024",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-Djdk.tls.ephemeralDHKeySize=2048",
    "-Djdk.tls.rejectClientInitiatedRenegotiation=true",
    "-XX:FlightRecorderOptions=stackdepth=256",
    "-XX:+UnlockDiagnosticVMOptions",
    "-XX:+DebugNonSafepoints",
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "-Dlog4j2.disable.jmx=true",
]


class LocalServerError(RuntimeError):
    """Something about the local server is wrong; the message says what and how to fix it."""


@dataclass(frozen=True)
class ServerStatus:
    name: str
    installed: bool
    version: str | None
    configured: bool
    running: bool
    pid: int | None
    bolt_port: int | None
    bolt_answers: bool
    stale_pid_file: bool
    home: Path

    @property
    def summary(self) -> str:
        if not self.installed:
            return "not installed"
        if not self.configured:
            return "installed, instance not created"
        if self.running and self.bolt_answers:
            return f"running (pid {self.pid}, bolt 127.0.0.1:{self.bolt_port})"
        if self.running:
            return f"starting or not answering (pid {self.pid}, bolt 127.0.0.1:{self.bolt_port})"
        if self.stale_pid_file:
            return "stopped (the last process ended without a clean shutdown)"
        return "stopped"


# ---------------------------------------------------------------------------------------------------
# Installation


def dist_root(neo4j_dir: Path) -> Path:
    return neo4j_dir / "dist"


def installed_version(neo4j_dir: Path) -> str | None:
    current = dist_root(neo4j_dir) / "current"
    if not current.is_file():
        return None
    version = current.read_text().strip()
    lib = dist_root(neo4j_dir) / version / "lib"
    if not (lib / f"neo4j-server-{version}.jar").is_file():
        return None
    return version


def lib_dir(neo4j_dir: Path) -> Path:
    version = installed_version(neo4j_dir)
    if version is None:
        raise LocalServerError("Neo4j is not installed: run `spr neo4j install` (or `make neo4j`)")
    return dist_root(neo4j_dir) / version / "lib"


def check_java() -> str:
    java = shutil.which("java")
    if java is None:
        raise LocalServerError("Java 17 or 21 is needed to run Neo4j 5.26 and `java` is not on PATH")
    out = subprocess.run([java, "-version"], capture_output=True, text=True).stderr
    m = re.search(r'version "(\d+)', out)
    if not m or int(m.group(1)) < 17:
        raise LocalServerError(f"Neo4j 5.26 needs Java 17 or newer; found: {out.splitlines()[:1]}")
    return java


def install(neo4j_dir: Path, version_spec: str, *, force: bool = False, log: Callable[[str], None] = print) -> str:
    """Resolve the Neo4j server from Maven Central into neo4j_dir/dist/<version>/lib; return the version.

    Maven runs with --strict-checksums, so a download whose SHA-1 does not match the checksum Central
    publishes fails the install. A SHA256SUMS file records what was installed for later audits.
    """
    check_java()
    if not force and (version := installed_version(neo4j_dir)) and version_matches(version, version_spec):
        log(f"Neo4j {version} already installed in {dist_root(neo4j_dir) / version}")
        return version
    build = neo4j_dir / "build"
    shutil.rmtree(build, ignore_errors=True)
    build.mkdir(parents=True)
    wanted = version_spec.strip()
    if wanted[:1] in "[(":
        log(f"Finding the newest Neo4j in {wanted} on Maven Central ...")
        listing = build / "resolved.txt"
        _mvn(
            build,
            VERSION_POM_RESOURCE,
            wanted,
            ["dependency:list", "-DexcludeTransitive=true", f"-DoutputFile={listing}"],
        )
        m = re.search(r"org\.neo4j\.app:neo4j-server:pom:([\w.\-]+)", listing.read_text())
        if not m:
            raise LocalServerError(f"Maven resolved no Neo4j version in {wanted}")
        wanted = m.group(1)
        if not force and installed_version(neo4j_dir) == wanted:
            log(f"Neo4j {wanted} (newest in {version_spec}) already installed")
            shutil.rmtree(build, ignore_errors=True)
            return wanted
    staging = build / "lib"
    staging.mkdir()
    log(f"Resolving Neo4j Community {wanted} from Maven Central (checksums verified) ...")
    _mvn(build, POM_RESOURCE, wanted, ["dependency:copy-dependencies", f"-DoutputDirectory={staging}"])
    version = wanted
    if not (staging / f"neo4j-server-{version}.jar").is_file():
        raise LocalServerError(f"Maven finished but neo4j-server-{version}.jar was not resolved")
    sums = [f"{hashlib.sha256(j.read_bytes()).hexdigest()}  {j.name}" for j in sorted(staging.glob("*.jar"))]
    (staging / "SHA256SUMS").write_text("\n".join(sums) + "\n")
    target = dist_root(neo4j_dir) / version
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    staging.rename(target / "lib")
    (dist_root(neo4j_dir) / "current").write_text(version + "\n")
    shutil.rmtree(build, ignore_errors=True)
    log(f"Installed Neo4j Community {version} ({len(sums)} jars) in {target}")
    return version


def _mvn(build: Path, pom_resource: str, version: str, goals: list[str]) -> None:
    mvn = shutil.which("mvn")
    if mvn is None:
        raise LocalServerError("Maven (`mvn`) is needed to install Neo4j from Maven Central; install it first")
    pom = build / pom_resource
    pom.write_text(resources.files("spr.resources").joinpath(pom_resource).read_text())
    cmd = [mvn, "-B", "-q", "--strict-checksums", "-f", str(pom), f"-Dneo4j.version={version}", *goals]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
        raise LocalServerError(f"Maven could not resolve Neo4j {version}:\n{tail}")


def version_matches(version: str, spec: str) -> bool:
    """True when an installed version satisfies a version or a Maven range like [5.26.0,5.27.0)."""
    m = re.fullmatch(r"([\[(])([\d.]*),([\d.]*)([\])])", spec.strip())
    if not m:
        return version == spec.strip()

    def key(v: str) -> tuple[int, ...]:
        return tuple(int(p) for p in v.split(".") if p.isdigit())

    lo_incl, lo, hi, hi_incl = m.group(1) == "[", m.group(2), m.group(3), m.group(4) == "]"
    v = key(version)
    if lo and (v < key(lo) or (v == key(lo) and not lo_incl)):
        return False
    return not (hi and (v > key(hi) or (v == key(hi) and not hi_incl)))


# ---------------------------------------------------------------------------------------------------
# Sizing


def total_memory_bytes() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        return 8 * 1024**3


def default_memory(throwaway: bool) -> tuple[str, str]:
    """Heap and page cache for this machine: about a quarter of memory each, within sane bounds.

    Throwaway (test) instances stay small so several can run beside the rest of the machine's work.
    """
    if throwaway:
        return "1g", "512m"
    mib = total_memory_bytes() // (1024 * 1024)
    heap = max(512, min(mib // 4, 8 * 1024))
    pagecache = max(256, min(mib // 4, 16 * 1024))
    return f"{heap}m", f"{pagecache}m"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ---------------------------------------------------------------------------------------------------
# Instances


class Instance:
    """One Neo4j home: conf/, data/, logs/, run/, import/ and its password file."""

    def __init__(self, neo4j_dir: Path, name: str = "main", home: Path | None = None) -> None:
        self.neo4j_dir = neo4j_dir
        self.name = name
        self.home = home or neo4j_dir / "instances" / name

    # paths
    @property
    def conf_dir(self) -> Path:
        return self.home / "conf"

    @property
    def conf_file(self) -> Path:
        return self.conf_dir / "neo4j.conf"

    @property
    def pid_file(self) -> Path:
        return self.home / "run" / "neo4j.pid"

    @property
    def password_file(self) -> Path:
        return self.home / "password"

    @property
    def import_dir(self) -> Path:
        return self.home / "import"

    @property
    def configured(self) -> bool:
        return self.conf_file.is_file() and self.password_file.is_file()

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update({"NEO4J_HOME": str(self.home), "NEO4J_CONF": str(self.conf_dir)})
        env.pop("JAVA_OPTS", None)
        return env

    def classpath(self) -> str:
        return f"{lib_dir(self.neo4j_dir)}/*"

    # configuration
    def bolt_port(self) -> int | None:
        if not self.conf_file.is_file():
            return None
        m = re.search(r"^server\.bolt\.listen_address=.*:(\d+)\s*$", self.conf_file.read_text(), re.M)
        return int(m.group(1)) if m else None

    def password(self) -> str:
        if not self.password_file.is_file():
            raise LocalServerError(
                f"No password file for the local Neo4j instance '{self.name}': run `spr neo4j start`"
            )
        return self.password_file.read_text().strip()

    def bolt_uri(self, scheme: str = "neo4j") -> str:
        return f"{scheme}://127.0.0.1:{self.bolt_port()}"

    def configure(
        self, *, port: int, heap: str | None = None, pagecache: str | None = None, throwaway: bool = False
    ) -> None:
        """Write neo4j.conf and, on first use, generate the password (0600) and set it in the DBMS."""
        d_heap, d_pc = default_memory(throwaway)
        heap, pagecache = heap or d_heap, pagecache or d_pc
        for sub in ("conf", "data", "logs", "run", "import", "plugins"):
            (self.home / sub).mkdir(parents=True, exist_ok=True)
        lib_link = self.home / "lib"
        target = lib_dir(self.neo4j_dir)
        if (lib_link.is_symlink() or lib_link.exists()) and lib_link.resolve() != target.resolve():
            lib_link.unlink()
        if not lib_link.exists():
            lib_link.symlink_to(target)
        lines = [
            "# Written by `spr neo4j`; edit settings through SPR_NEO4J_* variables, not here.",
            "server.default_listen_address=127.0.0.1",
            "server.default_advertised_address=127.0.0.1",
            f"server.bolt.listen_address=127.0.0.1:{port}",
            f"server.bolt.advertised_address=127.0.0.1:{port}",
            "server.bolt.enabled=true",
            "server.http.enabled=false",
            "server.https.enabled=false",
            "dbms.security.auth_enabled=true",
            f"server.memory.heap.initial_size={heap}",
            f"server.memory.heap.max_size={heap}",
            f"server.memory.pagecache.size={pagecache}",
            f"server.directories.import={self.import_dir}",
            "db.tx_log.rotation.retention_policy=2 days 2G",
            "dbms.usage_report.enabled=false",
            "server.logs.gc.enabled=false",
            *(f"server.jvm.additional={flag}" for flag in JVM_ADDITIONAL),
        ]
        if throwaway:
            lines += ["db.tx_log.preallocate=false", "dbms.memory.transaction.total.max=0"]
        self.conf_file.write_text("\n".join(lines) + "\n")
        if not self.password_file.is_file():
            # Hex: a URL-safe token starts with '-' one time in 64, and neo4j-admin takes that for an option.
            password = secrets.token_hex(24)
            self._admin(["dbms", "set-initial-password", password], check=True)
            fd = os.open(self.password_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(password + "\n")
        os.chmod(self.password_file, 0o600)

    def _admin(self, args: list[str], *, check: bool = False) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [check_java(), "-cp", self.classpath(), ADMIN_CLASS, *args],
            env=self.env(),
            capture_output=True,
            text=True,
        )
        if check and proc.returncode != 0:
            raise LocalServerError(f"neo4j-admin {' '.join(args[:2])} failed: {proc.stderr.strip()[-800:]}")
        return proc

    def admin(self, args: list[str]) -> subprocess.CompletedProcess[str]:
        """Run neo4j-admin for this instance (database import, dump, load, ...)."""
        return self._admin(args)

    # process state
    def _read_pid(self) -> int | None:
        try:
            return int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None

    def _is_our_process(self, pid: int) -> bool:
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            try:
                os.kill(pid, 0)
            except OSError:
                return False
            return True  # no /proc: best effort
        args = [a.decode(errors="replace") for a in cmdline]
        return SERVER_CLASS in args and f"--home-dir={self.home}" in args

    def bolt_answers(self, timeout: float = 2.0) -> bool:
        port = self.bolt_port()
        if port is None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
                # Bolt handshake: magic preamble and four version proposals (5.x).
                s.sendall(bytes.fromhex("6060b017") + bytes.fromhex("00000405") + b"\0" * 12)
                s.settimeout(timeout)
                reply = s.recv(4)
                return len(reply) == 4 and reply != b"\0\0\0\0"
        except OSError:
            return False

    def status(self) -> ServerStatus:
        version = installed_version(self.neo4j_dir)
        pid = self._read_pid()
        alive = pid is not None and self._is_our_process(pid)
        return ServerStatus(
            name=self.name,
            installed=version is not None,
            version=version,
            configured=self.configured,
            running=alive,
            pid=pid if alive else None,
            bolt_port=self.bolt_port(),
            bolt_answers=alive and self.bolt_answers(),
            stale_pid_file=pid is not None and not alive,
            home=self.home,
        )

    def start(self, *, timeout: float = 180.0, log: Callable[[str], None] = print) -> ServerStatus:
        """Start the server if it is not running and wait until Bolt answers. Harmless when running."""
        st = self.status()
        if not st.installed:
            raise LocalServerError("Neo4j is not installed: run `spr neo4j install` first")
        if not st.configured:
            raise LocalServerError(f"Instance '{self.name}' is not configured")
        if st.running:
            if not st.bolt_answers:
                self._wait_for_bolt(st.pid, timeout)
            log(f"Neo4j instance '{self.name}' already running (pid {st.pid})")
            return self.status()
        if st.stale_pid_file:
            self.pid_file.unlink(missing_ok=True)
        port = self.bolt_port()
        # A process that was just killed may still be releasing its socket: give it a moment.
        deadline = time.monotonic() + 15
        while port is not None and _port_in_use(port) and time.monotonic() < deadline:
            time.sleep(0.25)
        if port is not None and _port_in_use(port):
            raise LocalServerError(
                f"Port {port} on 127.0.0.1 is in use by another program; set SPR_NEO4J_BOLT_PORT to a free port"
            )
        proc = subprocess.run(
            [check_java(), "-cp", self.classpath(), BOOT_CLASS, "start"],
            env=self.env(),
            capture_output=True,
            text=True,
        )
        pid = self._read_pid()
        if proc.returncode != 0 or pid is None:
            raise LocalServerError(
                f"Neo4j did not start: {(proc.stdout + proc.stderr).strip()[-800:]}\n"
                f"See {self.home / 'logs' / 'neo4j.log'}"
            )
        self._wait_for_bolt(pid, timeout)
        log(f"Neo4j instance '{self.name}' started (pid {pid}, bolt 127.0.0.1:{port})")
        return self.status()

    def _wait_for_bolt(self, pid: int | None, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if pid is not None and not self._is_our_process(pid):
                log_tail = _tail(self.home / "logs" / "neo4j.log", 20)
                raise LocalServerError(f"Neo4j exited while starting. Last log lines:\n{log_tail}")
            if self.bolt_answers():
                return
            time.sleep(0.5)
        raise LocalServerError(f"Neo4j did not answer on Bolt within {timeout:.0f} s; see {self.home}/logs")

    def stop(self, *, timeout: float = 120.0, log: Callable[[str], None] = print) -> ServerStatus:
        """Stop cleanly (SIGTERM, wait for shutdown); SIGKILL only when the timeout passes."""
        st = self.status()
        if not st.running or st.pid is None:
            self.pid_file.unlink(missing_ok=True)
            log(f"Neo4j instance '{self.name}' is not running")
            return self.status()
        pid = st.pid
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self._is_our_process(pid):
            time.sleep(0.2)
        if self._is_our_process(pid):
            log(f"Neo4j did not stop within {timeout:.0f} s; killing pid {pid}")
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
            while self._is_our_process(pid):
                time.sleep(0.1)
        self.pid_file.unlink(missing_ok=True)
        log(f"Neo4j instance '{self.name}' stopped")
        return self.status()

    def kill(self) -> None:
        """SIGKILL the server (fault-injection tests only)."""
        pid = self._read_pid()
        if pid is not None and self._is_our_process(pid):
            os.kill(pid, signal.SIGKILL)
            while self._is_our_process(pid):
                time.sleep(0.05)

    def destroy(self) -> None:
        self.stop(log=lambda _m: None)
        shutil.rmtree(self.home, ignore_errors=True)


def _port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _tail(path: Path, n: int) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return "(no log)"


def main_instance(neo4j_dir: Path) -> Instance:
    return Instance(neo4j_dir, "main")


def throwaway_instance(neo4j_dir: Path, home: Path) -> Instance:
    """A fresh instance on a free port with its own data folder (tests, restore checks)."""
    inst = Instance(neo4j_dir, name=home.name, home=home)
    inst.configure(port=free_port(), throwaway=True)
    return inst
