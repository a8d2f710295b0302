#!/usr/bin/env python3
"""Build a realistic Puppet control repository with a git history, for end-to-end checks.

usage: scripts/build-history.py CORPUS_DIR OUT_DIR [--recipes FILE] [--modules A,B,...]

CORPUS_DIR is the unpacked Debian puppet-module-* packages (the directory holding
usr/share/puppet/modules.available, as scripts/fetch-corpus.sh leaves it), or that
modules.available directory itself. OUT_DIR must
not exist; it becomes a git repository:

  modules/<name>/      every Debian module (spec/ left out), named after metadata.json
  manifests/site.pp    a few node roles including real classes of the corpus
  hieradata/common.yaml, hiera.yaml (v5), environment.conf

--modules keeps only the named modules and, transitively, the modules their metadata.json
declares as dependencies (a smaller repository for debug-build tests; the recipes must
only touch kept modules). The first commit imports that tree. Then every recipe of fixtures/history/recipes.py
(a Python literal read with ast.literal_eval, never executed; or --recipes FILE) becomes
one commit: an edit of real modules (text replacements that
must match exactly, new files, deletions, renames) or a `git revert` of an earlier
recipe. The run is reproducible: fixed author, committer and dates, sorted file order,
no dependence on the environment. Each commit's expectations (the findings the edit
should trigger; harmless edits expect none at error level) are written to
OUT_DIR.expected.json with the commit ids:

  {"root": SHA, "head": SHA, "commits": [{"id", "sha", "subject", "kind",
   "expect": [{"rule", "file"?, "resource"?}], "allow": [...]}]}

Second form, the expected/unexpected table:

  scripts/build-history.py --table OUT_DIR.expected.json EACH.json

EACH.json is the output of `puppet-preflight check --each ROOT..HEAD --format json` on
that repository. For every commit it prints the expected findings found, the expected
findings missing and the unexpected ones (neither expected nor allowed), then the
findings per rule. Exit status 1 when an expected finding is missing, an unexpected
finding is at error level (warnings and infos are listed, not counted), or a known miss
(`xfail`) is found after all (the recipe must then move it to `expect`); 0 otherwise.
Allowed findings marked `"fp": True` are known false positives of the tool, counted
apart; `xfail` entries are hazards the tool is known to miss, each with a `why`.

Needs python3 (standard library only) and git.
"""
import ast
import json
import os
import shutil
import subprocess
import sys

AUTHOR = ("Puppet Preflight History", "history@example.org")
EPOCH = 1483228800  # 2017-01-01T00:00:00Z; each commit is one hour later
SKIP_DIRS = {"spec", ".git"}


def die(msg):
    print(f"build-history: {msg}", file=sys.stderr)
    sys.exit(2)


def module_name(path):
    """The module's name: metadata.json's `author-name` without the author, else the
    directory name after its last dash."""
    meta = os.path.join(path, "metadata.json")
    name = None
    if os.path.isfile(meta):
        try:
            with open(meta, encoding="utf-8") as fh:
                name = json.load(fh).get("name")
        except (OSError, ValueError):
            name = None
    base = name or os.path.basename(path)
    return base.replace("/", "-").split("-")[-1]


def dependencies(path):
    """Module names metadata.json declares as dependencies."""
    try:
        with open(os.path.join(path, "metadata.json"), encoding="utf-8") as fh:
            deps = json.load(fh).get("dependencies") or []
    except (OSError, ValueError):
        return []
    return [d["name"].replace("/", "-").split("-")[-1] for d in deps
            if isinstance(d, dict) and isinstance(d.get("name"), str)]


def copy_module(src, dst):
    for root, dirs, files in os.walk(src):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
        rel = os.path.relpath(root, src)
        for f in sorted(files):
            s = os.path.join(root, f)
            if os.path.islink(s) or not os.path.isfile(s):
                continue
            d = os.path.normpath(os.path.join(dst, rel, f))
            os.makedirs(os.path.dirname(d), exist_ok=True)
            shutil.copyfile(s, d)
            os.chmod(d, 0o644)


