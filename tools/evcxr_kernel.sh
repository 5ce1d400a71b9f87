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
# - One tokio for all cells: evcxr's dynamic-linking mode
#   (`allow_static_linking = false` in evcxr.toml, read before evcxr's first
#   build) links every dependency once, as a shared library, instead of
#   into each cell, so every cell, and every task it spawns, uses one copy of
#   tokio (see docs/kernel.md). On Rust 1.95 that mode needs std's metadata
#   file passed to rustc beside std's shared library: tools/evcxr/rustc does
#   that, and tools/evcxr/rustup makes it evcxr's rustc from the start.
# - No rustup proxies: evcxr's rust-analyzer runs cargo and rustc a dozen
#   times whenever a notebook's dependencies change; calling the toolchain's
#   binaries directly saves the proxy's start-up each time.
# - tokio declared at start (init.evcxr): the first cell that awaits then
#   does not add it, which would change the kernel's Cargo.toml and make
#   rust-analyzer reload every dependency in the next cell.
# - The session's runtime from the start (prelude.rs): `tokio::spawn` needs a
#   runtime's context, and evcxr makes its runtime only in the first cell that
#   awaits, running every later cell inside `block_on`. The prelude makes that
#   same runtime (evcxr finds it under its own name and type, so the cells
#   that await use it too) and enters its context on the cells' thread for
#   the whole session. A spawn in a notebook's first cell then works, and
#   cells that do not await are not wrapped in `block_on` (A/B, 2026-12-01,
#   three runs each: `1 + 1` 0.59-1.03 s instead of 0.99-1.53 s, kernel
#   start 11.1-12.6 s instead of 12.8-15.0 s, against a prelude awaiting
#   once). The same `let` pays rust-analyzer's first type inference, which
#   analyses the standard library, while the kernel starts.
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

EVCXR_REAL_RUSTUP=$(command -v rustup)
EVCXR_TOOLCHAIN_RUSTC=$(rustup which rustc)
export EVCXR_REAL_RUSTUP EVCXR_TOOLCHAIN_RUSTC
PATH="$root/tools/evcxr:$(dirname "$(rustup which cargo)"):$PATH"
export PATH

# Shared by every slot; written through a rename so that a kernel starting
# beside another never reads a half-written file.
EVCXR_CONFIG_DIR="$first-config"
export EVCXR_CONFIG_DIR
mkdir -p "$EVCXR_CONFIG_DIR"
write_config() {
  printf '%s\n' "$2" >"$EVCXR_CONFIG_DIR/$1.$$"
  mv "$EVCXR_CONFIG_DIR/$1.$$" "$EVCXR_CONFIG_DIR/$1"
}
write_config evcxr.toml '[evcxr]
allow_static_linking = false'
# tokio with every feature the notebooks' graphs give it and its dependencies,
# so that no notebook's `:dep` changes the tokio that evcxr's runtime was
# built with (tools/evcxr/kernel_dependencies);
# tokio by its own name, so that cells can name it without a `:dep`.
write_config init.evcxr ":dep kernel_dependencies = { path = \"$root/tools/evcxr/kernel_dependencies\" }
:dep tokio = { version = \"1\", features = [\"full\"] }"
# evcxr's own runtime, made here as its first async cell would make it (the
# same name and type in its variable store, evcxr 0.22's eval_context.rs),
# and entered for good on the thread that runs the cells.
write_config prelude.rs 'let evcxr_warm_up: u8 = {
    let runtime = evcxr_variable_store.lazy_arc("evcxr_tokio_runtime", || {
        std::sync::Mutex::new(tokio::runtime::Runtime::new().unwrap())
    });
    std::mem::forget(runtime.lock().unwrap().enter());
    0
};'
exec "$evcxr" "$@"
