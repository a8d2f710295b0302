//! puppet-preflight: checks a Puppet change before it is merged and deployed.
//!
//! Data flows one way: [`input`] -> [`parser`] -> [`model`] -> [`rules`] -> [`report`].
//! See ARCHITECTURE.md for the map.

pub mod analysis;
pub mod ast;
pub mod cli;
pub mod config;
pub mod diagnostic;
pub mod error;
pub mod hosts;
pub mod input;
pub mod isolate;
pub mod lint;
pub mod model;
pub mod parser;
pub mod report;
pub mod rules;
pub mod suppress;
