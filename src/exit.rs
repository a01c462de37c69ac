//! The exit codes of the command-line contract: what scripts and CI branch on.

/// Success: built, up to date, valid.
pub const OK: u8 = 0;
/// `check`: `generated/` differs from what the specs compile to.
pub const DRIFT: u8 = 1;
/// Invalid input: specs, arguments, or a refused edit. Nothing was written.
pub const INVALID: u8 = 2;
/// Failure outside the input: IO, a registry, an internal error.
pub const FAILURE: u8 = 3;
