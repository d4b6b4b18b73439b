//! `yoi-plugin`: the command line. Everything lives in the library's `cli`
//! module (feature `cli`), so the binary is this one line.

fn main() -> std::process::ExitCode {
    yoi_plugin_host::cli::main()
}
