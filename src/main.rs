use clap::Parser;

// The model allocates many small values; mimalloc is markedly faster at that than glibc's
// allocator (measured in the check benchmark). It is built with the `no_thp` feature: with
// transparent huge pages, each touched 2 MiB arena page counts whole in the resident set,
// which added about 60 MB to the peak of `check` on a large repository.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc.h (v3, the version libmimalloc-sys builds), which the
/// Rust binding does not name.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() {
    // Return freed memory to the system at once instead of after mimalloc's delay: `check
    // --each` frees one commit's trees and models just before building the next, and with
    // the delay both stayed resident (peak 245 MB instead of 163 MB over the corpus
    // history). No measurable cost in time per commit.
    // SAFETY: sets a process-wide allocator option before any other thread exists.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0) };
    let cli = puppet_preflight::cli::Cli::parse();
    let code = match puppet_preflight::cli::run(cli) {
        Ok(code) => code,
        Err(report) => {
            eprintln!("{report:?}");
            2
        }
    };
    std::process::exit(code);
}
