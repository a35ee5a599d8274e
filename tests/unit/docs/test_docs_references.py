"""The documentation is self-contained and agrees with the code.

Code, tests and benchmarks point only at ``docs/`` of this repository, every such pointer
(``docs/FILE.md#anchor``) names a file and a heading or anchor that exist, and the worked
examples of docs/protocol.md decode, verify and sign as the text says, and the files,
classes, methods and functions docs/architecture.md and docs/protocol.md name exist.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from pyhb.config.model import AuthKey, AuthKeys, AuthMethod
from pyhb.core import legacy, ownership
from pyhb.wire.auth import Verifier, token
from pyhb.wire.message import classic_text, decode

ROOT = Path(__file__).resolve().parents[3]
DOCS = ROOT / "docs"
SOURCES = ("pyhb", "tests", "bench", "scripts")

# Pointers to documents that are not part of this repository: numbered sections ("§4.2"),
# numbered quirks ("quirk Q13"), the reference directory and design notes kept beside it.
OUTSIDE = re.compile(
    "|".join(
        (
            "\u00a7",
            r"\bquirk Q\d",
            r"\.\./shared",
            r"shared/spec",
            r"\bDESIGN\b",
            r"heartbeat-3\.0\.6(-observed)?\.md",
        )
    )
)
CODE_LINK = re.compile(r"docs/([\w.-]+\.md)(?:#([\w-]+))?")
DOC_LINK = re.compile(r"\]\(([\w.-]+\.md)?(?:#([\w-]+))?\)")


def _source_files() -> list[Path]:
    files = [ROOT / "pyproject.toml", ROOT / "README.md"]
    for top in SOURCES:
        base = ROOT / top
        if base.is_dir():
            files += [p for p in base.rglob("*") if p.suffix in {".py", ".md", ""} and p.is_file()]
    return [p for p in files if p != Path(__file__).resolve()]


def _text(path: Path) -> str:
    return path.read_bytes().decode("utf-8", errors="replace")


def _slug(heading: str) -> str:
    """The anchor a Markdown renderer (GitHub's rules) gives a heading."""
    text = heading.strip().lower().replace("`", "")
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _anchors(doc: Path) -> set[str]:
    anchors: set[str] = set()
    seen: dict[str, int] = {}
    in_code = False
    for line in _text(doc).splitlines():
        if line.startswith("```"):
            in_code = not in_code
            continue
        if in_code:
            continue
        m = re.match(r"#{1,6} (.+)", line)
        if m:
            slug = _slug(m[1])
            n = seen.get(slug, 0)
            seen[slug] = n + 1
            anchors.add(slug if n == 0 else f"{slug}-{n}")
        anchors.update(re.findall(r'<a id="([\w-]+)"></a>', line))
    return anchors


def test_code_tests_and_benchmarks_point_only_into_this_repository() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for path in _source_files()
        for n, line in enumerate(_text(path).splitlines(), start=1)
        if OUTSIDE.search(line)
    ]
    assert found == []


def test_every_pointer_into_docs_names_an_existing_file_and_anchor() -> None:
    links: list[tuple[str, Path, str | None]] = []
    for path in _source_files():
        for n, line in enumerate(_text(path).splitlines(), start=1):
            for m in CODE_LINK.finditer(line):
                links.append((f"{path.relative_to(ROOT)}:{n}", DOCS / m[1], m[2]))
    for doc in sorted(DOCS.glob("*.md")):
        for n, line in enumerate(_text(doc).splitlines(), start=1):
            for m in DOC_LINK.finditer(line):
                if m[1] or m[2]:
                    links.append((f"docs/{doc.name}:{n}", DOCS / (m[1] or doc.name), m[2]))
    assert len(links) > 30  # the pointers of pyhb/ and between the docs
    broken = [
        f"{where}: {target.name}#{anchor}"
        for where, target, anchor in links
        if not target.is_file() or (anchor is not None and anchor not in _anchors(target))
    ]
    assert broken == []


def test_slugs_follow_the_renderer() -> None:
    assert _slug("Departures from Heartbeat 3.0.6") == "departures-from-heartbeat-306"
    assert _slug("One hb_standby, from the command line to the hand-over") == (
        "one-hb_standby-from-the-command-line-to-the-hand-over"
    )
    assert _slug("`auto_failback` on and off") == "auto_failback-on-and-off"


# --- the worked example of docs/protocol.md ----------------------------------------------

PROTOCOL = DOCS / "protocol.md"
S3CRET = AuthKeys(1, (AuthKey(1, AuthMethod.SHA1, b"s3cret"),))


