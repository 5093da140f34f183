"""Normalising exports: volatile header dropped, garbage and incomplete output refused."""

from __future__ import annotations

import pytest

from devices.backups.normalise import BadExport, normalise

EXPORT = """# 2026-11-23 10:00:00 by RouterOS 7.16.2\r
# software id = ABCD-1234\r
#\r
# model = RB5009UG+S+\r
/ip address\r
add address=192.168.88.1/24 interface=bridge \\\r
    network=192.168.88.0\r
/system identity\r
set name=router-1\r
"""


def test_dated_header_is_dropped_so_two_runs_hash_alike():
    later = EXPORT.replace("2026-11-23 10:00:00", "2026-11-23 16:00:00")
    a, b = normalise(EXPORT), normalise(later)
    assert a.sha256 == b.sha256 and a.text == b.text
    assert a.ros_version == "7.16.2"
    assert "by RouterOS" not in a.text and "\r" not in a.text
    assert a.text.startswith("# software id = ABCD-1234\n")


def test_v6_header_is_recognised():
    text = EXPORT.replace("2026-11-23 10:00:00 by RouterOS 7.16.2", "nov/23/2026 10:00:00 by RouterOS 6.49.13")
    assert normalise(text).ros_version == "6.49.13"


@pytest.mark.parametrize(
    ("raw", "complete", "outcome"),
    [
        ("", True, "empty"),
        ("   \n\n", True, "empty"),
        ("# 2026-11-23 10:00:00 by RouterOS 7.16.2\n# software id = X\n", True, "empty"),
        (EXPORT, False, "truncated"),
        (EXPORT.split("    network")[0], True, "truncated"),
        ("[admin@router-1] > /export\r\n" + EXPORT, True, "shell_noise"),
        ("\x1b[9999B" + EXPORT, True, "shell_noise"),
        ("/ip address\nadd address=1.2.3.4/24 interface=ether1\n", True, "not_export"),
        (EXPORT + "bad command name export (line 1 column 2)\n", True, "device_error"),
        (EXPORT.replace("set name=router-1", "set name=\x00\x01\x02"), True, "garbage"),
    ],
)
def test_incomplete_or_foreign_output_is_refused_with_a_reason(raw, complete, outcome):
    with pytest.raises(BadExport) as caught:
        normalise(raw, complete=complete)
    assert caught.value.outcome == outcome
    assert caught.value.reason
