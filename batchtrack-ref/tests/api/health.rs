use crate::helpers::spawn_app;

#[tokio::test]
async fn health_answers_ok_once_the_database_answers() {
    let app = spawn_app().await;
    let response = reqwest::get(format!("{}/health", app.address))
        .await
        .expect("the request is answered");
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.expect("a JSON body");
    assert_eq!(body["status"], "ok");
    assert_eq!(body["database"], "sqlite");
}

#[tokio::test]
async fn unknown_routes_are_404() {
    let app = spawn_app().await;
    let response = reqwest::get(format!("{}/nope", app.address))
        .await
        .expect("the request is answered");
    assert_eq!(response.status(), 404);
}
