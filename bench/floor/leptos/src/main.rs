// The app alone (see lib.rs).
fn main() {
    floor_leptos::app();
}
