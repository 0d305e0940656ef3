//! Replacing an output directory as one step: the whole new tree is built in
//! a sibling directory, made durable, and swapped in by renaming directories,
//! so a failure at any step leaves the whole previous tree or the whole new
//! one, never a mix; one process at a time per directory (an advisory lock).
//!
//! The new tree also carries every entry of the old one that the caller does
//! not replace or drop (`.terraform/`, `terraform.tfstate`, the lock file,
//! user files), as hard links (copies where a link is refused): Terraform's
//! working data survives, and a state file Terraform holds open stays the very
//! file in the new tree.
//!
//! Names beside the directory `<parent>/<name>`, all hidden:
//! - `.<name>.infrasynth-lock`: the lock file, kept (removing a lock file
//!   races with a process about to take it);
//! - `.<name>.infrasynth-new-<pid>-<nonce>`: the tree being built;
//! - `.<name>.infrasynth-old-<pid>-<nonce>`: the previous tree, renamed aside
//!   for the instant of the swap, then removed.
//!
//! A run killed mid-commit can leave the last two behind; the next run, under
//! the lock, puts a previous tree back if the directory itself is missing and
//! removes the rest.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A legacy per-file temporary of earlier versions; never carried over.
pub(crate) const LEGACY_TEMP_SUFFIX: &str = ".infrasynth-tmp";
const LOCK_SUFFIX: &str = ".infrasynth-lock";
const NEW_INFIX: &str = ".infrasynth-new-";
const OLD_INFIX: &str = ".infrasynth-old-";
/// How long a second writer of one directory waits for the first.
pub(crate) const LOCK_WAIT: Duration = Duration::from_secs(300);

/// What a failed write left in the output directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Left {
    /// The whole previous output, as it was (or no directory, if there was
    /// none); nothing of the new output and no temporaries.
    Previous,
    /// The whole new output; a step after the swap failed (making the swap
    /// durable), so after a power loss the previous output may come back.
    New,
    /// Neither in place: the swap and its rollback both failed. The previous
    /// output is whole at the path held here, and the next write (or a
    /// rename back by hand) restores it.
    Aside(PathBuf),
}

/// An I/O error of a write, with what it left behind; it travels inside an
/// [`io::Error`] (same kind) so callers keep matching on kinds.
#[derive(Debug)]
struct WriteFailure {
    left: Left,
    dir: PathBuf,
    error: io::Error,
}

impl fmt::Display for WriteFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.left {
            Left::Previous => write!(f, "{}; the previous output was left as it was", self.error),
            Left::New => write!(
                f,
                "{}; the new output is in place, but the swap may not survive a power loss (run synth again to be sure)",
                self.error
            ),
            Left::Aside(aside) => write!(
                f,
                "{}; neither output is in place: the previous output is whole in {} (the next write puts it back, or rename it to {})",
                self.error,
                aside.display(),
                self.dir.display()
            ),
        }
    }
}

impl std::error::Error for WriteFailure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

fn failed(left: Left, dir: &Path, error: io::Error) -> io::Error {
    io::Error::new(
        error.kind(),
        WriteFailure {
            left,
            dir: dir.to_path_buf(),
            error,
        },
    )
}

/// What a failed write left behind: [`Left::Previous`] for errors raised
/// before anything was touched (a refused owner, a bad path), otherwise as
/// recorded by the commit.
pub fn left_by(error: &io::Error) -> Left {
    error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<WriteFailure>())
        .map_or(Left::Previous, |failure| failure.left.clone())
}

/// The error's message, ending with what it left in the directory (errors
/// raised before the commit began left the previous output).
pub fn describe(error: &io::Error) -> String {
    let wrapped = error
        .get_ref()
        .is_some_and(|inner| inner.is::<WriteFailure>());
    if wrapped {
        error.to_string()
    } else {
        format!("{error}; the previous output was left as it was")
    }
}

/// A test-only seam: a hook called before each step of a commit, whose error
/// is injected as that step's failure.
#[doc(hidden)]
pub mod fault {
    use std::cell::RefCell;
    use std::io;
    use std::path::{Path, PathBuf};

