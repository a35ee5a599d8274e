"""`pyhb decode` end to end on the captured datagrams."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from pyhb.cli import decode as cli
from pyhb.config.model import AuthKey, AuthMethod

from .capture_data import CAPTURES


def _lines(capsys: pytest.CaptureFixture[str]) -> list[str]:
    return capsys.readouterr().out.splitlines()


def test_decode_verifies_every_packet_of_a_pcap(capsys: pytest.CaptureFixture[str]) -> None:
    """A real gzipped pcap with the right key: one 'auth ok' line per packet, exit 0."""
    assert cli.main(["--key", "sha1:secret", str(CAPTURES / "lifecycle.pcap.gz")]) == 0
    lines = _lines(capsys)
    assert len(lines) == 553
    assert all(line.endswith("  auth ok") for line in lines)
    assert (
        "10.77.0.1:49826 -> 10.77.0.255:694 304B t=status src=a seq=1 st=init dt=1b58" in lines[0]
    )


def test_decode_shows_the_key_fields_of_each_type(capsys: pytest.CaptureFixture[str]) -> None:
    """Lines carry type-specific fields such as dest/firstseq/lastseq and quoted nodelists."""
    assert cli.main(["--key", "sha1:secret", "--inner", str(CAPTURES / "loss.pcap")]) == 0
    out = "\n".join(_lines(capsys))
    assert "t=NS_rexmit src=b dest=a firstseq=44 lastseq=44  inner ok auth ok" in out


def test_decode_reads_jsonl_with_an_authkeys_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A JSON-lines capture verified through an authkeys file exits 0."""
    keys = tmp_path / "authkeys"
    keys.write_text("# rotation\n2 md5 other\nauth 1\n1 sha1 s3cret\n")
    path = CAPTURES / "heartbeat-capture-2node.jsonl"
    assert cli.main(["--authkeys", str(keys), str(path)]) == 0
    lines = _lines(capsys)
    assert len(lines) == 92
    assert "10.77.0.2 -> 10.77.0.1" in "\n".join(lines)


def test_decode_without_keys_reports_auth_unknown(capsys: pytest.CaptureFixture[str]) -> None:
    """Without keys every decodable packet ends with 'auth ?' and the exit status is 0."""
    assert cli.main([str(CAPTURES / "timing-1s-standby.pcap")]) == 0
    assert all(line.endswith("auth ?") for line in _lines(capsys))


def test_decode_fails_on_a_tampered_capture(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One altered payload byte gives 'auth BAD (...)' on that line and exit 1."""
    src = (CAPTURES / "heartbeat-capture-2node.jsonl").read_text().splitlines()
    record = json.loads(src[5])
    payload = bytearray(base64.b64decode(record["payload_b64"]))
    payload[payload.index(b"st=") + 3] ^= 0x20  # st=up -> st=Up
    record["payload_b64"] = base64.b64encode(bytes(payload)).decode()
    src[5] = json.dumps(record)
    tampered = tmp_path / "tampered.jsonl"
    tampered.write_text("\n".join(src) + "\n")
    assert cli.main(["--key", "sha1:s3cret", str(tampered)]) == 1
    lines = _lines(capsys)
    bad = [line for line in lines if "auth BAD" in line]
    assert len(bad) == 1
    assert bad[0].endswith("auth BAD (trailer digest does not match key index 1 (sha1))")
    assert lines.index(bad[0]) == 5


def test_decode_fails_on_undecodable_payloads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A payload that is no heartbeat message is reported 'undecodable' and exits 1."""
    path = tmp_path / "junk.jsonl"
    junk = base64.b64encode(b"hello heartbeat\n").decode()
    path.write_text(json.dumps({"t": 1.5, "src": "x", "dst": "y", "payload_b64": junk}) + "\n")
    assert cli.main([str(path)]) == 1
    assert "undecodable (no message start marker" in capsys.readouterr().out


def test_decode_reports_unreadable_files_and_bad_usage(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A non-capture file exits 1; a bad --key exits 2; no argument exits 2."""
    other = tmp_path / "notes.txt"
    other.write_text("not a capture\n")
    assert cli.main([str(other)]) == 1
    assert cli.main(["--key", "rot13:x", str(other)]) == 2
    assert cli.main([]) == 2
    assert "pyhb decode" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("sha1:secret", AuthKey(1, AuthMethod.SHA1, b"secret")),
        ("md5:An0ther-Key:7", AuthKey(7, AuthMethod.MD5, b"An0ther-Key")),
        ("sha1:a:b", AuthKey(1, AuthMethod.SHA1, b"a:b")),
        ("crc", AuthKey(1, AuthMethod.CRC, b"")),
        ("crc::2", AuthKey(2, AuthMethod.CRC, b"")),
    ],
)
def test_key_option_parses_method_secret_and_index(spec: str, expected: AuthKey) -> None:
    """--key METHOD:SECRET[:INDEX]; a numeric last part is the index."""
    assert cli.parse_key_option(spec) == expected


@pytest.mark.parametrize("spec", ["sha1", "crc:secret", "sha256:x", ""])
def test_key_option_rejects_unusable_keys(spec: str) -> None:
    """Missing secret, a crc secret or an unknown method is a ValueError."""
    with pytest.raises(ValueError):  # noqa: PT011 - the message varies by cause
        cli.parse_key_option(spec)


@pytest.mark.parametrize(
    "text",
    [
        "1 sha1 s3cret\n",
        "auth 2\n1 sha1 s3cret\n",
        "auth 1\n1 sha1\n",
        "auth 1\n1 crc x\n",
        "auth x\n",
    ],
)
def test_authkeys_file_errors_are_value_errors(tmp_path: Path, text: str) -> None:
    """No auth line, an unknown active index, missing/extra key or bad auth line: refused."""
    path = tmp_path / "authkeys"
    path.write_text(text)
    with pytest.raises(ValueError):  # noqa: PT011 - the message varies by cause
        cli.load_authkeys(path)
