//! include/hams.h is the committed contract; it must be exactly what cbindgen
//! generates from the sources. Regenerate with `HAMS_BLESS=1 cargo test --test header`.

use std::path::Path;

#[test]
fn header_matches_cbindgen_output() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(root.join("cbindgen.toml")).expect("cbindgen.toml");
    let bindings = cbindgen::Builder::new()
        .with_src(root.join("src/ffi/mod.rs"))
        .with_config(config)
        .generate()
        .expect("cbindgen generates the header");
    let mut generated = Vec::new();
    bindings.write(&mut generated);
    let path = root.join("include/hams.h");
    if std::env::var_os("HAMS_BLESS").is_some() {
        std::fs::write(&path, &generated).expect("write include/hams.h");
        return;
    }
    let committed = std::fs::read(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "include/hams.h differs from what cbindgen generates; run `HAMS_BLESS=1 cargo test --test header` and commit it"
    );
}
