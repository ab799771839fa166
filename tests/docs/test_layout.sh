#!/usr/bin/env bash
# test_layout.sh: the "Layout" table of README.md names every file of the
# source tree (git ls-files). A row is `| `folder/` | what |`; a name in
# backquotes is taken relative to its row's folder and to the top, may
# hold shell wildcards, and <placeholder> stands for any one name; a bare
# name is also taken in the folder of the path named before it in its row
# (`vdcrepadmin/` (`main.c`, ...)). Skipped
# outside a git checkout (a release tarball).
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
if ! files=$(git -C "$top_srcdir" ls-files 2>/dev/null) || [ -z "$files" ]; then
	echo "1..0 # SKIP not a git checkout"
	exit 0
fi
printf '%s\n' "$files" | python3 -c '
import fnmatch, re, sys
readme = open(sys.argv[1], encoding="utf-8").read()
m = re.search(r"^## Layout\n(.*?)(?=^## |\Z)", readme, re.S | re.M)
if m is None:
    print("not ok 1 - README.md has a Layout section"); print("1..1"); sys.exit(1)
pats = []
for line in m.group(1).splitlines():
    if not line.startswith("|"):
        continue
    cells = line.split("|")
    folder = re.findall(r"`([^`]*/)`", cells[1])
    base = folder[0] if folder else ""
    cur = ""
    for name in re.findall(r"`([^`]+)`", line):
        tok = re.sub(r"<[^>]*>", "[!/]*", name)
        for b in {base, "", base + cur}:
            pats.append(b + tok)
        if "/" in name and name != base:
            cur = re.sub(r"<[^>]*>", "[!/]*", name[:name.rindex("/") + 1])
files = [f for f in sys.stdin.read().split("\n") if f]
def named(f):
    return any(fnmatch.fnmatchcase(f, p) and
               (p.count("/") == f.count("/") or p.endswith("*"))
               for p in pats)
missing = [f for f in files if not named(f)]
n = 0
for f in missing:
    n += 1; print("not ok %d - the Layout table names %s" % (n, f))
n += 1
print(("ok" if not missing else "not ok") +
      " %d - the Layout table names all %d files of the tree (%d missing)" %
      (n, len(files), len(missing)))
print("1..%d" % n)
sys.exit(1 if missing else 0)
' "$top_srcdir/README.md"
