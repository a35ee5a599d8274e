"""ResourceRunner with real tiny shell scripts: order, rollback, retries, logging."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from pyhb.agents.base import AgentResult
from pyhb.agents.registry import AgentRegistry, build_registry
from pyhb.config.model import ResourceGroup, ResourceRef
from pyhb.resources.plan import Action
from pyhb.resources.runner import GroupStatus, ResourceRunner

SERVICE = """#!/bin/sh
for a; do act=$a; done
echo "{name} $*" >> "$HA_CALLS"
case $act in
  start) {start} ;;
  stop) {stop} ;;
  status)
    if [ -f "$HA_STATE/{name}" ]; then echo "{name} is running"
    else echo "{name} is stopped"; fi ;;
esac
"""
OK_START = 'touch "$HA_STATE/{name}"'
OK_STOP = 'rm -f "$HA_STATE/{name}"'


def ref(text: str) -> ResourceRef:
    name, *args = text.split("::")
    return ResourceRef(name, tuple(args), text)


def group(*texts: str) -> ResourceGroup:
    refs = tuple(ref(t) for t in texts)
    return ResourceGroup("node1", refs, refs[0].text)


class Env:
    def __init__(self, tmp_path: Path) -> None:
        self.rdir = tmp_path / "resource.d"
        self.rdir.mkdir(mode=0o755)
        self.state = tmp_path / "state"
        self.state.mkdir()
        self.calls = tmp_path / "calls"
        self.calls.touch()

    def service(self, name: str, start: str = OK_START, stop: str = OK_STOP) -> Path:
        body = SERVICE.format(name=name, start=start.format(name=name), stop=stop.format(name=name))
        return self.script(name, body)

    def script(self, name: str, body: str) -> Path:
        p = self.rdir / name
        p.write_text(body)
        p.chmod(0o755)
        return p

    def runner(self, **kw: object) -> ResourceRunner:
        env = {"HA_CALLS": str(self.calls), "HA_STATE": str(self.state)}
        kw.setdefault("builtin_agents", False)
        kw.setdefault("retry_delay", 0.01)
        return ResourceRunner([self.rdir], env, **kw)  # type: ignore[arg-type]

    def call_lines(self) -> list[str]:
        return self.calls.read_text().splitlines()

    def mark_running(self, name: str) -> None:
        (self.state / name).touch()


@pytest.fixture
def env(tmp_path: Path) -> Env:
    return Env(tmp_path)


def _messages(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name.startswith("pyhb.resources")]


@pytest.mark.asyncio
async def test_take_group_checks_status_then_starts_left_to_right(
    env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    """Each resource gets status then start, in listed order, with heartbeat's log lines."""
    for n in ("a", "b", "c"):
        env.service(n)
    caplog.set_level(logging.INFO)
    out = await env.runner().take_group(group("a::x", "b", "c::1::2"))
    assert out.ok
    assert env.call_lines() == [
        "a x status",
        "a x start",
        "b status",
        "b start",
        "c 1 2 status",
        "c 1 2 start",
    ]
    msgs = _messages(caplog)
    assert msgs[0] == "Acquiring resource group: node1 a::x b c::1::2"
    assert f"Running {env.rdir}/a x start" in msgs
    assert f"Running {env.rdir}/b  start" in msgs


@pytest.mark.asyncio
async def test_outcome_steps_carry_increasing_timestamps(env: Env) -> None:
    """Steps are recorded in execution order with monotonic start/finish times."""
    for n in ("a", "b"):
        env.service(n)
    out = await env.runner().take_group(group("a", "b"))
    assert [(s.resource, s.action) for s in out.steps] == [
        ("a", Action.STATUS),
        ("a", Action.START),
        ("b", Action.STATUS),
        ("b", Action.START),
    ]
    times = [t for s in out.steps for t in (s.started, s.finished)]
    assert times == sorted(times)
    assert out.started <= times[0]
    assert times[-1] <= out.finished


