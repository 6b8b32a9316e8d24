//! What the tool says besides its output: status lines ("exported N
//! records to ..."), warnings and progress bars go to stderr, never stdout,
//! so that stdout carries only the data asked for; `--quiet` silences them,
//! leaving only errors. Writing them never fails a command and never
//! panics, even when stderr is a closed pipe.

use std::io::{self, IsTerminal, Write};

use indicatif::{ProgressBar, ProgressStyle};

/// Where status lines go.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Target {
    Stderr,
    /// The demo, a transcript on stdout.
    Stdout,
    Nowhere,
}

/// The status channel of one run.
#[derive(Clone, Copy)]
pub struct Ui {
    target: Target,
}

impl Ui {
    /// Status to stderr, or nowhere when `quiet`.
    pub fn new(quiet: bool) -> Ui {
        Ui {
            target: if quiet {
                Target::Nowhere
            } else {
                Target::Stderr
            },
        }
    }

    /// The same, with status lines on stdout (the demo's transcript).
    pub fn transcript(self) -> Ui {
        Ui {
            target: match self.target {
                Target::Nowhere => Target::Nowhere,
                _ => Target::Stdout,
            },
        }
    }

    /// Whether anything but errors is shown.
    pub fn quiet(&self) -> bool {
        self.target == Target::Nowhere
    }

    /// A status line or a warning: one line, errors writing it ignored.
    pub fn say(&self, line: std::fmt::Arguments<'_>) {
        let _ = writeln!(self.writer(), "{line}");
    }

    /// A writer for status lines (errors ignored).
    pub fn writer(&self) -> StatusWriter {
        StatusWriter(self.target)
    }

    /// A progress bar on stderr when it is a terminal and the work is large.
    pub fn progress(&self, total: u64, what: &str) -> ProgressBar {
        if self.quiet() || !io::stderr().is_terminal() || total < 200_000 {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::new(total);
        bar.set_style(
            ProgressStyle::with_template(
                "{msg} {bar:40} {human_pos}/{human_len} records, {eta} left",
            )
            .expect("a valid template"),
        );
        bar.set_message(what.to_string());
        bar
    }

    /// A running count on stderr when it is a terminal and the input is
    /// large (an import cannot know its record count before it has read it all).
    pub fn counter(&self, input_bytes: u64, what: &str) -> ProgressBar {
        if self.quiet() || !io::stderr().is_terminal() || input_bytes < 8 << 20 {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} {human_pos} records ({elapsed})")
                .expect("a valid template"),
        );
        bar.set_message(what.to_string());
        bar
    }
}

/// Writes status text where the `Ui` says, ignoring write errors: a status
/// line that cannot be shown must not fail the work it reports.
pub struct StatusWriter(Target);

impl Write for StatusWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let _ = match self.0 {
            Target::Stderr => io::stderr().write_all(buf),
            Target::Stdout => io::stdout().write_all(buf),
            Target::Nowhere => Ok(()),
        };
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        let _ = match self.0 {
            Target::Stderr => io::stderr().flush(),
            Target::Stdout => io::stdout().flush(),
            Target::Nowhere => Ok(()),
        };
        Ok(())
    }
}