SITE_PP = """\
# Node roles of the example site. Each role is a real class of a Debian module.
node default {
  include ntp
}

node /^cache\\d+\\.example\\.org$/ {
  include memcached
  include rsyslog
}

node /^router\\d+\\.example\\.org$/ {
  include quagga
}

node /^zk\\d+\\.example\\.org$/ {
  include zookeeper
}

node /^mirror\\d+\\.example\\.org$/ {
  include archvsync
}
"""

HIERA_YAML = """\
---
version: 5
defaults:
  datadir: hieradata
  data_hash: yaml_data
hierarchy:
  - name: "Per node"
    path: "nodes/%{trusted.certname}.yaml"
  - name: "Common"
    path: "common.yaml"
"""

COMMON_YAML = """\
---
ntp::servers:
  - 0.debian.pool.ntp.org
  - 1.debian.pool.ntp.org
memcached::max_memory: 512
quagga::enable: true
zookeeper::client_port: 2181
"""

ENVIRONMENT_CONF = "modulepath = modules:$basemodulepath\nmanifest = manifests/site.pp\n"

README = """\
# Example control repository

Built by puppet-preflight's scripts/build-history.py from Debian's puppet-module packages.
"""


class Repo:
    def __init__(self, path):
        self.path = path
        self.step = 0

    def env(self):
        date = f"{EPOCH + 3600 * self.step} +0000"
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": self.path,
            "LC_ALL": "C",
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_AUTHOR_NAME": AUTHOR[0],
            "GIT_AUTHOR_EMAIL": AUTHOR[1],
            "GIT_COMMITTER_NAME": AUTHOR[0],
            "GIT_COMMITTER_EMAIL": AUTHOR[1],
            "GIT_AUTHOR_DATE": date,
            "GIT_COMMITTER_DATE": date,
        }
        return env

    def git(self, *args, capture=False):
        res = subprocess.run(
            ["git", *args], cwd=self.path, env=self.env(),
            stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
            stderr=subprocess.PIPE, text=True)
        if res.returncode != 0:
            die(f"git {' '.join(args)} failed: {res.stderr.strip()}")
        return res.stdout.strip() if capture else None

    def commit(self, message):
        self.step += 1
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD", capture=True)

    def file(self, rel):
        full = os.path.normpath(os.path.join(self.path, rel))
        if not full.startswith(self.path + os.sep):
            die(f"path escapes the repository: {rel}")
        return full


def apply_op(repo, op, cid):
    kind = op["op"]
    path = repo.file(op["path"])
    if kind == "replace":
        try:
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
        except OSError as e:
            die(f"{cid}: cannot read {op['path']}: {e}")
        old, new = op["old"], op["new"]
        count = text.count(old)
        if count != op.get("count", 1):
            die(f"{cid}: {op['path']}: expected {op.get('count', 1)} occurrence(s) of "
                f"{old!r}, found {count}")
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text.replace(old, new))
    elif kind == "write":
        if os.path.exists(path) and not op.get("overwrite", False):
            die(f"{cid}: {op['path']} exists (set overwrite)")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(op["text"])
    elif kind == "append":
        if not os.path.exists(path):
            die(f"{cid}: {op['path']} does not exist")
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(op["text"])
    elif kind == "delete":
        if not os.path.exists(path):
            die(f"{cid}: {op['path']} does not exist")
        os.remove(path)
    elif kind == "rename":
        dest = repo.file(op["to"])
        if not os.path.exists(path) or os.path.exists(dest):
            die(f"{cid}: cannot rename {op['path']} to {op['to']}")
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        os.rename(path, dest)
    else:
        die(f"{cid}: unknown op {kind!r}")


def matches(pattern, finding):
    return all(finding.get(k) == pattern[k] for k in ("rule", "file", "resource")
               if k in pattern)


def describe(f):
    where = f.get("resource") or f"{f.get('file')}:{f.get('line')}"
    return f"{f['rule']} ({f['severity']}) {where} [{f.get('file')}:{f.get('line')}]"


