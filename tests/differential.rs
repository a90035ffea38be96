//! The differential test binary: one libtest-mimic trial per case, so
//! `cargo test --release -p rvisor-tests -- FILTER` runs a subset in parallel.
//! See `lib.rs` for the environment variables it honours.

use libtest_mimic::{Arguments, Trial};
use rvisor_tests::catalog::all_cases;
use rvisor_tests::config::Config;

fn main() {
    let args = Arguments::from_args();
    let cfg = Config::from_env();
    let cases = match all_cases(&cfg) {
        Ok(cases) => cases,
        Err(e) => {
            eprintln!("differential: cannot list the cases: {e}");
            std::process::exit(2);
        }
    };
    let kind = if cfg.native_only { "native-only" } else { "" };
    let trials = cases
        .into_iter()
        .map(|case| {
            let ignored = case.ignore_reason.is_some();
            let cfg = cfg.clone();
            Trial::test(case.name.clone(), move || {
                case.check(&cfg).map_err(Into::into)
            })
            .with_kind(kind)
            .with_ignored_flag(ignored)
        })
        .collect();
    libtest_mimic::run(&args, trials).exit();
}
