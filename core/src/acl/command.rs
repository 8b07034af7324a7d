//! Command groups: lists of command names or regular expressions that a command filter ACL
//! matches a command line against.
//!
//! Command filters are a **guard rail, not a sandbox**. A shell can run a program in more
//! ways than any filter can list (a script file, an alias, a function defined earlier, an
//! interpreter such as `python -c`, a copy of the binary under another name). A rule that
//! *rejects or reviews* some commands stops the ordinary and the well-known disguised
//! forms described below. The strong form is an **allow-list**: a rule that *accepts* known
//! commands, followed by a rule that rejects or reviews everything else (for example a
//! Regex group with the single entry `.`). An accept rule matches only when the line is
//! understood and *every* command it runs is in the rule's groups, sets no variable for a
//! command (`LD_PRELOAD=… ls`) and writes no file by redirection (see
//! [`CommandLine::all_named_by`]); a line that is not understood never matches an accept
//! rule.
//!
//! # Command kind
//!
//! Each entry is a command name, or several words (`git push`: the command `git` whose
//! first argument is `push`). An entry with a path is compared by its last part
//! (`/usr/bin/rm` is `rm`). The line is read like a POSIX shell (bash, zsh, dash, ksh)
//! reads it, by a lexer written for this purpose (see [`CommandLine`]):
//!
//! - **Words.** Quotes and backslashes are removed before comparing: `"rm"`, `'r'm`,
//!   `r\m`, `\rm` are all `rm`. A command's path is dropped: `/bin/rm`, `./rm` are `rm`.
//! - **Commands.** The line is cut into simple commands at `;`, `&`, `&&`, `|`, `||`,
//!   `|&`, `;;`, a newline or carriage return, `(` and `)`, and outside quotes only. Command
//!   substitutions `$(…)`, `` `…` `` (also inside double quotes), process substitutions
//!   `<(…)`, `>(…)` and the ones inside `${…}` are read as command lines of their own.
//! - **Command position.** In each simple command, leading variable assignments
//!   (`x=1 rm y`) and redirections with their target (`2>/dev/null rm y`) are skipped,
//!   and so are the reserved words `!`, `{`, `}`, `if`, `then`, `else`, `elif`, `fi`,
//!   `while`, `until`, `do`, `done`, `esac`, `coproc`, `function NAME`. After `for` and
//!   `select` nothing is a command until the next separator; after `case WORD in`, the
//!   patterns up to each `)` are skipped.
//! - **Wrappers.** A command that runs another is stripped, with its options (those that
//!   take a value skip it): `sudo`, `doas`, `env` (also its assignments, and `-S STRING`
//!   is read as a command line), `command`, `builtin`, `exec`, `time`, `nohup`,
//!   `nice`, `timeout` (and its duration), `stdbuf`, `xargs`, `setsid`, `ionice`,
//!   `taskset` (and its mask), `chroot` (and its directory), `busybox`, `unbuffer`,
//!   `watch -x`, and the command after each `-exec`/`-execdir`/`-ok`/`-okdir` of `find`.
//!   The wrapper itself is a command too: a `sudo` entry matches `sudo rm x`.
//! - **Strings run as command lines.** The `-c STRING` of `sh`, `bash`, `zsh`, `dash`,
//!   `ksh`, `mksh`, `ash`, `yash`, `fish`, `csh`, `tcsh`; the `-c STRING` of `su` and
//!   `runuser`; the arguments of `eval`, of `watch` (without `-x`) and the remote command
//!   of `ssh`; the value of each `alias NAME=VALUE`; the command of `trap CMD SIGNAL`:
//!   each is read as a command line, up to 8 levels deep. Besides, any quoted
//!   argument that contains `;`, `&`, `|`, `(`, a backtick or a newline is also read as a
//!   command line (leniently), since so many programs hand such strings to a shell: so
//!   `ssh host 'ls; rm x'` matches, and also `echo "a; rm b"` — a needless match at worst.
//!
//! So a group with `rm` matches `rm -rf /`, `ls; rm x`, `a && rm b`, `sudo -u root rm x`,
//! `env -i FOO=1 rm x`, `nice -n 5 rm x`, `xargs rm`, `{ rm x; }`, `if true; then rm x; fi`,
//! `! rm x`, `bash -c 'rm x'`, `"rm" x`, `echo $(rm x)` — but not `rmdir x`, `farm`,
//! `echo rm` or `echo 'rm'`.
//!
//! **Fail closed.** A line that cannot be read — unbalanced quotes or parentheses, nesting
//! deeper than 8, more than 512 strings to read as command lines, longer than
//! [`MAX_ANALYSED_BYTES`] — or whose command word is not known
//! before the shell runs it — `$cmd x`, `$(echo rm) x`, `${x}`, `$'\x72m'`, a glob such as
//! `/bin/r?`, a brace expansion `{r,}m`, an extended glob — *matches every group that has
//! a command entry*: better a needless review than a missed one. Likewise a shell that
//! reads its commands from a pipe or a redirection (`… | sh`, `bash < file`).
//!
//! **Not understood** (no match from these alone): aliases and functions defined earlier,
//! script files (`sh script.sh`, `. file`, `source file`), interpreters other than the
//! shells above (`python -c`, `perl -e`, `awk`), `#` comments (never treated as comments,
//! since interactive zsh does not), here-document bodies (read as ordinary lines), and
//! option spellings the wrappers above do not list.
//!
//! # Regex kind
//!
//! Each entry is a regular expression searched anywhere in the raw line. An entry compiles
//! to at most [`REGEX_SIZE_LIMIT`] bytes and searches with a lazy DFA of at most
//! [`REGEX_DFA_SIZE_LIMIT`] bytes; a group's (and a rule's) patterns together cost at most
//! [`MAX_REGEX_BYTES`]. In an allow-list, anchor the pattern (`^ls( [^;&|$`]*)?$`): a
//! Regex entry of an accept rule still only has to match somewhere in the line.
//!
//! Either kind can ignore case. Blank entries are skipped. A group has at most
//! [`MAX_GROUP_ENTRIES`] entries of at most [`MAX_ENTRY_CHARS`] characters.

use crate::error::FieldError;
use regex_automata::{meta, util::syntax, MatchKind};
use serde::{Deserialize, Serialize};

/// Most entries in one command group (blank lines included).
pub const MAX_GROUP_ENTRIES: usize = 200;
/// Longest entry, in characters (after trimming).
pub const MAX_ENTRY_CHARS: usize = 512;
/// Most bytes each compiled part of one regular expression (its forward and reverse NFAs,
/// its one-pass DFA) may take; more is "too complex".
pub const REGEX_SIZE_LIMIT: usize = 256 * 1024;
/// Most bytes of lazy DFA cache one regular expression may use per search direction.
pub const REGEX_DFA_SIZE_LIMIT: usize = 32 * 1024;
/// Most bytes the regular expressions of one group — and of one rule, all groups together —
/// may cost: each pattern's compiled size plus its two lazy DFA caches
/// (2 × [`REGEX_DFA_SIZE_LIMIT`]).
pub const MAX_REGEX_BYTES: usize = 4 * 1024 * 1024;
/// Longest line the Command kind reads, in bytes; a longer one matches (fail closed).
pub const MAX_ANALYSED_BYTES: usize = 16 * 1024;

/// How deeply substitutions and strings run as command lines may nest.
const MAX_DEPTH: usize = 8;
/// How many command lines (the line itself and the strings and substitutions in it) one
/// line may make us read; past that the line is not understood.
const MAX_READS: usize = 512;

