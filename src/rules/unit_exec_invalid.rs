//! ## What it does
//!
//! Reads `ExecStart=` (and `ExecStartPre=`, `ExecStop=`, `ExecReload=`) lines of systemd
//! unit files the repository manages, and flags commands systemd will not run as
//! written: shell operators (`|`, `&&`, `;`, `>`), globs, a command quoted as a whole,
//! or a relative executable path.
//!
//! ## Why is this bad?
//!
//! systemd does not use a shell. A pipe or redirection is passed to the program as
//! literal arguments, a glob is not expanded, a whole-line quote makes the entire line
//! the program name, and (before systemd 239) a relative path is rejected. The unit
//! fails to start (`203/EXEC` or a usage error from the program), and only when the
//! service is next restarted.
//!
//! ## Example
//!
//! ```ini
//! [Service]
//! ExecStart=/usr/local/bin/exporter --config /etc/exporter.yml > /var/log/exporter.log
//! ```
//!
//! ## Use instead
//!
//! ```ini
//! [Service]
//! ExecStart=/usr/local/bin/exporter --config /etc/exporter.yml
//! StandardOutput=append:/var/log/exporter.log
//! ```
//!
//! or run an explicit shell: `ExecStart=/bin/sh -c '… > /var/log/exporter.log'`.
//!
//! ## Exceptions
//!
//! Arguments that only look like operators (a literal `>` the program expects). Suppress
//! with the reason.
//!
//! ## References
//!
//! - systemd.service(5), "Command lines".

// Not implemented yet: this rule needs the resource model (evaluated resources, the
// path/link index and the model change), which is being built on branch `model`. The
// registry marks it `pending`; the runner never calls it and `rules` says so.
