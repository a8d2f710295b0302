use clap::Parser;

// The model allocates many small values; mimalloc is markedly faster at that than glibc's
// allocator (measured in the check benchmark). It is built with the `no_thp` feature: with
// transparent huge pages, each touched 2 MiB arena page counts whole in the resident set,
// which added about 60 MB to the peak of `check` on a large repository.
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
