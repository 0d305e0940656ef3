//! Writing synthesized files without ever losing the last good output.
//!
//! Everything is rendered in memory before the first byte is written. The
//! whole new output is then built beside the directory, fsynced, and swapped
//! in by renaming directories (`core::commit`): a failure at any step
//! leaves the whole previous output or the whole new one, never a mix, and no
//! temporaries; the error says which ([`left_by`]). One process at a time
//! writes a directory (an advisory lock beside it, `.<dir>.infrasynth-lock`);
//! a second waits for the first.
//!
//! Entries infrasynth did not write survive: `terraform init` and `apply`
//! keep `.terraform/`, the lock file and possibly local state there, and they
//! are carried into the new tree as hard links. Files an earlier synth wrote
//! and this one does not (listed in a manifest) are removed.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io;
use std::path::Path;

use super::commit;
#[doc(hidden)]
pub use super::commit::fault;
pub use super::commit::{describe, left_by, Left};

/// The file listing what the last synth wrote into a directory (and who owns it).
pub const MANIFEST: &str = ".infrasynth-manifest";
// A manifest line naming the directory's owner; no output file starts with `#`.
const OWNER_PREFIX: &str = "#owner ";

/// Writes `files` (relative path to contents) into `dir`, atomically per the
/// rules above, without recording or checking an owner.
///
/// # Errors
///
/// Any I/O error, or `InvalidInput` for a path that is absolute or leaves
/// `dir`; [`left_by`] tells what the error left (the previous output unless
/// the swap itself was done).
pub fn write_atomically(dir: &Path, files: &BTreeMap<String, Vec<u8>>) -> io::Result<()> {
    check_paths(files)?;
    let _lock = commit::lock(dir, commit::LOCK_WAIT)?;
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
    check_paths(files)?;
    let _lock = commit::lock(dir, commit::LOCK_WAIT)?;
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

/// Writes `files` into `dir` through the same commit, replacing only those
/// files and keeping every other entry (the manifest included): how `values`
/// adds rendered files to a synthesized directory.
///
/// # Errors
///
/// As [`write_atomically`].
pub fn write_beside(dir: &Path, files: &BTreeMap<String, Vec<u8>>) -> io::Result<()> {
    check_paths(files)?;
    let _lock = commit::lock(dir, commit::LOCK_WAIT)?;
    let files = files
        .iter()
        .map(|(path, contents)| (path.as_str(), contents.as_slice()))
        .collect();
    commit::replace(dir, &files, &BTreeSet::new())
}

fn check_paths(files: &BTreeMap<String, Vec<u8>>) -> io::Result<()> {
    files
        .keys()
        .try_for_each(|relative| check_relative(relative))
}

fn write_files(
    dir: &Path,
    owner: Option<&str>,
    files: &BTreeMap<String, Vec<u8>>,
) -> io::Result<()> {
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
    let mut all: BTreeMap<&str, &[u8]> = files
        .iter()
        .map(|(path, contents)| (path.as_str(), contents.as_slice()))
        .collect();
    all.insert(MANIFEST, manifest.as_bytes());
    // The previous synth's files go unless written again; so does its manifest.
    let mut dropped: BTreeSet<String> = read_manifest(dir)
        .into_iter()
        .filter(|old| check_relative(old).is_ok())
        .collect();
    dropped.insert(MANIFEST.to_string());
    commit::replace(dir, &all, &dropped)
}

/// Whether `dir` holds local Terraform state (or its backup).
fn has_local_state(dir: &Path) -> bool {
    ["terraform.tfstate", "terraform.tfstate.backup"]
        .iter()
        .any(|name| dir.join(name).exists())
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
