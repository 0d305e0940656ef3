//! Writing synthesized files without ever losing the last good output.
//!
//! Everything is rendered in memory before the first byte is written. Files are
//! then staged as temporaries beside their targets and fsynced; only when every
//! one is staged are they renamed into place. A failure while staging removes the
//! temporaries and leaves the previous output byte-identical; an interrupted run
//! leaves at most stray temporaries, which the next run removes.
//!
//! The directory is not replaced wholesale: `terraform init` and `apply` keep
//! `.terraform/`, the lock file and possibly local state there. Files an earlier
//! synth wrote and this one does not (listed in a manifest) are removed.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The file listing what the last synth wrote into a directory (and who owns it).
pub const MANIFEST: &str = ".infrasynth-manifest";
const TEMP_SUFFIX: &str = ".infrasynth-tmp";
// A manifest line naming the directory's owner; no output file starts with `#`.
const OWNER_PREFIX: &str = "#owner ";

/// Writes `files` (relative path to contents) into `dir`, atomically per the
/// rules above, without recording or checking an owner.
///
/// # Errors
///
/// Any I/O error, or `InvalidInput` for a path that is absolute or leaves
/// `dir`; the previous output is then left as it was.
pub fn write_atomically(dir: &Path, files: &BTreeMap<String, Vec<u8>>) -> io::Result<()> {
    write_files(dir, None, files)
}

/// Who wrote a directory last, as its manifest records it (`None` for a
/// directory without a manifest, or one written before owners were recorded).
pub fn owner_of(dir: &Path) -> Option<String> {
    fs::read_to_string(dir.join(MANIFEST))
        .ok()?
        .lines()
        .find_map(|line| line.strip_prefix(OWNER_PREFIX).map(str::to_string))
}

/// Like [`write_atomically`], and records `owner` (such as
/// `mlops/aws/production`) in the manifest. A directory whose manifest names
/// another owner is refused before anything is written: two stacks sharing a
/// directory would share Terraform state, and the next `apply` of one would
/// destroy the other's resources.
///
/// # Errors
///
/// `AlreadyExists` naming both owners when `dir` belongs to another owner;
/// otherwise as [`write_atomically`].
pub fn write_owned(dir: &Path, owner: &str, files: &BTreeMap<String, Vec<u8>>) -> io::Result<()> {
    if let Some(existing) = owner_of(dir) {
        if existing != owner {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!(
                    "{} holds the output of `{existing}`, not `{owner}`; refusing to write one stack over another (they would share Terraform state); move that directory, its state included, to where `{existing}` writes (<out>/{existing}), or choose another --out",
                    dir.display()
                ),
            ));
        }
    } else if !dir.join(MANIFEST).exists() && has_local_state(dir) {
        // State without a manifest: someone else's Terraform working
        // directory, or one whose manifest was deleted; either way not ours.
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!(
                "{} holds Terraform state (terraform.tfstate) but no {MANIFEST}, so its owner is unknown; refusing to write `{owner}` over it; if it is `{owner}`'s own state, restore the manifest with one line `{OWNER_PREFIX}{owner}`, otherwise move the directory away or choose another --out",
                dir.display()
            ),
        ));
    }
    write_files(dir, Some(owner), files)
}

fn write_files(
    dir: &Path,
    owner: Option<&str>,
    files: &BTreeMap<String, Vec<u8>>,
) -> io::Result<()> {
    for relative in files.keys() {
        check_relative(relative)?;
    }
    fs::create_dir_all(dir)?;
    remove_stale_temporaries(dir)?;

    let mut staged: Vec<(PathBuf, PathBuf)> = Vec::with_capacity(files.len() + 1);
    let mut manifest = String::new();
    if let Some(owner) = owner {
        manifest.push_str(OWNER_PREFIX);
        manifest.push_str(owner);
        manifest.push('\n');
    }
    for relative in files.keys() {
        manifest.push_str(relative);
        manifest.push('\n');
    }
    let result = (|| {
        for (relative, contents) in files {
            staged.push(stage(dir, relative, contents)?);
        }
        staged.push(stage(dir, MANIFEST, manifest.as_bytes())?);
        Ok::<(), io::Error>(())
    })();
    if let Err(error) = result {
        for (temporary, _) in &staged {
            let _ = fs::remove_file(temporary);
        }
        return Err(error);
    }

    let previous = read_manifest(dir);
    for (temporary, target) in &staged {
        fs::rename(temporary, target)?;
    }
    for old in previous {
        if !files.contains_key(&old) && check_relative(&old).is_ok() {
            let _ = fs::remove_file(dir.join(&old));
        }
    }
    sync_dir(dir);
    Ok(())
}

