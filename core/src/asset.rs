//! Assets: what an asset runs, its [`Platform`]. The server accepts only these platforms for
//! an asset and the pages offer the same list.

use serde::{Deserialize, Serialize};
use std::fmt;

/// What an asset runs. JSON: its lowercase name (`"linux"`, `"postgresql"`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    Linux,
    Unix,
    Windows,
    MacOs,
    MySql,
    MariaDb,
    PostgreSql,
    Oracle,
    SqlServer,
    MongoDb,
    Redis,
    ClickHouse,
    Kubernetes,
    Website,
    Other,
}

impl Platform {
    /// Every platform, in the order lists show them.
    pub const ALL: [Platform; 15] = [
        Platform::Linux,
        Platform::Unix,
        Platform::Windows,
        Platform::MacOs,
        Platform::MySql,
        Platform::MariaDb,
        Platform::PostgreSql,
        Platform::Oracle,
        Platform::SqlServer,
        Platform::MongoDb,
        Platform::Redis,
        Platform::ClickHouse,
        Platform::Kubernetes,
        Platform::Website,
        Platform::Other,
    ];

    /// Its name, as stored and sent.
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Linux => "linux",
            Platform::Unix => "unix",
            Platform::Windows => "windows",
            Platform::MacOs => "macos",
            Platform::MySql => "mysql",
            Platform::MariaDb => "mariadb",
            Platform::PostgreSql => "postgresql",
            Platform::Oracle => "oracle",
            Platform::SqlServer => "sqlserver",
            Platform::MongoDb => "mongodb",
            Platform::Redis => "redis",
            Platform::ClickHouse => "clickhouse",
            Platform::Kubernetes => "kubernetes",
            Platform::Website => "website",
            Platform::Other => "other",
        }
    }

    /// The platform of exactly this name (lowercase, as [`Platform::as_str`] writes it).
    pub fn parse(name: &str) -> Option<Platform> {
        Platform::ALL.into_iter().find(|p| p.as_str() == name)
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_ones_assets_have_always_had() {
        let names: Vec<&str> = Platform::ALL.iter().map(|p| p.as_str()).collect();
        assert_eq!(
            names.join(", "),
            "linux, unix, windows, macos, mysql, mariadb, postgresql, oracle, sqlserver, \
             mongodb, redis, clickhouse, kubernetes, website, other"
        );
    }

    #[test]
    fn json_is_the_name_and_parse_reads_it_back() {
        for p in Platform::ALL {
            assert_eq!(serde_json::to_value(p).unwrap(), p.as_str());
            assert_eq!(
                serde_json::from_value::<Platform>(p.as_str().into()).unwrap(),
                p
            );
            assert_eq!(Platform::parse(p.as_str()), Some(p));
            assert_eq!(p.to_string(), p.as_str());
        }
    }

    #[test]
    fn parse_takes_exact_names_only() {
        for s in ["", "Linux", " linux", "beos", "postgres"] {
            assert_eq!(Platform::parse(s), None, "{s:?}");
        }
    }
}
