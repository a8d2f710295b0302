#!/bin/sh
# gerrit-ci.sh: check a Gerrit patch set in CI (Jenkins + Gerrit Trigger, or Zuul v2) and
# post the result as a review with inline comments.
#
# Run it at the top of the checked-out patch set, for example:
#   git fetch origin "$GERRIT_REFSPEC" && git checkout -q FETCH_HEAD
#   contrib/gerrit-ci.sh
#
# What it does:
#   1. puppet-preflight check --base HEAD^ (the patch set's parent: line numbers then match
#      Gerrit's), writing $OUT_DIR/junit-puppet-preflight.xml (for Jenkins' JUnit
#      publisher), $OUT_DIR/checkstyle-puppet-preflight.xml (warnings-ng) and
#      $OUT_DIR/gerrit-review.json (a ReviewInput); the human report goes to stdout.
#   2. posts gerrit-review.json with `ssh -p 29418 … gerrit review --json CHANGE,PS`
#      (POST=ssh) or to the REST endpoint with curl (POST=rest), unless POST=none.
#      DRY_RUN=1 prints the posting command instead of running it.
#   3. exits with the check's status: 0 clean, 1 findings at --fail-level. On status 2
#      (usage, configuration, git or I/O error) nothing is posted: a broken tool must not vote.
#
# Environment:
#   GERRIT_CHANGE_NUMBER, GERRIT_PATCHSET_NUMBER   set by the Gerrit Trigger plugin
#     (Zuul v2: ZUUL_CHANGE, ZUUL_PATCHSET are used when those are unset)
#   GERRIT_PATCHSET_REVISION   when set, HEAD must be this commit (guards a wrong checkout)
#   POST           ssh (default), rest or none
#   DRY_RUN        1 to print the posting command instead of running it
#   GERRIT_HOST    (ssh) host name; GERRIT_SSH_PORT (default 29418); GERRIT_USER (ssh user)
#   GERRIT_URL     (rest) e.g. https://gerrit.example.org; GERRIT_PROJECT, e.g.
#                  operations/puppet; GERRIT_HTTP_USER, GERRIT_HTTP_PASSWORD (HTTP token)
#   GERRIT_LABEL   vote on this label (e.g. Verified); GERRIT_VOTE_FAIL (-1), GERRIT_VOTE_PASS (0)
#   BASE           what to compare with (default HEAD^)
#   OUT_DIR        where the reports go (default log; created with a .gitignore of its
#                  own, so that the checkout's git status stays clean)
#   REPORT_URL     where the job publishes the HTML page, linked from the review message
#                  (default under Jenkins: ${BUILD_URL}artifact/$OUT_DIR/puppet-preflight.html;
#                  no link when neither is set)
#   PREFLIGHT      the puppet-preflight binary (default: puppet-preflight on PATH)
#   PREFLIGHT_ARGS extra arguments for `check`, split on spaces (e.g. --fail-level warning)
#   HOST_SNAPSHOTS a host snapshot, or a directory of them (one `<host>.json` per host,
#                  written by contrib/puppet-preflight-snapshot.service and synced to the
#                  CI machine, or unpacked from an artifact): the change is also judged
#                  against what the hosts hold (`check --host-snapshot`). When it is set
#                  and missing, the job stops (status 2) rather than vote without it.
set -eu

PREFLIGHT=${PREFLIGHT:-puppet-preflight}
POST=${POST:-ssh}
DRY_RUN=${DRY_RUN:-}
OUT_DIR=${OUT_DIR:-log}
BASE=${BASE:-HEAD^}
CHANGE=${GERRIT_CHANGE_NUMBER:-${ZUUL_CHANGE:-}}
PATCHSET=${GERRIT_PATCHSET_NUMBER:-${ZUUL_PATCHSET:-}}

die() { echo "gerrit-ci: $*" >&2; exit 2; }

case $POST in
    ssh|rest|none) ;;
    *) die "POST must be ssh, rest or none (got '$POST')" ;;
esac
if [ "$POST" != none ]; then
    [ -n "$CHANGE" ] || die "no change number: set GERRIT_CHANGE_NUMBER (or ZUUL_CHANGE), or POST=none"
    [ -n "$PATCHSET" ] || die "no patch set number: set GERRIT_PATCHSET_NUMBER (or ZUUL_PATCHSET), or POST=none"
    case $CHANGE$PATCHSET in *[!0-9]*) die "change and patch set must be numbers (got '$CHANGE,$PATCHSET')" ;; esac
fi
if [ "$POST" = ssh ]; then
    [ -n "${GERRIT_HOST:-}" ] || die "POST=ssh needs GERRIT_HOST"
fi
if [ "$POST" = rest ]; then
    [ -n "${GERRIT_URL:-}" ] || die "POST=rest needs GERRIT_URL (e.g. https://gerrit.example.org)"
fi

