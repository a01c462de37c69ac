#!/bin/sh
# Rebuild fuzz/seeds/specs/ from environments/ and tests/fixtures/invalid/.
# Run from the repository root: sh fuzz/make-seeds.sh
# Each seed is a stack file followed by environment files, each introduced by a line
# `==== NAME.yaml` (see fuzz/fuzz_targets/specs.rs). Every spec file ends with a newline.
set -eu
seeds=fuzz/seeds/specs
rm -rf "$seeds"
mkdir -p "$seeds"

join() { # join DIR FILE...: DIR/stack.yaml, then each FILE under its separator
    dir=$1
    shift
    cat "$dir/stack.yaml"
    for f in "$@"; do
        printf '==== %s\n' "$f"
        cat "$dir/$f"
    done
}

join environments pr-42.yaml production.yaml staging.yaml >"$seeds/project-all.txt"
for e in pr-42 production staging; do
    join environments "$e.yaml" >"$seeds/project-$e.txt"
done
{ cat environments/stack.yaml; printf '====\n'; cat environments/staging.yaml; } \
    >"$seeds/project-bare-separator.txt"
{ cat environments/stack.yaml; printf '==== pr-7.yaml\n'; sed 's/{env}/pr-7/g' environments/templates/review.yaml; } \
    >"$seeds/project-review-template.txt"
# One seed per case, whatever its environment files: none, one or several (each
# `*.yaml` file but stack.yaml, in name order).
cases=0
for d in tests/fixtures/invalid/*/; do
    name=$(basename "$d")
    envs=
    for f in "$d"environments/*.yaml; do
        f=$(basename "$f")
        case $f in
        stack.yaml | '*.yaml') ;;
        *) envs="$envs $f" ;;
        esac
    done
    # shellcheck disable=SC2086 # one word per file name
    join "$d/environments" $envs >"$seeds/invalid-$name.txt"
    cases=$((cases + 1))
done
echo "make-seeds: $(ls "$seeds" | wc -l) seeds, $cases of them from tests/fixtures/invalid/" >&2
