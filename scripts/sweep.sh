#!/usr/bin/env bash
# sweep.sh — run `puppet-preflight check` on many commits of a repository, one
# commit at a time, and summarise exit statuses, time, memory and findings.
#
# Usage:
#   scripts/sweep.sh REPO --sample N [--seed S] [options]   # N sampled commits
#   scripts/sweep.sh REPO RANGE [options]                   # every commit of RANGE
#
#   REPO           a git repository (bare or not); it is only read: no checkout,
#                  no worktree, no index, no ref is written.
#   --sample N     a deterministic random sample of N non-merge commits reachable
#                  from HEAD that touch Puppet code (*.pp, *.erb, *.epp, files/,
#                  *.yaml/*.yml, systemd unit files). The sample is the N commits
#                  with the smallest sha1("S:commit"), so the same seed gives the same
#                  sample on the same history, and a commit stays sampled as the
#                  history grows unless a new commit displaces it.
#   --seed S       the seed of --sample (default 1).
#   RANGE          a `git rev-list` range such as A..B: every non-merge commit of it.
#   --out FILE     the per-commit table, TSV (default: sweep.tsv in the output dir).
#   --dir DIR      the output dir: JSON report and standard error of each commit
#                  (default: a new directory from mktemp -d; printed at the start).
#   --bin PATH     the puppet-preflight binary (default: target/release/puppet-preflight
#                  under $CARGO_TARGET_DIR or the repository, else on PATH).
#   --timeout SECS per-commit time limit (default 60); a commit that exceeds it is
#                  recorded with status 124 and the sweep goes on.
#   -- ARGS        further arguments for `check` (e.g. -- --isolated).
#
# Each commit C runs `check --repo REPO --base C^ --head C --format json` (a root
# commit: `--head C` alone, which checks it against the empty tree) under GNU time.
#
# The TSV has one row per commit: commit, exit status, wall seconds, peak RSS (KB),
# error and warning counts, per-rule counts of errors and of warnings (rule=n,...),
# suppressed count, the first error finding (rule file:line message, truncated), and
# for a failed run what it said (the panic message, the error, a timeout or a signal).
# Suppressed findings are not counted as errors or warnings.
#
# Exit status: 0 when every commit's check exited 0 or 1, 1 when one exited with
# anything else (2: git/input error, 101: panic, 124: timeout, 128+N: signal N),
# 2 on a usage error of this script.

set -u

usage() {
    sed -n '2,/^$/s/^# \{0,1\}//p' "$0" >&2
    exit 2
}

die() {
    printf 'sweep.sh: %s\n' "$*" >&2
    exit 2
}

repo=
range=
sample=
seed=1
out=
dir=
bin=
limit=60
extra=()

while [ $# -gt 0 ]; do
    case $1 in
        --sample) sample=${2-}; shift 2 || usage ;;
        --seed) seed=${2-}; shift 2 || usage ;;
        --out) out=${2-}; shift 2 || usage ;;
        --dir) dir=${2-}; shift 2 || usage ;;
        --bin) bin=${2-}; shift 2 || usage ;;
        --timeout) limit=${2-}; shift 2 || usage ;;
        -h|--help) usage ;;
        --) shift; extra=("$@"); break ;;
        -*) die "unknown option $1" ;;
        *)
            if [ -z "$repo" ]; then repo=$1
            elif [ -z "$range" ]; then range=$1
            else die "unexpected argument $1"
            fi
            shift ;;
    esac
done

[ -n "$repo" ] || usage
if [ -n "$sample" ] && [ -n "$range" ]; then die "give --sample N or RANGE, not both"; fi
if [ -z "$sample" ] && [ -z "$range" ]; then die "give --sample N or RANGE"; fi
case $sample in *[!0-9]*) die "--sample takes a number" ;; esac
case $limit in ''|*[!0-9]*) die "--timeout takes a number of seconds" ;; esac

# Git must not write anything into REPO, not even an optional lock.
export GIT_OPTIONAL_LOCKS=0
git -C "$repo" rev-parse --git-dir >/dev/null 2>&1 || die "$repo is not a git repository"

if [ -z "$bin" ]; then
    here=$(cd "$(dirname "$0")/.." && pwd)
    for b in "${CARGO_TARGET_DIR:-$here/target}/release/puppet-preflight" \
             "$here/target/release/puppet-preflight"; do
        if [ -x "$b" ]; then bin=$b; break; fi
    done
    [ -n "$bin" ] || bin=$(command -v puppet-preflight) || die "no puppet-preflight binary; build it or pass --bin"
