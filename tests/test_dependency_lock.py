"""requirements.lock holds every dependency at one exact version, and the image uses it."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+?)(?: ;.*?)? \\$")


def _lock() -> dict[str, list[tuple[str, list[str]]]]:
    """Return each locked package's pins (a version and its hashes); markers may split one."""
    pins: dict[str, list[tuple[str, list[str]]]] = {}
    hashes: list[str] = []
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if match := PIN.match(line):
            hashes = []
            pins.setdefault(canonicalize_name(match[1]), []).append((match[2], hashes))
        elif line.strip().startswith("--hash=sha256:"):
            hashes.append(line.strip())
    return pins


def _dependencies() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [Requirement(spec) for spec in project["dependencies"]]


def test_every_dependency_is_pinned_within_its_range_with_hashes():
    pins = _lock()
    for requirement in _dependencies():
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{name} is not in requirements.lock: run `make lock`"
        for version, hashes in pins[name]:
            assert requirement.specifier.contains(version), (
                f"{name}=={version} is outside {requirement.specifier}: run `make lock`")
            assert hashes, f"{name}=={version} has no hash"


def test_the_extras_asked_for_are_locked_too():
    pins = _lock()
    # psycopg[binary] brings the compiled driver, celery[redis] the Redis transport.
    assert {"psycopg-binary", "redis", "email-validator"} <= set(pins)


def test_the_image_installs_the_lock_then_the_project_alone():
    dockerfile = (ROOT / "Dockerfile").read_text()
    installs = re.findall(r"pip install ([^&\n]+)", dockerfile)
    assert installs[0].split() == ["--require-hashes", "-r", "requirements.lock"]
    assert all("--no-deps" in later.split() for later in installs[1:])
    assert dockerfile.index("COPY requirements.lock") < dockerfile.index("requirements.lock\n")


def test_make_lock_writes_the_lock_from_pyproject():
    makefile = (ROOT / "Makefile").read_text()
    compile_line = re.search(r"^LOCK_COMPILE = ((?:.*\\\n)*.*)", makefile, re.M)[1]
    assert "pyproject.toml" in compile_line and "--generate-hashes" in compile_line
    assert "--output-file requirements.lock" in compile_line
    assert re.search(r"^lock: .*\n\t\$\(LOCK_COMPILE\)$", makefile, re.M)