    /// One step of a commit.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Step {
        /// `create`, `write`, `sync-file`, `sync-dir`, `link`, `rename-aside`,
        /// `rename-in`, `rollback`, `sync-parent`, `remove-aside`.
        pub action: &'static str,
        /// The path the step acts on.
        pub path: PathBuf,
    }

    type Hook = Box<dyn FnMut(&Step) -> io::Result<()>>;

    thread_local! {
        static HOOK: RefCell<Option<Hook>> = const { RefCell::new(None) };
    }

    /// Installs `hook` for commits on this thread until [`clear`].
    pub fn set(hook: impl FnMut(&Step) -> io::Result<()> + 'static) {
        HOOK.with(|cell| *cell.borrow_mut() = Some(Box::new(hook)));
    }

    /// Removes the hook of this thread.
    pub fn clear() {
        HOOK.with(|cell| *cell.borrow_mut() = None);
    }

    pub(crate) fn check(action: &'static str, path: &Path) -> io::Result<()> {
        HOOK.with(|cell| match cell.borrow_mut().as_mut() {
            Some(hook) => hook(&Step {
                action,
                path: path.to_path_buf(),
            }),
            None => Ok(()),
        })
    }
}

use fault::check;

/// The directory's parent and its own name, following a symlinked directory
/// to the real one (the swap must replace the tree, not the link).
fn split(dir: &Path) -> io::Result<(PathBuf, String)> {
    let is_link = fs::symlink_metadata(dir).is_ok_and(|m| m.file_type().is_symlink());
    let resolved = if is_link || dir.file_name().is_none() {
        fs::canonicalize(dir)?
    } else {
        dir.to_path_buf()
    };
    let name = resolved
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{} cannot be an output directory", dir.display()),
            )
        })?;
    let parent = match resolved.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Ok((parent, name))
}

/// Held while one process writes a directory; released on drop (or when the
/// process dies: the operating system drops the lock with the file).
#[derive(Debug)]
pub(crate) struct DirLock {
    _file: Option<fs::File>,
}

/// Takes the advisory lock of `dir`, waiting up to `wait` for another writer.
///
/// # Errors
///
/// `WouldBlock` naming the lock file when another process still holds it after
/// `wait`; any I/O error creating the lock file. A file system without locks
/// is written unlocked.
pub(crate) fn lock(dir: &Path, wait: Duration) -> io::Result<DirLock> {
    let (parent, name) = split(dir)?;
    fs::create_dir_all(&parent)?;
    let path = parent.join(format!(".{name}{LOCK_SUFFIX}"));
    let file = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)?;
    let deadline = Instant::now() + wait;
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(DirLock { _file: Some(file) }),
            Err(fs::TryLockError::WouldBlock) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(fs::TryLockError::WouldBlock) => {
                return Err(io::Error::new(
                    io::ErrorKind::WouldBlock,
                    format!(
                        "another infrasynth process is writing {} (it holds the lock {}); waited {} s for it; try again when it has finished",
                        dir.display(),
                        path.display(),
                        wait.as_secs()
                    ),
                ))
            }
            Err(fs::TryLockError::Error(e)) if e.kind() == io::ErrorKind::Unsupported => {
                return Ok(DirLock { _file: None })
            }
            Err(fs::TryLockError::Error(e)) => return Err(e),
        }
    }
}

