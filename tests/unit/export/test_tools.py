"""Every exported configuration is accepted by Pacemaker's own tools, and the three output
formats build the same cluster.

- the CIB passes ``crm_verify --xml-file F -V`` with nothing printed;
- the ``pcs -f`` script, run by ``sh`` against an empty CIB file, builds an equivalent CIB
  (pcs starts a Python per command, ~0.7 s here: the script's ``pcs`` is a shim that
  records each command line, then pcs's own ``main`` runs them in order in one process);
- the crmsh text, loaded with ``crm -F configure load update`` into an empty CIB file
  (``CIB_file``: no running cluster), builds an equivalent CIB;
(``corosync -t`` insists on a nodelist naming this machine: the corosync.conf is proven by
the namespace test, tests/integration/test_pacemaker_export.py, which runs corosync on it.)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.unit.export.cases import CASES, build, run_export, semantic

TOOLS = ("crm_verify", "cibadmin", "pcs", "crm")
MISSING = [t for t in TOOLS if shutil.which(t) is None]
pytestmark = pytest.mark.skipif(
    bool(MISSING), reason=f"{', '.join(MISSING)} not installed (scripts/bootstrap installs them)"
)


def _run(argv: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> str:
    proc = subprocess.run(
        argv, capture_output=True, text=True, timeout=120, env=env, cwd=cwd, check=False
    )
    assert proc.returncode == 0, f"{argv}: {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout + proc.stderr


def _exported(confdir: Path, fmt: str) -> str:
    status, out, err = run_export(confdir, "--format", fmt)
    assert status == 0, err
    return out


_RECORD = '#!/bin/sh\nexec {python} -c "{code}" "$@"\n'
_RECORD_CODE = (
    "import json, os, sys; "
    "open(os.environ['PCS_LOG'], 'a').write(json.dumps(sys.argv[1:]) + chr(10))"
)
_REPLAY = """\
import json, sys
import pcs.app
for line in open(sys.argv[1]):
    argv = json.loads(line)
    sys.argv = ["pcs", *argv]
    try:
        pcs.app.main(argv)
    except SystemExit as exc:
        if exc.code not in (0, None):
            sys.exit(f"pcs {' '.join(argv)}: exit {exc.code}")
"""


def _pcs_python() -> str:
    pcs = shutil.which("pcs")
    assert pcs is not None
    first = Path(pcs).read_text().split("\n", 1)[0]
    return first[2:].split()[0] if first.startswith("#!") else "python3"


def _pcs_inputs(case: str, scratch: Path) -> tuple[Path, str, str]:
    """(work dir, pcs script, our CIB) of one case. Exports run in the calling thread:
    ``run_export`` redirects sys.stdout, which two threads at once would mix up."""
    confdir = build(case, scratch)
    return scratch / "pcs", _exported(confdir, "pcs"), _exported(confdir, "cib")


def _pcs_cib(work: Path, script_text: str) -> str:
    """The CIB that running the pcs script ``script_text`` builds (pcs itself replayed)."""
    (work / "bin").mkdir(parents=True)
    shim = work / "bin" / "pcs"
    shim.write_text(_RECORD.format(python=sys.executable, code=_RECORD_CODE))
    shim.chmod(0o755)
    script = work / "build.sh"
    script.write_text(script_text)
    env = {
        **os.environ,
        "CIB": str(work / "cluster.xml"),
        "PCS_LOG": str(work / "pcs.log"),
        "PATH": f"{work / 'bin'}:{os.environ['PATH']}",
    }
    _run(["sh", str(script)], env=env, cwd=work)
    _run([_pcs_python(), "-Es", "-c", _REPLAY, str(work / "pcs.log")], cwd=work)
    return (work / "cluster.xml").read_text()


@pytest.mark.parametrize("case", CASES)
def test_cib_passes_crm_verify_and_crmsh_builds_the_same(case: str, tmp_path: Path) -> None:
    confdir = build(case, tmp_path)
    cib = tmp_path / "cib.xml"
    cib.write_text(_exported(confdir, "cib"))
    proc = subprocess.run(
        ["crm_verify", "--xml-file", str(cib), "-V"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (proc.returncode, proc.stdout + proc.stderr) == (0, ""), proc.stdout + proc.stderr

    crm_text = tmp_path / "config.crm"
    crm_text.write_text(_exported(confdir, "crmsh"))
    loaded = tmp_path / "crm.xml"
    loaded.write_text(_run(["cibadmin", "--empty"]))
    env = {**os.environ, "CIB_file": str(loaded)}
    _run(["crm", "-F", "configure", "load", "update", str(crm_text)], env=env)
    assert semantic(loaded.read_text()) == semantic(cib.read_text())


def test_pcs_scripts_build_the_same_cib(tmp_path: Path) -> None:
    # pcs starts a Python per command (~0.5 s each): the cases run two at a time.
    dirs = [tmp_path / str(i) for i in range(len(CASES))]
    for d in dirs:
        d.mkdir()
    inputs = [_pcs_inputs(case, d) for case, d in zip(CASES, dirs, strict=True)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        built = list(pool.map(_pcs_cib, [w for w, _, _ in inputs], [t for _, t, _ in inputs]))
    for case, (_, _, ours), cib in zip(CASES, inputs, built, strict=True):
        assert semantic(cib) == semantic(ours), case
