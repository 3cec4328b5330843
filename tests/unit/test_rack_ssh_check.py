"""SSH preflight: what the probe prints, parsed; disk levels; host key fingerprints as OpenSSH shows them."""

from __future__ import annotations

import paramiko
import pytest

from dcctl.racks.ssh_check import disk_level, fingerprint, parse_probe


def test_probe_output_is_parsed():
    out = ("Linux 6.1.0-18-amd64 x86_64\n12345.67 40000.00\n0.52 0.40 0.33 1/234 5678\n"
           "Filesystem     1024-blocks    Used Available Capacity Mounted on\n"
           "/dev/vda1       264212084 24688496  81702416      24% /\n")
    probe = parse_probe(out)
    assert probe.uname == "Linux 6.1.0-18-amd64 x86_64"
    assert probe.uptime_seconds == 12345.67 and probe.load == (0.52, 0.40, 0.33)
    assert probe.root_use_percent == 24
    with pytest.raises(ValueError):
        parse_probe("Linux\n")


def test_root_disk_levels():
    assert [disk_level(p) for p in (10, 85, 94, 95)] == ["ok", "warning", "warning", "fail"]


def test_fingerprints_look_like_openssh():
    text = fingerprint(paramiko.RSAKey.generate(1024))
    assert text.startswith("SHA256:") and not text.endswith("=") and len(text) == 7 + 43
