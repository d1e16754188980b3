//! The end-to-end harness: the real app under WebDriver.
//!
//! [`Launch`] prepares a private world for one test (a temp directory holding
//! the database, the logs and the XDG directories WebKit writes to), which the
//! test may fill through `cairn_store` before the app starts. [`Launch::launch`]
//! starts `tauri-driver` on free ports, which starts `WebKitWebDriver`, which
//! starts `cairn-app` with `CAIRN_DB` pointing into that directory. The three
//! processes share one process group; dropping the [`App`] (also while a
//! failed test unwinds) kills the group, so nothing outlives a test.
//!
//! Waiting is always for a condition with a deadline ([`App::wait_until`]),
//! never a fixed sleep. When a wait times out, the harness saves a screenshot
//! and the page's text before failing, so a CI failure can be read afterwards.
//! Screenshots land in `target/e2e-screenshots/`.

#![allow(dead_code)] // not every test uses every helper

use std::future::Future;
use std::io::Read;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use cairn_store::Store;
use fantoccini::{Client, ClientBuilder, Locator};

/// How long the app may take to show its first screen (a cold WebKit start
/// on a loaded 2-core machine is the slow case).
pub const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long an ordinary condition may take to become true.
pub const TIMEOUT: Duration = Duration::from_secs(15);
/// How often a condition is checked while waiting.
const POLL: Duration = Duration::from_millis(100);

/// The binary under test, built by cargo for this test run.
pub const APP_BINARY: &str = env!("CARGO_BIN_EXE_cairn-app");

/// Where screenshots go: `target/e2e-screenshots/` (of whatever target
/// directory this build uses).
pub fn screenshot_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("CARGO_TARGET_TMPDIR is inside the target directory")
        .join("e2e-screenshots")
}

/// A prepared, not yet started app: its own directory and database path.
pub struct Launch {
    name: String,
    dir: tempfile::TempDir,
    env: Vec<(String, String)>,
}

impl Launch {
    /// `name` labels screenshots and diagnostics (use the test's name).
    pub fn new(name: &str) -> Launch {
        let dir = tempfile::Builder::new()
            .prefix(&format!("cairn-e2e-{name}-"))
            .tempdir()
            .expect("create a temp directory");
        Launch {
            name: name.to_string(),
            dir,
            env: Vec::new(),
        }
    }

    /// The database the app will open (it does not exist until someone opens it).
    pub fn db_path(&self) -> PathBuf {
        self.dir.path().join("data").join("cairn.db")
    }

    /// Opens the app's database to put things into it before launch.
    pub fn store(&self) -> Store {
        Store::open(self.db_path()).expect("open the test database")
    }

    /// An extra environment variable for the app.
    pub fn env(mut self, key: &str, value: &str) -> Launch {
        self.env.push((key.into(), value.into()));
        self
    }

    /// Starts the app and waits until its first screen is drawn.
    pub async fn launch(self) -> App {
        require_display();
        let tauri_driver = find_program("TAURI_DRIVER", "tauri-driver", &[home_cargo_bin("tauri-driver")])
            .unwrap_or_else(|| {
                panic!("tauri-driver not found: install it with `cargo install tauri-driver --locked` (./scripts/test does)")
            });
        let native = find_program("WEBKIT_WEBDRIVER", "WebKitWebDriver", &[])
            .unwrap_or_else(|| panic!("WebKitWebDriver not found: install the webkit2gtk-driver package (./scripts/test does)"));

        let port = free_port();
        let native_port = free_port();
        let xdg = self.dir.path().join("xdg");
        let driver_log = self.dir.path().join("tauri-driver.log");
        let log = std::fs::File::create(&driver_log).expect("create the driver log");
        let mut command = Command::new(&tauri_driver);
        command
            .arg("--port")
            .arg(port.to_string())
            .arg("--native-port")
            .arg(native_port.to_string())
            .arg("--native-driver")
            .arg(&native)
            // The app inherits this environment through the two drivers.
            .env("CAIRN_DB", self.db_path())
            .env("XDG_DATA_HOME", xdg.join("data"))
            .env("XDG_CONFIG_HOME", xdg.join("config"))
            .env("XDG_CACHE_HOME", xdg.join("cache"))
            // No accessibility bus: it only adds start-up time and log noise here.
            .env("NO_AT_BRIDGE", "1")
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("clone the log handle"))
            .stderr(log)
            // Its own process group, so teardown reaches the drivers and the app.
            .process_group(0);
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", tauri_driver.display()));
        let mut driver = DriverGroup { child };

        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let deadline = Instant::now() + START_TIMEOUT;
        while TcpStream::connect_timeout(&addr, POLL).is_err() {
            if let Ok(Some(status)) = driver.child.try_wait() {
                panic!(
                    "tauri-driver exited ({status}) before listening:\n{}",
                    read_lossy(&driver_log)
                );
            }
            assert!(
                Instant::now() < deadline,
                "tauri-driver did not listen on {addr} within {START_TIMEOUT:?}:\n{}",
                read_lossy(&driver_log)
            );
            std::thread::sleep(POLL);
        }

