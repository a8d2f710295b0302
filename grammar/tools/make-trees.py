#!/usr/bin/env python3
"""Build an expected-tree corpus from snippets, with Puppet itself as the oracle.

usage: python3 make-trees.py SNIPPETS.pp > fixtures/grammar/trees/NAME.txt

SNIPPETS.pp holds snippets separated by lines '----'. Each is run through
grammar/tools/oracle-dump.rb (Puppet 7.23); the output repeats each snippet followed by
'>>> TREE' (Puppet's dump: it parses) or '!!! MESSAGE' (Puppet reports a syntax error).
tests/grammar_trees.rs checks puppet-preflight against these files.
"""
import re, subprocess, sys

import os
ORACLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'oracle-dump.rb')
src = open(sys.argv[1], encoding='utf-8').read()
snips = re.split(r'^----.*\n', src, flags=re.M)
out = subprocess.run(['ruby', ORACLE, '--snippets', sys.argv[1]], capture_output=True, text=True).stdout
results = {}
for block in re.split(r'^=== #', out, flags=re.M)[1:]:
    head, _, rest = block.partition('\n')
    idx, _, status = head.partition(' ')
    idx = int(idx)
    if status.startswith('SYNTAX-ERROR'):
        results[idx] = '!!! ' + status[len('SYNTAX-ERROR: '):].split(' (file:')[0]
    else:
        m = re.search(r'^>>> (.*)$', rest, flags=re.M)
        results[idx] = '>>> ' + (m.group(1) if m else '')
first = True
for i, s in enumerate(snips):
    if not s.strip():
        continue
    if not first:
        sys.stdout.write('----\n')
    first = False
    sys.stdout.write(s if s.endswith('\n') else s + '\n')
    sys.stdout.write(results.get(i, '!!! (no oracle result)') + '\n')
