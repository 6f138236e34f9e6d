//! Writing files all-or-nothing: into a temporary file in the target folder, then renamed into
//! place, so a crash or an error never leaves a half-written file under the final name.
//!
//! Guarantees (README, "Bad input and guarantees"):
//! * on an error the temporary file is removed;
//! * every temporary file being written is registered, so the binary's SIGINT/SIGTERM handler
//!   removes them ([`remove_partial_files`]) before it exits;
//! * a leftover from a process killed outright (SIGKILL, power loss) is named
//!   `<file>.ipw-sim-tmp-<pid>`, visibly temporary, and the next write into that folder removes
//!   it once process `<pid>` is gone ([`clean_stale`]).

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// What every temporary file name carries, followed by the writing process's id.
pub const TEMP_MARK: &str = ".ipw-sim-tmp-";

/// Temporary files being written right now by this process.
static LIVE: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn live() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    // A panic while holding the lock leaves the list itself intact.
    LIVE.lock().unwrap_or_else(|e| e.into_inner())
}

/// The temporary name `path` is written under by process `pid`.
pub fn temp_path(path: &Path, pid: u32) -> PathBuf {
    let name = path
        .file_name()
        .map_or_else(|| "out".into(), |n| n.to_string_lossy().into_owned());
    path.with_file_name(format!("{name}{TEMP_MARK}{pid}"))
}

/// Remove every temporary file this process is writing (for a signal handler: after it, the
/// process should exit without writing more).
pub fn remove_partial_files() -> usize {
    let mut list = live();
    let n = list
        .iter()
        .filter(|p| std::fs::remove_file(p).is_ok())
        .count();
    list.clear();
    n
}

/// Whether process `pid` may still be running. Only Linux's `/proc` can say it is not; elsewhere
/// every process is assumed alive, so nothing of another process is ever removed by mistake.
fn may_be_alive(pid: u32) -> bool {
    let proc = Path::new("/proc");
    !proc.join("self").exists() || proc.join(pid.to_string()).exists()
}

/// Remove the leftovers of dead processes in `dir` (files named `*<TEMP_MARK><pid>`); returns
/// what was removed. Files of live processes, including this one, are left alone.
pub fn clean_stale(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let me = std::process::id();
    let mut removed = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let Some((_, pid)) = name.rsplit_once(TEMP_MARK) else {
            continue;
        };
        let Ok(pid) = pid.parse::<u32>() else {
            continue;
        };
        if pid != me && !may_be_alive(pid) && std::fs::remove_file(entry.path()).is_ok() {
            removed.push(entry.path());
        }
    }
    removed
}

/// Write `path` through `write`, atomically. On error the temporary file is removed.
pub fn write_atomic(
    path: &Path,
    write: impl FnOnce(&mut File) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if path.is_dir() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "is a folder; expected a file name",
        ));
    }
    std::fs::create_dir_all(dir)?;
    clean_stale(dir);
    let tmp = temp_path(path, std::process::id());
    live().push(tmp.clone());
    let result = (|| {
        let mut file = File::create(&tmp)?;
        write(&mut file)?;
        file.flush()?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    live().retain(|p| *p != tmp);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_write_leaves_neither_the_file_nor_a_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.csv");
        let err = write_atomic(&path, |f| {
            f.write_all(b"half")?;
            Err(std::io::Error::other("boom"))
        });
        assert!(err.is_err());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        write_atomic(&path, |f| f.write_all(b"whole")).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "whole");
    }

    #[test]
    fn a_write_in_progress_is_registered_until_it_ends() {
        // (Removal on SIGINT is tested where the user meets it: tests/cli.rs.)
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.csv");
        let tmp = temp_path(&path, std::process::id());
        let mut seen = false;
        write_atomic(&path, |f| {
            f.write_all(b"partial")?;
            seen = live().contains(&tmp) && tmp.exists();
            Ok(())
        })
        .unwrap();
        assert!(seen, "the temporary is registered while written");
        assert!(!live().contains(&tmp), "and unregistered once renamed");
    }

    #[test]
    fn leftovers_of_dead_processes_are_removed_by_the_next_write_and_live_ones_kept() {
        if !Path::new("/proc/self").exists() {
            return; // without /proc nothing is removed (every process may be alive)
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("trace.csv");
        // No Linux process has pid u32::MAX - 1 (pid_max is at most 2^22).
        let dead = temp_path(&path, u32::MAX - 1);
        let alive = temp_path(&path, 1);
        let unrelated = dir.path().join("notes.ipw-sim-tmp-x");
        for p in [&dead, &alive, &unrelated] {
            std::fs::write(p, "x").unwrap();
        }
        write_atomic(&path, |f| f.write_all(b"new")).unwrap();
        assert!(!dead.exists(), "a dead process's leftover is removed");
        assert!(alive.exists(), "pid 1 is alive: its file is kept");
        assert!(unrelated.exists(), "a name without a pid is not ours");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
    }
}
