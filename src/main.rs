use clap::Parser;

// The model allocates many small values; mimalloc is markedly faster at that than glibc's
// allocator (measured in the check benchmark).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
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
