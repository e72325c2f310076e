"""Checks QUICKSTART.md's GitHub Actions snippet, which no CI here can run:
it must parse as a workflow, build and start the mock, wait for /health
through run_mocks.sh, stop it, and name only scripts that exist in this
repository with the subcommands run_mocks.sh has.

Usage: python check_ci_snippet.py QUICKSTART.md REPO_ROOT
"""

import pathlib
import re
import sys

import yaml


def main(quickstart: str, root: str) -> int:
    text = pathlib.Path(quickstart).read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", text, re.S)
    workflows = [yaml.safe_load(b) for b in blocks if "jobs:" in b]
    if len(workflows) != 1:
        print(f"expected one workflow block, found {len(workflows)}")
        return 1
    steps = workflows[0]["jobs"]["integration"]["steps"]
    runs = "\n".join(step.get("run", "") for step in steps)
    problems = []
    for needed in ("cargo build --release", "run_mocks.sh start", "run_mocks.sh stop", "test_mock.sh"):
        if needed not in runs:
            problems.append(f"no step runs {needed!r}")
    for script in set(re.findall(r"mock-auth-server/(scripts/[\w./-]+)", runs)):
        if not (pathlib.Path(root) / script).is_file():
            problems.append(f"{script} does not exist")
    usage = (pathlib.Path(root) / "scripts/run_mocks.sh").read_text(encoding="utf-8")
    for sub in set(re.findall(r"run_mocks\.sh (\w+)", runs)):
        if f"  {sub})" not in usage:
            problems.append(f"run_mocks.sh has no subcommand {sub!r}")
    for problem in problems:
        print(problem)
    print(f"GitHub Actions snippet: {len(steps)} steps, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