/// How the entries of a group are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommandKind {
    /// Command names, matched against the commands the line runs (see the module docs).
    Command,
    /// Regular expressions, searched in the raw line.
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
    /// Command kind: each entry's words; the first is a basename; lowercase if ignoring case.
    names: Vec<Vec<String>>,
    /// Regex kind: the compiled entries.
    compiled: Vec<meta::Regex>,
    /// What each compiled entry costs (see [`MAX_REGEX_BYTES`]): `(index in patterns, bytes)`.
    costs: Vec<(usize, usize)>,
}

impl PartialEq for CommandGroup {
    fn eq(&self, other: &Self) -> bool {
        self.spec == other.spec
    }
}

/// The last part of a path (`/usr/bin/rm` → `rm`).
fn basename(word: &str) -> &str {
    word.rsplit('/').next().unwrap_or(word)
}

/// Compile one regular expression entry with the size limits; the error is the reason.
fn compile_regex(line: &str, ignore_case: bool) -> Result<meta::Regex, String> {
    // The configuration `regex::RegexBuilder` uses, with our limits
    // (`size_limit` = `nfa_size_limit`, `dfa_size_limit` = `hybrid_cache_capacity`).
    let config = meta::Config::new()
        .match_kind(MatchKind::LeftmostFirst)
        .utf8_empty(true)
        .nfa_size_limit(Some(REGEX_SIZE_LIMIT))
        .onepass_size_limit(Some(REGEX_SIZE_LIMIT))
        .hybrid_cache_capacity(REGEX_DFA_SIZE_LIMIT);
    let syntax = syntax::Config::new()
        .utf8(true)
        .case_insensitive(ignore_case);
    meta::Builder::new()
        .configure(config)
        .syntax(syntax)
        .build(line)
        .map_err(|e| {
            if e.size_limit().is_some() {
                format!(
                    "too complex: {line:?} would compile to more than {} KiB; use smaller \
                     repetitions and classes (e.g. [0-9] instead of \\d, [a-z] instead of \\w)",
                    REGEX_SIZE_LIMIT / 1024
                )
            } else {
                let why = match e.syntax_error() {
                    Some(s) => s.to_string(),
                    None => e.to_string(),
                };
                format!("{line:?} is not a valid regular expression: {why}")
            }
        })
}

/// The error when the patterns so far, up to `patterns[i]`, cost more than the budget.
pub(crate) fn over_budget(field: String, scope: &str) -> FieldError {
    FieldError::new(
        field,
        format!(
            "too complex: with the entries before it, the {scope}'s regular expressions would \
             take more than {} KiB; use fewer or simpler patterns, or split the {scope}",
            MAX_REGEX_BYTES / 1024
        ),
    )
}

impl CommandGroup {
    /// Check and compile a group; an error names the entry (`patterns[3]`) or the list
    /// (`patterns`, when it has more than [`MAX_GROUP_ENTRIES`] entries).
    pub fn parse(spec: CommandGroupSpec) -> Result<Self, FieldError> {
        if spec.patterns.len() > MAX_GROUP_ENTRIES {
            return Err(FieldError::new(
                "patterns",
                format!(
                    "at most {MAX_GROUP_ENTRIES} items (got {})",
                    spec.patterns.len()
                ),
            ));
        }
        let mut names = Vec::new();
        let mut compiled = Vec::new();
        let mut costs = Vec::new();
        let mut regex_bytes = 0usize;
        for (i, line) in spec.patterns.iter().enumerate() {
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            let field = || format!("patterns[{i}]");
            if line.chars().count() > MAX_ENTRY_CHARS {
                return Err(FieldError::new(
                    field(),
                    format!("must be at most {MAX_ENTRY_CHARS} characters"),
                ));
            }
            match spec.kind {
                CommandKind::Command => {
                    let mut words: Vec<String> = line
                        .split_whitespace()
                        .map(|w| {
                            if spec.ignore_case {
                                w.to_lowercase()
                            } else {
                                w.to_string()
                            }
                        })
                        .collect();
                    let base = basename(&words[0]);
                    if !base.is_empty() {
                        words[0] = base.to_string();
                    }
                    names.push(words);
                }
                CommandKind::Regex => {
                    let re = compile_regex(line, spec.ignore_case)
                        .map_err(|reason| FieldError::new(field(), reason))?;
                    let cost = re.memory_usage() + 2 * REGEX_DFA_SIZE_LIMIT;
                    costs.push((i, cost));
                    regex_bytes += cost;
                    if regex_bytes > MAX_REGEX_BYTES {
                        return Err(over_budget(field(), "group"));
                    }
                    compiled.push(re);
                }
            }
        }
        Ok(Self {
            spec,
            names,
            compiled,
            costs,
        })
    }

    /// The group as stored.
    pub fn spec(&self) -> &CommandGroupSpec {
        &self.spec
    }

    /// What its regular expressions cost, in bytes (see [`MAX_REGEX_BYTES`]); 0 for the
    /// Command kind.
    pub fn regex_bytes(&self) -> usize {
        self.costs.iter().map(|(_, c)| c).sum()
    }

    /// The index (in `patterns`) of the first entry whose cost, added to `before`, goes
    /// over [`MAX_REGEX_BYTES`].
    pub(crate) fn entry_over_budget(&self, before: usize) -> Option<usize> {
        let mut total = before;
        self.costs.iter().find_map(|&(i, c)| {
            total += c;
            (total > MAX_REGEX_BYTES).then_some(i)
        })
    }

    /// True when some entry matches `command_line` (see the module docs; a line that is
    /// not understood matches a group with a command entry).
    pub fn matches(&self, command_line: &str) -> bool {
        match self.spec.kind {
            CommandKind::Regex => self.regex_matches(command_line),
            CommandKind::Command => self.matches_parsed(&CommandLine::parse(command_line)),
        }
    }

    /// [`matches`](Self::matches) with the line already read: for a Regex group, its
    /// entries are searched in [`CommandLine::raw`].
    pub fn matches_parsed(&self, line: &CommandLine) -> bool {
        match self.spec.kind {
            CommandKind::Regex => self.regex_matches(&line.raw),
            CommandKind::Command => {
                !self.names.is_empty()
                    && (!line.understood()
                        || line.positions.iter().any(|p| self.names_command(line, p)))
            }
        }
    }

    fn regex_matches(&self, raw: &str) -> bool {
        self.compiled.iter().any(|re| re.is_match(raw))
    }

    /// True when one of the entries names the command at `p`.
    fn names_command(&self, line: &CommandLine, p: &Position) -> bool {
        let words = &line.commands[p.command];
        let fold = self.spec.ignore_case;
        let eq = |have: &str, want: &str| {
            if fold {
                have.to_lowercase() == want
            } else {
                have == want
            }
        };
        self.names.iter().any(|entry| {
            words
                .get(p.word)
                .is_some_and(|first| eq(basename(first), &entry[0]))
                && entry[1..]
                    .iter()
                    .enumerate()
                    .all(|(k, want)| words.get(p.word + 1 + k).is_some_and(|w| eq(w, want)))
        })
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

// ---------------------------------------------------------------------------------------
// Reading a command line.

/// One place in a line where a command is named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Position {
    /// Index in [`CommandLine::commands`].
    command: usize,
    /// Index of the command word in that command.
    word: usize,
    /// False for reserved words and wrappers that only change how a command runs
    /// (`time`, `nice`, ...): an allow-list need not name them.
    required: bool,
}

/// A command line as the Command kind reads it (see the module docs): the simple commands
/// it contains and where in them a command is named.
#[derive(Debug, Clone, Default)]
pub struct CommandLine {
    raw: String,
    /// The words of each simple command, quotes removed.
    commands: Vec<Vec<String>>,
    positions: Vec<Position>,
    /// The line could not be read, or a command word is only known when the shell runs it.
    unknown: bool,
    /// Some command runs with variable assignments (`LD_PRELOAD=x ls`, `env X=1 ls`).
    assigns: bool,
    /// Some command's output is redirected (`> file`).
    writes: bool,
}

impl CommandLine {
    /// Read a line.
    pub fn parse(line: &str) -> Self {
        let mut reader = Reader {
            line: CommandLine {
                raw: line.to_string(),
                ..Default::default()
            },
            reads: 0,
            guessing: 0,
        };
        if line.len() > MAX_ANALYSED_BYTES {
            reader.line.unknown = true;
        } else {
            reader.read(line, 0, false);
        }
        reader.line
    }

