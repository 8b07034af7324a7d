//! Bulk import of nodes, assets and accounts (the way a real estate arrives): all or
//! nothing, in one transaction. Every row is checked; one refused row means nothing is
//! written, and the report names each refused row and why.

use std::collections::{HashMap, HashSet};

use sqlx::PgPool;
use tollgate_app::admin_dto::{
    ImportReport, ImportRow, RefusedRow, IMPORT_REPORT_LIST_MAX as LIST_MAX,
};
use tollgate_app::model::Viewer;
use tollgate_app::AppError;
use uuid::Uuid;

use super::{account_name, address, login, name, node_name, platform, require_admin};
use crate::store::directory as dir;
use crate::store::{estate, orgs};

/// Most rows one import may hold (CSV lines of data, or JSON rows).
pub const MAX_ROWS: usize = 10_000;
/// Most node levels a path may have below the org's root.
pub const MAX_PATH_DEPTH: usize = 32;
/// Most nodes one import may make.
pub const MAX_NEW_NODES: usize = 5_000;
/// Most bytes an import's body may have (CSV or JSON).
pub const MAX_BODY_BYTES: usize = 4 << 20;
/// Most fields a CSV line may have (the columns, and room for trailing empty ones).
const MAX_FIELDS: usize = 64;
const COLUMNS: &[&str] = &[
    "path", "asset", "address", "platform", "account", "username",
];

/// More rows than [`MAX_ROWS`]: refused, naming the field `rows`.
pub fn too_many_rows() -> AppError {
    AppError::invalid(
        "rows",
        format!("At most {MAX_ROWS} rows at a time; split the file. Nothing was imported."),
    )
}

/// Parses CSV text with a header row (columns in any order, names as in [`ImportRow`]).
/// Quoted fields may hold commas, quotes (`""`) and line breaks. Blank lines are skipped.
/// More than [`MAX_ROWS`] rows of data, or a line of more than 64 fields, is refused while
/// reading, so a large file is never held twice.
pub fn parse_csv(text: &str) -> Result<Vec<ImportRow>, AppError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut cols: Option<Vec<String>> = None;
    let mut out = Vec::new();
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
                if record.len() + 1 == MAX_FIELDS {
                    let n = out.len() + 1;
                    return Err(match cols {
                        None => AppError::invalid(
                            "body",
                            format!("The header has more than {MAX_FIELDS} fields."),
                        ),
                        Some(_) => AppError::invalid(
                            &format!("rows[{n}]"),
                            format!(
                                "Row {n} has more than {MAX_FIELDS} fields; nothing was imported."
                            ),
                        ),
                    });
                }
                record.push(std::mem::take(&mut field));
            }
            '\r' => {}
            '\n' => {
                record.push(std::mem::take(&mut field));
                end_record(std::mem::take(&mut record), &mut cols, &mut out)?;
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
        end_record(record, &mut cols, &mut out)?;
    }
    if cols.is_none() {
        return Err(AppError::invalid("body", "The CSV is empty."));
    }
    Ok(out)
}