/// Whether `dir` holds local Terraform state (or its backup).
fn has_local_state(dir: &Path) -> bool {
    ["terraform.tfstate", "terraform.tfstate.backup"]
        .iter()
        .any(|name| dir.join(name).exists())
}

fn stage(dir: &Path, relative: &str, contents: &[u8]) -> io::Result<(PathBuf, PathBuf)> {
    let target = dir.join(relative);
    if let Some(parent) = target.parent() {
        fs::create_dir_all(parent)?;
    }
    let file_name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temporary = target.with_file_name(format!(".{file_name}{TEMP_SUFFIX}"));
    let mut file = fs::File::create(&temporary)?;
    let written = file.write_all(contents).and_then(|_| file.sync_all());
    if let Err(error) = written {
        let _ = fs::remove_file(&temporary);
        return Err(error);
    }
    Ok((temporary, target))
}

fn read_manifest(dir: &Path) -> Vec<String> {
    fs::read_to_string(dir.join(MANIFEST))
        .map(|text| {
            text.lines()
                .filter(|line| !line.starts_with('#'))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

fn remove_stale_temporaries(dir: &Path) -> io::Result<()> {
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        for entry in fs::read_dir(&current)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let file_type = entry.file_type()?;
            if file_type.is_dir() {
                // Terraform's own working data is never ours to touch.
                if name != ".terraform" {
                    pending.push(entry.path());
                }
            } else if name.ends_with(TEMP_SUFFIX) {
                fs::remove_file(entry.path())?;
            }
        }
    }
    Ok(())
}

fn check_relative(relative: &str) -> io::Result<()> {
    let path = Path::new(relative);
    let escapes = path.is_absolute()
        || path
            .components()
            .any(|c| !matches!(c, std::path::Component::Normal(_)));
    if escapes || relative.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("output file `{relative}` must be a relative path inside the output directory"),
        ));
    }
    Ok(())
}

fn sync_dir(dir: &Path) {
    // Makes the renames durable; not every platform supports it, and a failure
    // here cannot corrupt what was written.
    if let Ok(handle) = fs::File::open(dir) {
        let _ = handle.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(pairs: &[(&str, &str)]) -> BTreeMap<String, Vec<u8>> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.as_bytes().to_vec()))
            .collect()
    }

    #[test]
    fn replaces_files_and_removes_ones_no_longer_generated() {
        let dir = tempfile::tempdir().unwrap();
        write_atomically(
            dir.path(),
            &files(&[("main.tf.json", "1"), ("helm/a.yaml", "a")]),
        )
        .unwrap();
        fs::write(dir.path().join("terraform.tfstate"), "state").unwrap();
        write_atomically(dir.path(), &files(&[("main.tf.json", "2")])).unwrap();
        assert_eq!(
            fs::read_to_string(dir.path().join("main.tf.json")).unwrap(),
            "2"
        );
        assert!(!dir.path().join("helm/a.yaml").exists());
        assert_eq!(
            fs::read_to_string(dir.path().join("terraform.tfstate")).unwrap(),
            "state"
        );
    }

    #[test]
    fn rejects_paths_outside_the_directory() {
        let dir = tempfile::tempdir().unwrap();
        let err = write_atomically(dir.path(), &files(&[("../evil", "x")])).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert!(fs::read_dir(dir.path()).unwrap().next().is_none());
    }
}