    /// The line as given.
    pub fn raw(&self) -> &str {
        &self.raw
    }

    /// False when the line could not be read or runs a command whose name is only known when
    /// the shell runs it: then it matches every group with a command entry.
    pub fn understood(&self) -> bool {
        !self.unknown
    }

    /// The command words found (quotes removed, paths kept), in order of discovery, with
    /// reserved words and wrappers; for previews and logs.
    pub fn command_words(&self) -> Vec<&str> {
        self.positions
            .iter()
            .map(|p| self.commands[p.command][p.word].as_str())
            .collect()
    }

    /// The allow-list test: true when the line is understood, runs at least one command,
    /// sets no variables for a command and redirects no output to a file, and every command
    /// it runs (wrappers like `sudo` and `env` included; `time`, `nice`, `nohup`, `timeout`,
    /// `stdbuf`, `command`, `builtin`, `exec`, `setsid`, `ionice`, `taskset`, `unbuffer` and
    /// reserved words excepted) is named by one of the Command-kind `groups`. Regex-kind
    /// groups are ignored here.
    pub fn all_named_by(&self, groups: &[CommandGroup]) -> bool {
        let named: Vec<&CommandGroup> = groups
            .iter()
            .filter(|g| g.spec.kind == CommandKind::Command)
            .collect();
        if self.unknown || self.assigns || self.writes || named.is_empty() {
            return false;
        }
        let mut required = self.positions.iter().filter(|p| p.required).peekable();
        required.peek().is_some()
            && required.all(|p| named.iter().any(|g| g.names_command(self, p)))
    }
}

/// Accept-rule matching: true when a Regex group of `groups` matches the raw line, or
/// every command of the line is named by the Command groups
/// ([`CommandLine::all_named_by`]).
pub fn allows(groups: &[CommandGroup], line: &CommandLine) -> bool {
    groups
        .iter()
        .any(|g| g.spec.kind == CommandKind::Regex && g.regex_matches(&line.raw))
        || line.all_named_by(groups)
}

/// A word, quotes removed.
#[derive(Debug, Clone, Default)]
struct Word {
    /// The value; expansions (`$x`, `$(…)`) are kept as written.
    text: String,
    /// Some part was quoted or backslash-escaped.
    quoted: bool,
    /// It holds an expansion: its value is only known when the shell runs it.
    dynamic: bool,
    /// It holds an unquoted `*`, `?`, `[` or an extended glob.
    glob: bool,
    /// It holds an unquoted `{` (brace expansion, unless the word is `{`).
    brace: bool,
    /// It starts with an unquoted `NAME=`.
    assignment: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sep {
    /// `;`, `&`, `&&`, `||`, newline.
    Seq,
    /// `|`, `|&`.
    Pipe,
    /// `(`.
    Open,
    /// `)`.
    Close,
    /// `;;`, `;&`, `;;&`.
    CaseBreak,
}

#[derive(Debug)]
enum Tok {
    Word(Word),
    Sep(Sep),
    Redir { input: bool, output: bool },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    Eof,
    Paren,
    Backtick,
    Brace,
}

/// The line cannot be read (or nests too deeply).
#[derive(Debug)]
struct Unreadable;

/// Splits a line into tokens; command substitutions go to `subs`.
struct Lexer<'a> {
    s: &'a [char],
    i: usize,
    /// End of input inside quotes or a substitution closes them instead of failing.
    lenient: bool,
    subs: Vec<Vec<Tok>>,
}

fn is_name(s: &str) -> bool {
    // NAME, NAME+ (for +=) or NAME[subscript] / NAME[subscript]+.
    let s = s.strip_suffix('+').unwrap_or(s);
    let name = match s.find('[') {
        Some(b) if s.ends_with(']') => &s[..b],
        Some(_) => return false,
        None => s,
    };
    let mut cs = name.chars();
    cs.next()
        .is_some_and(|c| c == '_' || c.is_ascii_alphabetic())
        && cs.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

/// A word just before `<` or `>` that is a file descriptor (`2>x`, `{fd}>x`).
fn is_fd(w: &Word) -> bool {
    !w.quoted
        && !w.dynamic
        && !w.text.is_empty()
        && (w.text.bytes().all(|b| b.is_ascii_digit())
            || (w.text.starts_with('{')
                && w.text.ends_with('}')
                && is_name(&w.text[1..w.text.len() - 1])))
}

fn flush(toks: &mut Vec<Tok>, w: &mut Option<Word>) {
    if let Some(mut word) = w.take() {
        if word.brace && word.text != "{" {
            word.glob = true;
        }
        if word.glob && !word.quoted && (word.text == "[" || word.text == "[[") {
            word.glob = false;
        }
        toks.push(Tok::Word(word));
    }
}

impl Lexer<'_> {
    fn peek(&self, k: usize) -> Option<char> {
        self.s.get(self.i + k).copied()
    }

    fn eof(&self) -> Result<(), Unreadable> {
        if self.lenient {
            Ok(())
        } else {
            Err(Unreadable)
        }
    }

    /// Tokens up to `end` (consumed).
    fn list(&mut self, end: End, depth: usize) -> Result<Vec<Tok>, Unreadable> {
        if depth > MAX_DEPTH {
            return Err(Unreadable);
        }
        let mut toks = Vec::new();
        let mut w: Option<Word> = None;
        let mut open = 0usize;
        loop {
            let Some(c) = self.peek(0) else {
                flush(&mut toks, &mut w);
                if end != End::Eof {
                    self.eof()?;
                }
                return Ok(toks);
            };
            match c {
                ' ' | '\t' => {
                    self.i += 1;
                    flush(&mut toks, &mut w);
                }
                '\n' | '\r' => {
                    self.i += 1;
                    flush(&mut toks, &mut w);
                    toks.push(Tok::Sep(Sep::Seq));
                }
                ';' => {
                    flush(&mut toks, &mut w);
                    let sep = match self.peek(1) {
                        Some(';') => {
                            self.i += 2;
                            if self.peek(0) == Some('&') {
                                self.i += 1;
                            }
                            Sep::CaseBreak
                        }
                        Some('&') => {
                            self.i += 2;
                            Sep::CaseBreak
                        }
                        _ => {
                            self.i += 1;
                            Sep::Seq
                        }
                    };
                    toks.push(Tok::Sep(sep));
                }
                '&' => {
                    flush(&mut toks, &mut w);
                    match self.peek(1) {
                        Some('&') => {
                            self.i += 2;
                            toks.push(Tok::Sep(Sep::Seq));
                        }
                        Some('>') => {
                            // `&>file`, `&>>file`.
                            self.i += 2;
                            if self.peek(0) == Some('>') {
                                self.i += 1;
                            }
                            toks.push(Tok::Redir {
                                input: false,
                                output: true,
                            });
                        }
                        _ => {
                            self.i += 1;
                            toks.push(Tok::Sep(Sep::Seq));
                        }
                    }
                }
                '|' => {
                    flush(&mut toks, &mut w);
                    let sep = match self.peek(1) {
                        Some('|') => Sep::Seq,
                        _ => Sep::Pipe,
                    };
                    self.i += if matches!(self.peek(1), Some('|' | '&')) {
                        2
                    } else {
                        1
                    };
                    toks.push(Tok::Sep(sep));
                }
                '(' => match &mut w {
                    // `name()`: a function definition.
                    Some(_) if self.peek(1) == Some(')') => {
                        self.i += 2;
                        flush(&mut toks, &mut w);
                        toks.push(Tok::Sep(Sep::Seq));
                    }
                    // `@(…)`, `r*(m)`…: an extended glob, part of the word.
                    Some(word) => {
                        word.glob = true;
                        self.raw_parens(word)?;
                    }
                    None => {
                        self.i += 1;
                        open += 1;
                        toks.push(Tok::Sep(Sep::Open));
                    }
                },
                ')' => {
                    flush(&mut toks, &mut w);
                    self.i += 1;
                    if end == End::Paren && open == 0 {
                        return Ok(toks);
                    }
                    open = open.saturating_sub(1);
                    toks.push(Tok::Sep(Sep::Close));
                }
                '`' if end == End::Backtick => {
                    flush(&mut toks, &mut w);
                    self.i += 1;
                    return Ok(toks);
                }
                '`' => {
                    let word = w.get_or_insert_with(Word::default);
                    let start = self.i;
                    self.i += 1;
                    self.sub(End::Backtick, depth)?;
                    word.dynamic = true;
                    word.text.extend(&self.s[start..self.i]);
                }
                '}' if end == End::Brace => {
                    flush(&mut toks, &mut w);
                    self.i += 1;
                    return Ok(toks);
                }
                '<' | '>' => {
                    if self.peek(1) == Some('(') {
                        // `<(…)`, `>(…)`: process substitution, a word.
                        let word = w.get_or_insert_with(Word::default);
                        let start = self.i;
                        self.i += 2;
                        self.sub(End::Paren, depth)?;
                        word.dynamic = true;
                        word.text.extend(&self.s[start..self.i]);
                        continue;
                    }
                    if w.as_ref().is_some_and(is_fd) {
                        w = None;
                    } else {
                        flush(&mut toks, &mut w);
                    }
                    self.i += 1;
                    let input = c == '<';
                    let mut output = c == '>';
                    match (c, self.peek(0)) {
                        ('<', Some('<')) => {
                            self.i += 1;
                            if matches!(self.peek(0), Some('<' | '-')) {
                                self.i += 1;
                            }
                        }
                        ('<', Some('>')) => {
                            self.i += 1;
                            output = true;
                        }
                        ('>', Some('>' | '|')) => self.i += 1,
                        _ => {}
                    }
                    if self.peek(0) == Some('&') {
                        // `>&2`, `<&0`: a copy of a descriptor, not a file.
                        self.i += 1;
                        output = false;
                    }
                    toks.push(Tok::Redir { input, output });
                }
                '\\' => {
                    self.i += 1;
                    match self.peek(0) {
                        None => self.eof()?,
                        Some('\n') => self.i += 1,
                        Some(x) => {
                            self.i += 1;
                            let word = w.get_or_insert_with(Word::default);
                            word.quoted = true;
                            word.text.push(x);
                        }
                    }
                }
                '\'' => {
                    self.i += 1;
                    let word = w.get_or_insert_with(Word::default);
                    word.quoted = true;
                    self.single(word)?;
                }
                '"' => {
                    self.i += 1;
                    let word = w.get_or_insert_with(Word::default);
                    word.quoted = true;
                    self.double(word, depth)?;
                }
                '$' => {
                    let word = w.get_or_insert_with(Word::default);
                    self.dollar(word, depth, false)?;
                }
                _ => {
                    self.i += 1;
                    let word = w.get_or_insert_with(Word::default);
                    match c {
                        '*' | '?' | '[' => word.glob = true,
                        '{' => word.brace = true,
                        '=' if !word.assignment
                            && !word.quoted
                            && !word.dynamic
                            && is_name(&word.text) =>
                        {
                            word.assignment = true
                        }
                        _ => {}
                    }
                    word.text.push(c);
                }
            }
        }
    }

    /// A substitution's command line, up to `end`, read as a line of its own (`${…}`: only
    /// the substitutions inside it).
    fn sub(&mut self, end: End, depth: usize) -> Result<(), Unreadable> {
        let toks = self.list(end, depth + 1)?;
        if end != End::Brace {
            self.subs.push(toks);
        }
        Ok(())
    }

    /// `(…)` after a word, kept raw (the `(` is at `self.i`).
    fn raw_parens(&mut self, word: &mut Word) -> Result<(), Unreadable> {
        let mut depth = 0usize;
        while let Some(c) = self.peek(0) {
            self.i += 1;
            word.text.push(c);
            match c {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        return Ok(());
                    }
                }
                _ => {}
            }
        }
        self.eof()
    }

    /// After an opening `'`.
    fn single(&mut self, word: &mut Word) -> Result<(), Unreadable> {
        while let Some(c) = self.peek(0) {
            self.i += 1;
            if c == '\'' {
                return Ok(());
            }
            word.text.push(c);
        }
        self.eof()
    }

    /// After an opening `"`.
    fn double(&mut self, word: &mut Word, depth: usize) -> Result<(), Unreadable> {
        while let Some(c) = self.peek(0) {
            match c {
                '"' => {
                    self.i += 1;
                    return Ok(());
                }
                '\\' => match self.peek(1) {
                    Some(x @ ('$' | '`' | '"' | '\\')) => {
                        self.i += 2;
                        word.text.push(x);
                    }
                    Some('\n') => self.i += 2,
                    Some(x) => {
                        self.i += 2;
                        word.text.push('\\');
                        word.text.push(x);
                    }
                    None => {
                        self.i += 1;
                    }
                },
                '$' => self.dollar(word, depth, true)?,
                '`' => {
                    let start = self.i;
                    self.i += 1;
                    self.sub(End::Backtick, depth)?;
                    word.dynamic = true;
                    word.text.extend(&self.s[start..self.i]);
                }
                _ => {
                    self.i += 1;
                    word.text.push(c);
                }
            }
        }
        self.eof()
    }

    /// At a `$`.
    fn dollar(&mut self, word: &mut Word, depth: usize, in_quotes: bool) -> Result<(), Unreadable> {
        let start = self.i;
        match self.peek(1) {
            Some('(') => {
                self.i += 2;
                self.sub(End::Paren, depth)?;
                word.dynamic = true;
            }
            Some('{') => {
                self.i += 2;
                self.sub(End::Brace, depth)?;
                word.dynamic = true;
            }
            Some('\'') if !in_quotes => {
                // `$'…'`: escapes are not decoded, so the value is unknown.
                self.i += 2;
                word.dynamic = true;
                word.quoted = true;
                loop {
                    match self.peek(0) {
                        None => {
                            self.eof()?;
                            break;
                        }
                        Some('\\') => self.i += 2,
                        Some('\'') => {
                            self.i += 1;
                            break;
                        }
                        Some(_) => self.i += 1,
                    }
                }
                self.i = self.i.min(self.s.len());
            }
            Some('"') if !in_quotes => {
                // `$"…"`: a translated string, read as a double-quoted one.
                self.i += 1;
                return Ok(());
            }
            Some(c) if c.is_ascii_digit() => {
                self.i += 2;
                word.dynamic = true;
            }
            Some(c) if c == '_' || c.is_ascii_alphabetic() => {
                self.i += 2;
                while self
                    .peek(0)
                    .is_some_and(|c| c == '_' || c.is_ascii_alphanumeric())
                {
                    self.i += 1;
                }
                word.dynamic = true;
            }
            Some('@' | '*' | '#' | '?' | '$' | '!' | '-') => {
                self.i += 2;
                word.dynamic = true;
            }
            Some('[') => {
                // `$[…]`: old arithmetic.
                self.i += 1;
                word.dynamic = true;
            }
            _ => self.i += 1,
        }
        word.text.extend(&self.s[start..self.i]);
        Ok(())
    }
}

