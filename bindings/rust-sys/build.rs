//! Links the system libhams: `pkg-config hams` (honouring PKG_CONFIG_PATH)
//! prints the `-L` and `-lhams` that cargo needs; its include directory is
//! passed on to dependents as `DEP_HAMS_INCLUDE`.

fn main() {
    println!("cargo:rerun-if-env-changed=PKG_CONFIG_PATH");
    match pkg_config::Config::new().atleast_version("0.1").probe("hams") {
        Ok(lib) => {
            if let Some(dir) = lib.include_paths.first() {
                println!("cargo:include={}", dir.display());
            }
        }
        Err(e) => {
            // No panic backtrace for a missing library: one clear message.
            eprintln!("hams-sys: libhams not found by pkg-config: {e}");
            eprintln!("hams-sys: install it (make install) or point PKG_CONFIG_PATH at the directory of its hams.pc");
            std::process::exit(1);
        }
    }
}
