"""Fencing ourselves on a stop failure (``daemon.fence``): the reboot command is chosen
as 3.0.6's ResourceManager does, overridable, started detached, and the daemon ends.

No test here reboots anything: the command is always a script under ``tmp_path`` and
``die`` a recorder instead of SIGKILL of the test process.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from pyhb.config.model import ResourceGroup, ResourceRef
from pyhb.daemon.fence import REBOOT, REBOOT_ENV, SelfFence, reboot_command
from pyhb.resources.runner import ResourceRunner


def test_the_default_reboot_command_is_reboot_nf() -> None:
    assert reboot_command({}) == REBOOT == ("/sbin/reboot", "-nf")


def test_the_reboot_command_is_overridable() -> None:
    env = {REBOOT_ENV: "/usr/local/bin/power-cycle --now 'my node'"}
    assert reboot_command(env) == ("/usr/local/bin/power-cycle", "--now", "my node")
    assert reboot_command({REBOOT_ENV: "  "}) == REBOOT
    # An unbalanced quote is no traceback at start: the words as written, logged.
    assert reboot_command({REBOOT_ENV: "/bin/poweroff 'now"}) == ("/bin/poweroff", "'now")


def _recorder(tmp_path: Path) -> tuple[list[str], Path]:
    out = tmp_path / "rebooted"
    script = tmp_path / "reboot.sh"
    script.write_text(f'#!/bin/sh\necho "$@" > {out}\n')
    script.chmod(0o755)
    return [str(script), "-nf"], out


def test_stop_failure_runs_the_reboot_command_logs_and_dies(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    command, out = _recorder(tmp_path)
    deaths: list[int] = []
    fence = SelfFence(command, die=lambda: deaths.append(1))
    fence.stop_failed("bad")
    fence.stop_failed("bad")  # already fencing: nothing twice
    assert fence.process is not None
    assert fence.process.wait(5) == 0
    assert out.read_text().strip() == "-nf"
    assert deaths == [1]
    text = caplog.text
    assert "Resource STOP failure. Reboot required!" in text
    assert "Resource bad could not be stopped" in text
    assert "Killing heartbeat ungracefully!" in text


def test_a_missing_reboot_command_is_logged_and_the_daemon_still_ends(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    deaths: list[int] = []
    SelfFence([str(tmp_path / "nowhere")], die=lambda: deaths.append(1)).stop_failed("x")
    assert "Unable to force reboot." in caplog.text
    assert deaths == [1]


STUCK = """#!/bin/sh
state={state}
case "$1" in
  start) : > $state;;
  stop) echo "$1" >> {calls}; exit 1;;
  status) [ -e $state ] && echo running || echo stopped;;
esac
exit 0
"""


def test_the_runner_fences_at_the_first_resource_that_will_not_stop(tmp_path: Path) -> None:
    """As 3.0.6's giveupresourcegroup: the reboot comes before the rest of the group is
    stopped (the reboot stops it)."""
    rdir = tmp_path / "resource.d"
    rdir.mkdir()
    calls = tmp_path / "calls"
    stuck = rdir / "stuck"
    stuck.write_text(STUCK.format(state=tmp_path / "stuck.state", calls=calls))
    stuck.chmod(0o755)
    other = rdir / "other"
    other.write_text(f'#!/bin/sh\necho "other $1" >> {calls}\necho stopped\n')
    other.chmod(0o755)
    (tmp_path / "stuck.state").touch()
    fenced: list[tuple[str, list[str]]] = []
    runner = ResourceRunner(
        [rdir], {}, stop_retries=1, retry_delay=0.0, builtin_agents=False, enforce_owner=False
    )
    runner.on_stop_failure = lambda rsc: fenced.append((rsc, calls.read_text().split("\n")))
    refs = (ResourceRef("other", (), "other"), ResourceRef("stuck", (), "stuck"))
    group = ResourceGroup("a", refs, "other")

    async def give() -> None:
        await runner.give_group(group)

    asyncio.run(give())
    # Called once, after the stop and its retry, before "other" was stopped.
    assert fenced == [("stuck", ["stop", "stop", ""])]