/// A simple command: its words, and what surrounds it.
#[derive(Debug, Default)]
struct Simple {
    words: Vec<Word>,
    /// Its input comes from a pipe.
    after_pipe: bool,
    /// Its input is redirected (`<`, `<<`, `<<<`).
    stdin_redir: bool,
    /// Its output is redirected to a file (other than `/dev/null`).
    writes: bool,
    /// What ends it.
    term: Option<Sep>,
}

fn simple_commands(toks: Vec<Tok>) -> Vec<Simple> {
    let mut out = Vec::new();
    let mut cur = Simple::default();
    // After a redirection: its target is next; `Some(true)` for an output.
    let mut target_next: Option<bool> = None;
    for t in toks {
        match t {
            Tok::Word(w) => match target_next.take() {
                Some(output) => cur.writes |= output && w.text != "/dev/null",
                None => cur.words.push(w),
            },
            Tok::Redir { input, output } => {
                target_next = Some(output);
                cur.stdin_redir |= input;
            }
            Tok::Sep(s) => {
                target_next = None;
                cur.term = Some(s);
                let next = Simple {
                    after_pipe: s == Sep::Pipe,
                    ..Default::default()
                };
                out.push(std::mem::replace(&mut cur, next));
            }
        }
    }
    out.push(cur);
    out
}

