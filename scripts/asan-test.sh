#!/usr/bin/env bash
# The whole test suite against the AddressSanitizer + UndefinedBehaviorSanitizer build (npm run build:asan). Node is
# not instrumented, so the ASan runtime is preloaded; leak detection is off here (Node does not free everything at
# exit; leaks are checked by scripts/leak-check.sh); any ASan or UBSan report aborts the process, failing the run,
# and the log is searched for reports as well.
set -euo pipefail
cd "$(dirname "$0")/.."
addon=build-asan/Release/sparsekit.node
[ -f "$addon" ] || npm run build:asan
asan="$(g++ -print-file-name=libasan.so)"
ubsan="$(g++ -print-file-name=libubsan.so)"
log="$(mktemp /tmp/sparsekit-asan.XXXXXX)"
set +e
SPARSEKIT_ADDON="$addon" LD_PRELOAD="$asan $ubsan" \
  ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1" \
  UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1" \
  npx vitest run "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
if grep -E "ERROR: AddressSanitizer|runtime error:|ERROR: LeakSanitizer" "$log"; then
  echo "asan-test: sanitizer reports (above)" >&2
  exit 1
fi
echo "asan-test: exit $status, no sanitizer reports"
exit "$status"