        let mut caps = serde_json::Map::new();
        caps.insert(
            "tauri:options".into(),
            serde_json::json!({ "application": APP_BINARY }),
        );
        let client = ClientBuilder::native()
            .capabilities(caps)
            .connect(&format!("http://{addr}"))
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start a WebDriver session with {APP_BINARY}: {e}\n{}",
                    read_lossy(&driver_log)
                )
            });

        let app = App {
            client: Some(client),
            driver,
            launch: self,
            driver_log,
        };
        app.wait_for_with("the app's navigation", START_TIMEOUT, || async {
            app.client()
                .find(Locator::Css("nav[aria-label=Main]"))
                .await
                .is_ok()
        })
        .await;
        app
    }
}

/// A running app with a WebDriver session on its window.
pub struct App {
    client: Option<Client>,
    // Field order matters for drop: the session goes before the processes.
    driver: DriverGroup,
    launch: Launch,
    driver_log: PathBuf,
}

impl App {
    pub fn client(&self) -> &Client {
        self.client
            .as_ref()
            .expect("the session is open until close()")
    }

    pub fn db_path(&self) -> PathBuf {
        self.launch.db_path()
    }

    /// A second connection to the app's database, to check what it wrote.
    pub fn store(&self) -> Store {
        self.launch.store()
    }

    /// The directory holding the database, the logs and the XDG dirs.
    pub fn dir(&self) -> &Path {
        self.launch.dir.path()
    }

    /// Waits until `condition` holds, or fails with a screenshot and the page text.
    pub async fn wait_until<F, Fut>(&self, what: &str, condition: F)
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = bool>,
    {
        self.wait_for_with(what, TIMEOUT, condition).await
    }

