//! In-app notifications (SPEC §7): the shapes the REST API and the pages share.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One message for the signed-in person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NotificationDto {
    pub id: Uuid,
    pub ticket_id: Option<Uuid>,
    /// `awaiting` (your decision is wanted, also as a reminder or after an escalation), or what
    /// happened: `approved`, `rejected`, `level_advanced`, `closed`, `withdrawn`, `expired`,
    /// `commented`, `edited`, `opened`, `escalated`; `grant_ending` (a grant of yours ends
    /// soon: the link opens a new request made from it), `security`.
    pub kind: String,
    pub title: String,
    pub body: String,
    /// Where it leads in the app, e.g. `/tickets/{id}`.
    pub link: String,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

/// A page of notifications, newest first, with the unread count.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NotificationList {
    pub items: Vec<NotificationDto>,
    pub total: i64,
    pub page: u32,
    pub per_page: u32,
    /// Unread notifications in all pages.
    pub unread: i64,
}

/// The unread count (for the bell).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct UnreadCount {
    pub unread: i64,
}

/// How many notifications a "mark all read" marked.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MarkedRead {
    pub marked: i64,
}
