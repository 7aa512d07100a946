#!/usr/bin/env bash
# Runs Meridian's whole test suite and ends with one line: "tests: N passed, N failed".
# Installs what the suite needs first: the .NET packages, and a PostgreSQL server from Debian
# (apt-get, when missing), started as a throwaway cluster on 127.0.0.1 for the run and removed
# after it.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$root"
results="$root/artifacts/test-results"
rm -rf "$results"
mkdir -p "$results"

if ! command -v dotnet >/dev/null 2>&1; then
  echo "test.sh: the .NET SDK (dotnet) is required" >&2
  echo "tests: 0 passed, 1 failed"
  exit 1
fi

if ! dotnet restore Meridian.slnx -nologo -v quiet; then
  echo "tests: 0 passed, 1 failed"; exit 1
fi
if ! dotnet build Meridian.slnx -c Release --no-restore -nologo -v quiet; then
  echo "test.sh: build failed" >&2
  echo "tests: 0 passed, 1 failed"; exit 1
fi

# fhir-kit-client (npm) for the interop test in tests/Meridian.Api.Tests/Interop, installed
# exactly as locked. Node.js and npm come from Debian when missing; without them that test
# fails rather than skips.
if ! command -v npm >/dev/null 2>&1; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  { $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq \
      && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm; } >&2 \
    || echo "test.sh: could not install nodejs/npm with apt-get" >&2
fi
if command -v npm >/dev/null 2>&1; then
  if ! (cd "$root/tests/fhir-client-interop" && npm ci --no-audit --no-fund --loglevel=error); then
    echo "test.sh: npm ci failed in tests/fhir-client-interop; the FHIR client interop test will fail" >&2
  fi
else
  echo "test.sh: npm (Node.js 20+) not found; the FHIR client interop test will fail" >&2
fi

# python3-jwt (PyJWT) from Debian for the JOSE interop test in tests/Meridian.Identity.Tests/Interop
# (an independent JWT implementation signs client assertions and verifies our tokens). Checked
# with Debian's interpreter, where apt installs it; without it that test fails rather than skips.
if ! /usr/bin/python3 -c "import jwt" >/dev/null 2>&1; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  { $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq \
      && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-jwt; } >&2 \
    || echo "test.sh: could not install python3-jwt with apt-get; the JOSE interop test will fail" >&2
fi

# python3-hl7 from Debian for tests/Meridian.Hl7.Engine.Tests/InteropTests: its `mllp_send` (an MLLP
# client nobody here wrote) sends a file of messages to the listener. Without it that test fails
# rather than skips.
if [ ! -x /usr/bin/mllp_send ]; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  { $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq \
      && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-hl7; } >&2 \
    || echo "test.sh: could not install python3-hl7 with apt-get; the mllp_send interop test will fail" >&2
fi

# PostgreSQL for the storage compliance suite: a throwaway cluster on 127.0.0.1 (installed from
# Debian if missing), removed on exit. Without it the PostgreSQL tests fail rather than skip.
if pg_env=$("$root/scripts/pg-test-cluster.sh" start); then
  eval "$pg_env"
  trap '"$root/scripts/pg-test-cluster.sh" stop "$MERIDIAN_PG_DIR" >/dev/null 2>&1 || true' EXIT
else
  echo "test.sh: could not start PostgreSQL; the PostgreSQL store tests will fail" >&2
fi

dotnet test Meridian.slnx -c Release --no-build --nologo \
  --logger "trx" --logger "console;verbosity=minimal" --results-directory "$results"
status=$?

passed=0; failed=0; files=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  files=$((files + 1))
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
  f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  e=$(sed -n 's/.* error="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0} + ${e:-0}))
done
if [ "$files" -eq 0 ] || { [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; }; then
  # The runner failed without reporting a failed test (crash, no assemblies): count it.
  failed=$((failed + 1))
fi
echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
