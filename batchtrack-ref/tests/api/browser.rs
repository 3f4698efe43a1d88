//! The daily flow in a real browser: headless Chromium driven over
//! WebDriver (Debian's `chromium` and `chromium-driver`, which `.ci/run`
//! installs). A demo owner signs in, checks stock, starts and finishes a
//! batch and finds the goods in the product inventory; the other
//! organization's viewer then finds none of it. Screenshots of the pages
//! are kept in `target/tmp/browser/`.
//!
//! Without chromedriver the test says so and passes, except in CI
//! (`CI` set), where it fails: the browser test must run there.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

use crate::served::Served;

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// chromedriver on a free port, stopped when dropped.
struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn driver() -> Option<Driver> {
    if !std::path::Path::new(CHROMEDRIVER).exists() || !std::path::Path::new(CHROMIUM).exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run the browser test: install chromium and chromium-driver"
        );
        eprintln!(
            "skipped: {CHROMEDRIVER} or {CHROMIUM} is missing (apt-get install chromium chromium-driver)"
        );
        return None;
    }
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let driver = Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    let client = reqwest::Client::new();
    for _ in 0..100 {
        if client
            .get(format!("{}/status", driver.url))
            .send()
            .await
            .is_ok_and(|answer| answer.status().is_success())
        {
            return Some(driver);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not answer on {}", driver.url);
}

async fn browser(driver: &Driver, profile: &std::path::Path) -> Client {
    let capabilities = json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": CHROMIUM,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--window-size=1024,900",
                format!("--user-data-dir={}", profile.display()),
            ],
        },
    });
    let serde_json::Value::Object(capabilities) = capabilities else {
        unreachable!("an object")
    };
    ClientBuilder::new(HttpConnector::new())
        .capabilities(capabilities)
        .connect(&driver.url)
        .await
        .expect("a browser session")
}

/// Where screenshots go: a folder of the target directory, kept after the
/// test as its artifacts.
fn artifacts() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("browser");
    std::fs::create_dir_all(&dir).expect("the artifacts folder");
    dir
}

async fn screenshot(browser: &Client, name: &str) {
    let png = browser.screenshot().await.expect("a screenshot");
    std::fs::write(artifacts().join(format!("{name}.png")), png).expect("the screenshot is kept");
}

async fn sign_in(browser: &Client, base: &str, email: &str) {
    browser
        .goto(&format!("{base}/"))
        .await
        .expect("the app opens");
    assert!(
        browser.current_url().await.expect("a url").path() == "/sign-in",
        "nobody signed in is sent to the sign-in page"
    );
    browser
        .find(Locator::Id("email"))
        .await
        .expect("the email field")
        .send_keys(email)
        .await
        .expect("typed");
    browser
        .find(Locator::Id("password"))
        .await
        .expect("the password field")
        .send_keys(batchtrack_ref::demo::PASSWORD)
        .await
        .expect("typed");
    click(browser, "//button[normalize-space()='Sign in']").await;
    wait_for_text(browser, "h1", "Today").await;
    assert_eq!(browser.current_url().await.expect("a url").path(), "/");
}

