"""Checks, without a Docker engine, that the Dockerfile's build context (the
repository as .dockerignore leaves it) holds every file `cargo build` reads:
Cargo.toml, Cargo.lock, build.rs, src/, askama's templates/, and each file
an include_str!/include_bytes! in src/ names.

Usage: python docker_context.py REPO_ROOT [--copy DIR]
  --copy DIR  also copies the context to DIR (to build from it for real)
"""

from __future__ import annotations

import fnmatch
import pathlib
import re
import shutil
import subprocess
import sys

INCLUDE = re.compile(r'include_(?:str|bytes)!\(\s*"([^"]+)"\s*\)')


def patterns(root: pathlib.Path) -> list[tuple[bool, str]]:
    """(negated, pattern) of each .dockerignore line, in order."""
    found = []
    for line in (root / ".dockerignore").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        found.append((negated, line.lstrip("!").strip("/")))
    return found


def ignored(path: str, rules: list[tuple[bool, str]]) -> bool:
    """Docker's rule: the last matching pattern decides; a pattern that
    matches a directory matches everything in it."""
    result = False
    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for negated, pattern in rules:
        bare = pattern[3:] if pattern.startswith("**/") else None
        for prefix in prefixes:
            tail = prefix.rsplit("/", 1)[-1]
            if fnmatch.fnmatchcase(prefix, pattern) or (bare and fnmatch.fnmatchcase(tail, bare)):
                result = not negated
                break
    return result


def main(root_arg: str, copy_to: str | None) -> int:
    root = pathlib.Path(root_arg).resolve()
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"],
        cwd=root, check=True, capture_output=True, text=True,
    ).stdout.split()
    rules = patterns(root)
    context = {path for path in listed if (root / path).is_file() and not ignored(path, rules)}
    needed = {"Cargo.toml", "Cargo.lock"} | {p for p in listed if p.startswith("src/")}
    needed |= {p for p in listed if p.startswith("templates/") or p == "build.rs"}
    for source in sorted(p for p in listed if p.startswith("src/") and p.endswith(".rs")):
        for target in INCLUDE.findall((root / source).read_text(encoding="utf-8")):
            resolved = (root / source).parent.joinpath(target).resolve()
            needed.add(str(resolved.relative_to(root)))
    missing = sorted(needed - context)
    for path in missing:
        print(f"the Docker build context lacks {path} (.dockerignore leaves it out)")
    print(f"Docker build context: {len(context)} files, {len(needed)} needed by cargo, {len(missing)} missing")
    if copy_to:
        out = pathlib.Path(copy_to)
        for path in sorted(context):
            (out / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(root / path, out / path)
    return 1 if missing else 0


if __name__ == "__main__":
    args = sys.argv[1:]
    if len(args) == 1:
        sys.exit(main(args[0], None))
    if len(args) == 3 and args[1] == "--copy":
        sys.exit(main(args[0], args[2]))
    print(__doc__, file=sys.stderr)
    sys.exit(2)
