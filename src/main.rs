use clap::Parser;

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
