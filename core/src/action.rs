//! What a grant lets someone do on an asset: a set of [`Action`]s kept as bit flags.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// One thing a user may do on an asset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Open a session.
    Connect,
    /// Upload files.
    Upload,
    /// Download files.
    Download,
    /// Copy from the remote clipboard.
    Copy,
    /// Paste into the remote clipboard.
    Paste,
    /// Delete files.
    Delete,
    /// Share a session with someone else.
    Share,
}

impl Action {
    /// Every action, in bit order.
    pub const ALL: [Action; 7] = [
        Action::Connect,
        Action::Upload,
        Action::Download,
        Action::Copy,
        Action::Paste,
        Action::Delete,
        Action::Share,
    ];

    /// This action's bit.
    pub fn bit(self) -> u8 {
        1 << (self as u8)
    }

    /// Its name, e.g. `"connect"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Connect => "connect",
            Action::Upload => "upload",
            Action::Download => "download",
            Action::Copy => "copy",
            Action::Paste => "paste",
            Action::Delete => "delete",
            Action::Share => "share",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An action name that is not known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown action {0:?}")]
pub struct UnknownAction(pub String);

impl FromStr for Action {
    type Err = UnknownAction;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Action::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| UnknownAction(s.to_string()))
    }
}

/// A set of actions. Serialized as a list of names, `["all"]` when it holds every action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ActionSet(u8);

impl ActionSet {
    const MASK: u8 = 0b111_1111;

    /// No action.
    pub const fn empty() -> Self {
        ActionSet(0)
    }

    /// Every action.
    pub const fn all() -> Self {
        ActionSet(Self::MASK)
    }

    /// The set from its bits; bits beyond the known actions are dropped.
    pub const fn from_bits_truncate(bits: u8) -> Self {
        ActionSet(bits & Self::MASK)
    }

    /// The raw bits (for storage in an integer column).
    pub const fn bits(self) -> u8 {
        self.0
    }

    /// True when no action is in the set.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// True when every action is in the set.
    pub fn is_all(self) -> bool {
        self.0 == Self::MASK
    }

    /// True when `a` is in the set.
    pub fn contains(self, a: Action) -> bool {
        self.0 & a.bit() != 0
    }

    /// The set with `a` added.
    pub fn with(self, a: Action) -> Self {
        ActionSet(self.0 | a.bit())
    }

    /// The actions in the set, in bit order.
    pub fn iter(self) -> impl Iterator<Item = Action> {
        Action::ALL.into_iter().filter(move |a| self.contains(*a))
    }

    /// Parse a list of names: action names, or `"all"`. Duplicates are fine.
    pub fn parse<S: AsRef<str>>(names: &[S]) -> Result<Self, UnknownAction> {
        let mut set = ActionSet::empty();
        for n in names {
            let n = n.as_ref().trim();
            if n == "all" {
                set = ActionSet::all();
            } else {
                set = set.with(n.parse()?);
            }
        }
        Ok(set)
    }

    /// The names: `["all"]` for the full set, otherwise each action's name in bit order.
    pub fn names(self) -> Vec<String> {
        if self.is_all() {
            vec!["all".to_string()]
        } else {
            self.iter().map(|a| a.as_str().to_string()).collect()
        }
    }
}

impl FromIterator<Action> for ActionSet {
    fn from_iter<T: IntoIterator<Item = Action>>(iter: T) -> Self {
        iter.into_iter().fold(ActionSet::empty(), ActionSet::with)
    }
}

impl Serialize for ActionSet {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.names().serialize(s)
    }
}

impl<'de> Deserialize<'de> for ActionSet {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let names = Vec::<String>::deserialize(d)?;
        ActionSet::parse(&names).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_and_all() {
        let s = ActionSet::parse(&["connect", "upload"]).unwrap();
        assert!(s.contains(Action::Connect) && s.contains(Action::Upload));
        assert!(!s.contains(Action::Share));
        assert_eq!(ActionSet::parse(&["all"]).unwrap(), ActionSet::all());
        assert_eq!(ActionSet::parse::<&str>(&[]).unwrap(), ActionSet::empty());
    }

    #[test]
    fn unknown_name_is_named() {
        let e = ActionSet::parse(&["connect", "fly"]).unwrap_err();
        assert_eq!(e, UnknownAction("fly".into()));
        assert!(e.to_string().contains("fly"));
    }

    #[test]
    fn serializes_as_names() {
        let s = ActionSet::parse(&["upload", "connect"]).unwrap();
        assert_eq!(
            serde_json::to_string(&s).unwrap(),
            r#"["connect","upload"]"#
        );
        let every: ActionSet = Action::ALL.into_iter().collect();
        assert_eq!(serde_json::to_string(&every).unwrap(), r#"["all"]"#);
        let back: ActionSet = serde_json::from_str(r#"["paste","copy"]"#).unwrap();
        assert_eq!(back.names(), vec!["copy", "paste"]);
        assert!(serde_json::from_str::<ActionSet>(r#"["nope"]"#).is_err());
    }
}
