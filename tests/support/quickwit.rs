//! A real Quickwit server on free loopback ports with a throw-away data folder, for the
//! remote tests and the remote bench. A watchdog shell stops it and removes the folder when
//! the process that started it ends (however it ends), or when the `Server` is dropped.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running server; dropping it stops the server.
pub struct Server {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    watchdog: Child,
}

impl Drop for Server {
    fn drop(&mut self) {
        // The watchdog stops the server and removes its folder on TERM.
        let _ = Command::new("kill")
            .arg(self.watchdog.id().to_string())
            .status();
        let _ = self.watchdog.wait();
    }
}

/// A port nothing listens on now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Server {
    /// Starts `binary` and waits until it is ready.
    pub fn start(binary: &Path) -> Server {
        let dir = std::env::temp_dir().join(format!("auditlens-quickwit-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("data")).unwrap();
        let (rest, grpc) = (free_port(), free_port());
        let d = dir.display();
        std::fs::write(
            dir.join("node.yaml"),
            format!(
                "version: 0.8\nnode_id: test\nlisten_address: 127.0.0.1\nrest:\n  listen_port: {rest}\n\
                 grpc_listen_port: {grpc}\ndata_dir: {d}/data\nmetastore_uri: file://{d}/data/indexes\n\
                 default_index_root_uri: file://{d}/data/indexes\n"
            ),
        )
        .unwrap();
        // The watchdog: runs the server, stops it when this test process is gone (even
        // killed) or when told to (TERM, from Drop), then removes the folder.
        let script = format!(
            "'{bin}' run --config '{d}/node.yaml' > '{d}/quickwit.log' 2>&1 & q=$!\n\
             stop() {{ kill $q 2>/dev/null; wait $q 2>/dev/null; rm -rf '{d}'; exit 0; }}\n\
             trap stop TERM INT\n\
             while kill -0 {pid} 2>/dev/null && kill -0 $q 2>/dev/null; do sleep 0.5; done\n\
             stop\n",
            bin = binary.display(),
            pid = std::process::id()
        );
        let watchdog = Command::new("sh")
            .arg("-c")
            .arg(script)
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        let server = Server {
            base: format!("http://127.0.0.1:{rest}"),
            watchdog,
        };
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(2)))
            .build()
            .into();
        let started = Instant::now();
        loop {
            if agent
                .get(format!("{}/health/readyz", server.base))
                .call()
                .is_ok()
            {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "quickwit did not start: {}",
                std::fs::read_to_string(dir.join("quickwit.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(250));
        }
        server
    }
}
