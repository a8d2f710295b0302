//! Text analyzers that rules call: systemd unit files, shell scripts, attribute values.
//!
//! Everything here is a pure function over text (or over a value's source text) and
//! returns byte spans into that text, so that a rule can point at the exact place: the
//! `ExecStart=` word, the `wget -O` target, the mode string. Nothing is executed: templates
//! are read with their tags masked ([`template`]), shell scripts are lexed, not run.
//!
//! * [`systemd`]: sections and entries of unit files and drop-ins (templates included),
//!   `Exec*=` commands with prefixes and executable, `EnvironmentFile=`, `Type=`, and the
//!   problems of `unit-exec-invalid`.
//! * [`shell`]: what a deploy script does: errexit, downloads and where they write, moves,
//!   checksum checks, service stops; and the hazards of `deploy-script-unsafe`.
//! * [`values`]: validators of `invalid-attribute-value` (`ensure`, `mode`, `source`, and
//!   `${` in single-quoted strings or plain heredocs), on plain values or straight from a
//!   resource body of the syntax tree ([`values::check_attributes`]).
//!
//! Every fact these analyzers rely on was checked against the real tools (systemd 252's
//! `systemd-analyze verify`, Puppet 7.23's `puppet apply --noop`, wget/curl against a local
//! HTTP server); each module's documentation says what was checked and how.

pub mod shell;
pub mod systemd;
pub mod template;
pub mod values;
