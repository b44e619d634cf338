//! Link options for cargo's libhams.so: its SONAME, so that programs built
//! against the build tree need `libhams.so.<major>` as installed ones do.
//!
//! No --version-script here: rustc passes its own first and GNU ld applies
//! the first that matches, so the symbols would stay unversioned. `make`
//! relinks libhams.so from libhams.a with libhams.sym (see Makefile.am); that
//! library, with every symbol under its version node, is the one installed
//! and tested.

fn main() {
    let major = std::env::var("CARGO_PKG_VERSION_MAJOR").expect("CARGO_PKG_VERSION_MAJOR");
    if std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default() == "linux" {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libhams.so.{major}");
    }
}