/// One line read: the header (the first line that is not blank), a row, or nothing (blank).
fn end_record(
    record: Vec<String>,
    cols: &mut Option<Vec<String>>,
    out: &mut Vec<ImportRow>,
) -> Result<(), AppError> {
    if record.iter().all(|f| f.trim().is_empty()) {
        return Ok(());
    }
    let Some(cols) = cols else {
        *cols = Some(header(&record)?);
        return Ok(());
    };
    if out.len() == MAX_ROWS {
        return Err(too_many_rows());
    }
    let mut row = ImportRow::default();
    for (i, v) in record.into_iter().enumerate() {
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
    Ok(())
}

/// The header line: the column of each field.
fn header(record: &[String]) -> Result<Vec<String>, AppError> {
    let mut cols = Vec::new();
    for h in record {
        let h = h.trim().to_lowercase();
        if !COLUMNS.contains(&h.as_str()) {
            // Quote only the start of an unknown name: the answer stays small.
            let shown: String = h.chars().take(40).collect();
            return Err(AppError::invalid(
                "body",
                format!(
                    "Unknown column {shown:?} in the header; the columns are {}.",
                    COLUMNS.join(", ")
                ),
            ));
        }
        cols.push(h);
    }
    Ok(cols)
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

/// A count, and the first few names of what it counts: the report names some, never all.
#[derive(Default)]
struct Tally {
    n: usize,
    sample: Vec<String>,
}

impl Tally {
    fn add(&mut self, name: impl FnOnce() -> String) {
        self.n += 1;
        if self.sample.len() < LIST_MAX {
            self.sample.push(name());
        }
    }
}

/// A reason as the report gives it: at most 300 characters (some quote the value refused).
fn clip(reason: String) -> String {
    match reason.char_indices().nth(300) {
        Some((at, _)) => format!("{}…", &reason[..at]),
        None => reason,
    }
}

/// Imports `rows` into `org`, in one transaction. Ok: what was made (nothing if `dry_run`).
/// Refused: a 422 whose details are the report with the first refused rows; nothing is
/// written. A path deeper than [`MAX_PATH_DEPTH`] levels, more than [`MAX_ROWS`] rows or
/// more than [`MAX_NEW_NODES`] new nodes are refused too.
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
        return Err(too_many_rows());
    }
    let mut report = ImportReport {
        rows: rows.len(),
        dry_run,
        ..Default::default()
    };
    let mut tx = pool.begin().await?;
    // Serialize imports into one org, so two at once do not race on the same names.
    orgs::lock(&mut *tx, org).await?;
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
    let rows_db = estate::assets_of_org(&mut *tx, org).await?;
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
    let acc_db = estate::accounts_of_org(&mut *tx, org).await?;
    let mut accounts: HashMap<(Uuid, String), String> = acc_db
        .into_iter()
        .map(|(a, n, u)| ((a, n.to_lowercase()), u))
        .collect();
    let placed_db = estate::placements_of_org(&mut *tx, org).await?;
    let mut placed: HashSet<(Uuid, Uuid)> = placed_db.into_iter().collect();

    let (mut made_nodes, mut made_assets, mut made_accounts, mut existing) = (
        Tally::default(),
        Tally::default(),
        Tally::default(),
        Tally::default(),
    );
    // What this import made, and what it reported as already there (lower-cased names).
    let mut new_assets: HashSet<String> = HashSet::new();
    let mut new_accounts: HashSet<(Uuid, String)> = HashSet::new();
    let mut seen_assets: HashSet<String> = HashSet::new();
    let mut seen_accounts: HashSet<(Uuid, String)> = HashSet::new();

    'rows: for (i, row) in rows.iter().enumerate() {
        let n = i + 1;
        macro_rules! refuse {
            ($field:expr, $reason:expr $(,)?) => {{
                report.refused_rows += 1;
                if report.refused.len() < LIST_MAX {
                    report.refused.push(RefusedRow {
                        row: n,
                        field: $field.to_string(),
                        reason: clip($reason),
                    });
                }
            }};
        }
        // Check every value of the row before writing anything of it.
        let mut segments = Vec::new();
        if let Some(p) = some(&row.path) {
            // Read no further than one level past the most allowed (with the root's name).
            let parts: Vec<&str> = p
                .split('/')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .take(MAX_PATH_DEPTH + 2)
                .collect();
            let parts = match parts.split_first() {
                Some((first, rest)) if first.eq_ignore_ascii_case(&root_name) => rest,
                _ => &parts[..],
            };
            if parts.len() > MAX_PATH_DEPTH {
                refuse!(
                    "path",
                    format!("A path may go at most {MAX_PATH_DEPTH} levels below the root."),
                );
                continue;
            }
            for s in parts {
                match node_name(s) {
                    Ok(s) => segments.push(s),
                    Err(e) => {
                        refuse!("path", e.message);
                        continue 'rows;
                    }
                }
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
        for (depth, s) in segments.iter().enumerate() {
            if !key.is_empty() {
                key.push('/');
            }
            key.push_str(&s.to_lowercase());
            parent = match nodes.get(&key) {
                Some(id) => *id,
                None => {
                    if made_nodes.n == MAX_NEW_NODES {
                        refuse!(
                            "path",
                            format!(
                                "The import would make more than {MAX_NEW_NODES} nodes; split \
                                 it (the check stopped at this row)."
                            ),
                        );
                        break 'rows;
                    }
                    let id = dir::insert_node(&mut *tx, org, Some(parent), s).await?;
                    nodes.insert(key.clone(), id);
                    made_nodes.add(|| {
                        let mut shown = format!("/{root_name}");
                        for s in &segments[..=depth] {
                            shown.push('/');
                            shown.push_str(s);
                        }
                        shown
                    });
                    id
                }
            };
        }
        let Some(a) = asset_name else { continue };
        let asset_id = match assets.get(&a.to_lowercase()) {
            Some(have) => {
                let lower = have.name.to_lowercase();
                if !new_assets.contains(&lower) && seen_assets.insert(lower) {
                    existing.add(|| have.name.clone());
                }
                have.id
            }
            None => {
                let (ad, pl) = (addr.unwrap_or_default(), plat.unwrap_or_default());
                let id = dir::insert_asset(&mut *tx, org, &a, &ad, &pl).await?;
                made_assets.add(|| a.clone());
                new_assets.insert(a.to_lowercase());
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
                // Accounts made by this import were counted as made; the others once each.
                let k = (asset_id, acc.to_lowercase());
                if !new_accounts.contains(&k) && seen_accounts.insert(k) {
                    existing.add(|| format!("{a}/{acc}"));
                }
            }
            None => {
                dir::insert_account(&mut *tx, asset_id, &acc, &login_name).await?;
                accounts.insert((asset_id, acc.to_lowercase()), login_name);
                new_accounts.insert((asset_id, acc.to_lowercase()));
                made_accounts.add(|| format!("{a}/{acc}"));
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
                if report.refused_rows > 1 {
                    format!(" and {} more rows", report.refused_rows - 1)
                } else {
                    String::new()
                }
            ),
        );
        e.field = Some(format!("rows[{}].{}", first.row, first.field));
        return Err(e.with_details(serde_json::to_value(&report).unwrap_or_default()));
    }
    report.created_nodes = made_nodes.n;
    report.created_assets = made_assets.n;
    report.created_accounts = made_accounts.n;
    report.existing = existing.n;
    report.sample.nodes = made_nodes.sample;
    report.sample.assets = made_assets.sample;
    report.sample.accounts = made_accounts.sample;
    report.sample.existing = existing.sample;
    if dry_run {
        tx.rollback().await?;
    } else {
        tx.commit().await?;
        tracing::info!(by = %v.username, %org, nodes = report.created_nodes,
            assets = report.created_assets, accounts = report.created_accounts, "import");
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
