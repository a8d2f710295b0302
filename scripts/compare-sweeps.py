#!/usr/bin/env python3
"""compare-sweeps.py — compare the findings of two sweeps (scripts/sweep.sh --dir) commit
by commit: the commits both sweeps checked, findings as (rule, severity, file, line,
message, resource). Prints each difference and a count; exits 1 when any differ.

Usage: scripts/compare-sweeps.py BASE_DIR NEW_DIR [--ignore-message RULE ...]
"""
import json
import os
import sys


def load(path):
    with open(path) as f:
        d = json.load(f)
    return d


def key(f, ignore_message):
    msg = "" if f.get("rule") in ignore_message else f.get("message")
    return (
        f.get("rule"),
        f.get("severity"),
        f.get("side"),
        f.get("file"),
        f.get("line"),
        f.get("column"),
        msg,
        f.get("resource"),
        bool(f.get("suppressed")),
    )


def main():
    args = sys.argv[1:]
    ignore = []
    if "--ignore-message" in args:
        i = args.index("--ignore-message")
        ignore = args[i + 1 :]
        args = args[:i]
    base, new = args
    bj, nj = os.path.join(base, "json"), os.path.join(new, "json")
    common = sorted(set(os.listdir(bj)) & set(os.listdir(nj)))
    changed = 0
    for name in common:
        try:
            a, b = load(os.path.join(bj, name)), load(os.path.join(nj, name))
        except (OSError, ValueError) as e:
            print(f"{name}: unreadable ({e})")
            changed += 1
            continue
        fa = sorted(key(f, ignore) for f in a.get("findings", []))
        fb = sorted(key(f, ignore) for f in b.get("findings", []))
        if fa != fb:
            changed += 1
            print(f"== {name[:12]}")
            for f in fa:
                if f not in fb:
                    print("  - ", f)
            for f in fb:
                if f not in fa:
                    print("  + ", f)
    print(f"{len(common)} commits compared, {changed} differ")
    sys.exit(1 if changed else 0)


if __name__ == "__main__":
    main()
