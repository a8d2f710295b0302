#!/usr/bin/env python3
"""score-labelled.py — score puppet-preflight on the labelled history in corpus/labelled/.

Usage: scripts/score-labelled.py [MIRRORS] [--bin BIN] [--corpus NAME]... [--verbose]

--verbose also lists each hazard caught with the expected rule and its finding.

MIRRORS is a directory holding the mirrors by name (default /work/.mirror): the data
file corpus/labelled/NAME.tsv is scored against the git directory MIRRORS/NAME/repo,
MIRRORS/NAME/repo/.git or MIRRORS/NAME (the first that is a git repository). A corpus
whose mirror is absent is skipped with a note. The mirrors are only read.

Each labelled commit C runs
    BIN check --repo MIRROR --base C^ --head C --format json --no-cache
(a root commit: --head C alone), with the default configuration: pre-existing findings
hidden, suppressed ones not counted. Per corpus it reports

  recall         hazards with at least one warning or error finding
  strict recall  hazards with a finding of the expected rule (any severity)
  noise          ordinary commits with at least one error-level finding

and lists the misses and the noisy commits with their first finding; a noisy commit
whose first error has a verdict in corpus/sweep-judgements.tsv (same commit and rule)
shows it, and the summary counts the noisy commits whose first error was judged TRUE
(a real problem the commit introduced: a hazard the labelling did not find, not noise
in the usual sense; it still counts as noise here, as in the evaluation). out-of-scope rows
are not run. Hazards marked "[drawn as ordinary ...]" were drawn by the random sample
and relabelled once their fix was read; "noise as drawn" counts them back in. Exit status: 0 (the script reports, it does not gate), 1 when the binary
ended with a status other than 0 or 1 on a commit or a data file is malformed, 2 on a
usage error.
"""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
DATA = HERE / "corpus" / "labelled"
KINDS = ("hazard", "ordinary", "out-of-scope")
# The mark of a hazard the random sample of ordinary commits drew.
DRAWN = "[drawn as ordinary"


def parse(path):
    """Rows of a data file: (commit, kind, rules, why). Raises ValueError when malformed."""
    rows, header = [], False
    for n, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        cols = line.split("\t")
        if not header:
            if cols != ["commit", "kind", "expected_rule", "why"]:
                raise ValueError(f"{path}:{n}: expected the header line")
            header = True
            continue
        if len(cols) != 4:
            raise ValueError(f"{path}:{n}: {len(cols)} columns, expected 4")
        commit, kind, rules, why = cols
        if not re.fullmatch(r"[0-9a-f]{40}", commit):
            raise ValueError(f"{path}:{n}: not a full commit id: {commit!r}")
        if kind not in KINDS:
            raise ValueError(f"{path}:{n}: unknown kind {kind!r}")
        if (kind == "hazard") != (rules != "-"):
            raise ValueError(f"{path}:{n}: a hazard names its expected rule, nothing else does")
        if not why.strip():
            raise ValueError(f"{path}:{n}: no reason")
        rows.append((commit, kind, [] if rules == "-" else rules.split("|"), why))
    ids = [r[0] for r in rows]
    if len(ids) != len(set(ids)):
        raise ValueError(f"{path}: a commit is labelled twice")
    return rows


def judgements():
    """(commit, rule) -> (verdict, reason) from corpus/sweep-judgements.tsv."""
    out = {}
    path = HERE / "corpus" / "sweep-judgements.tsv"
    if path.is_file():
        for line in path.read_text().splitlines()[1:]:
            cols = line.split("\t")
            if len(cols) >= 5:
                out[(cols[0], cols[2])] = (cols[3], cols[4])
    return out


def find_mirror(root, name):
    for cand in (root / name / "repo", root / name / "repo" / ".git", root / name):
        if cand.is_dir() and subprocess.run(
                ["git", "-C", str(cand), "rev-parse", "--git-dir"],
                capture_output=True).returncode == 0:
            return cand
    return None


def check(bin_, mirror, commit):
    parents = subprocess.run(["git", "-C", str(mirror), "rev-list", "--parents", "-n1", commit],
                             capture_output=True, text=True).stdout.split()[1:]
    base = ["--base", parents[0]] if parents else []
    p = subprocess.run([bin_, "check", "--repo", str(mirror), *base, "--head", commit,
                        "--format", "json", "--no-cache", "--color", "never"],
                       capture_output=True, text=True)
    findings = []
    if p.returncode in (0, 1):
        findings = [f for f in json.loads(p.stdout).get("findings", [])
                    if not f.get("suppressed") and not f.get("preexisting")]
    return p.returncode, findings, p.stderr.strip().splitlines()[:1]


def first(f):
    return f"{f['rule']} ({f['severity']}) {f.get('file', '')}:{f.get('line', '')} {f['message'][:110]}"


