//! Rebuilds the crate when an embedded template, asset or migration changes: the
//! macros that embed them do not tell cargo about files added to a folder.
fn main() {
    println!("cargo:rerun-if-changed=templates");
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-changed=src/accounts/lists");
}
