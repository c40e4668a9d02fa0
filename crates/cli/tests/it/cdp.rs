//! A small Chrome DevTools Protocol client, enough for a test to drive a page as a person would: open a URL, type,
//! click, wait for what the page shows, take a screenshot.
//!
//! `Browser::start` runs headless Chromium with `--remote-debugging-port=0`, reads the browser's WebSocket URL from
//! the `DevTools listening on ws://…` line of its stderr, opens a page target and attaches to it with a flat session:
//! every command goes over the one browser socket with the page's `sessionId`. Commands are sent one at a time; a
//! reply is the message with the command's `id`, and every other message (CDP events) is skipped. Each read has a
//! deadline, so a hung browser fails the test instead of hanging it. Dropping the `Browser` closes Chromium (and
//! kills it if it lingers).

use std::io::{BufRead, BufReader, ErrorKind};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{Value, json};
use tungstenite::{Message, WebSocket};

pub(crate) const CHROMIUM: &str = "/usr/bin/chromium";

/// Headless Chromium without a sandbox or a GPU, and without the background traffic of a desktop profile.
pub(crate) const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1500,1100",
];

/// JavaScript run in every document before its own scripts: keeps the page's uncaught errors (an exception in an event
/// listener never reaches the `eval` that dispatched the event) for `wait_for` to report.
const RECORD_ERRORS: &str = "window.__errors = []; \
    addEventListener('error', (e) => __errors.push(e.message)); \
    addEventListener('unhandledrejection', (e) => __errors.push('unhandled rejection: ' + e.reason));";

/// How long one command may take to be answered.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);