head=$(git rev-parse --verify -q HEAD) || die "not in a git checkout with a commit"
if [ -n "${GERRIT_PATCHSET_REVISION:-}" ] && [ "$head" != "$GERRIT_PATCHSET_REVISION" ]; then
    die "HEAD is $head but the patch set is $GERRIT_PATCHSET_REVISION: check out the patch set first"
fi

if [ ! -d "$OUT_DIR" ]; then
    mkdir -p "$OUT_DIR"
    # A directory this script creates keeps git status clean: it ignores its own content.
    printf '*\n' > "$OUT_DIR/.gitignore"
fi
junit=$OUT_DIR/junit-puppet-preflight.xml
checkstyle=$OUT_DIR/checkstyle-puppet-preflight.xml
review=$OUT_DIR/gerrit-review.json
html=$OUT_DIR/puppet-preflight.html
report_url=${REPORT_URL:-}
if [ -z "$report_url" ] && [ -n "${BUILD_URL:-}" ]; then
    report_url=${BUILD_URL%/}/artifact/$html
fi

set -- check
if git rev-parse --verify -q "$BASE^{commit}" >/dev/null; then
    set -- "$@" --base "$BASE"
elif [ "$BASE" != "HEAD^" ]; then
    die "BASE '$BASE' is not a commit"
fi   # a root commit: check compares with the empty tree by itself
set -- "$@" --head HEAD \
    --report "junit=$junit" --report "checkstyle=$checkstyle" --report "html=$html" \
    --report "gerrit=$review"
if [ -n "$report_url" ]; then
    set -- "$@" --gerrit-report-url "$report_url"
fi
if [ -n "${GERRIT_LABEL:-}" ]; then
    set -- "$@" --gerrit-label "$GERRIT_LABEL" \
        --gerrit-vote-fail "${GERRIT_VOTE_FAIL:--1}" --gerrit-vote-pass "${GERRIT_VOTE_PASS:-0}"
fi
if [ -n "${HOST_SNAPSHOTS:-}" ]; then
    [ -e "$HOST_SNAPSHOTS" ] || die "HOST_SNAPSHOTS '$HOST_SNAPSHOTS' does not exist (is the sync from the hosts broken?)"
    set -- "$@" --host-snapshot "$HOST_SNAPSHOTS"
fi
# shellcheck disable=SC2086 # PREFLIGHT_ARGS is split on purpose
set -- "$@" ${PREFLIGHT_ARGS:-}

rc=0
"$PREFLIGHT" "$@" || rc=$?
if [ "$rc" -ge 2 ]; then
    echo "gerrit-ci: puppet-preflight failed with status $rc; not posting a review" >&2
    exit "$rc"
fi
[ -s "$review" ] || die "puppet-preflight did not write $review"

# A word as the shell reads it: quoted when it holds anything but plain characters.
quote() {
    case $1 in
        '' | *[!A-Za-z0-9_./:@%+,=-]*)
            printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")" ;;
        *) printf '%s' "$1" ;;
    esac
}

# Print or run a command; DRY_RUN shows it, quoted so that it can be pasted into a shell,
# with the review file as its input.
post() {
    if [ -n "$DRY_RUN" ]; then
        printf 'DRY_RUN:'
        for word in "$@"; do
            printf ' '
            quote "$word"
        done
        printf ' < '
        quote "$review"
        printf '\n'
    else
        "$@" < "$review"
    fi
}

case $POST in
    ssh)
        target=$GERRIT_HOST
        [ -z "${GERRIT_USER:-}" ] || target=$GERRIT_USER@$GERRIT_HOST
        post ssh -p "${GERRIT_SSH_PORT:-29418}" "$target" gerrit review --json "$CHANGE,$PATCHSET" \
            || die "posting the review over ssh failed"
        ;;
    rest)
        change_id=$CHANGE
        if [ -n "${GERRIT_PROJECT:-}" ]; then
            # project~number; the project URL-encoded (/ -> %2F).
            change_id=$(printf '%s' "$GERRIT_PROJECT" | sed 's/%/%25/g; s|/|%2F|g; s/~/%7E/g')~$CHANGE
        fi
        url=${GERRIT_URL%/}/a/changes/$change_id/revisions/$PATCHSET/review
        set -- curl --fail --silent --show-error \
            -H 'Content-Type: application/json; charset=UTF-8' --data-binary @- "$url"
        if [ -n "${GERRIT_HTTP_USER:-}" ]; then
            if [ -n "$DRY_RUN" ]; then
                set -- "$@" -u "$GERRIT_HTTP_USER:***"
            else
                set -- "$@" -u "$GERRIT_HTTP_USER:${GERRIT_HTTP_PASSWORD:-}"
            fi
        fi
        if [ -n "$DRY_RUN" ]; then
            post "$@"
        else
            response=$OUT_DIR/gerrit-response.json
            post "$@" > "$response" || die "posting the review over REST failed"
            # Gerrit prefixes JSON responses with )]}' (anti-XSSI); show the rest.
            sed "1s/^)]}'//" "$response"
        fi
        ;;
    none)
        echo "gerrit-ci: POST=none: review left in $review" >&2
        ;;
esac
exit "$rc"
