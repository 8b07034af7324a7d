//! Calls to the REST API from the browser (the Administration pages use the same endpoints
//! as scripts do). On the server this never runs: those pages load their data after
//! hydration.

use serde::de::DeserializeOwned;

use crate::error::AppError;

/// `method` `url` with an optional body of `content_type`; the JSON answer, or the API's error.
pub async fn call<T: DeserializeOwned>(
    method: &str,
    url: &str,
    body: Option<(String, &str)>,
) -> Result<T, AppError> {
    #[cfg(feature = "hydrate")]
    {
        use gloo_net::http::{Method, RequestBuilder};
        let m = match method {
            "POST" => Method::POST,
            "PATCH" => Method::PATCH,
            "PUT" => Method::PUT,
            "DELETE" => Method::DELETE,
            _ => Method::GET,
        };
        let net = |_| {
            AppError::new(
                0,
                "network",
                "Tollgate could not be reached. Check your connection and try again.",
            )
        };
        let rb = RequestBuilder::new(url).method(m);
        let resp = match body {
            Some((b, ct)) => rb
                .header("content-type", ct)
                .body(b)
                .map_err(|_| AppError::bad_request("The request could not be built."))?
                .send()
                .await
                .map_err(net)?,
            None => rb.send().await.map_err(net)?,
        };
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        let v: serde_json::Value = if text.trim().is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(serde_json::Value::Null)
        };
        if !(200..300).contains(&status) {
            let e = &v["error"];
            let mut err = AppError::new(
                status,
                e["code"].as_str().unwrap_or("error"),
                e["message"]
                    .as_str()
                    .unwrap_or("The request failed.")
                    .to_string(),
            );
            err.field = e["field"].as_str().map(str::to_string);
            if !e["details"].is_null() {
                err.details = Some(e["details"].clone());
            }
            return Err(err);
        }
        serde_json::from_value(v).map_err(|e| AppError::bad_request(e.to_string()))
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (method, url, body);
        Err(AppError::new(
            0,
            "not_in_browser",
            "This part of the page loads in the browser.",
        ))
    }
}

pub async fn get<T: DeserializeOwned>(url: &str) -> Result<T, AppError> {
    call("GET", url, None).await
}

pub async fn send_json<T: DeserializeOwned>(
    method: &str,
    url: &str,
    body: &impl serde::Serialize,
) -> Result<T, AppError> {
    let b = serde_json::to_string(body).unwrap_or_default();
    call(method, url, Some((b, "application/json"))).await
}
