#!/bin/sh
# Times `puppet-preflight snapshot` on a generated /usr of 100,000 files (issue 17: under
# 2 s).
#
#   scripts/bench-snapshot.sh [FILES] [-- extra snapshot flags]
#
# Builds a root tree in a temporary directory: FILES entries under /usr (default
# 100,000): 3 % executables of 32 KiB (an ELF header, hashed), 5 % links, the rest
# ordinary files of a few hundred bytes (never read), in 2,000 directories, and dpkg file
# lists naming every path. Builds the release binary, walks the tree once to warm the
# page cache, then prints wall times over RUNS (default 5; median, min, max), the CPU
# time of the median run, the snapshot size and the load average: on a shared machine
# the wall time includes waiting for a core, the CPU time does not.
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
files=${1:-100000}
[ $# -gt 0 ] && shift
[ "${1:-}" = "--" ] && shift
tmp=$(mktemp -d "${TMPDIR:-/tmp}/preflight-snapshot-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
root=$tmp/root

python3 - "$root" "$files" <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
exe = b"\x7fELF\x02\x01\x01" + bytes(32 * 1024 - 7)
dirs = [f"usr/lib/pkg{d // 20}/sub{d % 20}" for d in range(2000)]
for d in dirs + ["usr/bin", "usr/sbin", "var/lib/dpkg/info", "etc"]:
    os.makedirs(os.path.join(root, d), exist_ok=True)
lists = {}
for i in range(n):
    if i % 100 < 3:
        path = f"usr/bin/tool{i}"
        with open(os.path.join(root, path), "wb") as f:
            f.write(exe)
        os.chmod(os.path.join(root, path), 0o755)
    elif i % 100 < 8:
        path = f"usr/sbin/link{i}"
        os.symlink(f"../bin/tool{i - i % 100}", os.path.join(root, path))
    else:
        path = f"{dirs[i % len(dirs)]}/file{i}.so"
        with open(os.path.join(root, path), "wb") as f:
            f.write(b"x" * 300)
    lists.setdefault(f"pkg{i % 400}", []).append("/" + path)
for pkg, paths in lists.items():
    with open(os.path.join(root, f"var/lib/dpkg/info/{pkg}:amd64.list"), "w") as f:
        f.write("/.\n" + "\n".join(paths) + "\n")
with open(os.path.join(root, "etc/passwd"), "w") as f:
    f.write("root:x:0:0::/root:/bin/sh\n")
PY

cd "$here"
cargo build --quiet --release
bin=${CARGO_TARGET_DIR:-$here/target}/release/puppet-preflight
echo "root: $root ($(find "$root/usr" -mindepth 1 | wc -l) entries under /usr, $(du -sh "$root/usr" | cut -f1))"
"$bin" snapshot --root "$root" --host bench --dir /usr "$@" > "$tmp/snap.json"
echo "snapshot: $(grep -c '"path"' "$tmp/snap.json") entries, $(wc -c < "$tmp/snap.json") bytes, $(gzip -c "$tmp/snap.json" | wc -c) bytes gzipped"
runs=${RUNS:-5}
i=0
: > "$tmp/times"
while [ "$i" -lt "$runs" ]; do
    /usr/bin/time -f "%e %U %S %M" -o "$tmp/t" "$bin" snapshot --root "$root" --host bench --dir /usr "$@" > /dev/null
    cat "$tmp/t" >> "$tmp/times"
    i=$((i + 1))
done
sort -n "$tmp/times" | awk -v runs="$runs" '
    { wall[NR] = $1; usr[NR] = $2; sys[NR] = $3; mem[NR] = $4 }
    END {
        m = int((runs + 1) / 2)
        printf "wall: median %.2f s, min %.2f s, max %.2f s over %d runs; CPU %.2f s (user %.2f, system %.2f); peak %d MB\n",
            wall[m], wall[1], wall[runs], runs, usr[m] + sys[m], usr[m], sys[m], mem[m] / 1024
    }'
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
