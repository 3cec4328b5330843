"""The lab stops exactly what it recorded, whether or not it leads its own process group."""

import subprocess
import time

from dcctl.lab import process
from dcctl.lab.paths import LabPaths


def test_stop_ends_a_recorded_process_that_is_not_a_group_leader(tmp_path):
    paths = LabPaths(root=tmp_path / "lab", venv=tmp_path / "venv")
    paths.ensure()
    child = subprocess.Popen(["sleep", "60"])  # same process group as the test: killpg would miss it
    ticks = (lambda s: s.rsplit(")", 1)[1].split()[19])(open(f"/proc/{child.pid}/stat").read())
    (paths.run / "exporter.pid").write_text(f"{child.pid} {ticks}\n")
    assert process.pid_of(paths, "exporter") == child.pid
    assert process.stop(paths, "exporter", timeout=5)
    assert child.wait(5) is not None
    assert not (paths.run / "exporter.pid").exists()


def test_stop_leaves_alone_a_process_whose_pid_was_recycled(tmp_path):
    paths = LabPaths(root=tmp_path / "lab", venv=tmp_path / "venv")
    paths.ensure()
    child = subprocess.Popen(["sleep", "60"])
    try:
        (paths.run / "old.pid").write_text(f"{child.pid} 1\n")  # another start time: not ours
        assert process.stop(paths, "old") is False
        time.sleep(0.1)
        assert child.poll() is None
    finally:
        child.kill()
        child.wait()
