//! Identifiers. Every thing in Tollgate is named by a [`uuid::Uuid`]; the aliases say which.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A user's id.
pub type UserId = Uuid;
/// An organization's id.
pub type OrgId = Uuid;
/// A ticket's id (also the id of the grant made from it).
pub type TicketId = Uuid;
/// A node's id.
pub type NodeId = Uuid;
/// An asset's id.
pub type AssetId = Uuid;
/// An ACL rule's id.
pub type AclId = Uuid;

/// A user as a ticket remembers them: id plus the username at the time.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserRef {
    /// The user's id.
    #[cfg_attr(feature = "openapi", schema(value_type = uuid::Uuid))]
    pub id: UserId,
    /// Their username.
    pub username: String,
}

impl UserRef {
    /// A reference from its parts.
    pub fn new(id: UserId, username: impl Into<String>) -> Self {
        Self {
            id,
            username: username.into(),
        }
    }
}