def main():
    args = sys.argv[1:]
    if "-h" in args or "--help" in args:
        print(__doc__)
        return 0
    bin_, only, verbose, pos = None, [], False, []
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--bin":
            bin_ = args[i + 1]; i += 1
        elif a == "--corpus":
            only.append(args[i + 1]); i += 1
        elif a == "--verbose":
            verbose = True
        elif a.startswith("-"):
            print(f"score-labelled: unknown option {a}", file=sys.stderr)
            return 2
        else:
            pos.append(a)
        i += 1
    root = Path(pos[0] if pos else "/work/.mirror")
    if bin_ is None:
        for b in (Path(os.environ.get("CARGO_TARGET_DIR", HERE / "target")) / "release/puppet-preflight",
                  HERE / "target/release/puppet-preflight"):
            if b.is_file():
                bin_ = str(b); break
    if bin_ is None:
        print("score-labelled: no puppet-preflight binary; build it or pass --bin", file=sys.stderr)
        return 2
    status, table, verdicts = 0, [], judgements()
    for path in sorted(DATA.glob("*.tsv")):
        name = path.stem
        if only and name not in only:
            continue
        try:
            rows = parse(path)
        except ValueError as e:
            print(f"score-labelled: {e}", file=sys.stderr)
            status = 1
            continue
        mirror = find_mirror(root, name)
        if mirror is None:
            print(f"== {name}: skipped, no mirror under {root}")
            continue
        hz = [r for r in rows if r[1] == "hazard"]
        od = [r for r in rows if r[1] == "ordinary"]
        caught = strict = noisy = 0
        # Hazards the random sample drew as ordinary (relabelled after reading their
        # fix): counted back for the noise of the sample as drawn.
        drawn = drawn_noisy = 0
        misses, loose, noise, failed, hits = [], [], [], [], []
        for commit, kind, rules, why in hz + od:
            rc, fs, err = check(bin_, mirror, commit)
            if rc not in (0, 1):
                failed.append((commit, rc, err))
                continue
            if kind == "hazard" and DRAWN in why:
                drawn += 1
                drawn_noisy += any(f["severity"] == "error" for f in fs)
            if kind == "hazard":
                seen = [f for f in fs if f["severity"] in ("warning", "error")]
                hit = [f for f in fs if f["rule"] in rules]
                caught += bool(seen)
                strict += bool(hit)
                if not seen:
                    misses.append((commit, rules, why))
                elif not hit:
                    loose.append((commit, rules, seen[0]))
                else:
                    hits.append((commit, rules, hit[0]))
            else:
                errs = [f for f in fs if f["severity"] == "error"]
                if errs:
                    noisy += 1
                    noise.append((commit, errs[0], len(errs)))
        pct = lambda a, b: f"{100 * a / b:.0f}%" if b else "-"
        print(f"== {name} ({mirror})")
        print(f"hazards {len(hz)}: recall {caught}/{len(hz)} ({pct(caught, len(hz))}), "
              f"with the expected rule {strict}/{len(hz)} ({pct(strict, len(hz))})")
        judged = [verdicts.get((c, f["rule"])) for c, f, _ in noise]
        true = sum(1 for j in judged if j and j[0] == "TRUE")
        print(f"ordinary {len(od)}: {noisy} with an error-level finding "
              f"({100 * noisy / len(od) if od else 0:.1f}%), {true} of them judged TRUE "
              f"in corpus/sweep-judgements.tsv")
        if drawn:
            print(f"as drawn {len(od) + drawn}: {noisy + drawn_noisy} with an error-level "
                  f"finding ({pct(noisy + drawn_noisy, len(od) + drawn)}), counting the "
                  f"{drawn} drawn as ordinary and relabelled hazards")
        if verbose:
            for c, rules, f in hits:
                print(f"  caught  {c[:12]} [{'|'.join(rules)}] {first(f)}")
        for c, rules, why in misses:
            print(f"  missed  {c[:12]} [{'|'.join(rules)}] {why}")
        for c, rules, f in loose:
            print(f"  other   {c[:12]} [{'|'.join(rules)}] got {first(f)}")
        for (c, f, n), j in zip(noise, judged):
            print(f"  noisy   {c[:12]} {n} error(s), first: {first(f)}")
            if j:
                print(f"          judged {j[0]}: {j[1][:140]}")
        for c, rc, err in failed:
            print(f"  FAILED  {c[:12]} exit {rc}: {' '.join(err)}")
            status = 1
        table.append((name, len(hz), caught, strict, len(od), noisy, true,
                      len(od) + drawn, noisy + drawn_noisy))
    if table:
        print("\n| corpus | hazards | recall (warning or error) | with the expected rule | ordinary | noise (error) | of which judged true | noise as drawn |")
        print("|---|---|---|---|---|---|---|---|")
        for name, h, c, s, o, n, t, od_, nd in table:
            print(f"| `{name}` | {h} | {c} ({100 * c / h if h else 0:.0f}%) | {s} ({100 * s / h if h else 0:.0f}%) "
                  f"| {o} | {n} ({100 * n / o if o else 0:.1f}%) | {t} | {nd} of {od_} ({100 * nd / od_ if od_ else 0:.1f}%) |")
        H = sum(t[1] for t in table); C = sum(t[2] for t in table); S = sum(t[3] for t in table)
        O = sum(t[4] for t in table); N = sum(t[5] for t in table); T = sum(t[6] for t in table)
        OD = sum(t[7] for t in table); ND = sum(t[8] for t in table)
        print(f"| all | {H} | {C} ({100 * C / H if H else 0:.0f}%) | {S} ({100 * S / H if H else 0:.0f}%) "
              f"| {O} | {N} ({100 * N / O if O else 0:.1f}%) | {T} | {ND} of {OD} ({100 * ND / OD if OD else 0:.1f}%) |")
    return status


if __name__ == "__main__":
    sys.exit(main())
