//! The README's walkthrough, run as written (with curl) against a served
//! app on a fresh demo: a new user's first five minutes.

use crate::served::Served;

/// The shell block between the walkthrough markers.
fn walkthrough() -> String {
    let readme = include_str!("../../../README.md");
    let start = readme
        .find("<!-- walkthrough: start -->")
        .expect("the README marks its walkthrough");
    let end = readme[start..]
        .find("<!-- walkthrough: end -->")
        .expect("the walkthrough ends")
        + start;
    let block = &readme[start..end];
    let code = block
        .split_once("```sh\n")
        .and_then(|(_, rest)| rest.split_once("```"))
        .map(|(code, _)| code)
        .expect("a sh block");
    code.to_owned()
}

async fn the_readme_walkthrough_runs_as_written(app: &Served) {
    let script = walkthrough().replace("http://127.0.0.1:8080", &app.base);
    let output = tokio::process::Command::new("bash")
        .args(["-euo", "pipefail", "-c", &script])
        .output()
        .await
        .expect("bash and curl run");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the walkthrough fails: {}\n{stdout}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("\"can_make\":true"), "{stdout}");
    assert!(stdout.contains("\"status\":\"finished\""), "{stdout}");
    assert!(stdout.contains("\"produced_quantity\":\"40\""), "{stdout}");
    // The batch is there, finished, once.
    let owner = app.login("owner@acme.example").await;
    let batches = app.items(&owner, "/api/v1/batches?status=finished").await;
    assert_eq!(batches.len(), 2, "the demo's batch and the walkthrough's");
}

crate::served!(the_readme_walkthrough_runs_as_written);