/// Wrappers an allow-list need not name: they only change how a command runs.
const TRANSPARENT: &[&str] = &[
    "time", "nice", "nohup", "timeout", "stdbuf", "command", "builtin", "exec", "setsid", "ionice",
    "taskset", "unbuffer",
];

const SHELLS: &[&str] = &[
    "sh", "bash", "zsh", "dash", "ksh", "mksh", "ash", "yash", "fish", "csh", "tcsh",
];

/// Options at `words[j..end]`: `--` ends them, as does a word not starting with `-` (or
/// `-` alone unless `dash_alone`). `short_arg`: letters whose value follows (attached or
/// in the next word); `long_arg`: long names whose value follows (`--name=v` or
/// `--name v`; an abbreviation of one counts). `seen(name, value)` is told of each option
/// with a value: the value's text and, when it is a word of its own, its index. Returns
/// the index after the options.
fn options<'w>(
    words: &'w [Word],
    mut j: usize,
    end: usize,
    short_arg: &str,
    long_arg: &[&str],
    dash_alone: bool,
    mut seen: impl FnMut(&str, &'w str, Option<usize>),
) -> usize {
    while j < end {
        let t = words[j].text.as_str();
        if t == "--" {
            return j + 1;
        }
        if t == "-" && dash_alone {
            j += 1;
            continue;
        }
        if let Some(long) = t.strip_prefix("--") {
            if let Some((name, value)) = long.split_once('=') {
                seen(name, value, None);
                j += 1;
            } else if !long.is_empty() && long_arg.iter().any(|a| a.starts_with(long)) {
                if let Some(v) = words.get(j + 1).filter(|_| j + 1 < end) {
                    seen(long, &v.text, Some(j + 1));
                }
                j += 2;
            } else {
                seen(long, "", None);
                j += 1;
            }
            continue;
        }
        if t.len() > 1 && t.starts_with('-') {
            let flags = &t[1..];
            let mut taken = 1;
            for (k, ch) in flags.char_indices() {
                if short_arg.contains(ch) {
                    let rest = &flags[k + ch.len_utf8()..];
                    let name = &flags[k..k + ch.len_utf8()];
                    if rest.is_empty() {
                        if j + 1 < end {
                            seen(name, &words[j + 1].text, Some(j + 1));
                        }
                        taken = 2;
                    } else {
                        seen(name, rest, None);
                    }
                    break;
                }
                seen(&flags[k..k + ch.len_utf8()], "", None);
            }
            j += taken;
            continue;
        }
        return j;
    }
    j
}

/// Reads lines into a [`CommandLine`].
struct Reader {
    line: CommandLine,
    reads: usize,
    /// Inside a lenient read: the commands found are guesses, which an allow-list need not
    /// name.
    guessing: usize,
}

impl Reader {
    /// Read `s` as a command line. `lenient`: a guess (a quoted argument): unbalanced quotes
    /// are closed at its end, and nothing it finds makes the line "not understood".
    fn read(&mut self, s: &str, depth: usize, lenient: bool) {
        if depth > MAX_DEPTH || self.reads >= MAX_READS {
            if !lenient {
                self.line.unknown = true;
            }
            return;
        }
        self.reads += 1;
        let chars: Vec<char> = s.chars().collect();
        let mut lx = Lexer {
            s: &chars,
            i: 0,
            lenient,
            subs: Vec::new(),
        };
        let toks = match lx.list(End::Eof, depth) {
            Ok(t) => t,
            Err(Unreadable) => {
                if !lenient {
                    self.line.unknown = true;
                }
                return;
            }
        };
        let saved = (self.line.unknown, self.line.assigns, self.line.writes);
        self.guessing += usize::from(lenient);
        self.commands(toks, depth);
        for sub in std::mem::take(&mut lx.subs) {
            self.commands(sub, depth + 1);
        }
        self.guessing -= usize::from(lenient);
        if lenient {
            (self.line.unknown, self.line.assigns, self.line.writes) = saved;
        }
    }

    fn commands(&mut self, toks: Vec<Tok>, depth: usize) {
        let mut expect_pattern = false;
        for cmd in simple_commands(toks) {
            if expect_pattern {
                // Skip a `case` pattern: the words up to `)` (after blank lines and `(`).
                if cmd.words.is_empty() && cmd.term != Some(Sep::Close) {
                    continue;
                }
                expect_pattern = false;
                if cmd.term == Some(Sep::Close) {
                    continue;
                }
            }
            self.line.writes |= cmd.writes;
            let ci = self.line.commands.len();
            self.line
                .commands
                .push(cmd.words.iter().map(|w| w.text.clone()).collect());
            let mut used = vec![false; cmd.words.len()];
            expect_pattern = self.walk(ci, &cmd, 0, cmd.words.len(), depth, &mut used);
            for (k, w) in cmd.words.iter().enumerate() {
                if !used[k] && w.quoted && w.text.contains([';', '&', '|', '\n', '(', '`']) {
                    self.read(&w.text, depth + 1, true);
                }
            }
            if cmd.term == Some(Sep::CaseBreak) {
                expect_pattern = true;
            }
        }
    }

    fn push(&mut self, command: usize, word: usize, required: bool) {
        self.line.positions.push(Position {
            command,
            word,
            required: required && self.guessing == 0,
        });
    }

