//! Bulk import of nodes, assets and accounts (the way a real estate arrives): all or
//! nothing, in one transaction. Every row is checked; one refused row means nothing is
//! written, and the report names each refused row and why.

use std::collections::HashMap;

use sqlx::PgPool;
use tollgate_app::admin_dto::{ImportReport, ImportRow, RefusedRow};
use tollgate_app::model::Viewer;
use tollgate_app::AppError;
use uuid::Uuid;

use super::{account_name, address, login, name, node_name, platform, require_admin};
use crate::repo::directory as dir;

pub const MAX_ROWS: usize = 10_000;
const COLUMNS: &[&str] = &[
    "path", "asset", "address", "platform", "account", "username",
];

/// Parses CSV text with a header row (columns in any order, names as in [`ImportRow`]).
/// Quoted fields may hold commas, quotes (`""`) and line breaks.
pub fn parse_csv(text: &str) -> Result<Vec<ImportRow>, AppError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut records: Vec<Vec<String>> = Vec::new();
    let mut field = String::new();
    let mut record: Vec<String> = Vec::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    let mut any = false;
    while let Some(c) = chars.next() {
        any = true;
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' if field.is_empty() => quoted = true,
            ',' | ';' => {
                // Semicolons: spreadsheets in many locales save "CSV" with them.
                record.push(std::mem::take(&mut field));
            }
            '\r' => {}
            '\n' => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
                any = false;
            }
            _ => field.push(c),
        }
    }
    if quoted {
        return Err(AppError::invalid(
            "body",
            "The CSV ends inside a quoted field.",
        ));
    }
    if any {
        record.push(field);
        records.push(record);
    }
    records.retain(|r| r.iter().any(|f| !f.trim().is_empty()));
    let mut it = records.into_iter();
    let Some(header) = it.next() else {
        return Err(AppError::invalid("body", "The CSV is empty."));
    };
    let mut cols = Vec::new();
    for h in &header {
        let h = h.trim().to_lowercase();
        if !COLUMNS.contains(&h.as_str()) {
            return Err(AppError::invalid(
                "body",
                format!(
                    "Unknown column {h:?} in the header; the columns are {}.",
                    COLUMNS.join(", ")
                ),
            ));
        }
        cols.push(h);
    }
    let mut out = Vec::new();
    for rec in it {
        let mut row = ImportRow::default();
        for (i, v) in rec.into_iter().enumerate() {
            let v = Some(v.trim().to_string()).filter(|s| !s.is_empty());
            match cols.get(i).map(String::as_str) {
                Some("path") => row.path = v,
                Some("asset") => row.asset = v,
                Some("address") => row.address = v,
                Some("platform") => row.platform = v,
                Some("account") => row.account = v,
                Some("username") => row.username = v,
                _ => {}
            }
        }
        out.push(row);
    }
    Ok(out)
}

