#!/bin/sh
# Starts the evcxr kernel for the project's notebooks.
#
# - Locked versions: evcxr resolves a notebook's dependencies itself, as a
#   crate of its own in $EVCXR_TMPDIR, and cargo there keeps the versions of
#   the Cargo.lock it finds. Seeding that file from the workspace's at every
#   start makes the notebooks run on the versions `cargo test` ran on.
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
mkdir -p "$EVCXR_TMPDIR"
cp "$root/Cargo.lock" "$EVCXR_TMPDIR/Cargo.lock"

PATH="$(dirname "$(rustup which cargo)"):$PATH"
export PATH

EVCXR_CONFIG_DIR="$EVCXR_TMPDIR/../evcxr-config"
export EVCXR_CONFIG_DIR
mkdir -p "$EVCXR_CONFIG_DIR"
# No features: tokio is built with the union of these and the crate's.
echo ':dep tokio = "1"' >"$EVCXR_CONFIG_DIR/init.evcxr"
echo 'let evcxr_warm_up: u8 = 0;' >"$EVCXR_CONFIG_DIR/prelude.rs"
exec "$evcxr" "$@"