def table(expected_path, each_path):
    try:
        with open(expected_path, encoding="utf-8") as fh:
            expected = json.load(fh)
        with open(each_path, encoding="utf-8") as fh:
            each = json.load(fh)
    except (OSError, ValueError) as e:
        die(f"cannot read the table's inputs: {e}")
    by_commit = {}
    for f in each.get("findings", []):
        if f.get("suppressed"):
            continue
        by_commit.setdefault(f.get("commit") or each.get("head"), []).append(f)
    checked = {c["head"] for c in each.get("commits", [])} or {each.get("head")}
    missing_total = unexpected_errors = unexpected_other = found_total = 0
    known_fp = known_miss = xpass = 0
    per_rule = {}
    rows = []
    for c in expected["commits"]:
        if c["sha"] not in checked:
            rows.append(f"{c['id']:<34} NOT CHECKED (commit {c['sha'][:12]} absent from the run)")
            missing_total += max(1, len(c["expect"]))
            continue
        fs = by_commit.get(c["sha"], [])
        for f in fs:
            per_rule.setdefault((f["rule"], f["severity"]), 0)
            per_rule[(f["rule"], f["severity"])] += 1
        found = [e for e in c["expect"] if any(matches(e, f) for f in fs)]
        missing = [e for e in c["expect"] if not any(matches(e, f) for f in fs)]
        unexpected = [f for f in fs
                      if not any(matches(e, f) for e in c["expect"] + c["allow"])]
        xfail = c.get("xfail", [])
        xpassed = [e for e in xfail if any(matches(e, f) for f in fs)]
        fps = [f for f in fs if not any(matches(e, f) for e in c["expect"])
               and any(matches(e, f) for e in c["allow"] if e.get("fp"))]
        known_fp += len(fps)
        known_miss += len(xfail) - len(xpassed)
        xpass += len(xpassed)
        found_total += len(found)
        missing_total += len(missing)
        unexpected_errors += sum(1 for f in unexpected if f["severity"] == "error")
        unexpected_other += sum(1 for f in unexpected if f["severity"] != "error")
        status = "ok"
        if missing or xpassed or any(f["severity"] == "error" for f in unexpected):
            status = "FAIL"
        elif unexpected:
            status = "ok (unexpected below error level)"
        extra = f", known misses {len(xfail)}" if xfail else ""
        extra += f", known false positives {len(fps)}" if fps else ""
        rows.append(f"{c['id']:<34} {c['kind']:<8} expected {len(found)}/{len(c['expect'])}, "
                    f"findings {len(fs)}, unexpected {len(unexpected)}{extra}: {status}")
        for e in missing:
            rows.append(f"    MISSING    {e['rule']} {e.get('resource') or e.get('file') or ''}")
        for e in xpassed:
            rows.append(f"    XPASS      {e['rule']} {e.get('resource') or e.get('file') or ''}"
                        " (found now: move it from xfail to expect)")
        for e in xfail:
            if e not in xpassed:
                rows.append(f"    KNOWN MISS {e['rule']} {e.get('resource') or e.get('file') or ''}"
                            f": {e.get('why', '')}")
        for f in fps:
            rows.append(f"    KNOWN FP   {describe(f)}")
        for f in unexpected:
            rows.append(f"    UNEXPECTED {describe(f)}")
            rows.append(f"               {f['message'][:200]}")
    print("commit                             kind     result")
    print("\n".join(rows))
    print()
    print("findings per rule (severity): " + (", ".join(
        f"{r} ({s}) {n}" for (r, s), n in sorted(per_rule.items())) or "none"))
    hazards = sum(1 for c in expected["commits"] if c["expect"])
    print(f"commits: {len(expected['commits'])} ({hazards} expecting findings); "
          f"expected findings found {found_total}, missing {missing_total}; "
          f"unexpected: {unexpected_errors} at error level, {unexpected_other} below; "
          f"known misses {known_miss}, known false positives {known_fp}, xpass {xpass}")
    return 1 if missing_total or unexpected_errors or xpass else 0


