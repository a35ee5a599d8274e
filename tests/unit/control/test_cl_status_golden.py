"""cl_status against the verbatim outputs of the real 3.0.6 tool (tests/data/cli/)."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import pytest

from pyhb.cli import cl_status
from pyhb.core.snapshot import Snapshot

from .conftest import FakeTarget, ServerThread, node, snapshot

DATA = Path(__file__).resolve().parents[2] / "data" / "cli"
HBVERSION = "3.0.6 (node: 958e11be8686759f1b99204c17812f2c2633b169)"
LOG_PREFIX = re.compile(r"^[A-Z][a-z]{2} [ 0-3]\d \d\d:\d\d:\d\d \S+ cl_status: \[\d+\]: ")


@dataclass(frozen=True)
class Case:
    section: str
    host: str
    args: tuple[str, ...]
    code: int
    stdout: str
    stderr: tuple[str, ...]

    @property
    def id(self) -> str:
        return f"{self.section[:28]}|{self.host}|{' '.join(self.args)}"


def _parse_plain(text: str) -> list[Case]:
    cases: list[Case] = []
    section = ""
    cur: dict[str, object] | None = None

    def flush() -> None:
        if cur is not None:
            cases.append(Case(**cur))  # type: ignore[arg-type]

    for line in text.splitlines():
        if line.startswith("########## "):
            flush()
            cur, section = None, line[11:]
        elif m := re.match(r"^\[(\w+)\]\$ (.*?)\s+-> exit (\d+)$", line):
            flush()
            words = shlex.split(m.group(2))
            cur = None
            if words[0] == "cl_status":
                cur = {
                    "section": section,
                    "host": m.group(1),
                    "args": tuple(words[1:]),
                    "code": int(m.group(3)),
                    "stdout": "",
                    "stderr": (),
                }
        elif (m := re.match(r"^  (stdout|stderr) \|(.*)\|$", line)) and cur is not None:
            if m.group(1) == "stdout":
                cur["stdout"] = f"{cur['stdout']}{m.group(2)}\n"
            else:
                cur["stderr"] = (*cur["stderr"], m.group(2))  # type: ignore[misc]
    flush()
    return cases


def _parse_verbose(text: str) -> list[Case]:
    cases = []
    for block in re.split(r"\n(?=\[)", text.strip()):
        lines = block.splitlines()
        host, cmd = re.match(r"^\[(\w+)\]\$ (.*)$", lines[0]).groups()  # type: ignore[union-attr]
        out = "".join(f"{ln[3:-1]}\n" for ln in lines[1:-1])
        code = int(lines[-1].split()[-1])
        cases.append(
            Case("verbose, steady state", host, tuple(shlex.split(cmd)[1:]), code, out, ())
        )
    return cases


CASES = _parse_plain((DATA / "cl_status.txt").read_text()) + _parse_verbose(
    (DATA / "cl_status_verbose.txt").read_text()
)


def state_for(section: str, host: str) -> Snapshot | None:
    """The cluster state each capture section was taken in, as seen on ``host``."""
    other = "b" if host == "a" else "a"
    both_up = (node("b"), node("a"))
    if "not started" in section or "started 2 s ago" in section:
        return None
    if "killed -9" in section and host == "a":
        return None
    if "steady state" in section:
        return snapshot(host, both_up, "local", hbversion=HBVERSION)
    if "during hb_standby" in section:
        return snapshot(host, both_up, "transition" if host == "b" else "none")
    if "after hb_standby settled" in section:
        return snapshot(host, both_up, "all" if host == "b" else "none")
    if "link of a cut" in section or "killed -9" in section:
        nodes = tuple(node(n) if n == host else node(n, "dead", "dead") for n in ("b", "a"))
        assert other in {n.name for n in nodes}
        return snapshot(host, nodes, "all")
    raise AssertionError(f"no state for section {section!r}")


def _normalise(line: str) -> str:
    return LOG_PREFIX.sub("<log> ", line)


@pytest.mark.parametrize("case", [c for c in CASES if "as user" not in c.section], ids=Case.id.fget)
def test_cl_status_output_matches_real_heartbeat(
    case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every captured sub-command prints the same stdout, stderr and exit code as 3.0.6."""
    state = state_for(case.section, case.host)
    if state is None:
        rc = cl_status.main(["--run-dir", str(tmp_path / "nothing-here"), *case.args])
    else:
        with ServerThread(tmp_path / "run", FakeTarget(snap=state)) as st:
            rc = cl_status.main(["--run-dir", str(st.run_dir), *case.args])
    out, err = capsys.readouterr()
    assert out == case.stdout
    assert [_normalise(x) for x in err.splitlines()] == [_normalise(x) for x in case.stderr]
    assert rc == case.code


def test_golden_files_cover_every_state() -> None:
    """The capture parser finds all 69 cl_status runs in 9 states (guards the parser)."""
    assert len(CASES) == 69
    assert len({c.section for c in CASES}) == 9
