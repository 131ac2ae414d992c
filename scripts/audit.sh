#!/usr/bin/env bash
# Dependency audit: pip-audit over every package bme-bot (with its dev extras) depends on,
# pinned at the versions installed in the venv.
#
#   scripts/audit.sh            exit 0: nothing known, or only what the allowlist explains
#                               exit 1: a known vulnerability the allowlist does not explain
#                               exit 2: the audit itself is broken (bad allowlist, no venv...)
#
# The allowlist (scripts/audit-allowlist.txt) holds one line per accepted vulnerability:
#   ID  PACKAGE  REASON...      (ID as pip-audit prints it, or any of its aliases; a reason is
#                                required, and entries nothing matches any more are reported)
#
# If the vulnerability database cannot be reached (no network, PyPI's JSON API not served,
# timeouts), it prints a clear WARNING and exits 0: an unreachable service must not fail the
# build, but it must never look like a clean audit either.
#
# Environment: VENV (default .venv), AUDIT_ALLOWLIST, AUDIT_SERVICE (pypi, the default, the
# only one CI may use; osv for tests with AUDIT_OSV_URL), AUDIT_TIMEOUT (seconds, default 15).
# Needs no stdin; only network: the vulnerability service (PyPI by default).
set -euo pipefail
cd "$(dirname "$0")/.."

VENV="${VENV:-.venv}"
PY="$VENV/bin/python"
AUDIT="$VENV/bin/pip-audit"
ALLOWLIST="${AUDIT_ALLOWLIST:-scripts/audit-allowlist.txt}"
SERVICE="${AUDIT_SERVICE:-pypi}"
TIMEOUT="${AUDIT_TIMEOUT:-15}"

fail() { echo "audit: $*" >&2; exit 2; }
[ -x "$PY" ] || fail "no Python at $PY (run: make setup)"
[ -x "$AUDIT" ] || fail "no pip-audit at $AUDIT (it is in the dev extras: make setup)"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# 1. The installed dependency closure of bme-bot[dev], pinned (name==version).
"$PY" - "$work/requirements.txt" <<'PY' || fail "could not list the installed dependencies"
import importlib.metadata as md
import sys

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

pins: dict[str, str] = {}
missing: list[str] = []
todo = [("bme-bot", frozenset({"dev"}))]
done: set[tuple[str, frozenset[str]]] = set()
while todo:
    name, extras = todo.pop()
    if (name, extras) in done:
        continue
    done.add((name, extras))
    dist = md.distribution(name)
    for text in dist.requires or []:
        req = Requirement(text)
        envs = [{**default_environment(), "extra": e} for e in ("", *extras)]
        if req.marker is not None and not any(req.marker.evaluate(env) for env in envs):
            continue
        key = canonicalize_name(req.name)
        try:
            installed = md.distribution(key)
        except md.PackageNotFoundError:
            missing.append(key)
            continue
        pins[key] = installed.version
        todo.append((key, frozenset(req.extras)))
pins.pop("bme-bot", None)
if missing:
    print("audit: not installed, so not audited: " + ", ".join(sorted(set(missing))), file=sys.stderr)
with open(sys.argv[1], "w", encoding="utf-8") as out:
    for key in sorted(pins):
        out.write(f"{key}=={pins[key]}\n")
print(f"audit: {len(pins)} installed dependencies of bme-bot[dev]")
PY

# 2. pip-audit against the pinned list: no resolution, no pip, no prompts.
args=(-r "$work/requirements.txt" --no-deps --disable-pip --progress-spinner off
      -f json -o "$work/report.json" --timeout "$TIMEOUT" -s "$SERVICE")
if [ "$SERVICE" = "osv" ] && [ -n "${AUDIT_OSV_URL:-}" ]; then
  args+=(--osv-url "$AUDIT_OSV_URL")
fi
set +e
"$AUDIT" "${args[@]}" </dev/null >"$work/stdout" 2>"$work/stderr"
status=$?
set -e

# 3. Read the report: what was audited, what was found, what the allowlist explains.
"$PY" - "$work/report.json" "$ALLOWLIST" "$status" "$work/stderr" <<'PY'
import json
import re
import sys
from pathlib import Path

report_path, allowlist_path, status, stderr_path = sys.argv[1:5]
stderr = Path(stderr_path).read_text(encoding="utf-8", errors="replace")
NETWORK = re.compile(
    r"ConnectionError|Could not connect|Max retries|Failed to establish|timed out|"
    r"Temporary failure|Name or service not known|NameResolution|ServiceError|SSLError|"
    r"ProxyError|RemoteDisconnected|Connection refused",
    re.IGNORECASE,
)


def warn_unreachable(why: str) -> None:
    print("=" * 72)
    print("WARNING: dependency audit NOT done: the vulnerability database is unreachable.")
    print(f"WARNING: {why}")
    print("WARNING: passing anyway (an outage must not fail the build); run it again later.")
    print("=" * 72)
    sys.exit(0)


allowed: dict[str, tuple[str, str]] = {}
path = Path(allowlist_path)
if path.exists():
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(None, 2)
        if len(parts) < 3 or len(parts[2].strip()) < 10:
            print(f"audit: {path}:{number}: need 'ID PACKAGE REASON' with a real reason", file=sys.stderr)
            sys.exit(2)
        allowed[parts[0]] = (parts[1], parts[2].strip())

try:
    report = json.loads(Path(report_path).read_text(encoding="utf-8"))
except (OSError, ValueError):
    last = stderr.strip().splitlines()[-1] if stderr.strip() else f"pip-audit exit {status}"
    if NETWORK.search(stderr):
        warn_unreachable(last[:300])
    print(f"audit: pip-audit failed (exit {status}): {last[:500]}", file=sys.stderr)
    sys.exit(2)

deps = report.get("dependencies", [])
skipped = [d for d in deps if d.get("skip_reason")]
audited = [d for d in deps if not d.get("skip_reason")]
if not audited:
    reason = skipped[0]["skip_reason"] if skipped else "no dependency could be looked up"
    warn_unreachable(f"0 of {len(deps)} packages could be looked up ({reason})")
for dep in skipped:
    print(f"audit: WARNING: not audited: {dep['skip_reason']}")

found, explained, used = [], [], set()
for dep in audited:
    for vuln in dep.get("vulns", []):
        ids = [vuln["id"], *vuln.get("aliases", [])]
        match = next((i for i in ids if i in allowed), None)
        fixes = ", ".join(vuln.get("fix_versions", [])) or "none yet"
        row = f"{dep['name']} {dep['version']}: {' / '.join(ids)} (fixed in: {fixes})"
        if match is None:
            found.append(row)
        else:
            used.add(match)
            explained.append(f"{row}\n      allowed: {allowed[match][1]}")

print(f"audit: {len(audited)} packages audited, {len(found) + len(explained)} known vulnerabilities")
for row in explained:
    print(f"  explained  {row}")
for vid in sorted(set(allowed) - used):
    print(f"audit: note: allowlist entry {vid} ({allowed[vid][0]}) matches nothing now; remove it")
if found:
    for row in found:
        print(f"  UNEXPLAINED  {row}")
    print("audit: FAILED: upgrade, or explain each in " + allowlist_path + " (ID PACKAGE REASON)")
    sys.exit(1)
print("audit: OK")
PY