    /// The commands named in `cmd.words[i..end]`. Returns true when a `case … in` ends the
    /// command, so the next one starts with a pattern.
    fn walk(
        &mut self,
        ci: usize,
        cmd: &Simple,
        mut i: usize,
        end: usize,
        depth: usize,
        used: &mut [bool],
    ) -> bool {
        if depth > MAX_DEPTH {
            self.line.unknown = true;
            return false;
        }
        let words = &cmd.words;
        loop {
            while i < end && words[i].assignment {
                self.line.assigns = true;
                i += 1;
            }
            if i >= end {
                return false;
            }
            let w = &words[i];
            if w.dynamic || w.glob {
                self.line.unknown = true;
                return false;
            }
            let name = w.text.as_str();
            if !w.quoted {
                match name {
                    "!" | "{" | "}" | "if" | "then" | "else" | "elif" | "fi" | "while"
                    | "until" | "do" | "done" | "esac" | "coproc" => {
                        self.push(ci, i, false);
                        i += 1;
                        continue;
                    }
                    "function" => {
                        self.push(ci, i, false);
                        i += 2;
                        continue;
                    }
                    "for" | "select" => {
                        self.push(ci, i, false);
                        return false;
                    }
                    "case" => {
                        self.push(ci, i, false);
                        let has_in = words[i..end].iter().any(|w| !w.quoted && w.text == "in");
                        return has_in && cmd.term != Some(Sep::Close);
                    }
                    _ => {}
                }
            }
            let base = basename(name);
            self.push(ci, i, !TRANSPARENT.contains(&base));
            match self.wrapped(ci, cmd, i, end, base, depth, used) {
                Some(next) => i = next,
                None => return false,
            }
        }
    }

    /// When `words[i]` (basename `base`) runs another command: where that command's word is.
    /// Strings it runs as command lines are read here.
    #[allow(clippy::too_many_arguments)]
    fn wrapped(
        &mut self,
        ci: usize,
        cmd: &Simple,
        i: usize,
        end: usize,
        base: &str,
        depth: usize,
        used: &mut [bool],
    ) -> Option<usize> {
        let words = &cmd.words;
        let j = i + 1;
        let skip =
            |short: &str, long: &[&str]| options(words, j, end, short, long, false, |_, _, _| {});
        match base {
            "sudo" => Some(skip(
                "ugCDprtUTR",
                &[
                    "user",
                    "group",
                    "close-from",
                    "chdir",
                    "prompt",
                    "role",
                    "type",
                    "other-user",
                    "command-timeout",
                    "chroot",
                    "host",
                ],
            )),
            "doas" => Some(skip("uC", &[])),
            "env" => {
                let mut strings: Vec<(&str, Option<usize>)> = Vec::new();
                let k = options(
                    words,
                    j,
                    end,
                    "uCS",
                    &["unset", "chdir", "split-string"],
                    true,
                    |name, value, at| {
                        if name == "S" || (!name.is_empty() && "split-string".starts_with(name)) {
                            strings.push((value, at));
                        }
                    },
                );
                for (s, at) in strings {
                    if let Some(at) = at {
                        used[at] = true;
                    }
                    self.read(s, depth + 1, false);
                }
                Some(k)
            }
            "command" | "nohup" | "builtin" | "busybox" | "setsid" | "unbuffer" => {
                Some(skip("", &[]))
            }
            "exec" => Some(skip("a", &[])),
            "time" => Some(skip("fo", &["format", "output"])),
            "nice" => Some(skip("n", &["adjustment"])),
            "timeout" => Some(skip("sk", &["signal", "kill-after"]) + 1),
            "stdbuf" => Some(skip("ioe", &["input", "output", "error"])),
            "xargs" => Some(skip(
                "adEILnPs",
                &[
                    "arg-file",
                    "delimiter",
                    "max-args",
                    "max-procs",
                    "max-chars",
                    "process-slot-var",
                ],
            )),
            "ionice" => Some(skip("cnpPu", &["class", "classdata", "pid", "pgid", "uid"])),
            "taskset" => Some(skip("", &[]) + 1),
            "chroot" => Some(skip("", &["userspec", "groups"]) + 1),
            "watch" => {
                let mut exec = false;
                let k = options(
                    words,
                    j,
                    end,
                    "nq",
                    &["interval", "equexit"],
                    false,
                    |name, _, _| {
                        exec |= name == "x" || (name.len() > 1 && "exec".starts_with(name))
                    },
                );
                if exec {
                    return Some(k);
                }
                self.read_joined(cmd, k, end, depth, used);
                None
            }
            "ssh" => {
                let k = skip("BbcDEeFIiJLlmOoPpQRSWw", &[]);
                if k + 1 < end {
                    self.read_joined(cmd, k + 1, end, depth, used);
                }
                None
            }
            "eval" => {
                self.read_joined(cmd, j, end, depth, used);
                None
            }
            "alias" => {
                // `alias x='rm -rf'`: what the alias will run.
                for k in j..end {
                    if let Some((_, value)) = words[k].text.split_once('=') {
                        used[k] = true;
                        self.read(value, depth + 1, false);
                    }
                }
                None
            }
            "trap" => {
                // `trap 'rm x' EXIT`: run later, by this shell.
                let k = skip("", &[]);
                if k < end {
                    used[k] = true;
                    self.read(&words[k].text, depth + 1, false);
                }
                None
            }
            "su" | "runuser" => {
                if let Some((s, at)) = su_command(words, j, end) {
                    if let Some(at) = at {
                        used[at] = true;
                    }
                    self.read(s, depth + 1, false);
                }
                None
            }
            "find" => {
                // Each `-exec CMD … ;` once: after it, the scan goes on past its `;`, so
                // every word is looked at once per level of nesting.
                let mut k = j;
                while k < end {
                    if matches!(
                        words[k].text.as_str(),
                        "-exec" | "-execdir" | "-ok" | "-okdir"
                    ) {
                        let stop = (k + 1..end)
                            .find(|&m| matches!(words[m].text.as_str(), ";" | "+"))
                            .unwrap_or(end);
                        self.walk(ci, cmd, k + 1, stop, depth + 1, used);
                        k = stop;
                    }
                    k += 1;
                }
                None
            }
            _ if SHELLS.contains(&base) => {
                self.shell(cmd, j, end, depth, used);
                None
            }
            _ => None,
        }
    }

    /// `words[k..end]` joined by spaces, read as a command line (what `eval` and `ssh` do).
    fn read_joined(&mut self, cmd: &Simple, k: usize, end: usize, depth: usize, used: &mut [bool]) {
        if k >= end {
            return;
        }
        let joined: Vec<&str> = cmd.words[k..end].iter().map(|w| w.text.as_str()).collect();
        for u in &mut used[k..end] {
            *u = true;
        }
        self.read(&joined.join(" "), depth + 1, false);
    }

