#!/usr/bin/env bash
# make-en-site.sh REPO — the English fixture (fixtures/en/) as a Git repository
# of two commits (so that history, revision and diff pages exist). Used by
# conformance.test.mjs; by hand: make-en-site.sh /tmp/en && build/planpress
# build --repo /tmp/en --out /tmp/en-site
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$1
rm -rf "$repo"
mkdir -p "$repo"
cp -r "$here/fixtures/en" "$repo/content"
export GIT_AUTHOR_NAME="Plan Editor" GIT_AUTHOR_EMAIL="editor@example.org"
export GIT_COMMITTER_NAME="Plan Editor" GIT_COMMITTER_EMAIL="editor@example.org"
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
git -C "$repo" -c init.defaultBranch=main init -q
plan="$repo/content/plans/riverside-2025.md"
final=$(cat "$plan")
# the first version: the bus network due a year later, without the review
sed -e 's/due="2024-12-31"/due="2025-12-31"/' -e '/^### 2.3/,/^A review/d' "$plan" > "$plan.tmp"
mv "$plan.tmp" "$plan"
git -C "$repo" add -A
GIT_AUTHOR_DATE=2021-03-01T10:00:00Z GIT_COMMITTER_DATE=2021-03-01T10:00:00Z \
    git -C "$repo" commit -q -m "Riverside Development Plan 2021–2025 as adopted"
printf '%s\n' "$final" > "$plan"
git -C "$repo" add -A
GIT_AUTHOR_DATE=2022-06-15T10:00:00Z GIT_COMMITTER_DATE=2022-06-15T10:00:00Z \
    git -C "$repo" commit -q -m "Bus network due a year earlier; a review of the plan"
