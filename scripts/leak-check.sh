#!/usr/bin/env bash
# Leak check: scripts/leak-stress.js (create / use / drop cycles of every format, every async op, a failing call,
# a training layer and a RigL update) under valgrind memcheck with the addon loaded; fails unless valgrind finds no
# bytes definitely or indirectly lost and no memory error (V8's deliberate conservative stack scan is suppressed,
# scripts/valgrind.supp). Then, without valgrind, many more cycles with forced GC must keep memory bounded.
#   scripts/leak-check.sh [valgrind cycles] [plain cycles]      (defaults 300 and 40000)
set -euo pipefail
cd "$(dirname "$0")/.."
vcycles="${1:-300}"
cycles="${2:-40000}"
log="$(mktemp /tmp/sparsekit-valgrind.XXXXXX)"
valgrind --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
  --suppressions=scripts/valgrind.supp --error-exitcode=3 \
  node --jitless --expose-gc scripts/leak-stress.js "$vcycles" >"$log" 2>&1 || { tail -60 "$log"; echo "leak-check: valgrind reported errors" >&2; exit 1; }
grep -E "definitely lost|indirectly lost|possibly lost|ERROR SUMMARY" "$log" | sed 's/^==[0-9]*== */valgrind: /'
grep -q "definitely lost: 0 bytes" "$log" || grep -q "All heap blocks were freed" "$log" || { echo "leak-check: bytes definitely lost" >&2; exit 1; }
grep -q "ERROR SUMMARY: 0 errors" "$log" || { echo "leak-check: memcheck errors" >&2; exit 1; }
echo "leak-check: $vcycles cycles under valgrind: nothing definitely or indirectly lost, no memory errors"
# Bounded memory: RSS after warm-up and at the end of $cycles cycles (forced GC both times).
node --expose-gc scripts/leak-stress.js "$cycles" | node -e "
  const r = JSON.parse(require('fs').readFileSync(0, 'utf8'));
  console.log('leak-check: ' + r.cycles + ' cycles: RSS ' + r.before.rssMiB.toFixed(1) + ' -> ' + r.after.rssMiB.toFixed(1) + ' MiB, external ' +
    r.before.externalMiB.toFixed(1) + ' -> ' + r.after.externalMiB.toFixed(1) + ' MiB');
  if (r.growth.rssMiB > 64 || r.growth.externalMiB > 32) { console.error('leak-check: memory grew without bound'); process.exit(1); }"
