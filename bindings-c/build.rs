//! Generates `mrkenv.h` from the crate's source with cbindgen into `OUT_DIR`.
//!
//! The committed header is `include/mrkenv.h`; `make test` compares it with
//! this fresh generation and fails when they differ (`make header` updates
//! the committed copy). The build never writes outside `OUT_DIR`. On Linux
//! it also gives the shared library its SONAME, `libmrkenv.so.0`.

use std::env;
use std::path::PathBuf;

fn main() {
    let crate_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("OUT_DIR"));
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-changed=src");
    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml"))
        .expect("bindings-c/cbindgen.toml is readable and valid");
    let bindings = cbindgen::Builder::new()
        .with_crate(&crate_dir)
        .with_config(config)
        .generate()
        .expect("cbindgen generates mrkenv.h");
    bindings.write_to_file(out_dir.join("mrkenv.h"));
    // The shared library's SONAME: programs record `libmrkenv.so.0` (the ABI
    // version, raised only by an incompatible change), which `make dist`
    // provides as a symlink.
    if env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libmrkenv.so.0");
    }
}
