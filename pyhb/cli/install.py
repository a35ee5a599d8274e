"""``pyhb install [--prefix-root DIR] [--dry-run] [--force]``: put pyhb's system files in place.

For a pip install (into a venv or the system Python) what the Debian package does itself.
Copies, from the files pyhb carries (``pyhb.shipped.data_root()``: inside the installed
package, or a source checkout):

* ``etc/init.d/heartbeat`` -> /etc/init.d/heartbeat (0755) and
  ``etc/systemd/heartbeat.service`` -> /etc/systemd/system/heartbeat.service, both with
  ``@HEARTBEAT@`` replaced by the installed ``heartbeat`` command's path;
* ``resource.d/*`` -> /etc/ha.d/resource.d/, the agents that run Python set to run this
  install's Python (``PYHB_PYTHON`` still overrides it);
* ``etc/logrotate.d/heartbeat`` -> /etc/logrotate.d/heartbeat;
* ``man/*.N`` -> /usr/local/share/man/manN/;
* the samples ``etc/ha.d/{ha.cf,haresources,authkeys}`` -> /etc/ha.d/ (authkeys 0600);
* symlinks /usr/share/heartbeat/hb_standby and hb_takeover -> the console scripts.

Nothing that exists is ever overwritten: every skipped path is reported. ``--force``
replaces only the init script and the unit (files pyhb owns), never resource scripts or
configuration. ``--prefix-root`` installs below another root (tests, images).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from pyhb import shipped

SAMPLES = ("ha.cf", "haresources", "authkeys")
PLACEHOLDER = "@HEARTBEAT@"
AGENT_PYTHON = "${PYHB_PYTHON:-python3}"
MAN_DIR = Path("usr/local/share/man")


@dataclass(frozen=True, slots=True)
class Item:
    """One file to put in place."""

    dest: Path  # relative to the root, e.g. etc/init.d/heartbeat
    source: Path | None = None  # copy from here...
    text: str | None = None  # ...or write this text
    link_to: str | None = None  # ...or make this symlink
    mode: int = 0o644
    owned: bool = False  # pyhb's own file: --force may replace it


def command_path(name: str) -> str:
    """Where the console script ``name`` is installed (next to this Python, else on PATH)."""
    beside = Path(sys.executable).parent / name
    if beside.is_file():
        return str(beside)
    return shutil.which(name) or f"/usr/local/bin/{name}"


def plan(src: Path) -> list[Item]:
    """Everything ``install`` would put in place, in order."""
    daemon = command_path("heartbeat")
    init = (src / "etc/init.d/heartbeat").read_text(encoding="utf-8").replace(PLACEHOLDER, daemon)
    items = [Item(Path("etc/init.d/heartbeat"), text=init, mode=0o755, owned=True)]
    unit = src / "etc/systemd/heartbeat.service"
    if unit.is_file():
        text = unit.read_text(encoding="utf-8").replace(PLACEHOLDER, daemon)
        items.append(Item(Path("etc/systemd/system/heartbeat.service"), text=text, owned=True))
    rdir = src / "resource.d"
    if rdir.is_dir():
        for script in sorted(p for p in rdir.iterdir() if p.is_file()):
            mode = 0o755 if os.access(script, os.X_OK) else 0o644
            dest = Path("etc/ha.d/resource.d") / script.name
            body = script.read_bytes()
            python = AGENT_PYTHON.encode()
            if python in body:
                own = f"${{PYHB_PYTHON:-{sys.executable}}}".encode()
                text = body.replace(python, own).decode("utf-8")
                items.append(Item(dest, text=text, mode=mode))
            else:
                items.append(Item(dest, source=script, mode=mode))
    logrotate = src / "etc/logrotate.d/heartbeat"
    if logrotate.is_file():
        items.append(Item(Path("etc/logrotate.d/heartbeat"), source=logrotate))
    mdir = src / "man"
    if mdir.is_dir():
        for page in sorted(p for p in mdir.iterdir() if p.is_file() and p.suffix[1:].isdigit()):
            items.append(Item(MAN_DIR / f"man{page.suffix[1:]}" / page.name, source=page))
    for name in SAMPLES:
        sample = src / "etc/ha.d" / name
        if sample.is_file():
            mode = 0o600 if name == "authkeys" else 0o644
            items.append(Item(Path("etc/ha.d") / name, source=sample, mode=mode))
    for tool in ("hb_standby", "hb_takeover"):
        items.append(Item(Path("usr/share/heartbeat") / tool, link_to=command_path(tool)))
    return items


def _exists(path: Path) -> bool:
    return path.exists() or path.is_symlink()


def apply(item: Item, root: Path, *, dry_run: bool, force: bool) -> str:
    """Install one item; returns the line to report."""
    dest = root / item.dest
    if _exists(dest) and not (force and item.owned):
        return f"skipped {dest} (exists)"
    verb = "would install" if dry_run else "installed"
    if item.link_to is not None:
        verb = "would link" if dry_run else "linked"
    if dry_run:
        return f"{verb} {dest}"
    dest.parent.mkdir(parents=True, exist_ok=True)
    if force and _exists(dest):
        dest.unlink()
    if item.link_to is not None:
        dest.symlink_to(item.link_to)
        return f"{verb} {dest} -> {item.link_to}"
    tmp = dest.with_name(f".{dest.name}.pyhb-tmp")
    if item.text is not None:
        tmp.write_text(item.text, encoding="utf-8")
    else:
        assert item.source is not None
        shutil.copyfile(item.source, tmp)
    os.chmod(tmp, item.mode)
    os.replace(tmp, dest)
    return f"{verb} {dest}"


def main(argv: list[str] | None = None) -> int:
    """Install; exit 0, or 1 when the source files cannot be found or a copy fails."""
    parser = argparse.ArgumentParser(prog="pyhb install", description=__doc__.split("\n")[0])
    parser.add_argument("--prefix-root", default="/", help="install below DIR (default /)")
    parser.add_argument("--dry-run", action="store_true", help="only say what would be done")
    parser.add_argument(
        "--force", action="store_true", help="replace an existing init script and unit"
    )
    args = parser.parse_args(argv)
    try:
        src = shipped.data_root()
    except FileNotFoundError as exc:
        print(f"pyhb install: {exc}", file=sys.stderr)
        return 1
    root = Path(args.prefix_root)
    rc = 0
    for item in plan(src):
        try:
            print(apply(item, root, dry_run=args.dry_run, force=args.force))
        except OSError as exc:
            print(f"pyhb install: {root / item.dest}: {exc.strerror or exc}", file=sys.stderr)
            rc = 1
    return rc


if __name__ == "__main__":
    sys.exit(main())
