"""QUICKSTART.md's CI recipes that scripts/python.sh runs or checks.

A block is picked up when the line before its opening fence is one of:
  <!-- python.sh: run -->              bash, run in an empty directory
  <!-- python.sh: run in DIR -->       bash, run in a copy of DIR (repository-relative)
  <!-- python.sh: workflow -->         a GitHub Actions workflow, checked here

Usage:
  python recipes.py extract QUICKSTART.md OUTDIR
      writes each block to OUTDIR (NN.sh or NN.yml) and prints one line per
      block: "run NN.sh -", "run NN.sh DIR" or "workflow NN.yml"
  python recipes.py check-workflows REPO_ROOT NN.yml..
      beyond the schema (check-jsonschema does that): each workflow starts
      the mock the way this repository can (cargo install --git, or the
      image as a service on the Dockerfile's port, relying on its exec-form
      HEALTHCHECK), and checks its health with `mock-auth-server healthcheck`
"""

from __future__ import annotations

import pathlib
import re
import sys

import yaml

MARKER = re.compile(r"^<!--\s*python\.sh:\s*(run(?:\s+in\s+(\S+))?|workflow)\s*-->\s*$")


def extract(quickstart: str, outdir: str) -> int:
    lines = pathlib.Path(quickstart).read_text(encoding="utf-8").splitlines()
    out = pathlib.Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    count = 0
    for index, line in enumerate(lines):
        marker = MARKER.match(line)
        if not marker:
            continue
        fence = lines[index + 1] if index + 1 < len(lines) else ""
        if not fence.startswith("```"):
            print(f"{quickstart}:{index + 1}: a python.sh marker must precede a fence", file=sys.stderr)
            return 1
        end = next(j for j in range(index + 2, len(lines)) if lines[j].startswith("```"))
        body = "\n".join(lines[index + 2 : end]) + "\n"
        count += 1
        if marker.group(1) == "workflow":
            name = f"{count:02d}.yml"
            print(f"workflow {name}")
        else:
            name = f"{count:02d}.sh"
            print(f"run {name} {marker.group(2) or '-'}")
        (out / name).write_text(body, encoding="utf-8")
    if count == 0:
        print(f"{quickstart}: no python.sh blocks", file=sys.stderr)
        return 1
    return 0


def _steps_text(job: dict) -> str:
    return "\n".join(str(step.get("run", "")) for step in job.get("steps", []))


def check_workflows(root: str, paths: list[str]) -> int:
    dockerfile = (pathlib.Path(root) / "Dockerfile").read_text(encoding="utf-8")
    binary = re.search(r"^COPY --from=build \S+ (\S+)$", dockerfile, re.M)
    exposed = re.search(r"^EXPOSE (\d+)$", dockerfile, re.M)
    healthcheck = binary and re.search(
        r'^\s+CMD \["' + re.escape(binary.group(1)) + r'", "healthcheck"', dockerfile, re.M
    )
    problems: list[str] = []
    kinds = set()
    for path in paths:
        workflow = yaml.safe_load(pathlib.Path(path).read_text(encoding="utf-8"))
        for name, job in workflow["jobs"].items():
            runs = _steps_text(job)
            services = job.get("services") or {}
            if "cargo install" in runs:
                kinds.add("cargo")
                if "--git" not in runs:
                    problems.append(f"{path}: {name}: cargo install without --git")
                if "mock-auth-server healthcheck" not in runs:
                    problems.append(f"{path}: {name}: no step runs mock-auth-server healthcheck")
            for service_name, service in services.items():
                kinds.add("service")
                # `docker run --health-cmd` is run by /bin/sh, which the
                # distroless image lacks: the image's own exec-form
                # HEALTHCHECK must do, with at most its timing changed.
                if "--health-cmd" in str(service.get("options", "")):
                    problems.append(f"{path}: {service_name}: --health-cmd needs a shell the image lacks")
                if not healthcheck:
                    problems.append("Dockerfile: no exec-form HEALTHCHECK running the binary's healthcheck")
                ports = [str(p) for p in service.get("ports", [])]
                if not exposed or not any(p.endswith(f":{exposed.group(1)}") for p in ports):
                    problems.append(f"{path}: {service_name}: no port maps to the image's EXPOSE")
    for kind in ("cargo", "service"):
        if kind not in kinds:
            problems.append(f"no workflow uses the {kind} recipe")
    for problem in problems:
        print(problem)
    print(f"GitHub Actions recipes: {len(paths)} workflows, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "extract" and len(sys.argv) == 4:
        sys.exit(extract(sys.argv[2], sys.argv[3]))
    if command == "check-workflows" and len(sys.argv) >= 4:
        sys.exit(check_workflows(sys.argv[2], sys.argv[3:]))
    print(__doc__, file=sys.stderr)
    sys.exit(2)