def main(argv):
    args = list(argv[1:])
    if args and args[0] == "--table":
        if len(args) != 3:
            die("usage: build-history.py --table EXPECTED.json EACH.json")
        sys.exit(table(args[1], args[2]))
    recipes_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                                "fixtures", "history", "recipes.py")
    if "--recipes" in args:
        i = args.index("--recipes")
        if i + 1 >= len(args):
            die("--recipes needs a file")
        recipes_path = args[i + 1]
        del args[i:i + 2]
    only = None
    if "--modules" in args:
        i = args.index("--modules")
        if i + 1 >= len(args):
            die("--modules needs a comma-separated list")
        only = {m for m in args[i + 1].split(",") if m}
        del args[i:i + 2]
    if len(args) != 2:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        sys.exit(2)
    corpus, out = args
    avail = os.path.join(corpus, "usr", "share", "puppet", "modules.available")
    if not os.path.isdir(avail) and os.path.basename(os.path.normpath(corpus)) == "modules.available":
        avail = corpus
    if not os.path.isdir(avail):
        die(f"{avail} is not a directory (unpack the corpus with scripts/fetch-corpus.sh)")
    if os.path.exists(out):
        die(f"{out} exists; remove it or choose another directory")
    try:
        with open(recipes_path, encoding="utf-8") as fh:
            recipes = ast.literal_eval(fh.read())
    except (OSError, ValueError, SyntaxError) as e:
        die(f"cannot read recipes {recipes_path}: {e}")

    out = os.path.abspath(out)
    os.makedirs(out)
    repo = Repo(out)
    repo.git("init", "-q", "-b", "production")

    seen = {}
    for d in sorted(os.listdir(avail)):
        src = os.path.join(avail, d)
        if not os.path.isdir(src):
            continue
        name = module_name(src)
        if name in seen:
            die(f"module name {name} from both {seen[name]} and {d}")
        seen[name] = d
    if only is not None:
        unknown = sorted(only - set(seen))
        if unknown:
            die(f"--modules: no module named {', '.join(unknown)} in the corpus")
        todo = sorted(only)
        while todo:
            for dep in dependencies(os.path.join(avail, seen[todo.pop()])):
                if dep in seen and dep not in only:
                    only.add(dep)
                    todo.append(dep)
        seen = {k: v for k, v in seen.items() if k in only}
    for name, d in sorted(seen.items()):
        copy_module(os.path.join(avail, d), os.path.join(out, "modules", name))
    for rel, text in [("manifests/site.pp", SITE_PP), ("hiera.yaml", HIERA_YAML),
                      ("hieradata/common.yaml", COMMON_YAML),
                      ("environment.conf", ENVIRONMENT_CONF), ("README.md", README)]:
        p = repo.file(rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w", encoding="utf-8") as fh:
            fh.write(text)
    root = repo.commit(f"Import {len(seen)} Debian puppet modules as a control repository")

    shas = {}
    commits = []
    for r in recipes["commits"]:
        cid = r["id"]
        if cid in shas:
            die(f"duplicate recipe id {cid}")
        if "revert" in r:
            target = shas.get(r["revert"])
            if target is None:
                die(f"{cid}: reverts unknown or later recipe {r['revert']}")
            repo.step += 1
            repo.git("revert", "--no-edit", target)
            sha = repo.git("rev-parse", "HEAD", capture=True)
        else:
            for op in r["ops"]:
                apply_op(repo, op, cid)
            sha = repo.commit(r["subject"])
        shas[cid] = sha
        commits.append({
            "id": cid,
            "sha": sha,
            "subject": repo.git("log", "-1", "--format=%s", sha, capture=True),
            "kind": r["kind"],
            "expect": r.get("expect", []),
            "allow": r.get("allow", []),
            "xfail": r.get("xfail", []),
            "note": r.get("note", ""),
        })
    head = repo.git("rev-parse", "HEAD", capture=True)
    doc = {"root": root, "head": head, "commits": commits}
    with open(out.rstrip("/") + ".expected.json", "w", encoding="utf-8") as fh:
        json.dump(doc, fh, indent=1)
        fh.write("\n")
    print(f"{out}: {len(commits) + 1} commits, {len(seen)} modules, head {head}")


if __name__ == "__main__":
    main(sys.argv)
