//! Link options for libhams.so: the SONAME and a version script that exports
//! only the public `hams_*` symbols under a symbol version, the way libsystemd
//! pins its ABI.

fn main() {
    let dir = std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR");
    let major = std::env::var("CARGO_PKG_VERSION_MAJOR").expect("CARGO_PKG_VERSION_MAJOR");
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    println!("cargo:rerun-if-changed=libhams.sym");
    if target_os == "linux" {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libhams.so.{major}");
        println!("cargo:rustc-cdylib-link-arg=-Wl,--version-script={dir}/libhams.sym");
    }
}