def _example_datagram() -> bytes:
    block = re.search(r"```python\n(b[\"']###.*?)\n```", _text(PROTOCOL), re.DOTALL)
    assert block is not None
    value = ast.literal_eval(block[1])
    assert isinstance(value, bytes)
    return value


def test_the_protocol_example_is_an_authentic_status() -> None:
    data = _example_datagram()
    msg = Verifier(S3CRET).verify(data)
    assert [name for name, _ in msg.fields] == [
        *("t", "st", "dt", "protocol", "src", "srcuuid", "seq", "hg", "ts", "ld", "ttl"),
        "auth",
    ]
    assert msg.get("src") == "alpha"


def test_the_digests_the_protocol_text_quotes_are_those_of_the_example() -> None:
    data = _example_datagram()
    text = _text(PROTOCOL)
    decoded = decode(data)
    inner = classic_text(decoded.message)
    assert b"(1)srcuuid=RJjuJGfqQrWNLAmD05szKg==\n" in inner
    inner_token = token(S3CRET.outbound, inner)
    trailer_token = token(S3CRET.outbound, decoded.signed)
    assert decoded.message.get("auth") == inner_token
    assert decoded.trailer == trailer_token
    for digest in (inner_token.split()[1], trailer_token.split()[1]):
        assert f"`{digest[:4]}...{digest[-4:]}`" in text
    assert f"`{trailer_token}`" in text


@pytest.mark.parametrize(
    ("constant", "seconds"),
    [
        ("STARTING_FALLBACK", ownership.STARTING_FALLBACK),
        ("RESUME_WAIT", ownership.RESUME_WAIT),
        ("REQUEST_RETRY", legacy.REQUEST_RETRY),
    ],
)
def test_the_timers_table_gives_the_code_s_values(constant: str, seconds: float) -> None:
    rows = [line for line in _text(PROTOCOL).splitlines() if f"`{constant}`" in line]
    assert len(rows) == 1
    assert f"| {seconds:g} s |" in rows[0]


# --- names of code in docs/architecture.md and docs/protocol.md --------------------------

WALKTHROUGHS = (DOCS / "architecture.md", DOCS / "protocol.md")


def _code_names() -> tuple[set[str], dict[str, set[str]], set[Path]]:
    """Every name defined anywhere in pyhb, each class's members (its bases' included),
    and pyhb's files."""
    names: set[str] = set()
    members: dict[str, set[str]] = {}
    bases: dict[str, list[str]] = {}
    files = set((ROOT / "pyhb").rglob("*.py"))
    for path in files:
        tree = ast.parse(_text(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            if isinstance(node, ast.ClassDef):
                bases[node.name] = [b.id for b in node.bases if isinstance(b, ast.Name)]
                own = members.setdefault(node.name, set())
                for item in node.body:
                    if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                        own.add(item.name)
                    elif isinstance(item, ast.Assign):
                        own.update(t.id for t in item.targets if isinstance(t, ast.Name))
                    elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                        own.add(item.target.id)

    def inherited(cls: str, seen: frozenset[str] = frozenset()) -> set[str]:
        found = set(members.get(cls, ()))
        for base in bases.get(cls, ()):
            if base not in seen:
                found |= inherited(base, seen | {cls})
        return found

    return names, {cls: inherited(cls) for cls in members}, files


def _quoted(doc: Path) -> set[str]:
    return set(re.findall(r"`([^`\n]+)`", _text(doc)))


@pytest.mark.parametrize("doc", WALKTHROUGHS, ids=lambda p: p.name)
def test_the_files_the_docs_name_exist(doc: Path) -> None:
    _, _, files = _code_names()
    basenames = {p.name for p in files}
    missing = [
        name
        for name in _quoted(doc)
        if re.fullmatch(r"[\w./-]+\.py", name)
        and not (ROOT / name).is_file()
        and not (ROOT / "pyhb" / name).is_file()
        and name not in basenames
    ]
    assert missing == []


@pytest.mark.parametrize("doc", WALKTHROUGHS, ids=lambda p: p.name)
def test_the_classes_methods_and_functions_the_docs_name_exist(doc: Path) -> None:
    names, members, _ = _code_names()
    quoted = _quoted(doc)
    dotted = [q for q in quoted if re.fullmatch(r"[A-Z]\w*\.\w+", q)]
    private = [q for q in quoted if re.fullmatch(r"_[a-z]\w*", q)]
    assert dotted
    assert private
    missing = [q for q in dotted if q.split(".")[1] not in members.get(q.split(".")[0], set())]
    missing += [q for q in private if q not in names]
    assert missing == []