@pytest.mark.asyncio
async def test_owned_resource_is_not_started_again(env: Env) -> None:
    """A resource whose status says running is skipped."""
    env.service("a")
    env.service("b")
    env.mark_running("a")
    out = await env.runner().take_group(group("a", "b"))
    assert out.ok
    assert env.call_lines() == ["a status", "b status", "b start"]
    assert out.steps[0].owned is True


@pytest.mark.asyncio
async def test_start_failure_rolls_back_in_reverse_and_reports(
    env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    """On a failing start, the failed resource then those started by this call stop, reversed."""
    env.service("a")
    env.service("b")
    env.service("c", start='echo "disk on fire"; exit 7')
    env.service("d")
    env.mark_running("a")  # held before the call: left alone
    caplog.set_level(logging.INFO)
    out = await env.runner().take_group(group("a", "b", "c", "d"))
    assert out.status is GroupStatus.START_FAILED
    assert (out.failed, out.rc) == ("c", 7)
    assert "disk on fire" in out.output_tail
    assert env.call_lines() == [
        "a status",
        "b status",
        "b start",
        "c status",
        "c start",
        "c stop",
        "b stop",
    ]
    msgs = _messages(caplog)
    assert "Giving up resources due to failure of c" in msgs
    assert f"Return code 7 from {env.rdir}/c" in msgs


@pytest.mark.asyncio
async def test_give_group_stops_right_to_left(env: Env, caplog: pytest.LogCaptureFixture) -> None:
    """givegroup stops in reverse order and logs the release line."""
    for n in ("a", "b", "c"):
        env.service(n)
        env.mark_running(n)
    caplog.set_level(logging.INFO)
    out = await env.runner().give_group(group("a", "b", "c"))
    assert out.ok
    assert env.call_lines() == ["c stop", "b stop", "a stop"]
    assert _messages(caplog)[0] == "Releasing resource group: node1 a b c"


@pytest.mark.asyncio
async def test_failing_stop_is_retried_until_it_succeeds(
    env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    """A stop failing twice is retried, logging heartbeat's retry line each time."""
    fail_twice = (
        'n=$(cat "$HA_STATE/n" 2>/dev/null || echo 0); echo $((n+1)) > "$HA_STATE/n"; '
        '[ "$n" -ge 2 ] || exit 1; rm -f "$HA_STATE/{name}"'
    )
    env.service("a", stop=fail_twice)
    env.mark_running("a")
    caplog.set_level(logging.INFO)
    out = await env.runner().give_group(group("a"))
    assert out.ok
    assert env.call_lines() == ["a stop"] * 3
    assert _messages(caplog).count("Retrying failed stop operation [a]") == 2


@pytest.mark.asyncio
async def test_stop_that_never_succeeds_while_running_is_a_stop_failure(env: Env) -> None:
    """After the retries, a resource still running makes the outcome a stop failure."""
    env.service("a", stop="exit 1")
    env.service("b")
    env.mark_running("a")
    env.mark_running("b")
    out = await env.runner(stop_retries=3).give_group(group("a", "b"))
    assert out.status is GroupStatus.STOP_FAILED
    assert out.still_running == ("a",)
    assert env.call_lines() == ["b stop"] + ["a stop"] * 4 + ["a status"]


@pytest.mark.asyncio
async def test_failing_stop_of_a_stopped_resource_only_warns(
    env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    """Stop failing while status says stopped is heartbeat's 'not LSB-compliant' warning."""
    env.service("a", stop="exit 1")
    caplog.set_level(logging.INFO)
    out = await env.runner(stop_retries=1).give_group(group("a"))
    assert out.ok
    assert "Resource script for a probably not LSB-compliant." in _messages(caplog)


@pytest.mark.asyncio
async def test_missing_script_fails_start_and_reads_as_not_owned(
    env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    """An unlocatable resource is not owned and its start fails with rc 1."""
    caplog.set_level(logging.INFO)
    runner = env.runner()
    assert await runner.is_owned(ref("ghost")) is False
    out = await runner.take_group(group("ghost"))
    assert (out.status, out.failed, out.rc) == (GroupStatus.START_FAILED, "ghost", 1)
    assert "Cannot locate resource script ghost" in _messages(caplog)


@pytest.mark.asyncio
async def test_unsafe_script_is_refused_not_run(env: Env, tmp_path: Path) -> None:
    """A group-writable script is never executed when ownership is enforced."""
    marker = tmp_path / "ran"
    p = env.script("evil", f"#!/bin/sh\ntouch {marker}\n")
    p.chmod(0o777)
    result = await env.runner(enforce_owner=True).run(ref("evil"), Action.START)
    assert result.rc == 1
    assert not marker.exists()


class FakeAgent:
    def __init__(self) -> None:
        self.calls: list[tuple[tuple[str, ...], str]] = []

    async def run(self, args: tuple[str, ...], action: str) -> AgentResult:
        self.calls.append((args, action))
        return AgentResult(0, "INFO:  Running OK\n" if action == "status" else "INFO:  Success\n")


@pytest.mark.asyncio
async def test_builtin_names_run_in_process_not_as_scripts(env: Env, tmp_path: Path) -> None:
    """IPaddr resolves to the in-process agent even when no script of that name exists."""
    base = build_registry(tmp_path)
    fake = FakeAgent()
    agents = AgentRegistry({"IPaddr": fake}, base.garp, base.netlink)
    runner = env.runner(agents=agents)
    result = await runner.run(ref("IPaddr::10.77.0.9/24/eth9"), Action.START)
    assert result.ok
    assert result.in_process
    assert fake.calls == [(("10.77.0.9/24/eth9",), "start")]
    assert await runner.is_owned(ref("IPaddr::10.77.0.9/24/eth9")) is True
    runner.close()


@pytest.mark.asyncio
async def test_heartbeats_stock_wrapper_is_replaced_by_the_builtin_agent(
    env: Env, tmp_path: Path
) -> None:
    """/etc/ha.d/resource.d/IPaddr as the heartbeat package ships it: run in-process."""
    env.script("IPaddr", "#!/bin/sh\n# Description:\twrapper of OCF RA IPaddr, based on ...\n")
    base = build_registry(tmp_path)
    fake = FakeAgent()
    runner = env.runner(agents=AgentRegistry({"IPaddr": fake}, base.garp, base.netlink))
    runner.prepare([group("IPaddr::10.77.0.9/24/eth9")])
    result = await runner.run(ref("IPaddr::10.77.0.9/24/eth9"), Action.START)
    assert result.in_process
    assert fake.calls == [(("10.77.0.9/24/eth9",), "start")]
    runner.close()


@pytest.mark.asyncio
async def test_a_sites_own_script_named_ipaddr_runs_instead_of_the_builtin(
    env: Env, tmp_path: Path
) -> None:
    """A site's own resource.d/IPaddr is not silently replaced: it runs as a script."""
    env.service("IPaddr")
    base = build_registry(tmp_path)
    fake = FakeAgent()
    runner = env.runner(agents=AgentRegistry({"IPaddr": fake}, base.garp, base.netlink))
    runner.prepare([group("IPaddr::10.77.0.9/24/eth9")])
    result = await runner.run(ref("IPaddr::10.77.0.9/24/eth9"), Action.START)
    assert result.ok
    assert not result.in_process
    assert fake.calls == []
    assert env.call_lines() == ["IPaddr 10.77.0.9/24/eth9 start"]
    runner.close()


def test_in_process_arp_trains_follow_the_ipaddr_environment() -> None:
    """OCF_RESKEY_ARP_REPEAT / ARP_INTERVAL_MS (set for the daemon, e.g. in
    /etc/default/heartbeat) shape the built-in agents' trains as they do IPaddr's."""
    from pyhb.agents.arp import GarpPlan

    env = {"OCF_RESKEY_ARP_REPEAT": "3", "OCF_RESKEY_ARP_INTERVAL_MS": "200"}
    runner = ResourceRunner([], env, enforce_owner=False)
    assert runner.agents is not None
    assert runner.agents.garp.plan == GarpPlan(3, 0.2)
    assert ResourceRunner([], {}, enforce_owner=False).agents.garp.plan == GarpPlan()  # type: ignore[union-attr]