    /// A shell's arguments from `j`: its `-c STRING` is read as a command line.
    fn shell(&mut self, cmd: &Simple, j: usize, end: usize, depth: usize, used: &mut [bool]) {
        let words = &cmd.words;
        let (mut c, mut stdin) = (false, false);
        let mut k = j;
        while k < end {
            let t = words[k].text.as_str();
            if t == "--" || t == "-" {
                k += 1;
                break;
            }
            if let Some(long) = t.strip_prefix("--") {
                if let Some(s) = long.strip_prefix("command=") {
                    self.read(s, depth + 1, false);
                    used[k] = true;
                } else if long == "command" {
                    c = true;
                } else if matches!(long, "rcfile" | "init-file") {
                    k += 1;
                }
                k += 1;
                continue;
            }
            if t.len() > 1 && (t.starts_with('-') || t.starts_with('+')) {
                let flags = &t[1..];
                c |= flags.contains('c');
                stdin |= flags.contains('s');
                k += if flags.contains(['o', 'O']) { 2 } else { 1 };
                continue;
            }
            break;
        }
        if c {
            if k < end {
                used[k] = true;
                self.read(&words[k].text, depth + 1, false);
            }
        } else if (k >= end || stdin) && (cmd.after_pipe || cmd.stdin_redir) {
            // Commands come from a pipe or a file we cannot see.
            self.line.unknown = true;
        }
    }
}

