"""Planning resource invocations: order, argv shape and timeouts."""

from __future__ import annotations

from pyhb.config.model import ResourceGroup, ResourceRef
from pyhb.resources.plan import (
    Action,
    Timeouts,
    build_invocation,
    in_order,
    ordered,
    plan_group,
)


def _ref(text: str) -> ResourceRef:
    name, *args = text.split("::")
    return ResourceRef(name, tuple(args), text)


GROUP = ResourceGroup(
    node="node1",
    resources=(
        _ref("IPaddr::10.0.0.1/24/eth0"),
        _ref("Filesystem::/dev/sdb1::/data::ext4"),
        _ref("httpd"),
    ),
    key="IPaddr::10.0.0.1/24/eth0",
)


def _paths(ref: ResourceRef) -> str:
    return f"/etc/ha.d/resource.d/{ref.name}"


def test_start_plan_runs_resources_in_listed_order() -> None:
    """start goes left to right over the haresources line."""
    labels = [inv.label for inv in plan_group(GROUP, Action.START, _paths)]
    assert labels == ["IPaddr::10.0.0.1/24/eth0", "Filesystem::/dev/sdb1::/data::ext4", "httpd"]


def test_stop_plan_runs_resources_in_reverse_order() -> None:
    """stop goes right to left."""
    labels = [inv.label for inv in plan_group(GROUP, Action.STOP, _paths)]
    assert labels == ["httpd", "Filesystem::/dev/sdb1::/data::ext4", "IPaddr::10.0.0.1/24/eth0"]


def test_status_order_is_listed_order() -> None:
    """status (like start) keeps the listed order."""
    assert ordered(GROUP, Action.STATUS) == GROUP.resources


def test_groups_of_a_give_stop_last_listed_first() -> None:
    """A take runs the groups as listed, a give from the last-listed one back."""
    other = ResourceGroup("node1", (_ref("httpd"),), "httpd")
    assert in_order((GROUP, other), Action.START) == (GROUP, other)
    assert in_order((GROUP, other), Action.STOP) == (other, GROUP)


def test_argv_puts_arguments_first_and_action_last() -> None:
    """Each ``::`` argument is one argv element, the action comes last."""
    inv = build_invocation("/r/Filesystem", GROUP.resources[1], Action.START)
    assert inv.argv == ("/r/Filesystem", "/dev/sdb1", "/data", "ext4", "start")


def test_argument_with_shell_metacharacters_stays_one_element() -> None:
    """No word splitting or globbing: an argument with blanks and ``;`` is passed verbatim."""
    ref = ResourceRef("x", ("a b;rm -rf *",), "x::a b;rm -rf *")
    assert build_invocation("/r/x", ref, Action.STOP).argv == ("/r/x", "a b;rm -rf *", "stop")


def test_command_text_matches_heartbeat_log_with_and_without_args() -> None:
    """The ``Running`` text is ``PATH ARGS ACTION``, with two blanks when there are no args."""
    with_args = build_invocation("/r/IPaddr", GROUP.resources[0], Action.START)
    no_args = build_invocation("/r/httpd", GROUP.resources[2], Action.START)
    assert with_args.command_text == "/r/IPaddr 10.0.0.1/24/eth0 start"
    assert no_args.command_text == "/r/httpd  start"


def test_default_timeouts_per_action() -> None:
    """start/stop default to 60 s and status to 20 s."""
    t = Timeouts()
    got = {a: build_invocation("/r/x", _ref("x"), a, t).timeout for a in Action}
    assert got == {Action.START: 60.0, Action.STOP: 60.0, Action.STATUS: 20.0}


def test_timeouts_can_be_overridden() -> None:
    """A caller-supplied Timeouts is used for every invocation of the plan."""
    plan = plan_group(GROUP, Action.STOP, _paths, Timeouts(start=1, stop=2.5, status=3))
    assert {inv.timeout for inv in plan} == {2.5}
