//! Compiles `bench/programs/*.c` into `bench/build/<name>` with
//! `gcc -static -O2`, skipping programs whose binary is newer than every
//! source they depend on (the `.c` file and the shared headers).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

/// Compiles every program; returns program name (file stem) -> binary path.
pub fn compile_all(src_dir: &Path, out_dir: &Path) -> Result<BTreeMap<String, PathBuf>, String> {
    fs::create_dir_all(out_dir).map_err(|e| format!("cannot create {}: {e}", out_dir.display()))?;
    let entries =
        fs::read_dir(src_dir).map_err(|e| format!("cannot read {}: {e}", src_dir.display()))?;
    let mut sources = Vec::new();
    let mut headers_mtime = SystemTime::UNIX_EPOCH;
    for entry in entries {
        let path = entry.map_err(|e| e.to_string())?.path();
        match path.extension().and_then(|e| e.to_str()) {
            Some("c") => sources.push(path),
            Some("h") => headers_mtime = headers_mtime.max(mtime(&path)),
            _ => {}
        }
    }
    sources.sort();

    let mut binaries = BTreeMap::new();
    for src in sources {
        let name = src.file_stem().unwrap().to_string_lossy().into_owned();
        let out = out_dir.join(&name);
        let newest_input = mtime(&src).max(headers_mtime);
        if !out.exists() || mtime(&out) < newest_input {
            compile(&src, &out)?;
        }
        binaries.insert(name, out);
    }
    Ok(binaries)
}

fn compile(src: &Path, out: &Path) -> Result<(), String> {
    let result = Command::new("gcc")
        .args(["-static", "-O2", "-Wall", "-o"])
        .arg(out)
        .arg(src)
        .output()
        .map_err(|e| format!("cannot run gcc: {e}"))?;
    if !result.status.success() {
        return Err(format!(
            "gcc failed on {}:\n{}",
            src.display(),
            String::from_utf8_lossy(&result.stderr)
        ));
    }
    Ok(())
}

fn mtime(path: &Path) -> SystemTime {
    fs::metadata(path)
        .and_then(|m| m.modified())
        .unwrap_or(SystemTime::UNIX_EPOCH)
}
