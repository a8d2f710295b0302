#!/usr/bin/env python3
"""find-hazards.py — list candidate hazardous commits of a Puppet repository's history.

Usage: scripts/find-hazards.py MIRROR [--days N] [--limit N] [--stat]
       scripts/find-hazards.py MIRROR --ordinary N [--seed S] [--days N]

MIRROR is a git directory (bare or not); it is only read. Two kinds of candidate:

  revert  a commit C later reverted: a commit whose message says
          "This reverts commit C" (the revert itself is not a candidate).
  fix     a commit C followed within --days (default 3) by a commit F whose subject
          says fix/typo/oops/broken/revert/missing/forgot/... and that touches a Puppet
          file C touched (a manifest, template, unit file or module file); C is the
          latest earlier commit touching that file.

Each line: kind, candidate commit, follow-up commit, days between, the shared files,
both subjects. With --stat both diffs' stats follow. Candidates are only that: read
both diffs (git -C MIRROR show C F) before labelling one a hazard in
corpus/labelled/<corpus>.tsv.

--ordinary N prints the ordinary sample instead: N non-merge commits touching Puppet
code (the pathspecs of scripts/sweep.sh --sample) that are neither a candidate nor a
follow-up, chosen by sha1("SEED:COMMIT") as sweep.sh chooses (default seed 1, so the
sample falls inside a `sweep.sh --sample 500 --seed 1` run), in history order.
"""
import hashlib
import re
import subprocess
import sys

PUPPET = re.compile(r"(\.pp|\.erb|\.epp|\.service|\.socket|\.timer|\.mount|\.path)$|(^|/)files/")
FIXWORD = re.compile(r"\b(fix(es|ed|up)?|typo|oops|broke(n)?|revert|missing|forgot|forgotten|"
                     r"wrong|correct(ed)?|should have|syntax|hotfix|thinko|braino|unbreak)\b", re.I)
SWEEP_PATHS = ["*.pp", "*.erb", "*.epp", "files/*", "*/files/*", "*.yaml", "*.yml", "*.service",
               "*.socket", "*.timer", "*.mount", "*.path", "*.target"]
REVERTS = re.compile(r"This reverts commit ([0-9a-f]{7,40})")


def git(mirror, *args, check=True):
    return subprocess.run(["git", "-C", mirror, *args], check=check, capture_output=True,
                          text=True, errors="replace").stdout


def commits(mirror):
    """Non-merge commits oldest first: (sha, time, subject, body, files)."""
    # Newest first and without check: a mirror missing an old tree (a partial clone)
    # still yields everything before the failure.
    out = git(mirror, "log", "--no-merges", "--name-only",
              "--format=%x00%H%x01%ct%x01%s%x01%b%x02", check=False)
    for rec in reversed(out.split("\x00")[1:]):
        head, _, files = rec.partition("\x02")
        sha, ct, subj, body = head.split("\x01", 3)
        yield sha, int(ct), subj, body, [f for f in files.split("\n") if f.strip()]


def main():
    args = sys.argv[1:]
    if not args or args[0] in ("-h", "--help"):
        print(__doc__)
        return 0
    mirror, days, limit, stat = args[0], 3.0, None, "--stat" in args
    if "--days" in args:
        days = float(args[args.index("--days") + 1])
    if "--limit" in args:
        limit = int(args[args.index("--limit") + 1])
    ordinary = int(args[args.index("--ordinary") + 1]) if "--ordinary" in args else None
    seed = args[args.index("--seed") + 1] if "--seed" in args else "1"
    cs = list(commits(mirror))
    full = {c[0]: c for c in cs}
    short = {}
    for c in cs:
        short.setdefault(c[0][:7], []).append(c[0])
    last_touch = {}  # file -> index of the latest commit touching it
    out = []
    for i, (sha, ct, subj, body, files) in enumerate(cs):
        for m in REVERTS.finditer(body):
            ref = m.group(1)
            hits = [s for s in short.get(ref[:7], []) if s.startswith(ref)]
            if hits and hits[0] != sha:
                c = full[hits[0]]
                out.append(("revert", c[0], sha, (ct - c[1]) / 86400, c[4], c[2], subj))
        if FIXWORD.search(subj) and not subj.lower().startswith("merge"):
            prev = {}
            for f in files:
                if PUPPET.search(f) and f in last_touch:
                    j = last_touch[f]
                    prev.setdefault(j, []).append(f)
            for j, shared in prev.items():
                c = cs[j]
                d = (ct - c[1]) / 86400
                if 0 <= d <= days:
                    out.append(("fix", c[0], sha, d, shared, c[2], subj))
        for f in files:
            last_touch[f] = i
    if ordinary is not None:
        excluded = {o[1] for o in out} | {o[2] for o in out}
        touching = git(mirror, "rev-list", "--no-merges", "HEAD", "--", *SWEEP_PATHS,
                       check=False).split()
        pool = [c for c in touching if c not in excluded]
        key = lambda c: hashlib.sha1(f"{seed}:{c}".encode()).hexdigest()
        chosen = set(sorted(pool, key=key)[:ordinary])
        for c in reversed(touching):
            if c in chosen:
                print(c)
        return 0
    seen = set()
    for kind, c, f, d, shared, s1, s2 in out[:limit]:
        if (c, f) in seen:
            continue
        seen.add((c, f))
        print(f"{kind}\t{c}\t{f}\t{d:.1f}d\t{','.join(shared[:4])}\t{s1[:70]}\t=> {s2[:70]}")
        if stat:
            for sha in (c, f):
                print("    " + git(mirror, "show", "--stat", "--format=%h %s", sha, check=False)
                      .strip().replace("\n", "\n    "))
    return 0


if __name__ == "__main__":
    sys.exit(main())
