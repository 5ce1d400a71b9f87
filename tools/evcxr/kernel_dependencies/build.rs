//! Empty: the build dependency only sets syn's features (see Cargo.toml).

fn main() {}
