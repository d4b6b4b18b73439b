//! The end-to-end tests, linked into one test binary: every test here
//! links the whole host (wasmtime, cranelift), so one binary instead of
//! one per file saves a link and a quarter-gigabyte of disk per file.
//! Each module is one area; `cargo test -p yoi-e2e-tests --test e2e
//! <module>::` runs one area, e.g. `symlinks::`.

mod support {
    pub mod handmade;
    pub mod loopback;
}

mod bounds;
mod cache;
mod fs_access;
mod http;
mod http_js;
mod limits;
mod loading;
mod packages;
mod parity;
mod polyglot;
mod pool;
mod redaction;
mod runaway;
mod schemas;
mod store;
mod symlinks;
mod traversal;
mod wasip1;
mod workers;
mod writes;
