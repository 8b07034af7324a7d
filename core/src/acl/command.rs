//! Command groups: lists of command names or regular expressions that a command filter ACL
//! matches a command line against.
//!
//! **Command kind.** Each entry is a command name (or several words, e.g. `git push`). It
//! matches when it is the whole first word of any command in the line. A command starts at
//! the beginning of the line or after a separator: `;`, `&&`, `||`, `|`, `&`, a newline,
//! `(`, `$(` or a backtick; leading whitespace is skipped, as are a `sudo` with its
//! `-flags`, and a path (`/usr/bin/rm` is `rm`). So `rm` matches `rm -rf /`, `ls; rm x`,
//! `a && rm b`, `a || rm b`, `a | rm b`, `sudo rm x`, `sudo -E rm x`, `/bin/rm x`,
//! `echo $(rm x)` — but not `rmdir x`, `farm`, `echo rm` or `sudo -u root rm` (flags with a
//! separate argument are not understood). Text inside quotes is not parsed, so `echo "a; rm b"`
//! matches: better a needless review than a missed one.
//!
//! **Regex kind.** Each entry is a regular expression searched anywhere in the line.
//!
//! Either kind can ignore case. Blank entries are skipped.

use crate::error::FieldError;
use regex::{Regex, RegexBuilder};
use serde::{Deserialize, Serialize};

/// How the entries of a group are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommandKind {
    /// Command names, matched as whole words at the start of each command.
    Command,
    /// Regular expressions.
    Regex,
}

/// A command group as stored and edited: entries, their kind, case sensitivity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandGroupSpec {
    /// One entry per line.
    pub patterns: Vec<String>,
    /// How entries are read.
    pub kind: CommandKind,
    /// Match regardless of case.
    #[serde(default)]
    pub ignore_case: bool,
}

impl CommandGroupSpec {
    /// Entries from text with one per line.
    pub fn lines(text: &str) -> Vec<String> {
        text.lines().map(str::to_string).collect()
    }
}

/// A checked command group, ready to match. JSON shape: [`CommandGroupSpec`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "CommandGroupSpec", into = "CommandGroupSpec")]
pub struct CommandGroup {
    spec: CommandGroupSpec,
    compiled: Vec<Regex>,
}

impl PartialEq for CommandGroup {
    fn eq(&self, other: &Self) -> bool {
        self.spec == other.spec
    }
}

/// The regular expression a command name becomes (see the module docs).
fn command_regex(name: &str) -> String {
    let words: Vec<String> = name.split_whitespace().map(regex::escape).collect();
    format!(
        r"(?:^|[;&|\n(`])\s*(?:sudo\s+(?:-\S+\s+)*)?(?:[^\s;&|()`]*/)?{}(?:$|[\s;&|)`])",
        words.join(r"\s+")
    )
}

impl CommandGroup {
    /// Check and compile a group; an error names the entry (`patterns[3]`).
    pub fn parse(spec: CommandGroupSpec) -> Result<Self, FieldError> {
        let mut compiled = Vec::new();
        for (i, line) in spec.patterns.iter().enumerate() {
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            let source = match spec.kind {
                CommandKind::Command => command_regex(line),
                CommandKind::Regex => line.to_string(),
            };
            let re = RegexBuilder::new(&source)
                .case_insensitive(spec.ignore_case)
                .size_limit(1 << 20)
                .build()
                .map_err(|e| {
                    FieldError::new(
                        format!("patterns[{i}]"),
                        format!("{line:?} is not a valid regular expression: {e}"),
                    )
                })?;
            compiled.push(re);
        }
        Ok(Self { spec, compiled })
    }

    /// The group as stored.
    pub fn spec(&self) -> &CommandGroupSpec {
        &self.spec
    }

    /// True when some entry matches `command_line`.
    pub fn matches(&self, command_line: &str) -> bool {
        self.compiled.iter().any(|re| re.is_match(command_line))
    }
}

impl TryFrom<CommandGroupSpec> for CommandGroup {
    type Error = FieldError;
    fn try_from(s: CommandGroupSpec) -> Result<Self, Self::Error> {
        CommandGroup::parse(s)
    }
}

impl From<CommandGroup> for CommandGroupSpec {
    fn from(g: CommandGroup) -> Self {
        g.spec
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(kind: CommandKind, ignore_case: bool, lines: &[&str]) -> CommandGroup {
        CommandGroup::parse(CommandGroupSpec {
            patterns: lines.iter().map(|s| s.to_string()).collect(),
            kind,
            ignore_case,
        })
        .unwrap()
    }

    #[test]
    fn command_names_match_whole_commands() {
        let g = group(CommandKind::Command, false, &["rm"]);
        for yes in [
            "rm -rf /",
            "rm",
            "  rm x",
            "ls; rm x",
            "ls;rm x",
            "a && rm b",
            "a || rm b",
            "a | rm b",
            "a & rm b",
            "sudo rm x",
            "sudo -E rm x",
            "/bin/rm x",
            "echo $(rm x)",
            "echo `rm x`",
            "ls\nrm x",
            "(rm x)",
        ] {
            assert!(g.matches(yes), "should match: {yes:?}");
        }
        for no in [
            "rmdir x", "farm", "ls -l rm", "echo rm", "mv a rm", "frm x", "rm-x", "RM x",
        ] {
            assert!(!g.matches(no), "should not match: {no:?}");
        }
    }

    #[test]
    fn multi_word_and_metacharacters() {
        let g = group(CommandKind::Command, false, &["git push", "c++"]);
        assert!(g.matches("cd x && git   push --force"));
        assert!(!g.matches("git pull"));
        assert!(g.matches("c++ main.cc"));
        assert!(!g.matches("cc main.c"));
    }

    #[test]
    fn ignore_case() {
        let g = group(CommandKind::Command, true, &["shutdown"]);
        assert!(g.matches("SHUTDOWN -h now"));
        let g = group(CommandKind::Regex, true, &[r"drop\s+table"]);
        assert!(g.matches("psql -c 'DROP TABLE users'"));
        let g = group(CommandKind::Regex, false, &[r"drop\s+table"]);
        assert!(!g.matches("DROP TABLE users"));
    }

    #[test]
    fn bad_regex_names_the_line() {
        let e = CommandGroup::parse(CommandGroupSpec {
            patterns: vec!["ok".into(), "".into(), "(unclosed".into()],
            kind: CommandKind::Regex,
            ignore_case: false,
        })
        .unwrap_err();
        assert_eq!(e.field, "patterns[2]");
        assert!(e.reason.contains("(unclosed"));
    }

    #[test]
    fn blank_lines_skipped_and_json_round_trip() {
        let g = group(CommandKind::Command, false, &["", "  ", "reboot"]);
        assert!(g.matches("reboot"));
        assert!(!g.matches(""));
        let json = serde_json::to_string(&g).unwrap();
        let back: CommandGroup = serde_json::from_str(&json).unwrap();
        assert_eq!(back, g);
        assert!(back.matches("sudo reboot"));
        assert_eq!(CommandGroupSpec::lines("a\nb\n").len(), 2);
    }
}