/// Replaces `dir` with a tree holding `files` (relative path to contents)
/// plus every entry of the current `dir` that is neither in `files` nor in
/// `dropped`, as one step (see the module docs). The caller holds [`lock`].
///
/// # Errors
///
/// Any I/O error, wrapped so that [`left_by`] tells what it left; an entry of
/// the current tree in the way of an output file (a directory where a file
/// goes) is `IsADirectory`, with the previous output left as it was.
pub(crate) fn replace(
    dir: &Path,
    files: &BTreeMap<&str, &[u8]>,
    dropped: &BTreeSet<String>,
) -> io::Result<()> {
    let (parent, name) = split(dir)?;
    let target = parent.join(&name);
    fs::create_dir_all(&parent).map_err(|e| failed(Left::Previous, dir, e))?;
    recover(&parent, &name).map_err(|e| failed(Left::Previous, dir, e))?;
    let existed = match fs::symlink_metadata(&target) {
        Ok(meta) if meta.is_dir() => true,
        Ok(_) => {
            return Err(failed(
                Left::Previous,
                dir,
                io::Error::new(
                    io::ErrorKind::NotADirectory,
                    format!(
                        "{} is a file, not a directory; move it away",
                        target.display()
                    ),
                ),
            ))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => false,
        Err(e) => return Err(failed(Left::Previous, dir, e)),
    };
    let nonce = nonce();
    let staged = parent.join(format!(".{name}{NEW_INFIX}{nonce}"));
    let aside = parent.join(format!(".{name}{OLD_INFIX}{nonce}"));

    let built = build(&staged, existed.then_some(target.as_path()), files, dropped);
    if let Err(error) = built {
        let _ = fs::remove_dir_all(&staged);
        return Err(failed(Left::Previous, dir, error));
    }
    if existed {
        let moved = check("rename-aside", &target).and_then(|()| fs::rename(&target, &aside));
        if let Err(error) = moved {
            let _ = fs::remove_dir_all(&staged);
            return Err(failed(Left::Previous, dir, error));
        }
    }
    let swapped = check("rename-in", &target).and_then(|()| fs::rename(&staged, &target));
    if let Err(error) = swapped {
        if existed {
            let back = check("rollback", &target).and_then(|()| fs::rename(&aside, &target));
            if back.is_err() {
                let _ = fs::remove_dir_all(&staged);
                return Err(failed(Left::Aside(aside), dir, error));
            }
        }
        let _ = fs::remove_dir_all(&staged);
        let _ = sync_dir(&parent);
        return Err(failed(Left::Previous, dir, error));
    }
    let durable = check("sync-parent", &parent).and_then(|()| sync_dir(&parent));
    if existed {
        // A leftover is harmless (hidden, never read) and the next run
        // removes it; the new output is complete either way.
        let _ = check("remove-aside", &aside).and_then(|()| fs::remove_dir_all(&aside));
    }
    durable.map_err(|error| failed(Left::New, dir, error))
}

fn nonce() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(
        "{}-{}-{nanos:08x}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// Cleans up after a run killed mid-commit: a previous tree renamed aside
/// goes back if the directory is missing; every other leftover is removed.
fn recover(parent: &Path, name: &str) -> io::Result<()> {
    let old_prefix = format!(".{name}{OLD_INFIX}");
    let new_prefix = format!(".{name}{NEW_INFIX}");
    let mut olds = Vec::new();
    let mut news = Vec::new();
    for entry in fs::read_dir(parent)? {
        let entry = entry?;
        let entry_name = entry.file_name().to_string_lossy().into_owned();
        if entry_name.starts_with(&old_prefix) {
            olds.push(entry.path());
        } else if entry_name.starts_with(&new_prefix) {
            news.push(entry.path());
        }
    }
    let target = parent.join(name);
    if olds.len() == 1 && fs::symlink_metadata(&target).is_err() {
        fs::rename(olds.remove(0), &target)?;
        sync_dir(parent)?;
    }
    for leftover in olds.iter().chain(&news) {
        fs::remove_dir_all(leftover)?;
    }
    Ok(())
}

/// Builds the new tree in `staged`: the carried-over entries of `old`, then
/// `files`, everything fsynced.
fn build(
    staged: &Path,
    old: Option<&Path>,
    files: &BTreeMap<&str, &[u8]>,
    dropped: &BTreeSet<String>,
) -> io::Result<()> {
    check("create", staged)?;
    fs::create_dir(staged)?;
    let mut dirs = vec![staged.to_path_buf()];
    if let Some(old) = old {
        fs::set_permissions(staged, fs::metadata(old)?.permissions())?;
        carry_over(old, staged, files, dropped, &mut dirs)?;
    }
    for (relative, contents) in files {
        let path = staged.join(relative);
        if let Some(parent) = path.parent() {
            if !parent.is_dir() {
                fs::create_dir_all(parent)?;
                let mut ancestor = parent;
                while ancestor != staged {
                    dirs.push(ancestor.to_path_buf());
                    match ancestor.parent() {
                        Some(up) => ancestor = up,
                        None => break,
                    }
                }
            }
        }
        check("write", &path)?;
        let mut file = fs::File::create_new(&path)?;
        file.write_all(contents)?;
        check("sync-file", &path)?;
        file.sync_all()?;
    }
    dirs.sort();
    dirs.dedup();
    for dir in dirs.iter().rev() {
        check("sync-dir", dir)?;
        sync_dir(dir)?;
    }
    Ok(())
}

/// Recreates in `to` every entry of `from` that is not replaced (in `files`)
/// or dropped: directories made, files hard-linked (copied where a link is
/// refused), symlinks recreated.
fn carry_over(
    from: &Path,
    to: &Path,
    files: &BTreeMap<&str, &[u8]>,
    dropped: &BTreeSet<String>,
    dirs: &mut Vec<PathBuf>,
) -> io::Result<()> {
    let mut pending = vec![String::new()];
    while let Some(prefix) = pending.pop() {
        let source_dir = from.join(&prefix);
        for entry in fs::read_dir(&source_dir)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let relative = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}/{name}")
            };
            let kind = entry.file_type()?;
            let source = entry.path();
            let dest = to.join(&relative);
            if kind.is_dir() {
                if files.contains_key(relative.as_str()) {
                    return Err(io::Error::new(
                        io::ErrorKind::IsADirectory,
                        format!(
                            "{} is a directory where the output file {relative} goes; move it away",
                            source.display()
                        ),
                    ));
                }
                fs::create_dir(&dest)?;
                fs::set_permissions(&dest, fs::metadata(&source)?.permissions())?;
                dirs.push(dest);
                pending.push(relative);
                continue;
            }
            if files.contains_key(relative.as_str())
                || dropped.contains(&relative)
                || name.ends_with(LEGACY_TEMP_SUFFIX)
            {
                continue;
            }
            check("link", &dest)?;
            if kind.is_symlink() {
                copy_symlink(&source, &dest)?;
            } else if fs::hard_link(&source, &dest).is_err() {
                fs::copy(&source, &dest)?;
                fs::File::open(&dest)?.sync_all()?;
            }
        }
    }
    Ok(())
}

