//! Shared error answers for the OpenAPI document, so that a row is written once and named
//! where it applies (`responses((status = 200, …), UnknownOrg)`). What every operation can
//! answer (400, 401, 403, 404 on a path with an id, 413, 415, 422 on a body, 503) is added by
//! `openapi::SharedErrors` and is not named at all.

use utoipa::IntoResponses;

use super::openapi::ApiErrorBody;

/// Declares one response set: an enum whose variants are error answers.
macro_rules! response_set {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = ($status:literal, $description:literal)),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(IntoResponses)]
        #[allow(dead_code)]
        pub enum $name {
            $(
                #[response(status = $status, description = $description)]
                $variant(ApiErrorBody),
            )+
        }
    };
}

response_set!(
    /// Creating or renaming what must be unique.
    Conflict { Conflict = (409, "In conflict with what exists") }
);
response_set!(
    /// Something named in the body or query is unknown or hidden.
    NotFound { NotFound = (404, "Unknown, or not visible to the caller") }
);
response_set!(
    /// A refused value where there is no body (a query or the state of what is named).
    Invalid { Invalid = (422, "An invalid value (see `field`)") }
);
response_set!(
    /// Only super admins may.
    SuperAdminOnly { Forbidden = (403, "Not a super admin") }
);
response_set!(
    /// The org in the path or query.
    UnknownOrg { NotFound = (404, "Unknown org") }
);
response_set!(
    /// Browsing an org one is not in.
    NotAMember { Forbidden = (403, "Not a member of the org") }
);
response_set!(
    /// The ticket in the path.
    UnknownTicket { NotFound = (404, "No such ticket the caller may see") }
);
response_set!(
    /// A decision on a ticket that is no longer open at that level.
    WrongState { Conflict = (409, "The ticket is not in a state that allows it") }
);
response_set!(
    /// A decision at a level that asks for a fresh second factor.
    StepUpRefused {
        Forbidden = (403, "`step_up_required`: the level asks for a fresh second factor and none was given (send `second_factor_code`; a bearer token counts only when it was made `for_approvals`). `wrong_code`: the code sent is wrong or used already"),
        TooManyAttempts = (429, "`too_many_attempts`: too many wrong codes (they count with failed sign-ins); see `Retry-After`")
    }
);
response_set!(
    /// Reading or changing a flow.
    FlowAccess { Forbidden = (403, "Not allowed to see or manage this flow") }
);
response_set!(
    /// The ACL rule in the path.
    UnknownRule { NotFound = (404, "No such rule the caller may edit") }
);
response_set!(
    /// An org admin's earlier change of the same rule waits for approval.
    RuleChangeWaits { Conflict = (409, "A change of this rule already waits") }
);
response_set!(
    /// The webhook in the path.
    UnknownWebhook { NotFound = (404, "No such webhook") }
);
response_set!(
    /// The grant in the path.
    UnknownGrant { NotFound = (404, "No such grant the caller may see") }
);
response_set!(
    /// The invitation in the path.
    UnknownInvitation { NotFound = (404, "No such invitation") }
);
response_set!(
    /// The gateway API: a service token, not a person.
    GatewayOnly {
        Unauthorized = (401, "No valid service token"),
        Forbidden = (403, "Called by a user, not a gateway"),
    }
);
