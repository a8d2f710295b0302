#!/usr/bin/env python3
"""Differential fuzzing against Puppet: random token soup and mutations of the tree-corpus
snippets are parsed by Puppet (grammar/tools/oracle-dump.rb) and by puppet-preflight; any
difference in acceptance or in the tree is printed.

usage: python3 fuzz-oracle.py BINARY [COUNT] [SEED]
"""
import random, re, subprocess, sys, tempfile, os
from concurrent.futures import ThreadPoolExecutor

import os
ORACLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'oracle-dump.rb')
VOCAB = ["$x", "$::y", "foo", "a-b", "Foo::Bar", "File", "1", "0x1F", "07", "1.5", "'s'", '"d"',
         '"a${x}b"', '"$y"', "/re/", "(", ")", "[", "]", " [", "{", "}", ",", ";", ":", ".",
         "?", "|", "=>", "+>", "=", "==", "!=", "=~", "<", ">", "<<", ">>", "+", "-", "*", "/",
         "%", "!", "->", "~>", "<|", "|>", "@", "@@", "and", "or", "in", "if", "elsif", "else",
         "unless", "case", "default", "undef", "true", "class", "define", "node", "function",
         "type", "inherits", "include", "notice", "\n", " ", "\n(", "# c\n", "'a':", "x =>",
         "case $x {", "'a': {", "default:", "? {", "<| tag == 'x' |>", "File[", "Class['a']",
         "node 'a'", "=> {", "|$x|", ".each", ".map |$v|", "function f()", ">>", "Integer[1]",
         "type T =", "-> File['a']", "file { 'a':", "ensure => file", "*=>", "+=", "private",
         "$x ? {", "unless", "{}", "[]", "()", "(1)", "[1]", "{a => 1}", "1.0", "2e3", "0x", "::a",
         "$::a", "a::b", "A::B", "Foo::bar", "@file", "@@file", "<<| |>>", "import"]

def seeds(root):
    text = open(os.path.join(root, 'fixtures/grammar/trees/tricky.txt'), encoding='utf-8').read()
    out = []
    for b in text.split('\n----\n'):
        out.append('\n'.join(l for l in b.split('\n') if not l.startswith(('>>> ', '!!! '))))
    return out

def mutate(rng, s):
    for _ in range(rng.randint(1, 3)):
        op = rng.random()
        i = rng.randint(0, len(s))
        if op < 0.35:
            s = s[:i] + s[i + rng.randint(1, 4):]
        elif op < 0.8:
            s = s[:i] + ' ' + rng.choice(VOCAB) + ' ' + s[i:]
        else:
            j = min(len(s), i + rng.randint(1, 12))
            s = s[:j] + s[i:j] + s[j:]
    return s

BODY_BITS = ["a", " ", "  ", "\t", "\\", "\\n", "\\t", "\\s", "\\u0041", "\\$", "$x", "${y}",
             "${z[0]}", "$", "\"", "'", "\\\n", "|", "-", "EOT", "# c", "${'a'}"]

def heredoc(rng):
    tag = rng.choice(["EOT", "X", "My Tag", "END"])
    opener_tag = f'"{tag}"' if rng.random() < 0.5 else tag
    flags = ''
    if rng.random() < 0.3:
        flags += ':' + rng.choice(['json', 'yaml', 'x+y', 'Bad', 'q'])
    if rng.random() < 0.6:
        flags += '/' + ''.join(rng.sample('trnsuL$', rng.randint(0, 4))) + rng.choice(['', '', 'q', 'tt'])
    rest = rng.choice(['', '', '.split("\\n")', ', 1', ' + "x"'])
    n = rng.randint(1, 2)
    lines = ['$v = [' + ', '.join(f'@({opener_tag}{flags})' for _ in range(n)) + ']' + rest]
    for _ in range(n):
        indent = rng.choice(['', '  ', '    ', '\t'])
        for _ in range(rng.randint(0, 3)):
            lines.append(rng.choice(['', '  ', '    ', indent]) + ''.join(rng.choice(BODY_BITS) for _ in range(rng.randint(0, 5))))
        lines.append(indent + rng.choice(['', '|', '| ', '|-', '- ', '|  -']) + ' ' * rng.randint(0, 1) + tag + rng.choice(['', ' ', ' # x']))
    lines.append(rng.choice(['', '$after = 1', 'notice($v)']))
    return '\n'.join(lines)

def mine(binary, d, i):
    p = os.path.join(d, f'{i}.pp')
    r = subprocess.run([binary, 'parse', '--format', 'tree', p], capture_output=True, text=True)
    out = r.stdout[len(p) + 2:] if r.stdout.startswith(p + ': ') else r.stdout
    return r.returncode, re.sub(r'\s+', '', out)

def main():
    binary = os.path.abspath(sys.argv[1])
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 500
    rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')
    base = seeds(root)
    snips = []
    for _ in range(count):
        r = rng.random()
        if r < 0.25:
            snips.append(' '.join(rng.choice(VOCAB) for _ in range(rng.randint(1, 12))))
        elif r < 0.5:
            snips.append(heredoc(rng))
        else:
            snips.append(mutate(rng, rng.choice(base)))
    snips = [s for s in snips if s.strip() and not re.search(r'^----', s, re.M)]
    with tempfile.TemporaryDirectory() as d:
        sf = os.path.join(d, 'all.pp')
        with open(sf, 'w', encoding='utf-8') as f:
            f.write('\n----\n'.join(snips) + '\n')
        out = subprocess.run(['ruby', ORACLE, '--snippets', sf], capture_output=True, text=True).stdout
        parts = re.split(r'^----.*\n', open(sf, encoding='utf-8').read(), flags=re.M)
        oracle = {}
        for block in re.split(r'^=== #', out, flags=re.M)[1:]:
            head, _, rest = block.partition('\n')
            idx, _, status = head.partition(' ')
            m = re.search(r'^>>> (.*)$', rest, flags=re.M)
            oracle[int(idx)] = (status.startswith('SYNTAX'), re.sub(r'\s+', '', m.group(1)) if m else '')
        for i, s in enumerate(parts):
            with open(os.path.join(d, f'{i}.pp'), 'w', encoding='utf-8') as f:
                f.write(s)
        idxs = [i for i in range(len(parts)) if i in oracle]
        with ThreadPoolExecutor(8) as ex:
            res = list(ex.map(lambda i: (i, mine(binary, d, i)), idxs))
        bad = 0
        for i, (rc, tree) in res:
            perr, ptree = oracle[i]
            if perr != (rc != 0) or (not perr and tree != ptree):
                bad += 1
                what = 'puppet rejects' if perr else ('we reject' if rc else 'trees differ')
                print(f'--- {what}:\n{parts[i]}\n  mine:   {tree[:300]}\n  puppet: {ptree[:300]}')
        print(f'{len(idxs)} snippets, {bad} differences')

main()