fi
[ -x "$bin" ] || die "$bin is not executable"
[ -x /usr/bin/time ] || die "GNU time is missing: apt-get install -y time"
command -v timeout >/dev/null || die "timeout (coreutils) is missing"
command -v python3 >/dev/null || die "python3 is missing"

if [ -z "$dir" ]; then dir=$(mktemp -d "${TMPDIR:-/tmp}/sweep.XXXXXX") || die "mktemp failed"; fi
mkdir -p "$dir/json" "$dir/stderr" || die "cannot create $dir"
[ -n "$out" ] || out=$dir/sweep.tsv
raw=$dir/raw.tsv         # commit, status, wall, peak: what the loop measured
list=$dir/commits.txt    # "commit [parent...]", oldest first

# --- the commits --------------------------------------------------------------
if [ -n "$sample" ]; then
    # Pathspecs without magic: `*` matches `/` too, so '*.pp' is any manifest.
    git -C "$repo" rev-list --no-merges --reverse --parents HEAD -- \
        '*.pp' '*.erb' '*.epp' 'files/*' '*/files/*' '*.yaml' '*.yml' \
        '*.service' '*.socket' '*.timer' '*.mount' '*.path' '*.target' \
        >"$dir/all.txt" || die "git rev-list failed in $repo"
    python3 - "$seed" "$sample" "$dir/all.txt" >"$list" <<'EOF' || die "sampling failed"
import hashlib, sys
seed, n, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
lines = [l.rstrip("\n") for l in open(path) if l.strip()]
key = lambda l: hashlib.sha1(f"{seed}:{l.split()[0]}".encode()).hexdigest()
chosen = set(sorted(lines, key=key)[:n])
sys.stdout.writelines(l + "\n" for l in lines if l in chosen)  # keep history order
EOF
    total=$(wc -l <"$dir/all.txt")
    what="sample of $(wc -l <"$list") out of $total non-merge commits touching Puppet code (seed $seed)"
else
    git -C "$repo" rev-list --no-merges --reverse --parents "$range" >"$list" \
        || die "git rev-list $range failed in $repo"
    what="every non-merge commit of $range ($(wc -l <"$list"))"
fi

n=$(wc -l <"$list")
[ "$n" -gt 0 ] || die "no commit to check"
echo "sweep: $repo: $what" >&2
echo "sweep: binary $bin, timeout ${limit}s, output in $dir" >&2

# --- the checks ---------------------------------------------------------------
: >"$raw"
tf=$dir/time.txt         # GNU time output of the current commit
i=0
while read -r commit parent _; do
    i=$((i + 1))
    if [ -n "${parent:-}" ]; then base=(--base "$commit^"); else base=(); fi
    json=$dir/json/$commit.json
    err=$dir/stderr/$commit.txt
    /usr/bin/time -o "$tf" -f '%e %M' \
        timeout -k 5 "$limit" \
        "$bin" check --repo "$repo" "${base[@]}" --head "$commit" --format json "${extra[@]}" \
        >"$json" 2>"$err" </dev/null
    status=$?
    # GNU time writes "Command exited with non-zero status N" first; the figures last.
    read -r wall peak < <(tail -n 1 "$tf")
    printf '%s\t%s\t%s\t%s\n' "$commit" "$status" "${wall:-?}" "${peak:-?}" >>"$raw"
    # Keep standard error of the failures only; drop empty reports.
    if [ "$status" -le 1 ] && [ ! -s "$err" ]; then rm -f "$err"; fi
    [ -s "$json" ] || rm -f "$json"
    if [ -t 2 ]; then printf '\rsweep: %d/%d' "$i" "$n" >&2
    elif [ $((i % 50)) -eq 0 ] || [ "$i" -eq "$n" ]; then echo "sweep: $i/$n" >&2
    fi
done <"$list"
if [ -t 2 ]; then echo >&2; fi
rm -f "$tf"

# --- the table and the summary ------------------------------------------------
python3 - "$raw" "$dir/json" "$dir/stderr" "$out" "$repo" <<'EOF'
import collections, json, os, statistics, sys

raw, jsondir, errdir, out, repo = sys.argv[1:6]
rows, statuses, walls, peaks = [], collections.Counter(), [], []
per_rule = collections.defaultdict(lambda: [0, 0])  # rule -> [errors, warnings]
flagged = judged = 0
unreadable = []                                     # status 0/1 without a JSON report
failures = collections.defaultdict(list)            # headline -> commits

