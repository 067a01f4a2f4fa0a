#!/usr/bin/env bash
# The failing-before proof of the booted-host and Docker 29 checks. Each mutant takes one hardening fix back
# out of a scratch copy of this checkout (a small edit of one host script, as it was before that
# fix), runs the suite that proves the fix, and requires that the checks named for the mutant
# fail while every other test of the suite still passes: so those checks can fail, they fail for
# that fix alone, and the rest of the suite does not depend on it.
#
# Usage: bash test/e2e/mutants.sh [MUTANT ...]   run the named mutants (default: all of them) in
#                                                one scratch copy and one suite run; their checks
#                                                are disjoint, so each failure names its mutant
#        bash test/e2e/mutants.sh --list          the mutants, their edits and their checks
#
# Environment: everything test/e2e/run.sh reads passes through (PULUMI_E2E_CACHE,
# PULUMI_E2E_PREBUILT_DIR, E2E_HEALTHCHECK_INTERVAL, E2E_SELF_HOSTED_SOURCE); MUTANTS_KEEP=1
# keeps the scratch copy and its vitest report. Needs root, as run.sh does. Takes as long as
# the suite (realdocker: 12 to 25 minutes on 2 cores; docker29: 2 minutes), so it is not part of `npm run test:e2e`;
# test/e2e/README.md records its last result.
# Exit: 0 when every mutant's checks failed and nothing else did; 1 otherwise; 2 on bad usage
# or when an edit no longer applies (the script changed: update the mutant).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"

# name | file | perl -0 substitution (the fix taken out) | suite | the test(s) that must fail (a
# substring of the test's name) | what the fix was
MUTANTS=(
  "requires-mounts-for|components/host/scripts/install-docker.sh|s/^RequiresMountsFor=.*\n//m|realdocker|with the data disk missing at boot|install-docker.sh's drop-ins order docker.service and containerd.service after the data mount (HARDENING 2)"
  "build-proxy-export|components/host/scripts/install-sentry.sh|s/^  \(\(.\{#proxy_env\[\@\]\} == 0\)\) .. export [^\n]*\n//m|docker29|with sentry:mirrors.buildProxy|install-sentry.sh exports sentry:mirrors.buildProxy to install.sh, whose image builds pass it on (issue 13)"
  "inactive-services|components/host/scripts/lib.sh|s/^(remove_inactive_services\(\) \{\n)/\$1  return 0 # mutant: the fix taken out\n/m|realdocker|after the switch to errors-only none of feature-complete|start-sentry.sh stops and removes the containers of services outside the active profile (HARDENING 4)"
)

field() { cut -d'|' -f"$2" <<<"$1"; }
die() { echo "mutants: $*" >&2; exit 2; }

if [[ "${1:-}" == "--list" ]]; then
  for m in "${MUTANTS[@]}"; do
    printf "%s\n  file:   %s\n  edit:   perl -0pe '%s'\n  suite:  %s\n  fails:  \"%s\"\n  fix:    %s\n" \
      "$(field "$m" 1)" "$(field "$m" 2)" "$(field "$m" 3)" "$(field "$m" 4)" "$(field "$m" 5)" "$(field "$m" 6)"
  done
  exit 0
fi
[[ "${1:-}" != -* ]] || die "usage: mutants.sh [--list | MUTANT ...]"
[[ "$(id -u)" -eq 0 ]] || die "must run as root (it runs test/e2e/run.sh)"

selected=()
if (($# == 0)); then
  selected=("${MUTANTS[@]}")
else
  for want in "$@"; do
    found=""
    for m in "${MUTANTS[@]}"; do [[ "$(field "$m" 1)" == "$want" ]] && found="$m"; done
    [[ -n "$found" ]] || die "no mutant '$want'; see --list"
    selected+=("$found")
  done
fi
suite="$(field "${selected[0]}" 4)"
for m in "${selected[@]}"; do
  [[ "$(field "$m" 4)" == "$suite" ]] || die "mutants of different suites ($suite, $(field "$m" 4)): run them one at a time"
done

# The scratch copy: this checkout's tracked files as they are in the working tree, laid out as
# CI lays a clone (../shared beside it, when this checkout has one), node_modules shared.
scratch="$(mktemp -d /tmp/sentry-mutants.XXXXXX)"
cleanup() {
  if [[ "${MUTANTS_KEEP:-}" == 1 ]]; then echo "mutants: kept $scratch" >&2; else rm -rf "$scratch"; fi
}
trap cleanup EXIT
copy="$scratch/p"
mkdir -p "$copy"
while IFS= read -r -d '' f; do
  [[ -e "$REPO/$f" ]] && (cd "$REPO" && cp --parents -P -- "$f" "$copy")
done < <(cd "$REPO" && git ls-files -z --cached --others --exclude-standard)
[[ -d "$REPO/node_modules" ]] || die "$REPO/node_modules not found: run npm ci first"
ln -s "$REPO/node_modules" "$copy/node_modules"
[[ -d "$REPO/../shared" ]] && ln -s "$(cd "$REPO/../shared" && pwd)" "$scratch/shared"

for m in "${selected[@]}"; do
  file="$copy/$(field "$m" 2)"
  before="$(sha256sum <"$file")"
  perl -0pi -e "$(field "$m" 3)" "$file"
  [[ "$(sha256sum <"$file")" != "$before" ]] || die "mutant $(field "$m" 1) no longer applies to $(field "$m" 2): the fix moved; update its edit"
  echo "mutants: $(field "$m" 1): taken out: $(field "$m" 6)" >&2
  diff -u "$REPO/$(field "$m" 2)" "$file" | sed 's/^/    /' >&2 || true
done

report="$scratch/report.json"
rc=0
(cd "$copy" && bash test/e2e/run.sh "$suite" --reporter=verbose --reporter=json --outputFile="$report") || rc=$?
[[ -s "$report" ]] || { echo "mutants: the suite wrote no report (exit $rc); see its output above" >&2; exit 1; }

# Each test's outcome, then the verdict: the mutants' checks failed, nothing else failed or
# was skipped (a skipped test is one a failed step took down: the mutant broke more than its check).
expected="$(for m in "${selected[@]}"; do field "$m" 5; done)"
# shellcheck disable=SC2016 # JavaScript, not shell
EXPECTED="$expected" node -e '
const report = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const expected = process.env.EXPECTED.split("\n").filter(Boolean);
const tests = report.testResults.flatMap((f) => f.assertionResults);
let ok = tests.length > 0;
for (const t of tests) {
  const mutantCheck = expected.some((e) => t.title.includes(e));
  const want = mutantCheck ? "failed" : "passed";
  const good = t.status === want;
  ok &&= good;
  console.log(`${good ? "ok  " : "BAD "} ${t.status.padEnd(7)} (want ${want.padEnd(6)}) ${t.title}`);
  if (mutantCheck && t.status === "failed") console.log(`       ${(t.failureMessages[0] ?? "").split("\n")[0]}`);
}
for (const e of expected) {
  if (!tests.some((t) => t.title.includes(e))) { ok = false; console.log(`BAD  no test named like "${e}" in the suite`); }
}
console.log(ok ? "mutants: every mutant was caught by its check, and only by it" : "mutants: NOT as expected (see BAD lines)");
process.exit(ok ? 0 : 1);
' "$report"
