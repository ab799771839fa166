#!/bin/sh
# build.sh [BUILD_DIR [configure options]]: installs what is missing,
# generates configure and builds Trellis out of tree (default ./build).
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$top/build}
[ $# -gt 0 ] && shift
"$top/scripts/deps.sh"
[ -x "$top/configure" ] && [ -f "$top/build-aux/tap-driver.sh" ] || "$top/autogen.sh"
mkdir -p "$dir"
cd "$dir"
if [ ! -f Makefile ] || [ "$top/configure" -nt config.status ]; then
	"$top/configure" -q "$@"
fi
make -j"$(nproc)" >/dev/null
echo "build.sh: built in $dir"
