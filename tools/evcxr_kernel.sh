#!/bin/sh
# Starts the evcxr kernel for the project's notebooks.
#
# - A build directory per running kernel: evcxr builds a kernel's cells in
#   $EVCXR_TMPDIR itself, so two kernels given the same directory (two
#   notebooks open at once) overwrite each other's cells. Each kernel takes
#   the first free slot ($EVCXR_TMPDIR, then $EVCXR_TMPDIR-1, -2, ...) and
#   holds its lock file until it exits. A new slot starts as a copy of the
#   first one's build, so its first cell does not rebuild every dependency.
# - Locked versions: evcxr resolves a notebook's dependencies itself, as a
#   crate of its own in the build directory, and cargo there keeps the
#   versions of the Cargo.lock it finds. Seeding that file from the
#   workspace's at every start makes the notebooks run on the versions
#   `cargo test` ran on.
# - No rustup proxies: evcxr's rust-analyzer runs cargo and rustc a dozen
#   times whenever a notebook's dependencies change; calling the toolchain's
#   binaries directly saves the proxy's start-up each time.
# - tokio declared at start (init.evcxr in $EVCXR_CONFIG_DIR): the first cell
#   that awaits then does not add it, which would change the kernel's
#   Cargo.toml and make rust-analyzer reload every dependency in the next cell.
# - A warm-up `let` (prelude.rs): rust-analyzer infers the type of every `let`
#   in a cell, and its first inference analyses the standard library. Done
#   while the kernel starts, the learner's first `let` cell does not wait for
#   it.
#
#     evcxr_kernel.sh PATH_TO_EVCXR_JUPYTER ARGS...
set -eu
evcxr=$1
shift
root=$(cd "$(dirname "$0")/.." && pwd)
first=$EVCXR_TMPDIR
mkdir -p "$(dirname "$first")"

# The lock is taken on descriptor 9, which evcxr inherits through `exec`: the
# kernel holds it until its process ends, however it ends.
slot=0
while :; do
  dir=$first
  [ "$slot" -eq 0 ] || dir="$first-$slot"
  exec 9>"$dir.lock"
  flock -n 9 && break
  slot=$((slot + 1))
done
mkdir -p "$dir"
if [ ! -d "$dir/target" ] && [ -d "$first/target" ]; then
  cp -a "$first/target" "$dir/"
fi
cp "$root/Cargo.lock" "$dir/Cargo.lock"
EVCXR_TMPDIR=$dir
export EVCXR_TMPDIR

PATH="$(dirname "$(rustup which cargo)"):$PATH"
export PATH

# Shared by every slot; written through a rename so that a kernel starting
# beside another never reads a half-written file.
EVCXR_CONFIG_DIR="$first-config"
export EVCXR_CONFIG_DIR
mkdir -p "$EVCXR_CONFIG_DIR"
# No features: tokio is built with the union of these and the crate's.
echo ':dep tokio = "1"' >"$EVCXR_CONFIG_DIR/init.evcxr.$$"
mv "$EVCXR_CONFIG_DIR/init.evcxr.$$" "$EVCXR_CONFIG_DIR/init.evcxr"
echo 'let evcxr_warm_up: u8 = 0;' >"$EVCXR_CONFIG_DIR/prelude.rs.$$"
mv "$EVCXR_CONFIG_DIR/prelude.rs.$$" "$EVCXR_CONFIG_DIR/prelude.rs"
exec "$evcxr" "$@"
