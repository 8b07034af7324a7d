//! Request templates: an org's admins (and super admins) save named starting points for a new
//! access request; its members pick one at the top of the new-request page. What a template
//! holds is checked as a request is (core/src/template.rs), and its nodes, assets and accounts
//! must be the org's.

use chrono::Utc;
use sqlx::PgPool;
use tollgate_app::dto::TemplateDto;
use tollgate_app::model::Viewer;
use tollgate_app::AppError;
use tollgate_core::template::TemplateForm;
use uuid::Uuid;

use crate::store::templates as repo;
use crate::usecases::admin::{require_admin, role_in};

/// Members of the org and super admins see its templates; anyone else learns nothing (404).
fn may_use(viewer: &Viewer, org: Uuid) -> Result<(), AppError> {
    if viewer.is_super_admin() || role_in(viewer, org).is_some() {
        Ok(())
    } else {
        Err(AppError::not_found("Org"))
    }
}

/// The templates of `org`.
pub async fn list(pool: &PgPool, viewer: &Viewer, org: Uuid) -> Result<Vec<TemplateDto>, AppError> {
    may_use(viewer, org)?;
    repo::of_org(pool, org).await
}

/// Saves a template for `org` (its admins and super admins).
pub async fn create(
    pool: &PgPool,
    viewer: &Viewer,
    org: Uuid,
    form: TemplateForm,
) -> Result<TemplateDto, AppError> {
    require_admin(viewer, org)?;
    let t = form
        .check(Utc::now())
        .map_err(crate::usecases::tickets::field_errors)?;
    let mut db = pool.acquire().await?;
    crate::usecases::tickets::check_references(&mut db, org, &t.nodes, &t.assets, &t.accounts)
        .await?;
    let id = Uuid::new_v4();
    if !repo::insert(&mut *db, id, org, &t, viewer.id).await? {
        return Err(AppError::invalid(
            "name",
            "this org has a template of that name already",
        ));
    }
    repo::of_org(&mut *db, org)
        .await?
        .into_iter()
        .find(|x| x.id == id)
        .ok_or_else(AppError::internal)
}

/// Removes a template of `org` (its admins and super admins).
pub async fn delete(pool: &PgPool, viewer: &Viewer, org: Uuid, id: Uuid) -> Result<(), AppError> {
    require_admin(viewer, org)?;
    if repo::delete(pool, org, id).await? {
        Ok(())
    } else {
        Err(AppError::not_found("Template"))
    }
}