fn some(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

struct Asset {
    id: Uuid,
    name: String,
    address: String,
    platform: String,
}

/// Imports `rows` into `org`. Ok: what was made (nothing if `dry_run`). Refused: a 422 whose
/// details are the report with every refused row; nothing is written.
pub async fn run(
    pool: &PgPool,
    v: &Viewer,
    org: Uuid,
    rows: Vec<ImportRow>,
    dry_run: bool,
) -> Result<ImportReport, AppError> {
    if !dir::may_browse_org(pool, v, org).await? {
        return Err(AppError::not_found("Org"));
    }
    require_admin(v, org)?;
    if rows.is_empty() {
        return Err(AppError::invalid("rows", "There is nothing to import."));
    }
    if rows.len() > MAX_ROWS {
        return Err(AppError::invalid(
            "rows",
            format!("At most {MAX_ROWS} rows at a time."),
        ));
    }
    let mut report = ImportReport {
        rows: rows.len(),
        dry_run,
        ..Default::default()
    };
    let mut tx = pool.begin().await?;
    // Serialize imports into one org, so two at once do not race on the same names.
    sqlx::query("SELECT 1 FROM orgs WHERE id = $1 FOR UPDATE")
        .bind(org)
        .execute(&mut *tx)
        .await?;
    let tree = dir::nodes(&mut *tx, org).await?;
    let root = tree
        .iter()
        .find(|n| n.parent_id.is_none())
        .ok_or_else(|| AppError::invalid("org", "The org has no root node."))?;
    let (root_id, root_name) = (root.id, root.name.clone());
    // Lower-cased path below the root ("" is the root) → node id.
    let mut nodes: HashMap<String, Uuid> = tree
        .iter()
        .map(|n| {
            let below = n
                .path
                .split('/')
                .skip(2)
                .collect::<Vec<_>>()
                .join("/")
                .to_lowercase();
            (below, n.id)
        })
        .collect();
    let rows_db: Vec<(Uuid, String, String, String)> =
        sqlx::query_as("SELECT id, name, address, platform FROM assets WHERE org_id = $1")
            .bind(org)
            .fetch_all(&mut *tx)
            .await?;
    let mut assets: HashMap<String, Asset> = rows_db
        .into_iter()
        .map(|(id, name, address, platform)| {
            (
                name.to_lowercase(),
                Asset {
                    id,
                    name,
                    address,
                    platform,
                },
            )
        })
        .collect();
    let acc_db: Vec<(Uuid, String, String)> = sqlx::query_as(
        "SELECT ac.asset_id, ac.name, ac.username FROM accounts ac JOIN assets a ON a.id = ac.asset_id WHERE a.org_id = $1",
    )
    .bind(org)
    .fetch_all(&mut *tx)
    .await?;
    let mut accounts: HashMap<(Uuid, String), String> = acc_db
        .into_iter()
        .map(|(a, n, u)| ((a, n.to_lowercase()), u))
        .collect();
    let placed_db: Vec<(Uuid, Uuid)> = sqlx::query_as(
        "SELECT an.asset_id, an.node_id FROM asset_nodes an JOIN assets a ON a.id = an.asset_id WHERE a.org_id = $1",
    )
    .bind(org)
    .fetch_all(&mut *tx)
    .await?;
    let mut placed: std::collections::HashSet<(Uuid, Uuid)> = placed_db.into_iter().collect();

    for (i, row) in rows.iter().enumerate() {
        let n = i + 1;
        macro_rules! refuse {
            ($field:expr, $reason:expr $(,)?) => {
                report.refused.push(RefusedRow {
                    row: n,
                    field: $field.to_string(),
                    reason: $reason,
                })
            };
        }
        // Check every value of the row before writing anything of it.
        let mut segments = Vec::new();
        if let Some(p) = some(&row.path) {
            let parts: Vec<&str> = p
                .split('/')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect();
            let parts = match parts.first() {
                Some(first) if first.eq_ignore_ascii_case(&root_name) => parts[1..].to_vec(),
                _ => parts,
            };
            let mut bad = None;
            for s in parts {
                match node_name(s) {
                    Ok(s) => segments.push(s),
                    Err(e) => bad = Some(e.message),
                }
            }
            if let Some(m) = bad {
                refuse!("path", m);
                continue;
            }
        }
        let asset_name = match some(&row.asset).map(|s| name("asset", s, 128)).transpose() {
            Ok(a) => a,
            Err(e) => {
                refuse!("asset", e.message);
                continue;
            }
        };
        let account = match some(&row.account)
            .map(|s| account_name("account", s))
            .transpose()
        {
            Ok(a) => a,
            Err(e) => {
                refuse!("account", e.message);
                continue;
            }
        };
        if account.is_some() && asset_name.is_none() {
            refuse!("asset", "An account needs the asset it belongs to.".into());
            continue;
        }
        if asset_name.is_none() && segments.is_empty() {
            refuse!(
                "path",
                "The row names no node path, asset or account.".into()
            );
            continue;
        }
        let addr = match some(&row.address)
            .map(|s| address("address", s))
            .transpose()
        {
            Ok(a) => a,
            Err(e) => {
                refuse!("address", e.message);
                continue;
            }
        };
        let plat = match some(&row.platform)
            .map(|s| platform("platform", s))
            .transpose()
        {
            Ok(p) => p,
            Err(e) => {
                refuse!("platform", e.message);
                continue;
            }
        };
        let user = match some(&row.username)
            .map(|s| login("username", s))
            .transpose()
        {
            Ok(u) => u,
            Err(e) => {
                refuse!("username", e.message);
                continue;
            }
        };
        if let Some(a) = &asset_name {
            match assets.get(&a.to_lowercase()) {
                Some(have) => {
                    if addr.as_ref().is_some_and(|x| *x != have.address) {
                        refuse!(
                            "address",
                            format!(
                                "Asset {} already exists with address {}.",
                                have.name, have.address
                            ),
                        );
                        continue;
                    }
                    if plat.as_ref().is_some_and(|x| *x != have.platform) {
                        refuse!(
                            "platform",
                            format!(
                                "Asset {} already exists with platform {}.",
                                have.name, have.platform
                            ),
                        );
                        continue;
                    }
                }
                None => {
                    if addr.is_none() {
                        refuse!("address", format!("The new asset {a} needs an address."));
                        continue;
                    }
                    if plat.is_none() {
                        refuse!("platform", format!("The new asset {a} needs a platform."));
                        continue;
                    }
                }
            }
        }
        // Later rows may refer to what earlier ones make, so keep writing (inside the
        // transaction) after a refusal; the whole lot is rolled back at the end.
        // Write: the path, node by node.
        let mut parent = root_id;
        let mut key = String::new();
        let mut shown = format!("/{root_name}");
        for s in &segments {
            if !key.is_empty() {
                key.push('/');
            }
            key.push_str(&s.to_lowercase());
            shown.push('/');
            shown.push_str(s);
            parent = match nodes.get(&key) {
                Some(id) => *id,
                None => {
                    let id = dir::insert_node(&mut *tx, org, Some(parent), s).await?;
                    nodes.insert(key.clone(), id);
                    report.created_nodes.push(shown.clone());
                    id
                }
            };
        }
        let Some(a) = asset_name else { continue };
        let asset_id = match assets.get(&a.to_lowercase()) {
            Some(have) => {
                if !report.existing.contains(&have.name)
                    && !report.created_assets.contains(&have.name)
                {
                    report.existing.push(have.name.clone());
                }
                have.id
            }
            None => {
                let (ad, pl) = (addr.unwrap_or_default(), plat.unwrap_or_default());
                let id = dir::insert_asset(&mut *tx, org, &a, &ad, &pl).await?;
                report.created_assets.push(a.clone());
                assets.insert(
                    a.to_lowercase(),
                    Asset {
                        id,
                        name: a.clone(),
                        address: ad,
                        platform: pl,
                    },
                );
                id
            }
        };
        if placed.insert((asset_id, parent)) {
            dir::place_asset(&mut *tx, asset_id, parent).await?;
        }
        let Some(acc) = account else { continue };
        let login_name = user.unwrap_or_else(|| acc.clone());
        match accounts.get(&(asset_id, acc.to_lowercase())) {
            Some(u) if *u != login_name => {
                refuse!(
                    "username",
                    format!("Account {a}/{acc} already exists with username {u}."),
                );
            }
            Some(_) => {
                let label = format!("{a}/{acc}");
                if !report.existing.contains(&label) && !report.created_accounts.contains(&label) {
                    report.existing.push(label);
                }
            }
            None => {
                dir::insert_account(&mut *tx, asset_id, &acc, &login_name).await?;
                accounts.insert((asset_id, acc.to_lowercase()), login_name);
                report.created_accounts.push(format!("{a}/{acc}"));
            }
        }
    }
    if !report.refused.is_empty() {
        tx.rollback().await?;
        let first = &report.refused[0];
        let mut e = AppError::new(
            422,
            "import_refused",
            format!(
                "Row {} was refused ({}: {}){}; nothing was imported.",
                first.row,
                first.field,
                first.reason,
                if report.refused.len() > 1 {
                    format!(" and {} more rows", report.refused.len() - 1)
                } else {
                    String::new()
                }
            ),
        );
        e.field = Some(format!("rows[{}].{}", first.row, first.field));
        report.created_nodes.clear();
        report.created_assets.clear();
        report.created_accounts.clear();
        report.existing.clear();
        return Err(e.with_details(serde_json::to_value(&report).unwrap_or_default()));
    }
    if dry_run {
        tx.rollback().await?;
    } else {
        tx.commit().await?;
        tracing::info!(by = %v.username, %org, nodes = report.created_nodes.len(),
            assets = report.created_assets.len(), accounts = report.created_accounts.len(), "import");
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::parse_csv;

    #[test]
    fn csv_with_quotes_and_any_column_order() {
        let rows = parse_csv(
            "asset,path,address,platform,account,username\r\nweb-1,/Default/prod,10.0.0.1,linux,root,\n\"db, main\",/Default/db,\"10.0.0.2\",postgresql,\"pg\"\"x\",postgres\n\n",
        )
        .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].asset.as_deref(), Some("web-1"));
        assert_eq!(rows[0].username, None);
        assert_eq!(rows[1].asset.as_deref(), Some("db, main"));
        assert_eq!(rows[1].account.as_deref(), Some("pg\"x"));
        assert!(parse_csv("bogus\n1\n").is_err());
        assert!(parse_csv("").is_err());
    }
}