    async fn wait_for_with<F, Fut>(&self, what: &str, timeout: Duration, mut condition: F)
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = bool>,
    {
        let deadline = Instant::now() + timeout;
        loop {
            if condition().await {
                return;
            }
            if Instant::now() >= deadline {
                let shot = self
                    .screenshot(&format!("{}-timeout", self.launch.name))
                    .await;
                let text = self.page_text().await;
                panic!(
                    "timed out after {timeout:?} waiting for {what}\nscreenshot: {}\npage text:\n{text}\ntauri-driver log:\n{}",
                    shot.map(|p| p.display().to_string()).unwrap_or_else(|e| e),
                    read_lossy(&self.driver_log)
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// The visible text of the first element matching `css`, if there is one.
    pub async fn text_of(&self, css: &str) -> Option<String> {
        let el = self.client().find(Locator::Css(css)).await.ok()?;
        el.text().await.ok()
    }

    /// The visible text of every element matching `css`.
    pub async fn texts_of(&self, css: &str) -> Vec<String> {
        let mut out = Vec::new();
        for el in self
            .client()
            .find_all(Locator::Css(css))
            .await
            .unwrap_or_default()
        {
            if let Ok(t) = el.text().await {
                out.push(t);
            }
        }
        out
    }

    /// Waits until some element matching `css` shows `text` (a substring) and
    /// returns that element's whole text.
    pub async fn wait_for_text(&self, css: &str, text: &str) -> String {
        let found = std::cell::RefCell::new(String::new());
        self.wait_until(&format!("{css} to show {text:?}"), || async {
            match self
                .texts_of(css)
                .await
                .into_iter()
                .find(|t| t.contains(text))
            {
                Some(t) => {
                    *found.borrow_mut() = t;
                    true
                }
                None => false,
            }
        })
        .await;
        found.into_inner()
    }

    /// Waits for an element and clicks it.
    pub async fn click(&self, css: &str) {
        self.wait_until(&format!("{css} to be present"), || async {
            self.client().find(Locator::Css(css)).await.is_ok()
        })
        .await;
        self.client()
            .find(Locator::Css(css))
            .await
            .expect("present")
            .click()
            .await
            .unwrap_or_else(|e| panic!("cannot click {css}: {e}"));
    }

    /// The whole page's visible text (for failure messages).
    pub async fn page_text(&self) -> String {
        self.text_of("body")
            .await
            .unwrap_or_else(|| "<unreadable>".into())
    }

    /// Saves a PNG of the app's window to `target/e2e-screenshots/<name>.png`.
    /// It waits for the page to paint what the DOM holds first: WebKit's
    /// screenshot shows the last painted frame, which trails DOM changes.
    pub async fn screenshot(&self, name: &str) -> Result<PathBuf, String> {
        self.client()
            .execute_async(
                "const done = arguments[arguments.length - 1];\n\
                 requestAnimationFrame(() => requestAnimationFrame(() => done(null)));",
                vec![],
            )
            .await
            .map_err(|e| format!("the page did not paint: {e}"))?;
        let png = self
            .client()
            .screenshot()
            .await
            .map_err(|e| format!("no screenshot: {e}"))?;
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        Ok(path)
    }

    /// Ends the session (the app quits) and stops the drivers.
    pub async fn close(mut self) {
        if let Some(client) = self.client.take() {
            // The app may already be gone; teardown goes on either way.
            let _ = client.close().await;
        }
    }
}

/// tauri-driver's process group; killed as a whole when dropped.
struct DriverGroup {
    child: Child,
}

impl Drop for DriverGroup {
    fn drop(&mut self) {
        let pgid = self.child.id() as libc::pid_t;
        // SAFETY: plain syscall on a process group this harness created.
        unsafe {
            libc::killpg(pgid, libc::SIGKILL);
        }
        let _ = self.child.wait();
    }
}

fn require_display() {
    let display = std::env::var("DISPLAY").unwrap_or_default();
    assert!(
        !display.is_empty(),
        "no X display: run the end-to-end tests under `xvfb-run -a` (./scripts/test does)"
    );
}

/// A program named by `env_var`, else found on PATH, else at one of `extra`.
fn find_program(env_var: &str, name: &str, extra: &[Option<PathBuf>]) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(env_var).filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    let on_path = std::env::var_os("PATH")
        .map(|paths| {
            std::env::split_paths(&paths)
                .map(|d| d.join(name))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    on_path
        .into_iter()
        .chain(extra.iter().flatten().cloned())
        .find(|p| p.is_file())
}

fn home_cargo_bin(name: &str) -> Option<PathBuf> {
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))?;
    Some(cargo_home.join("bin").join(name))
}

/// A port nobody listens on right now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind a free loopback port")
}

fn read_lossy(path: &Path) -> String {
    let mut bytes = Vec::new();
    let _ = std::fs::File::open(path).and_then(|mut f| f.read_to_end(&mut bytes));
    let text = String::from_utf8_lossy(&bytes);
    // The tail is what matters, and a runaway log must not flood the report.
    let start = text.len().saturating_sub(4000);
    let start = (start..text.len())
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(text.len());
    text[start..].to_string()
}
