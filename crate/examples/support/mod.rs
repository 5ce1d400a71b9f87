//! What the standalone examples share: flag values, the open-file limit and
//! waiting for Ctrl-C (or SIGTERM, which test harnesses and `kill` send).

// Each example uses a part of this module.
#![allow(dead_code)]
use std::ffi::OsString;
use std::net::IpAddr;
use std::str::FromStr;

/// The value after a flag, parsed, or one line naming the flag and the value.
pub fn value<T: FromStr>(parser: &mut lexopt::Parser, flag: &str, what: &str) -> Result<T, String> {
    let raw: OsString = parser
        .value()
        .map_err(|_| format!("{flag} needs a value"))?;
    let text = raw
        .into_string()
        .map_err(|raw| format!("{flag} takes {what}, not {raw:?}"))?;
    text.parse()
        .map_err(|_| format!("{flag} takes {what}, not {text:?}"))
}

/// The listening host: 127.0.0.1 unless `--host` says otherwise.
pub const DEFAULT_HOST: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

/// One line for a flag lexopt rejects (unknown, or a value where none goes).
pub fn unexpected(arg: lexopt::Arg<'_>) -> String {
    match arg {
        lexopt::Arg::Long(flag) => format!("unknown flag --{flag}"),
        lexopt::Arg::Short(flag) => format!("unknown flag -{flag}"),
        lexopt::Arg::Value(value) => format!("unexpected argument {value:?}"),
    }
}

/// Raises the soft limit on open files to the hard limit if `needed` exceeds
/// it; fails when even the hard limit is too low.
pub fn ensure_open_files(needed: u64) -> Result<(), String> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit only read and write the struct passed.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return Err(format!(
                "reading the open-file limit: {}",
                std::io::Error::last_os_error()
            ));
        }
        if limit.rlim_cur >= needed {
            return Ok(());
        }
        if limit.rlim_max < needed {
            return Err(format!(
                "{needed} open files needed, but the hard limit is {}",
                limit.rlim_max
            ));
        }
        limit.rlim_cur = limit.rlim_max;
        if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) != 0 {
            return Err(format!(
                "raising the open-file limit: {}",
                std::io::Error::last_os_error()
            ));
        }
    }
    Ok(())
}

/// Waits for Ctrl-C (SIGINT) or SIGTERM.
pub async fn stop_signal() -> std::io::Result<()> {
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        interrupted = tokio::signal::ctrl_c() => interrupted,
        _ = terminate.recv() => Ok(()),
    }
}
