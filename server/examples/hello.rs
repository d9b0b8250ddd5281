//! The anchor of the server's load figures (`scripts/bench-server.sh`): an axum
//! hello-world on the same stack as `warden-server` (axum 0.8, hyper, the multi-threaded
//! tokio runtime), answering `POST /access/v1/evaluation` by parsing the JSON body and
//! returning `{"decision": true}`, so that the load generator sends the same request to
//! both. `cargo run --profile bench-host -p warden-server --example hello -- 127.0.0.1:PORT`
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use axum::Json;
use axum::Router;
use axum::routing::{get, post};
use serde_json::{Value, json};

async fn evaluation(Json(_body): Json<Value>) -> Json<Value> {
    Json(json!({"decision": true}))
}

#[tokio::main]
async fn main() {
    let listen = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8081".into());
    let app = Router::new()
        .route("/", get(|| async { "Hello, World!" }))
        .route("/access/v1/evaluation", post(evaluation));
    let listener = tokio::net::TcpListener::bind(&listen).await.unwrap();
    println!(
        "hello listening on http://{}/",
        listener.local_addr().unwrap()
    );
    axum::serve(listener, app).await.unwrap();
}
