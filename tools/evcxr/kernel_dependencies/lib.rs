//! Empty: this package only fixes the kernel's dependency graph (see Cargo.toml).
