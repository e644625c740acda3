//! Mounts the app; everything else is in the library modules.

fn main() {
    byok_app::start();
}
