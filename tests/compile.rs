//! Builds the C test programs: `gcc -static -O1 -Wall`, one binary per `programs/NAME.c`,
//! rebuilt only when the source or a header under `programs/` is newer than the binary.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

/// One lock per program name: cases that share a program (see `each-arg` in the catalog)
/// run in parallel and must not build the same binary at once.
static BUILDING: Mutex<BTreeMap<String, Arc<Mutex<()>>>> = Mutex::new(BTreeMap::new());

/// The shared header every program includes.
pub const COMMON_HEADER: &str = "common.h";

/// Compiles `programs_dir/NAME.c` into `build_dir/bin/NAME` if needed; returns the binary.
/// Warnings count as errors so that the programs stay clean.
pub fn compile(programs_dir: &Path, build_dir: &Path, name: &str) -> Result<PathBuf, String> {
    let source = programs_dir.join(format!("{name}.c"));
    let header = programs_dir.join(COMMON_HEADER);
    let bin_dir = build_dir.join("bin");
    let binary = bin_dir.join(name);
    let lock = BUILDING
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .entry(name.to_string())
        .or_default()
        .clone();
    let _one_build = lock.lock().unwrap_or_else(|e| e.into_inner());
    let mut newest_input = mtime(&source)?.max(mtime(&header)?);
    // Headers shared by a few programs (garbage.h, say) count too.
    if let Ok(entries) = fs::read_dir(programs_dir) {
        for path in entries.filter_map(|e| Some(e.ok()?.path())) {
            if path.extension().is_some_and(|ext| ext == "h") {
                newest_input = newest_input.max(mtime(&path)?);
            }
        }
    }
    if let Ok(built) = mtime(&binary) {
        if built >= newest_input {
            return Ok(binary);
        }
    }
    fs::create_dir_all(&bin_dir).map_err(|e| format!("creating {}: {e}", bin_dir.display()))?;
    // Build under a private name and rename, so a concurrent harness never runs half a file.
    let partial = bin_dir.join(format!(".{name}.{}", std::process::id()));
    let output = Command::new("gcc")
        .args(["-static", "-O1", "-Wall", "-Werror", "-o"])
        .arg(&partial)
        .arg(&source)
        .output()
        .map_err(|e| format!("cannot run gcc (apt-get install gcc libc6-dev): {e}"))?;
    if !output.status.success() {
        let _ = fs::remove_file(&partial);
        return Err(format!(
            "gcc failed for {}:\n{}",
            source.display(),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    fs::rename(&partial, &binary).map_err(|e| format!("renaming {}: {e}", partial.display()))?;
    Ok(binary)
}

fn mtime(path: &Path) -> Result<SystemTime, String> {
    fs::metadata(path)
        .and_then(|m| m.modified())
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// The names (file stems) of all programs under `programs_dir`, sorted.
pub fn program_names(programs_dir: &Path) -> Result<Vec<String>, String> {
    let entries = fs::read_dir(programs_dir)
        .map_err(|e| format!("reading {}: {e}", programs_dir.display()))?;
    let mut names = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|e| format!("reading {}: {e}", programs_dir.display()))?
            .path();
        if path.extension().is_some_and(|ext| ext == "c") {
            if let Some(stem) = path.file_stem().and_then(|s| s.to_str()) {
                names.push(stem.to_string());
            }
        }
    }
    names.sort();
    Ok(names)
}