def headline(commit, status):
    """What a failed run said: the panic and its message, else the error line."""
    if status == "124":
        return "timed out (--timeout)"
    if status.isdigit() and int(status) > 128:
        return f"killed by signal {int(status) - 128}"
    try:
        lines = [l.strip() for l in open(os.path.join(errdir, commit + ".txt"), errors="replace")]
    except OSError:
        return "(no standard error)"
    lines = [l for l in lines if l]
    for i, l in enumerate(lines):
        if "panicked at" in l:
            return clean(" ".join(lines[i:i + 2]), 200)
    for i, l in enumerate(lines):
        if l.startswith(("×", "x ", "error")):
            # miette wraps the message; its continuation lines start with │.
            more = [m.lstrip("│ ") for m in lines[i + 1:i + 4] if m.startswith("│")]
            return clean(" ".join([l.lstrip("×x ")] + more), 200)
    return clean(lines[0], 200) if lines else "(empty standard error)"

def clean(s, n=160):
    s = " ".join(str(s).split())
    return s if len(s) <= n else s[: n - 1] + "…"

for line in open(raw):
    commit, status, wall, peak = line.rstrip("\n").split("\t")
    statuses[status] += 1
    try:
        walls.append(float(wall)); peaks.append(int(peak))
    except ValueError:
        pass
    errs, warns = collections.Counter(), collections.Counter()
    first, suppressed = "", 0
    path = os.path.join(jsondir, commit + ".json")
    if status in ("0", "1") and os.path.exists(path):
        try:
            findings = json.load(open(path)).get("findings", [])
        except ValueError:
            findings = None
        if findings is not None:
            judged += 1
            for f in findings:
                if f.get("suppressed"):
                    suppressed += 1
                elif f.get("severity") == "error":
                    errs[f["rule"]] += 1
                    if not first:
                        first = clean(f'{f["rule"]} {f.get("file")}:{f.get("line")} {f.get("message", "")}')
                elif f.get("severity") == "warning":
                    warns[f["rule"]] += 1
            flagged += bool(errs)
        else:
            unreadable.append(commit)
            first = "(unreadable JSON report)"
    elif status in ("0", "1"):
        unreadable.append(commit)
        first = "(no JSON report)"
    failure = "-"
    if status not in ("0", "1"):
        failure = headline(commit, status)
        failures[failure].append(commit)
    for r, c in errs.items(): per_rule[r][0] += c
    for r, c in warns.items(): per_rule[r][1] += c
    fmt = lambda c: ",".join(f"{r}={n}" for r, n in sorted(c.items())) or "-"
    rows.append([commit, status, wall, peak, str(sum(errs.values())), str(sum(warns.values())),
                 fmt(errs), fmt(warns), str(suppressed), first or "-", failure])

with open(out, "w") as f:
    f.write("commit\tstatus\twall_s\tpeak_kb\terrors\twarnings\terrors_by_rule\twarnings_by_rule\tsuppressed\tfirst_error\tfailure\n")
    for r in rows:
        f.write("\t".join(r) + "\n")

def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, -(-p * len(xs) // 100) - 1))] if xs else float("nan")

print(f"repository   {repo}")
print(f"commits      {len(rows)}")
print("exit status  " + ", ".join(f"{s}: {c}" for s, c in sorted(statuses.items(), key=lambda x: int(x[0]) if x[0].isdigit() else 999)))
if walls:
    print(f"wall time    median {statistics.median(walls):.2f} s, p90 {pct(walls, 90):.2f} s, max {max(walls):.2f} s")
if peaks:
    print(f"peak memory  max {max(peaks) / 1024:.0f} MB (median {statistics.median(peaks) / 1024:.0f} MB)")
if judged:
    print(f"flagged      {flagged} of {judged} commits with a report ({100 * flagged / judged:.1f}%) have an error-level finding")
if unreadable:
    print(f"no report   {len(unreadable)} commits exited 0 or 1 without a readable JSON report (first: {unreadable[0]})")
if failures:
    print("failed runs (status other than 0 and 1), by what they said:")
    for h, cs in sorted(failures.items(), key=lambda x: -len(x[1])):
        more = f" and {len(cs) - 3} more" if len(cs) > 3 else ""
        print(f"  {len(cs):5}  {h}\n         {', '.join(c[:12] for c in cs[:3])}{more}")
print("findings per rule (errors / warnings, unsuppressed):")
for r, (e, w) in sorted(per_rule.items(), key=lambda x: (-x[1][0], -x[1][1], x[0])):
    print(f"  {r:26} {e:6} / {w}")
print(f"table        {out}")
sys.exit(0 if set(statuses) <= {"0", "1"} else 1)
EOF
