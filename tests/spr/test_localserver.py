"""The local server's life: start, a harmless second start, kill -9, truthful status, clean stop."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from spr.localserver import Instance, default_memory, throwaway_instance, version_matches
from spr.settings import Settings


def test_version_ranges() -> None:
    assert version_matches("5.26.30", "[5.26.0,5.27.0)")
    assert not version_matches("5.27.0", "[5.26.0,5.27.0)")
    assert not version_matches("5.25.9", "[5.26.0,5.27.0)")
    assert version_matches("5.26.3", "5.26.3")


def test_memory_is_sized_for_the_machine() -> None:
    heap, pagecache = default_memory(throwaway=False)
    assert heap.endswith("m") and int(heap[:-1]) >= 512
    assert pagecache.endswith("m") and int(pagecache[:-1]) >= 256


@pytest.mark.slow
def test_lifecycle_and_status_after_kill_9(tmp_path: Path, neo4j_server) -> None:  # type: ignore[no-untyped-def]
    if neo4j_server.instance is None:
        pytest.skip("the project's own server is not in use")
    inst: Instance = throwaway_instance(Settings().neo4j_dir, tmp_path / "lifecycle")
    try:
        conf = inst.conf_file.read_text()
        assert "server.default_listen_address=127.0.0.1" in conf
        assert "dbms.security.auth_enabled=true" in conf
        mode = stat.S_IMODE(inst.password_file.stat().st_mode)
        assert mode == 0o600, oct(mode)
        assert len(inst.password()) >= 24

        assert not inst.status().running
        st = inst.start(log=lambda _m: None)
        assert st.running and st.bolt_answers and st.pid
        again = inst.start(log=lambda _m: None)  # a second start is harmless
        assert again.pid == st.pid

        inst.kill()  # kill -9
        after = inst.status()
        assert not after.running and not after.bolt_answers and after.stale_pid_file
        assert "stopped" in after.summary

        restarted = inst.start(log=lambda _m: None)
        assert restarted.running and restarted.pid != st.pid
        stopped = inst.stop(log=lambda _m: None)
        assert not stopped.running and not stopped.stale_pid_file
    finally:
        inst.destroy()
