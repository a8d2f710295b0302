#!/bin/sh
# Builds a Puppet control repository from Debian's puppet-module-* corpus, for benchmarks
# and real-input tests of the input layer.
#
#   scripts/build-corpus-repo.sh CORPUS_DIR OUT_DIR
#
# CORPUS_DIR is either the unpacked packages' root (holding usr/share/puppet/
# modules.available) or that modules.available directory itself. OUT_DIR must not
# exist yet. The result has modules/<name>/ for every module, a second renamed copy of
# each module (modules/<name>_v2/, class names rewritten) so that there are at least
# 3,000 manifests, manifests/site.pp, environment.conf, hiera.yaml, hieradata/common.yaml,
# and four commits; the last two change manifests, relink a module file, rename and
# delete manifests. PACK=0 leaves the objects loose (default: packed, like a clone).
set -eu

usage() { echo "usage: $0 CORPUS_DIR OUT_DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
corpus=$1
out=$2
if [ -d "$corpus/usr/share/puppet/modules.available" ]; then
    corpus=$corpus/usr/share/puppet/modules.available
fi
[ -d "$corpus" ] || { echo "$0: $corpus is not a directory" >&2; exit 2; }
[ ! -e "$out" ] || { echo "$0: $out already exists" >&2; exit 2; }

export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
export GIT_AUTHOR_NAME=corpus GIT_AUTHOR_EMAIL=corpus@example.org
export GIT_COMMITTER_NAME=corpus GIT_COMMITTER_EMAIL=corpus@example.org
export GIT_AUTHOR_DATE=2016-12-20T10:00:00Z GIT_COMMITTER_DATE=2016-12-20T10:00:00Z

mkdir -p "$out"
git -C "$out" init -q -b production
git -C "$out" config gc.auto 0

# Debian directory name -> Puppet module name: drop the author, dashes become underscores.
module_name() {
    n=${1#puppet-module-}
    case $n in *-*) n=${n#*-} ;; esac
    echo "$n" | tr '-' '_'
}

names=""
for dir in "$corpus"/*/; do
    dir=${dir%/}
    [ -d "$dir/manifests" ] || continue
    name=$(module_name "$(basename "$dir")")
    if [ -e "$out/modules/$name" ]; then
        name=$(basename "$dir" | tr '-' '_')
    fi
    mkdir -p "$out/modules/$name"
    cp -R "$dir/." "$out/modules/$name/"
    names="$names $name"
done

# Variants: each module again under <name>_v2, its own namespace rewritten.
for name in $names; do
    cp -R "$out/modules/$name" "$out/modules/${name}_v2"
    find "$out/modules/${name}_v2" -type f \( -name '*.pp' -o -name '*.erb' -o -name '*.epp' \) \
        -exec sed -i -E "s/(^|[^A-Za-z0-9_:\$])${name}(::|[^A-Za-z0-9_]|\$)/\1${name}_v2\2/g" {} +
done

mkdir -p "$out/manifests" "$out/hieradata"
{
    echo "# Site manifest of the corpus control repository."
    echo "node default {"
    for name in $names; do
        [ -f "$out/modules/$name/manifests/init.pp" ] && echo "  # include $name"
    done
    echo "}"
} > "$out/manifests/site.pp"
printf 'modulepath = modules:$basemodulepath\nmanifest = manifests/site.pp\n' > "$out/environment.conf"
cat > "$out/hiera.yaml" <<'YAML'
---
version: 5
defaults:
  datadir: hieradata
  data_hash: yaml_data
hierarchy:
  - name: "Per-node data"
    path: "nodes/%{trusted.certname}.yaml"
  - name: "Common data"
    path: "common.yaml"
YAML
printf -- '---\nntp::servers:\n  - 0.debian.pool.ntp.org\n  - 1.debian.pool.ntp.org\n' > "$out/hieradata/common.yaml"

git -C "$out" add -A
git -C "$out" commit -q -m "Import the Debian puppet-module corpus"

# Second commit: hiera data.
export GIT_AUTHOR_DATE=2016-12-21T09:00:00Z GIT_COMMITTER_DATE=2016-12-21T09:00:00Z
printf 'ntp::restrict:\n  - 127.0.0.1\n' >> "$out/hieradata/common.yaml"
git -C "$out" commit -q -a -m "hieradata: restrict ntp"

# Third commit: a change of the kind the tool is for.
export GIT_AUTHOR_DATE=2016-12-21T10:00:00Z GIT_COMMITTER_DATE=2016-12-21T10:00:00Z
cd "$out"
i=0
for f in $(git ls-files 'modules/*/manifests/*.pp' | awk 'NR % 97 == 1'); do
    i=$((i + 1))
    case $((i % 4)) in
        0) printf '# reviewed in the corpus benchmark\n' >> "$f" ;;
        1) sed -i '1s/^/# touched\n/' "$f" ;;
        2) git mv -k "$f" "${f%.pp}_renamed.pp" ;;
        3) git rm -q "$f" ;;
    esac
done
mkdir -p modules/ntp/files
printf '#!/bin/sh\nexec /usr/sbin/ntpd "$@"\n' > modules/ntp/files/ntpd-wrapper
git add modules/ntp/files/ntpd-wrapper
git commit -q -a -m "ntp: add a wrapper, touch manifests"
rm modules/ntp/files/ntpd-wrapper
ln -s /usr/local/bin/ntpd modules/ntp/files/ntpd-wrapper
git add -A
git commit -q -m "ntp: relink the wrapper, touch manifests"
cd - >/dev/null

if [ "${PACK:-1}" != 0 ]; then
    git -C "$out" gc -q --prune=now
fi

manifests=$(git -C "$out" ls-files '*.pp' | wc -l)
files=$(git -C "$out" ls-files | wc -l)
echo "built $out: $manifests manifests, $files files, $(git -C "$out" rev-list --count HEAD) commits"
