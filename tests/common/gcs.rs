//! A local Cloud Storage emulator (PyPI `gcp-storage-emulator`, installed
//! by scripts/install-tools.sh into the venv moto uses) for the GCS state
//! bucket preflight: the Python that has it, the server (stopped by its own
//! pid when dropped), and buckets made through its JSON API.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// The Python with `gcp_storage_emulator`: `E2E_PYTHON`, the venv
/// `scripts/install-tools.sh` makes, or `python3`.
pub fn python() -> Option<PathBuf> {
    super::python_with("import gcp_storage_emulator")
}

/// gcp-storage-emulator on a free port of 127.0.0.1, in memory, stopped
/// (by its own pid) when dropped.
pub struct GcsEmulator {
    child: Child,
    /// `127.0.0.1:<port>`, the form `STORAGE_EMULATOR_HOST` takes.
    pub host: String,
    python: PathBuf,
}

impl GcsEmulator {
    /// Starts the emulator with `python`, logging to `log`, and waits until
    /// it accepts connections.
    pub fn start(python: &Path, log: &Path) -> GcsEmulator {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(python)
            .args([
                "-m",
                "gcp_storage_emulator",
                "start",
                "--host",
                "127.0.0.1",
                "--port",
                &port.to_string(),
                "--in-memory",
            ])
            .stdout(std::fs::File::create(log).expect("emulator log"))
            .stderr(std::fs::File::create(log.with_extension("err")).expect("emulator log"))
            .spawn()
            .expect("start gcp-storage-emulator");
        let mut emulator = GcsEmulator {
            child,
            host: format!("127.0.0.1:{port}"),
            python: python.to_path_buf(),
        };
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "gcp-storage-emulator did not start"
            );
            assert!(
                emulator.child.try_wait().ok().flatten().is_none(),
                "gcp-storage-emulator exited"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        emulator
    }

    /// Creates `name` (`POST /storage/v1/b`) and sets `settings` on it
    /// (`PATCH /storage/v1/b/{name}`, a JSON object of bucket fields), as
    /// `gcloud storage buckets create` / `update` would.
    pub fn create_bucket(&self, name: &str, settings: &serde_json::Value) {
        let script = format!(
            r#"
import json, urllib.request
base = "http://{host}/storage/v1/b"
def call(method, url, body):
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method=method,
                                 headers={{"Content-Type": "application/json"}})
    with urllib.request.urlopen(req) as r:
        return json.load(r)
call("POST", base + "?project=test", {{"name": {name:?}}})
print(json.dumps(call("PATCH", base + "/" + {name:?}, json.loads({settings:?}))))
"#,
            host = self.host,
            settings = settings.to_string(),
        );
        let out = Command::new(&self.python)
            .args(["-c", &script])
            .output()
            .expect("run python");
        assert!(
            out.status.success(),
            "creating bucket {name} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for GcsEmulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
