//! Provenance: every results folder carries `manifest.json`, saying which tool, scenario,
//! overrides, traces, seed and threads produced its files, when and how long it took, and the
//! SHA-256 of every file written. It is written last, so a folder with a manifest is complete.
//!
//! A later command writing into a folder that holds a manifest reads it first: files the old
//! run wrote and the new one does not are removed (no stale table is left beside new ones), and
//! the command is told when the old results came from another command, scenario or overrides.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};

/// The manifest's file name.
pub const MANIFEST: &str = "manifest.json";

/// A file's identity: path, size, SHA-256 (hex).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileId {
    pub path: PathBuf,
    pub bytes: u64,
    pub sha256: String,
}

impl FileId {
    /// Read and hash `path`.
    pub fn of(path: &Path) -> std::io::Result<FileId> {
        let mut file = std::fs::File::open(path)?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 1 << 20];
        let mut bytes = 0u64;
        loop {
            let n = file.read(&mut buf)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            bytes += n as u64;
        }
        Ok(FileId {
            path: path.to_path_buf(),
            bytes,
            sha256: hex(&hasher.finalize()),
        })
    }

    /// The identity of bytes about to be written to `path`.
    pub fn of_bytes(path: &Path, bytes: &[u8]) -> FileId {
        FileId {
            path: path.to_path_buf(),
            bytes: bytes.len() as u64,
            sha256: hex(&Sha256::digest(bytes)),
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What produced a results folder.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// `ipw-sim <version>`.
    pub tool: String,
    /// The command line as given.
    pub command: Vec<String>,
    /// `run` or `sweep`.
    pub kind: String,
    /// The scenario file as read (before overrides).
    pub scenario: FileId,
    /// Every override, in the order applied (`--set` texts, then `--queries`, `--skip-invalid`).
    pub overrides: Vec<String>,
    /// The scenario document the run used, overrides applied (TOML).
    pub effective_scenario: String,
    /// Every trace file read (none for a synthetic trace).
    pub traces: Vec<FileId>,
    pub seed: u64,
    pub threads: usize,
    /// Start time, UTC, RFC 3339.
    pub started: String,
    pub duration_s: f64,
    pub points: usize,
    /// The files written, beside this manifest.
    pub outputs: Vec<FileId>,
}

impl Manifest {
    /// The manifest in `dir`, if one is there and readable.
    pub fn read(dir: &Path) -> Option<Manifest> {
        let text = std::fs::read_to_string(dir.join(MANIFEST)).ok()?;
        serde_json::from_str(&text).ok()
    }

    pub fn to_json(&self) -> Vec<u8> {
        let mut out = serde_json::to_vec_pretty(self).expect("a manifest is plain data");
        out.push(b'\n');
        out
    }

    /// Whether `other` came from the same command kind, scenario and overrides.
    pub fn same_origin(&self, other: &Manifest) -> bool {
        self.kind == other.kind
            && self.scenario.sha256 == other.scenario.sha256
            && self.overrides == other.overrides
    }

    /// Files the `previous` run wrote into `dir` that this one does not (to remove).
    pub fn stale_outputs(&self, previous: &Manifest, dir: &Path) -> Vec<PathBuf> {
        let name = |p: &Path| p.file_name().map(|n| n.to_os_string());
        previous
            .outputs
            .iter()
            .filter(|old| {
                !self
                    .outputs
                    .iter()
                    .any(|new| name(&new.path) == name(&old.path))
            })
            .filter_map(|old| Some(dir.join(old.path.file_name()?)))
            .collect()
    }
}

/// A Unix time as RFC 3339 UTC (`2026-12-01T04:28:10Z`).
pub fn rfc3339(time: std::time::SystemTime) -> String {
    let secs = time
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    chrono::DateTime::from_timestamp(secs, 0).map_or_else(
        || secs.to_string(),
        |t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_a_known_text() {
        // FIPS 180-2 test vector "abc".
        let id = FileId::of_bytes(Path::new("x"), b"abc");
        assert_eq!(
            id.sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("abc.txt");
        std::fs::write(&p, "abc").unwrap();
        assert_eq!(FileId::of(&p).unwrap().sha256, id.sha256);
        assert_eq!(FileId::of(&p).unwrap().bytes, 3);
    }

    #[test]
    fn rfc3339_of_a_known_instant() {
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_764_563_290);
        assert_eq!(rfc3339(t), "2025-12-01T04:28:10Z");
    }
}
