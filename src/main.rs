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
    // Return freed memory to the system after 10 ms instead of mimalloc's default delay:
    // `check --each` frees one commit's trees and models just before building the next,
    // and with the default delay both stayed resident (corpus history, 62 commits: peak
    // 266 MB, 176 MB with 10 ms). Measured per commit on the same history: 0 ms gives
    // 142 MB but costs 0.06 s wall; 10 ms gives 155 MB for 0.02 s.
    // SAFETY: sets a process-wide allocator option before any other thread exists.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 10) };
    let cli = match puppet_preflight::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            if let Some(msg) = env_blame(&e) {
                eprintln!("{msg}");
                std::process::exit(2);
            }
            e.exit()
        }
    };
    // Rules and analyzers are isolated where they run (`isolate::catch`); this is the last
    // line, for a bug anywhere else: one paragraph and status 2, never Rust's abort text
    // and status 101.
    puppet_preflight::isolate::install();
    // Operational errors: no wrapping (miette breaks lines inside paths, and a copied path
    // or command must work); terminals wrap long lines themselves.
    let _ = miette::set_hook(Box::new(|_| {
        Box::new(miette::MietteHandlerOpts::new().wrap_lines(false).build())
    }));
    let outcome = std::panic::catch_unwind(|| puppet_preflight::cli::run(cli));
    let code = match outcome {
        Ok(Ok(code)) => code,
        Ok(Err(report)) => {
            eprintln!("{report:?}");
            2
        }
        Err(payload) => {
            eprintln!(
                "puppet-preflight: internal error: {}. This is a bug in puppet-preflight, \
                 not in your change; nothing was checked. Please report it with this message \
                 (RUST_BACKTRACE=1 adds a backtrace).",
                puppet_preflight::isolate::payload_message(payload.as_ref())
            );
            2
        }
    };
    std::process::exit(code);
}

/// When clap rejects the value of `--format` and the value came from
/// `PUPPET_PREFLIGHT_FORMAT` (no `--format`/`-f` on the command line), say so: clap names
/// the option, which the user never typed.
fn env_blame(e: &clap::Error) -> Option<String> {
    use clap::error::{ContextKind, ErrorKind};
    const VAR: &str = "PUPPET_PREFLIGHT_FORMAT";
    if e.kind() != ErrorKind::InvalidValue {
        return None;
    }
    let arg = e.get(ContextKind::InvalidArg)?.to_string();
    if !arg.starts_with("--format") {
        return None;
    }
    let typed = std::env::args()
        .any(|a| a == "--format" || a.starts_with("--format=") || a.starts_with("-f"));
    let value = std::env::var(VAR).ok()?;
    if typed {
        return None;
    }
    let formats: Vec<String> =
        <puppet_preflight::report::args::Format as clap::ValueEnum>::value_variants()
            .iter()
            .filter_map(clap::ValueEnum::to_possible_value)
            .map(|p| p.get_name().to_owned())
            .collect();
    Some(format!(
        "error: {VAR}={value:?} is not an output format (the environment sets the default of \
         --format); use one of {}, or unset it",
        formats.join(", ")
    ))
}
