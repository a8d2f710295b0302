#!/usr/bin/env python3
"""bench-ab.py — compare the speed of two (or more) puppet-preflight binaries per commit.

Runs `check --repo REPO --base C^ --head C --format json` on the last N non-merge commits
of REPO with each binary, alternating the binaries commit by commit and reversing their
order in a second round (so drift in machine load hits both alike), and prints each
binary's total, median and maximum wall time.

Usage: scripts/bench-ab.py REPO N BIN_A BIN_B [BIN_C ...]
Example: scripts/bench-ab.py target/history 20 /tmp/old/puppet-preflight target/release/puppet-preflight
"""
import os
import statistics
import subprocess
import sys
import time


def main():
    if len(sys.argv) < 5:
        print(__doc__.strip(), file=sys.stderr)
        sys.exit(2)
    repo, n, bins = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    commits = subprocess.check_output(
        ["git", "-C", repo, "rev-list", "--no-merges", "HEAD"], text=True
    ).split()[:n]
    commits = [
        c
        for c in commits
        if subprocess.run(
            ["git", "-C", repo, "rev-parse", "-q", "--verify", c + "^"],
            capture_output=True,
        ).returncode
        == 0
    ]
    times = {b: [] for b in bins}
    for rnd in range(2):
        for c in commits:
            for b in bins if rnd == 0 else list(reversed(bins)):
                t = time.perf_counter()
                subprocess.run(
                    [b, "check", "--repo", repo, "--base", c + "^", "--head", c, "--format", "json"],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                times[b].append(time.perf_counter() - t)
    for b in bins:
        x = times[b]
        print(
            f"{b}: {len(x)} runs, total {sum(x):.2f} s, median {statistics.median(x) * 1000:.0f} ms, "
            f"max {max(x) * 1000:.0f} ms"
        )


if __name__ == "__main__":
    main()