#[cfg(unix)]
fn copy_symlink(source: &Path, dest: &Path) -> io::Result<()> {
    std::os::unix::fs::symlink(fs::read_link(source)?, dest)
}

#[cfg(not(unix))]
fn copy_symlink(source: &Path, dest: &Path) -> io::Result<()> {
    fs::copy(source, dest).map(|_| ())
}

/// Makes a directory's entries durable.
#[cfg(unix)]
fn sync_dir(dir: &Path) -> io::Result<()> {
    fs::File::open(dir)?.sync_all()
}

/// Directories cannot be opened as files here; renames are durable as the
/// file system makes them.
#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(path: &str, contents: &'static str) -> BTreeMap<&'static str, &'static [u8]> {
        let path: &'static str = Box::leak(path.to_string().into_boxed_str());
        BTreeMap::from([(path, contents.as_bytes())])
    }

    #[test]
    fn a_second_writer_waits_and_then_fails_naming_the_lock() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("dev");
        let held = lock(&dir, Duration::ZERO).unwrap();
        let error = lock(&dir, Duration::from_millis(50)).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::WouldBlock);
        assert!(
            error.to_string().contains(".dev.infrasynth-lock"),
            "{error}"
        );
        drop(held);
        lock(&dir, Duration::ZERO).expect("free once the first writer is done");
    }

    #[cfg(unix)]
    #[test]
    fn a_symlinked_output_directory_stays_a_symlink_to_the_new_tree() {
        let root = tempfile::tempdir().unwrap();
        let real = root.path().join("real");
        fs::create_dir(&real).unwrap();
        fs::write(real.join("terraform.tfstate"), "state").unwrap();
        let link = root.path().join("dev");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        replace(&link, &one("main.tf.json", "{}"), &BTreeSet::new()).unwrap();
        assert!(fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(fs::read_to_string(real.join("main.tf.json")).unwrap(), "{}");
        assert_eq!(
            fs::read_to_string(real.join("terraform.tfstate")).unwrap(),
            "state"
        );
    }

    #[test]
    fn carried_over_state_is_the_same_file_not_a_copy() {
        // Terraform may hold the state file open while a synth runs; a hard
        // link keeps its writes in the new tree.
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("dev");
        fs::create_dir(&dir).unwrap();
        fs::write(dir.join("terraform.tfstate"), "v1").unwrap();
        let mut open = fs::OpenOptions::new()
            .write(true)
            .open(dir.join("terraform.tfstate"))
            .unwrap();
        replace(&dir, &one("main.tf.json", "{}"), &BTreeSet::new()).unwrap();
        open.write_all(b"v2").unwrap();
        assert_eq!(
            fs::read_to_string(dir.join("terraform.tfstate")).unwrap(),
            "v2"
        );
    }
}
