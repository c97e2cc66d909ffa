#!/usr/bin/env bash
# Promotes the vetted dev version to the prod registry: hash-verified copy, lineage back to the
# dev version, refusal (exit 3) when a required integration tag is missing or the version is
# archived. The prod alias does not move here: deploy.sh moves it (RELEASE_ALIAS) only once the
# release is finalized, so a rolled-back model never becomes the prod champion. Idempotent:
# promoting the same dev version again returns the same prod version (a re-run is safe).
# Inputs: AMLOPS_HOME DEV_VERSION; optional AML_MODEL_NAME (taxi-fare).
# Outputs: prod_version, prod_uri, created.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ci_require AMLOPS_HOME DEV_VERSION
model="${AML_MODEL_NAME:-taxi-fare}"
result="$ci_tmp/promote.json"
set +e
aml-promote --from dev --to prod --model "$model" --version "$DEV_VERSION" \
  --require-tag integration=true --require-tag commit_sha --require-tag github_run_id --output "$ci_tmp/promotion" > "$result"
rc=$?
set -e
case "$rc" in
  0) ;;
  3) ci_fail 3 "promotion refused: $(jq -r '.error.message // .result.reason // "see the log"' "$result" 2>/dev/null)" ;;
  *) ci_fail 1 "aml-promote failed (exit $rc)" ;;
esac
prod_uri="$(ci_json "$result" '.result.uri')"
prod_version="$(ci_json "$result" '.result.version')"
ci_log "promoted dev version $DEV_VERSION -> $prod_uri"
ci_output prod_version "$prod_version"
ci_output prod_uri "$prod_uri"
ci_output created "$(jq -r '.result.created // empty' "$result")"
ci_summary "**Promoted:** dev version $DEV_VERSION → \`$prod_uri\` (hash-verified copy)" ""
