//! The hydrate entry: the browser takes over the server-rendered page.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Some routes are loaded on demand (app/src/routes.rs): hydration waits for the code of the
    // page being shown, then marks the page interactive (the browser tests wait for it).
    wasm_bindgen_futures::spawn_local(async {
        let Some(body) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.body())
        else {
            return;
        };
        leptos::mount::hydrate_from_async(body.clone(), tollgate_app::App)
            .await
            .forget();
        let _ = body.set_attribute("data-hydrated", "true");
    });
}
