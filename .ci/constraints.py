#!/usr/bin/env python3
"""Print constraints.txt: the exact version of every package `pip install '.[test]'` brings in,
read from the environment it was installed into (run it there, after the tests pass).

pyproject.toml keeps the floors (the oldest versions the code works with, past known
vulnerabilities); this file pins the set that was tested, so the Docker image and CI install
the same thing every time. Only the project's own dependencies and theirs are listed, whatever
else the environment holds; markers are evaluated for this interpreter and platform.
"""

from __future__ import annotations

import re
import sys
import tomllib
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
EXTRAS = ("test",)


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def main() -> int:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = [Requirement(r) for r in project["dependencies"]]
    for extra in EXTRAS:
        wanted += [Requirement(r) for r in project["optional-dependencies"][extra]]
    pinned: dict[str, str] = {}
    queue = [(r, frozenset()) for r in wanted]
    while queue:
        requirement, extras = queue.pop()
        if requirement.marker and not any(
            requirement.marker.evaluate({"extra": e}) for e in (extras or {""})
        ):
            continue
        name = canonical(requirement.name)
        try:
            found = distribution(requirement.name)
        except PackageNotFoundError:
            print(f"not installed: {requirement}", file=sys.stderr)
            return 1
        if not requirement.specifier.contains(found.version, prereleases=True):
            print(f"{found.version} installed does not meet {requirement}", file=sys.stderr)
            return 1
        new_extras = frozenset(requirement.extras)
        key = f"{name}[{','.join(sorted(new_extras))}]"
        if key in pinned:
            continue
        pinned[key] = found.version
        pinned.setdefault(name, found.version)
        for text in found.requires or []:
            inner = Requirement(text)
            if inner.marker is None or any(
                inner.marker.evaluate({"extra": e}) for e in (new_extras or {""})
            ):
                queue.append((inner, new_extras))
    print("# Every package `pip install '.[test]'` installs, at the version tested.")
    print('# Made by .ci/constraints.py; see README.md, "Dependencies", to update it.')
    for name in sorted(k for k in pinned if "[" not in k):
        print(f"{name}=={pinned[name]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
