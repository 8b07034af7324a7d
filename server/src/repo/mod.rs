//! All SQL lives here, one module per table family.

pub mod directory;
pub mod grants;
pub mod tickets;
pub mod users;

/// A case-insensitive "contains" pattern for `lower(column) LIKE $n`: the text lowercased,
/// with `\`, `%` and `_` escaped so they match themselves.
pub fn contains_pattern(text: &str) -> String {
    format!(
        "%{}%",
        text.to_lowercase()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn wildcards_match_themselves() {
        assert_eq!(super::contains_pattern("Web_01%"), "%web\\_01\\%%");
        assert_eq!(super::contains_pattern("a\\b"), "%a\\\\b%");
    }
}