/// A headless Chromium driven over CDP, with one page open.
pub(crate) struct Browser {
    child: Child,
    socket: WebSocket<TcpStream>,
    /// The flat session of the page target: every page command carries it.
    session: String,
    next_id: u64,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts headless Chromium with one blank page, or `None` (after printing a note) if `CHROMIUM` is not installed.
    pub(crate) fn start() -> Option<Browser> {
        if !Path::new(CHROMIUM).exists() {
            eprintln!("note: {CHROMIUM} not found; skipping a headless browser test of the console");
            return None;
        }
        let profile = tempfile::Builder::new().prefix("baton-chromium-").tempdir().expect("a profile directory");
        let mut child = Command::new(CHROMIUM)
            .args(CHROMIUM_FLAGS)
            .arg("--remote-debugging-port=0")
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start chromium");
        let stderr = child.stderr.take().expect("piped stderr");
        let (sender, receiver) = mpsc::channel();
        // Reports the DevTools line, then keeps draining stderr so that Chromium never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut early = Vec::new();
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Some(url) = line.strip_prefix("DevTools listening on ") {
                    let _ = sender.send(Ok(url.trim().to_owned()));
                } else if early.len() < 50 {
                    early.push(line);
                }
            }
            // Chromium closed stderr without the DevTools line: it died; say what it printed.
            let _ = sender.send(Err(early.join("\n")));
        });
        let url = match receiver.recv_timeout(Duration::from_secs(60)) {
            Ok(Ok(url)) => url,
            Ok(Err(stderr)) => panic!("chromium exited before it listened for DevTools:\n{stderr}"),
            Err(_) => {
                let _ = child.kill();
                panic!("chromium did not print its DevTools URL within 60 s");
            }
        };
        let socket = match connect(&url) {
            Ok(socket) => socket,
            Err(error) => {
                let _ = child.kill();
                panic!("{error}");
            }
        };
        let mut browser = Browser { child, socket, session: String::new(), next_id: 0, _profile: profile };
        let target = browser.browser_command("Target.createTarget", json!({"url": "about:blank"}));
        let target = target["targetId"].as_str().expect("a target id").to_owned();
        let attached = browser.browser_command("Target.attachToTarget", json!({"targetId": target, "flatten": true}));
        browser.session = attached["sessionId"].as_str().expect("a session id").to_owned();
        // Without the Page domain enabled, scripts added for new documents do not run.
        browser.command("Page.enable", json!({}));
        browser.command("Page.addScriptToEvaluateOnNewDocument", json!({"source": RECORD_ERRORS}));
        Some(browser)
    }

    /// Opens `url` in the page and waits until its document has loaded (its scripts may still be fetching).
    #[track_caller]
    pub(crate) fn navigate(&mut self, url: &str) {
        let navigated = self.command("Page.navigate", json!({"url": url}));
        if let Some(error) = navigated.get("errorText") {
            panic!("navigate to {url}: {error}");
        }
        let loaded = format!("location.href === {} && document.readyState === 'complete'", json!(url));
        self.wait_for(&loaded, Duration::from_secs(30));
    }

    /// The value of the JavaScript expression `js` in the page, promises awaited. A JS exception panics with its
    /// message.
    #[track_caller]
    pub(crate) fn eval(&mut self, js: &str) -> Value {
        match self.try_eval(js) {
            Ok(value) => value,
            Err(error) => panic!("{error}\nin: {js}"),
        }
    }

    /// `eval`, with a failure (a JS exception, or a CDP error such as the page navigating away meanwhile) as `Err`.
    fn try_eval(&mut self, js: &str) -> Result<Value, String> {
        let params = json!({"expression": js, "returnByValue": true, "awaitPromise": true});
        let reply = self.try_command(Some(self.session.clone()), "Runtime.evaluate", params)?;
        if let Some(exception) = reply.get("exceptionDetails") {
            let description = exception["exception"]["description"].as_str();
            let message = description.or(exception["text"].as_str()).unwrap_or("?");
            return Err(format!("JavaScript exception: {message}"));
        }
        Ok(reply["result"].get("value").cloned().unwrap_or(Value::Null))
    }

    /// Evaluates `js` until it gives a truthy value, and returns that value. Failures on the way count as not yet
    /// (the page may be between two documents); after `timeout` it panics with the last failure and the page's text.
    #[track_caller]
    pub(crate) fn wait_for(&mut self, js: &str, timeout: Duration) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            let last = self.try_eval(js);
            if let Ok(value) = &last
                && truthy(value)
            {
                return value.clone();
            }
            if Instant::now() > deadline {
                let location = self.try_eval("location.href").unwrap_or_default();
                let errors = self.try_eval("window.__errors").unwrap_or_default();
                let text = self.try_eval("document.body ? document.body.innerText : ''").unwrap_or_default();
                let text: String = text.as_str().unwrap_or_default().chars().take(4000).collect();
                panic!(
                    "waited {timeout:?} for `{js}`, last {last:?}\nat {location}, with uncaught errors {errors}, \
                     the page says:\n{text}"
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Clicks the element that `selector` matches, by dispatching a bubbling `click` (SVG elements have no `.click()`).
    /// An error the page's listeners throw panics here.
    #[track_caller]
    pub(crate) fn click(&mut self, selector: &str) {
        let act = "el.dispatchEvent(new MouseEvent('click', {bubbles: true, cancelable: true, view: window}));";
        self.on_element(selector, act);
    }

    /// Replaces the value of the input or textarea that `selector` matches with `text`, as typing would.
    #[track_caller]
    pub(crate) fn type_into(&mut self, selector: &str, text: &str) {
        let value = json!(text);
        let act = format!("el.focus(); el.value = {value}; el.dispatchEvent(new Event('input', {{bubbles: true}}));");
        self.on_element(selector, &act);
    }

    /// Runs the JavaScript statements `act` with `el` the element that `selector` matches. Panics if none matches,
    /// or if the page reports an uncaught error meanwhile (what its event listeners throw is reported, not thrown).
    #[track_caller]
    fn on_element(&mut self, selector: &str, act: &str) {
        self.eval(&format!(
            "(() => {{ const el = document.querySelector({sel}); \
             if (!el) throw new Error('nothing matches ' + {sel}); \
             const before = (window.__errors || []).length; \
             {act} \
             const errors = (window.__errors || []).slice(before); \
             if (errors.length) throw new Error('the page failed: ' + errors.join('; ')); \
             return true; }})()",
            sel = json!(selector),
        ));
    }

    /// The centre of the element that `selector` matches, in the viewport's CSS pixels, scrolled into view if it was not
    /// (outside the window, or hidden by a scrolled container or by what lies over it).
    /// Panics if nothing matches or the element has no box.
    #[track_caller]
    pub(crate) fn centre(&mut self, selector: &str) -> (f64, f64) {
        self.centre_of(&format!("document.querySelector({})", json!(selector)))
    }

    /// `centre` of the element that the JavaScript expression `element` gives (null: not yet; waits for it).
    #[track_caller]
    pub(crate) fn centre_of(&mut self, element: &str) -> (f64, f64) {
        let js = format!(
            "(() => {{ const el = {element}; if (!el) return null; \
             let r = el.getBoundingClientRect(); \
             const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2); \
             if (!hit || !(el.contains(hit) || hit.contains(el) && hit.tagName === 'LABEL')) {{ \
               el.scrollIntoView({{block: 'center', inline: 'center'}}); r = el.getBoundingClientRect(); }} \
             return r.width || r.height ? [r.left + r.width / 2, r.top + r.height / 2] : null; }})()"
        );
        let point = self.wait_for(&js, Duration::from_secs(10));
        (point[0].as_f64().unwrap_or_default(), point[1].as_f64().unwrap_or_default())
    }

    /// Clicks the element that `selector` matches with the mouse, as a person would: the pointer moves to its centre,
    /// presses and releases the left button (the browser, not a script, makes the events). Panics on an uncaught error
    /// of the page meanwhile.
    #[track_caller]
    pub(crate) fn mouse_click(&mut self, selector: &str) {
        let (x, y) = self.centre(selector);
        self.mouse_click_at(x, y);
    }

    /// A left click at the viewport point (`x`, `y`).
    #[track_caller]
    pub(crate) fn mouse_click_at(&mut self, x: f64, y: f64) {
        let before = self.errors();
        self.mouse("mouseMoved", x, y, 0);
        self.mouse("mousePressed", x, y, 1);
        self.mouse("mouseReleased", x, y, 1);
        self.no_new_errors(before);
    }

    /// Drags with the left button from the centre of the element that `from` matches to the viewport point `to`,
    /// through a few points between, as a hand would.
    #[track_caller]
    pub(crate) fn drag_to(&mut self, from: &str, to: (f64, f64)) {
        let (x, y) = self.centre(from);
        self.drag_between((x, y), to);
    }

    /// Drags with the left button from the centre of the element that `from` matches to the centre of the one that `to`
    /// matches.
    #[track_caller]
    pub(crate) fn drag(&mut self, from: &str, to: &str) {
        // Each may scroll the other away: the target first, then the source, then the target where it is now.
        self.centre(to);
        let start = self.centre(from);
        let end = self.centre(to);
        self.drag_between(start, end);
    }

    #[track_caller]
    fn drag_between(&mut self, (x, y): (f64, f64), (to_x, to_y): (f64, f64)) {
        let before = self.errors();
        self.mouse("mouseMoved", x, y, 0);
        self.mouse("mousePressed", x, y, 1);
        for step in 1..=8 {
            let t = f64::from(step) / 8.0;
            self.mouse("mouseMoved", x + (to_x - x) * t, y + (to_y - y) * t, 1);
        }
        self.mouse("mouseReleased", to_x, to_y, 1);
        self.no_new_errors(before);
    }

    /// Presses and releases `key` (a DOM key name: "Enter", "Tab", "Delete", "ArrowDown", "z"…) with `modifiers`
    /// (CDP's bits: 1 Alt, 2 Ctrl, 4 Meta, 8 Shift) on whatever has the keyboard focus.
    #[track_caller]
    pub(crate) fn press(&mut self, key: &str, modifiers: u8) {
        let before = self.errors();
        let (code, key_code, text) = key_codes(key, modifiers);
        let mut down = json!({"type": "keyDown", "key": key, "code": code, "windowsVirtualKeyCode": key_code, "modifiers": modifiers});
        if let Some(text) = text {
            down["text"] = json!(text);
        }
        self.command("Input.dispatchKeyEvent", down);
        let up = json!({"type": "keyUp", "key": key, "code": code, "windowsVirtualKeyCode": key_code, "modifiers": modifiers});
        self.command("Input.dispatchKeyEvent", up);
        self.no_new_errors(before);
    }

    /// Types `text` into whatever has the keyboard focus, as a keyboard's input would (one `input` event per call).
    #[track_caller]
    pub(crate) fn type_text(&mut self, text: &str) {
        let before = self.errors();
        self.command("Input.insertText", json!({"text": text}));
        self.no_new_errors(before);
    }

    /// Clicks into the field that `selector` matches, selects what it holds and types `text` over it, with the mouse and
    /// keyboard.
    #[track_caller]
    pub(crate) fn fill(&mut self, selector: &str, text: &str) {
        self.mouse_click(selector);
        self.press("a", 2);
        self.press("Delete", 0);
        self.type_text(text);
    }

    fn mouse(&mut self, kind: &str, x: f64, y: f64, click_count: u8) {
        let buttons = u8::from(click_count > 0 && kind != "mouseReleased");
        let params = json!({"type": kind, "x": x, "y": y, "button": if click_count > 0 { "left" } else { "none" },
                            "buttons": buttons, "clickCount": click_count});
        self.command("Input.dispatchMouseEvent", params);
    }

    /// How many uncaught errors the page has reported so far.
    fn errors(&mut self) -> usize {
        let count = self.try_eval("(window.__errors || []).length").unwrap_or_default();
        usize::try_from(count.as_u64().unwrap_or_default()).unwrap_or_default()
    }

    #[track_caller]
    fn no_new_errors(&mut self, before: usize) {
        let errors = self.try_eval(&format!("(window.__errors || []).slice({before})")).unwrap_or_default();
        let errors = errors.as_array().cloned().unwrap_or_default();
        assert!(errors.is_empty(), "the page failed: {errors:?}");
    }

    /// Saves a PNG of the page's viewport to `path`.
    pub(crate) fn screenshot(&mut self, path: &Path) {
        let shot = self.command("Page.captureScreenshot", json!({"format": "png"}));
        let data = shot["data"].as_str().expect("screenshot data");
        let png = base64::engine::general_purpose::STANDARD.decode(data).expect("base64 screenshot data");
        assert!(png.starts_with(b"\x89PNG"), "the screenshot is not a PNG");
        std::fs::write(path, png).unwrap_or_else(|error| panic!("write {}: {error}", path.display()));
    }

    /// A command to the page; a CDP error panics.
    fn command(&mut self, method: &str, params: Value) -> Value {
        let session = Some(self.session.clone());
        self.try_command(session, method, params).unwrap_or_else(|error| panic!("{error}"))
    }

    /// A command to the browser itself; a CDP error panics.
    fn browser_command(&mut self, method: &str, params: Value) -> Value {
        self.try_command(None, method, params).unwrap_or_else(|error| panic!("{error}"))
    }

    /// Sends one command and reads until its reply; the `result`, or a CDP error as `Err`. A socket failure or no
    /// reply within `COMMAND_TIMEOUT` panics.
    fn try_command(&mut self, session: Option<String>, method: &str, params: Value) -> Result<Value, String> {
        self.next_id += 1;
        let id = self.next_id;
        let mut message = json!({"id": id, "method": method, "params": params});
        if let Some(session) = session {
            message["sessionId"] = Value::String(session);
        }
        self.socket.send(Message::text(message.to_string())).unwrap_or_else(|error| panic!("send {method}: {error}"));
        let deadline = Instant::now() + COMMAND_TIMEOUT;
        loop {
            let text = match self.socket.read() {
                Ok(Message::Text(text)) => text,
                Ok(_) => continue,
                Err(tungstenite::Error::Io(error))
                    if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) =>
                {
                    panic!("no reply to {method} within {COMMAND_TIMEOUT:?}")
                }
                Err(error) => panic!("read the reply to {method}: {error}"),
            };
            let reply: Value = serde_json::from_str(text.as_str()).expect("a JSON CDP message");
            if reply["id"] == id {
                return match reply.get("error") {
                    Some(error) => Err(format!("{method}: {error}")),
                    None => Ok(reply["result"].clone()),
                };
            }
            // An event, or a reply that is not ours: skip it, within the deadline (events can keep coming).
            assert!(Instant::now() < deadline, "no reply to {method} within {COMMAND_TIMEOUT:?}");
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Close the browser politely so that it takes its renderer and GPU processes with it; kill it if it lingers.
        self.next_id += 1;
        let close = json!({"id": self.next_id, "method": "Browser.close"});
        let _ = self.socket.send(Message::text(close.to_string()));
        let deadline = Instant::now() + Duration::from_secs(5);
        while matches!(self.child.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A WebSocket to the DevTools `url` (`ws://HOST:PORT/devtools/browser/ID`) whose reads give up after
/// `COMMAND_TIMEOUT`.
fn connect(url: &str) -> Result<WebSocket<TcpStream>, String> {
    let host = url.strip_prefix("ws://").and_then(|rest| rest.split('/').next());
    let host = host.ok_or(format!("not a ws:// URL: {url}"))?;
    let stream = TcpStream::connect(host).map_err(|error| format!("connect to {host}: {error}"))?;
    stream.set_read_timeout(Some(COMMAND_TIMEOUT)).map_err(|error| format!("a read timeout: {error}"))?;
    let (socket, _) =
        tungstenite::client(url, stream).map_err(|error| format!("WebSocket handshake with {url}: {error}"))?;
    Ok(socket)
}

/// The DOM `code`, the Windows virtual key code and the text of `key`, for `Input.dispatchKeyEvent`.
fn key_codes(key: &str, modifiers: u8) -> (String, u32, Option<String>) {
    let named = match key {
        "Enter" => Some(("Enter", 13, Some("\r"))),
        "Tab" => Some(("Tab", 9, None)),
        "Escape" => Some(("Escape", 27, None)),
        "Backspace" => Some(("Backspace", 8, None)),
        "Delete" => Some(("Delete", 46, None)),
        "ArrowLeft" => Some(("ArrowLeft", 37, None)),
        "ArrowUp" => Some(("ArrowUp", 38, None)),
        "ArrowRight" => Some(("ArrowRight", 39, None)),
        "ArrowDown" => Some(("ArrowDown", 40, None)),
        " " => Some(("Space", 32, Some(" "))),
        _ => None,
    };
    if let Some((code, key_code, text)) = named {
        return (code.to_owned(), key_code, text.map(str::to_owned));
    }
    let mut chars = key.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) if c.is_ascii_alphanumeric() => {
            let upper = c.to_ascii_uppercase();
            let code = if c.is_ascii_digit() { format!("Digit{c}") } else { format!("Key{upper}") };
            // A key pressed with Ctrl, Alt or Meta types nothing.
            let text = (modifiers & 7 == 0).then(|| c.to_string());
            (code, u32::from(upper), text)
        }
        _ => (key.to_owned(), 0, None),
    }
}

/// JavaScript truthiness of a JSON value.
fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|n| n != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}
