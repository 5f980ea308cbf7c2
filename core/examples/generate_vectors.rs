//! Writes the shared test vectors into a folder (default `tests/vectors`):
//! message vectors at the top, record vectors in `records/`.
//!
//! ```text
//! cargo run -p mrkenv --example generate_vectors -- tests/vectors
//! ```

#[path = "../tests/support/vector_gen.rs"]
mod vector_gen;

#[path = "../tests/support/record_vector_gen.rs"]
mod record_vector_gen;

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
    let records_dir = dir.join("records");
    std::fs::create_dir_all(&records_dir)?;
    let records = record_vector_gen::all();
    for vector in &records {
        std::fs::write(
            records_dir.join(format!("{}.json", vector.name)),
            record_vector_gen::file_text(vector),
        )?;
    }
    println!(
        "wrote {} record vectors to {}",
        records.len(),
        records_dir.display()
    );
    Ok(())
}
