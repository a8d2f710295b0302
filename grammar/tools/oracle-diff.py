#!/usr/bin/env python3
"""Compare puppet-preflight's parse trees with Puppet's own (differential testing).

usage: find DIR -name '*.pp' | sort | ruby oracle-dump.rb > oracle.tsv
       python3 oracle-diff.py BINARY oracle.tsv [--show N]

For every file Puppet parsed, runs `BINARY parse --format tree FILE` and compares the
s-expressions after collapsing whitespace (Puppet's dump collapses it too). Prints the
first difference of each mismatching file and a summary; exits 1 on any mismatch.
"""
import subprocess, sys, re
from concurrent.futures import ThreadPoolExecutor

def norm(s):
    # Puppet's dump lays out long strings on their own lines; compare without whitespace.
    return re.sub(r'\s+', '', s)

def mine(binary, path):
    r = subprocess.run([binary, 'parse', '--format', 'tree', path], capture_output=True, text=True)
    out = r.stdout
    prefix = path + ': '
    return r.returncode, norm(out[len(prefix):] if out.startswith(prefix) else out)

def first_diff(a, b):
    i = 0
    while i < min(len(a), len(b)) and a[i] == b[i]:
        i += 1
    lo = max(0, i - 60)
    return a[lo:i + 60], b[lo:i + 60]

def main():
    binary, tsv = sys.argv[1], sys.argv[2]
    show = int(sys.argv[sys.argv.index('--show') + 1]) if '--show' in sys.argv else 20
    rows = [l.rstrip('\n').split('\t', 2) for l in open(tsv, encoding='utf-8')]
    rows = [r for r in rows if len(r) == 3]
    with ThreadPoolExecutor(8) as ex:
        results = list(ex.map(lambda r: (r, mine(binary, r[0])), rows))
    bad = 0
    for (path, status, dump), (rc, tree) in results:
        if status != 'OK':
            if rc == 0:
                bad += 1
                print(f'ACCEPTED BUT PUPPET REJECTS: {path}: {dump}')
            continue
        if rc != 0:
            bad += 1
            print(f'REJECTED BUT PUPPET ACCEPTS: {path}')
            continue
        if tree != norm(dump):
            bad += 1
            if bad <= show:
                m, o = first_diff(tree, norm(dump))
                print(f'TREE DIFFERS: {path}\n  mine:   {m}\n  puppet: {o}')
    print(f'{len(rows)} files, {bad} differences')
    sys.exit(1 if bad else 0)

main()
