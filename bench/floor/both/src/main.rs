// The two floors in one wasm, so what they share (std, the allocator, formatting) is
// counted once: floor-core's source as a module (its functions stay exported; a second
// crate type on floor-core would change how it is optimised), the Leptos app as the page.
#[path = "../../core/src/lib.rs"]
mod core_paths;

fn main() {
    floor_leptos::app();
}