/// The command string of `su`/`runuser` (`-c CMD`, `-cCMD`, `-lc CMD`, `--command=CMD`,
/// `--command CMD`, `--session-command …`), with its word's index when it is a word of its own.
fn su_command(words: &[Word], j: usize, end: usize) -> Option<(&str, Option<usize>)> {
    for k in j..end {
        let t = words[k].text.as_str();
        let next = || (k + 1 < end).then(|| (words[k + 1].text.as_str(), Some(k + 1)));
        if matches!(t, "--command" | "--session-command") {
            return next();
        }
        if let Some(s) = t
            .strip_prefix("--command=")
            .or_else(|| t.strip_prefix("--session-command="))
        {
            return Some((s, None));
        }
        if let Some(flags) = t.strip_prefix('-').filter(|f| !f.starts_with('-')) {
            if let Some(p) = flags.find('c') {
                let rest = &flags[p + 1..];
                return if rest.is_empty() {
                    next()
                } else {
                    Some((rest, None))
                };
            }
        }
    }
    None
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

    /// Finding 15: each of these ran `rm` past a group rejecting `rm`.
    #[test]
    fn walk_arounds_are_matched() {
        let g = group(CommandKind::Command, false, &["rm"]);
        for line in [
            r"\rm x",
            "env rm x",
            "env -i FOO=1 rm x",
            "command rm x",
            "exec rm x",
            "time rm x",
            "nohup rm x",
            "nice -n 5 rm x",
            "xargs rm",
            "{ rm x; }",
            "if true; then rm x; fi",
            "while true; do rm x; done",
            "! rm x",
            "x=1 rm y",
            "bash -c 'rm x'",
            r#"sh -c "rm x""#,
            "sudo -u root rm x",
            r#""rm" x"#,
            "'r'm x",
            r"r\m x",
        ] {
            assert!(g.matches(line), "walk-around not matched: {line:?}");
        }
    }

    #[test]
    fn more_walk_arounds_are_matched() {
        let g = group(CommandKind::Command, false, &["rm"]);
        for line in [
            "sudo -uroot rm x",
            "sudo --user=root rm x",
            "sudo --user root -- rm x",
            "sudo FOO=1 rm x",
            "doas -u root rm x",
            "su -c 'rm x' root",
            "su root -c 'rm x'",
            "su --command='rm x'",
            "env -S 'rm x'",
            "env - rm x",
            "env -u HOME rm x",
            "timeout 5 rm x",
            "timeout -s KILL 5s rm x",
            "stdbuf -oL rm x",
            "xargs -n 1 -I{} rm {}",
            "nice -10 rm x",
            "exec -a name rm x",
            "time -p rm x",
            "/usr/bin/time -f %e rm x",
            "eval 'rm x'",
            r#"eval "r""m x""#,
            "bash -ec 'ls; rm x'",
            "bash -o pipefail -c 'rm x'",
            r#"sh -c "sh -c 'rm x'""#,
            "zsh -c 'echo; rm x'",
            "dash -c 'rm x'",
            "ksh -c 'rm x'",
            "ssh host rm -rf /",
            "ssh -p 22 host 'ls; rm x'",
            "watch -n 1 rm x",
            "watch -x rm x",
            "find . -name x -exec rm {} ;",
            r"find . -exec rm {} \;",
            "find . -execdir rm {} +",
            "cat x | xargs rm",
            "2>/dev/null rm x",
            ">out rm x",
            "ls > x; rm y",
            "ls &>/dev/null && rm y",
            "f() { rm x; }",
            "for i in a; do rm $i; done",
            "case $x in a) rm y;; esac",
            "case $x in\n*) rm y;;\nesac",
            "until false; do rm x; done",
            "[ -f x ] && rm x",
            "echo \"$(rm x)\"",
            "echo \"`rm x`\"",
            "echo ${x:-$(rm x)}",
            "diff <(rm x) y",
            "x=$(rm y)",
            "ls | sudo -E env PATH=/bin nice nohup rm x",
            "busybox rm x",
            "setsid rm x",
            "chroot / rm x",
            "taskset 0x1 rm x",
            "ls\r rm x",
            "coproc rm x",
            "function f { rm x; }",
            "alias x='rm -rf'",
            "trap 'rm x' EXIT",
            "env --split-string='rm x'",
            "env --s 'rm x'",
        ] {
            assert!(g.matches(line), "not matched: {line:?}");
        }
    }

    #[test]
    fn dynamic_command_words_and_unreadable_lines_match_fail_closed() {
        let g = group(CommandKind::Command, false, &["rm"]);
        for line in [
            "$x y",
            "${x} y",
            "$(echo rm) x",
            "`echo rm` x",
            r"$'\x72m' x",
            "/bin/r? x",
            "/bin/r* x",
            "{r,}m x",
            "r@(m) x",
            "echo 'unbalanced",
            "echo \"unbalanced",
            "echo $(unbalanced",
            "echo x\\",
            "echo rm | sh",
            "echo rm | bash -s",
            "bash < script",
            "bash <<< 'rm x'",
            "sudo $x y",
            &"$(".repeat(20),
            &"bash -c \"".repeat(3),
        ] {
            assert!(g.matches(line), "should match (fail closed): {line:?}");
        }
        let long = format!("echo {}", "a".repeat(MAX_ANALYSED_BYTES));
        assert!(g.matches(&long));
        // An empty group matches nothing, even then.
        assert!(!group(CommandKind::Command, false, &[""]).matches("$x"));
    }

    #[test]
    fn words_that_are_not_commands_do_not_match() {
        let g = group(CommandKind::Command, false, &["rm"]);
        for line in [
            "rmdir x",
            "farm",
            "echo rm",
            "echo 'rm'",
            "echo \"rm x\"",
            "echo rm x",
            "ls rm",
            "git commit -m rm",
            "cp rm x",
            "x=rm",
            "echo $rm",
            "for rm in a b; do echo; done",
            "case rm in rm) echo;; esac",
            "sudo -u rm ls",
            "timeout rm ls",
            "ls > rm",
            "cat < rm",
            "ls 2> rm",
            "bash script.sh rm",
            "echo '#'; ls rm",
            "command -p ls rm",
            "nice -n rm ls",
            "echo x #rm",
            "",
            "   ",
        ] {
            assert!(!g.matches(line), "should not match: {line:?}");
        }
    }

    #[test]
    fn multi_word_and_metacharacters() {
        let g = group(CommandKind::Command, false, &["git push", "c++"]);
        assert!(g.matches("cd x && git   push --force"));
        assert!(g.matches("sudo git 'push' origin"));
        assert!(!g.matches("git pull"));
        assert!(!g.matches("git pushx"));
        assert!(g.matches("c++ main.cc"));
        assert!(!g.matches("cc main.c"));
    }

    #[test]
    fn entries_with_a_path_and_wrappers_as_entries() {
        let g = group(CommandKind::Command, false, &["/usr/bin/rm"]);
        assert!(g.matches("rm x"));
        assert!(g.matches("/usr/bin/rm x"));
        let g = group(CommandKind::Command, false, &["sudo"]);
        assert!(g.matches("sudo rm x"));
        assert!(g.matches("ls && /usr/bin/sudo -i"));
        assert!(!g.matches("echo sudo"));
    }

    #[test]
    fn ignore_case() {
        let g = group(CommandKind::Command, true, &["shutdown"]);
        assert!(g.matches("SHUTDOWN -h now"));
        let g = group(CommandKind::Command, true, &["Git Push"]);
        assert!(g.matches("git PUSH"));
        let g = group(CommandKind::Regex, true, &[r"drop\s+table"]);
        assert!(g.matches("psql -c 'DROP TABLE users'"));
        let g = group(CommandKind::Regex, false, &[r"drop\s+table"]);
        assert!(!g.matches("DROP TABLE users"));
    }

    #[test]
    fn regex_entries_search_the_raw_line() {
        let g = group(CommandKind::Regex, false, &[r"rm\s+-rf", "^reboot$"]);
        assert!(g.matches("echo 'rm  -rf'"));
        assert!(g.matches("reboot"));
        assert!(!g.matches("reboot now"));
        assert!(!g.matches("$x"), "the Regex kind has no fail-closed rule");
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
        assert!(e.reason.contains("not a valid regular expression"));
    }

    /// Finding 7: 40 × `\w{20}` used to compile to ≈ 80 MB.
    #[test]
    fn costly_regexes_are_refused() {
        let e = CommandGroup::parse(CommandGroupSpec {
            patterns: vec![r"\w{20}".to_string(); 40],
            kind: CommandKind::Regex,
            ignore_case: false,
        })
        .unwrap_err();
        assert_eq!(e.field, "patterns[0]");
        assert!(e.reason.starts_with("too complex"), "{}", e.reason);
        // Each of these fits alone, but not all together.
        let big = r"\w\w";
        let one = group(CommandKind::Regex, false, &[big]);
        assert!(
            one.regex_bytes() <= MAX_REGEX_BYTES / 4,
            "{}",
            one.regex_bytes()
        );
        let n = MAX_REGEX_BYTES / one.regex_bytes() + 1;
        let e = CommandGroup::parse(CommandGroupSpec {
            patterns: vec![big.to_string(); n],
            kind: CommandKind::Regex,
            ignore_case: false,
        })
        .unwrap_err();
        assert_eq!(e.field, format!("patterns[{}]", n - 1));
        assert!(e.reason.starts_with("too complex"), "{}", e.reason);
        assert!(e.reason.contains("group"), "{}", e.reason);
    }

    #[test]
    fn ordinary_regexes_compile() {
        let patterns: Vec<String> = [
            r"rm\s+-rf\s+/",
            r"(?i)drop\s+(table|database)",
            r"\bshutdown\b",
            r"^sudo\s+su\b",
            r"chmod\s+[0-7]*777",
            r"\w+@\w+",
            r"mkfs\.\w+",
            r"dd\s+if=.*of=/dev/sd[a-z]",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let g = CommandGroup::parse(CommandGroupSpec {
            patterns: patterns.iter().cycle().take(40).cloned().collect(),
            kind: CommandKind::Regex,
            ignore_case: true,
        })
        .unwrap();
        assert!(g.matches("dd if=/dev/zero of=/dev/sda"));
        assert!(g.regex_bytes() <= MAX_REGEX_BYTES);
    }

    #[test]
    fn group_and_entry_sizes_are_capped() {
        let e = CommandGroup::parse(CommandGroupSpec {
            patterns: vec!["ls".into(); MAX_GROUP_ENTRIES + 1],
            kind: CommandKind::Command,
            ignore_case: false,
        })
        .unwrap_err();
        assert_eq!(e.field, "patterns");
        assert_eq!(e.reason, "at most 200 items (got 201)");
        assert!(CommandGroup::parse(CommandGroupSpec {
            patterns: vec!["ls".into(); MAX_GROUP_ENTRIES],
            kind: CommandKind::Command,
            ignore_case: false,
        })
        .is_ok());
        let e = CommandGroup::parse(CommandGroupSpec {
            patterns: vec!["ls".into(), "a".repeat(MAX_ENTRY_CHARS + 1)],
            kind: CommandKind::Regex,
            ignore_case: false,
        })
        .unwrap_err();
        assert_eq!(e.field, "patterns[1]");
        assert_eq!(e.reason, "must be at most 512 characters");
    }

    #[test]
    fn allow_lists_need_every_command_named() {
        let allowed = [
            group(
                CommandKind::Command,
                false,
                &["ls", "cat", "git status", "sudo"],
            ),
            group(CommandKind::Command, false, &["grep"]),
        ];
        let ok = |l: &str| allows(&allowed, &CommandLine::parse(l));
        for yes in [
            "ls -l",
            "ls | grep x",
            "cat a && git status",
            "time ls",
            "nice -n 5 cat x",
            "sudo ls",
            "if ls; then cat x; fi",
            "ls 2>&1 | grep x",
            "ls 2>/dev/null",
            // Quoted arguments with separators are read as command lines only as a guess:
            // a match for a reject rule, but an allow-list need not name what they hold.
            "grep 'a; rm b' x",
            "grep 'foo|bar' x",
        ] {
            assert!(ok(yes), "should be allowed: {yes:?}");
        }
        for no in [
            "ls; rm x",
            "ls && rm x",
            "ls $(rm x)",
            "cat `rm x`",
            "git push",
            "sudo rm x",
            "env ls",
            "LD_PRELOAD=/tmp/x.so ls",
            "ls > /etc/passwd",
            "cat x >> ~/.ssh/authorized_keys",
            "$x",
            "ls 'unbalanced",
            "",
        ] {
            assert!(!ok(no), "should not be allowed: {no:?}");
        }
        let regex = [group(CommandKind::Regex, false, &["^ls$"])];
        assert!(allows(&regex, &CommandLine::parse("ls")));
        assert!(!allows(&regex, &CommandLine::parse("ls; rm x")));
    }

    #[test]
    fn command_words_are_reported() {
        let l = CommandLine::parse("sudo -u root env FOO=1 rm x; bash -c 'ls | wc -l'");
        assert!(l.understood());
        assert_eq!(l.command_words(), ["sudo", "env", "rm", "bash", "ls", "wc"]);
        assert_eq!(l.raw(), "sudo -u root env FOO=1 rm x; bash -c 'ls | wc -l'");
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let g = group(CommandKind::Command, false, &["zz"]);
        // Nothing overflows the stack or takes long (each word is looked at a bounded number
        // of times), and too deep is "not understood".
        let started = std::time::Instant::now();
        for line in [
            "find -exec ".repeat(1_400),
            "find . -exec find . -exec x ; ".repeat(500),
            "$(".repeat(8_000),
            "`".repeat(16_000),
            "eval ".repeat(3_000),
            "\"$(".repeat(5_000),
            "'a;b' ".repeat(2_500),
            "\"a;'b;".repeat(2_500),
            "bash -c 'sh -c \"eval x; \"' ; ".repeat(400),
        ] {
            assert!(line.len() <= MAX_ANALYSED_BYTES);
            let _ = g.matches(&line);
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        assert!(g.matches(&format!("{}zz{}", "$(".repeat(20), ")".repeat(20))));
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