/// Waits until the page's path starts with `prefix`: a click on a link or
/// a submit button returns before the browser has navigated.
async fn wait_for_path(browser: &Client, prefix: &str) {
    for _ in 0..200 {
        if let Ok(url) = browser.current_url().await
            && url.path().starts_with(prefix)
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let at = browser.current_url().await.map(|url| url.to_string());
    panic!("the browser did not reach {prefix}: at {at:?}");
}

/// Waits until the element at `css` says `expected` (a page that posts to
/// itself reloads at the same address).
async fn wait_for_text(browser: &Client, css: &str, expected: &str) {
    for _ in 0..200 {
        if let Ok(element) = browser.find(Locator::Css(css)).await
            && element.text().await.is_ok_and(|text| text == expected)
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{css} never said {expected:?}");
}

/// Clicks the element at `xpath`, then waits for the page at `prefix`.
async fn click_to(browser: &Client, xpath: &str, prefix: &str) {
    click(browser, xpath).await;
    wait_for_path(browser, prefix).await;
}

async fn click(browser: &Client, xpath: &str) {
    browser
        .find(Locator::XPath(xpath))
        .await
        .unwrap_or_else(|error| panic!("{xpath}: {error}"))
        .click()
        .await
        .unwrap_or_else(|error| panic!("clicking {xpath}: {error}"));
}

async fn text_of(browser: &Client, css: &str) -> String {
    // Right after a navigation the element may belong to the page being
    // left, or not be there yet.
    let mut last = None;
    for _ in 0..200 {
        match browser.find(Locator::Css(css)).await {
            Ok(element) => match element.text().await {
                Ok(text) => return text,
                Err(error) => last = Some(error),
            },
            Err(error) => last = Some(error),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{css}: {last:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daily_flow_in_a_browser() {
    let Some(driver) = driver().await else { return };
    let app = Served::sqlite().await;
    let profile = tempfile::tempdir().expect("a profile folder");
    let browser = browser(&driver, profile.path()).await;
    // The session is closed whatever the flow finds, then its panic goes on.
    let flow = tokio::spawn(daily_flow(browser.clone(), app.base.clone())).await;
    let _ = browser.close().await;
    if let Err(failed) = flow {
        std::panic::resume_unwind(failed.into_panic());
    }
}

async fn daily_flow(browser: Client, base: String) {
    let (browser, base) = (&browser, base.as_str());
    sign_in(browser, base, "owner@acme.example").await;
    screenshot(browser, "1-dashboard").await;
    assert!(text_of(browser, "main").await.contains("Running low"));

    click_to(browser, "//nav//a[normalize-space()='Recipes']", "/recipes").await;
    click_to(
        browser,
        "//a[normalize-space()='Lavender soap']",
        "/recipes/",
    )
    .await;
    wait_for_text(browser, "h1", "Lavender soap").await;
    let check = text_of(browser, "#can-make").await;
    assert!(check.contains("Enough stock for this batch."), "{check}");
    screenshot(browser, "2-stock-check").await;

    click_to(
        browser,
        "//button[normalize-space()='Start batch']",
        "/batches/",
    )
    .await;
    wait_for_text(browser, "#status", "in progress").await;
    let batch_url = browser.current_url().await.expect("a url").to_string();
    browser
        .find(Locator::Id("yield_quantity"))
        .await
        .expect("the yield field")
        .send_keys("24")
        .await
        .expect("typed");
    browser
        .find(Locator::Id("batch_code"))
        .await
        .expect("the code field")
        .send_keys("BROWSER-1")
        .await
        .expect("typed");
    screenshot(browser, "3-finish-batch").await;
    click(browser, "//button[normalize-space()='Finish batch']").await;
    wait_for_text(browser, "#status", "finished").await;

    click_to(
        browser,
        "//nav//a[normalize-space()='Products']",
        "/products",
    )
    .await;
    wait_for_text(browser, "h1", "Products").await;
    let row = text_of(browser, "tr[data-sku='LAV-100']").await;
    assert!(row.contains("BROWSER-1: 24 pcs"), "{row}");
    screenshot(browser, "4-products").await;

    click_to(
        browser,
        "//button[normalize-space()='Sign out']",
        "/sign-in",
    )
    .await;
    sign_in(browser, base, "viewer@birch.example").await;
    click_to(
        browser,
        "//nav//a[normalize-space()='Products']",
        "/products",
    )
    .await;
    wait_for_text(browser, "h1", "Products").await;
    let products = text_of(browser, "main").await;
    assert!(
        !products.contains("LAV-100") && !products.contains("BROWSER-1"),
        "{products}"
    );
    browser.goto(&batch_url).await.expect("opens");
    let page = text_of(browser, "main").await;
    assert!(page.contains("Not found"), "{page}");
    assert!(!page.contains("Lavender"), "{page}");
    screenshot(browser, "5-other-organization").await;
}
