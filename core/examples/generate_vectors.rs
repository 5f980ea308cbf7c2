//! Writes the shared test vectors into a folder (default `tests/vectors`).
//!
//! ```text
//! cargo run -p mrkenv --example generate_vectors -- tests/vectors
//! ```

#[path = "../tests/support/vector_gen.rs"]
mod vector_gen;

use std::path::PathBuf;

fn main() -> std::io::Result<()> {
    let dir = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("tests/vectors"));
    std::fs::create_dir_all(&dir)?;
    let vectors = vector_gen::all();
    for vector in &vectors {
        std::fs::write(
            dir.join(format!("{}.json", vector.name)),
            vector_gen::file_text(vector),
        )?;
    }
    println!("wrote {} vectors to {}", vectors.len(), dir.display());
    Ok(())
}
