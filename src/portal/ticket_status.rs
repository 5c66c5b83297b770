//! Ticket statuses and the one table of who may move a ticket from which status to
//! which. The pages (the Update Status menu lists only allowed targets) and the API
//! both ask [`allowed`]; a refused move names its reason.

/// A ticket's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    Open,
    Triaging,
    InProgress,
    CustomerPending,
    AwaitingAuthorization,
    MeetingScheduled,
    OnHold,
    SolutionProvided,
    Closed,
    Archived,
}

/// Every status, in the order the menus show them.
pub const ALL: [Status; 10] = [
    Status::Open,
    Status::Triaging,
    Status::InProgress,
    Status::CustomerPending,
    Status::AwaitingAuthorization,
    Status::MeetingScheduled,
    Status::OnHold,
    Status::SolutionProvided,
    Status::Closed,
    Status::Archived,
];

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Triaging => "triaging",
            Self::InProgress => "in_progress",
            Self::CustomerPending => "customer_pending",
            Self::AwaitingAuthorization => "awaiting_authorization",
            Self::MeetingScheduled => "meeting_scheduled",
            Self::OnHold => "on_hold",
            Self::SolutionProvided => "solution_provided",
            Self::Closed => "closed",
            Self::Archived => "archived",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Open => "Open",
            Self::Triaging => "Acknowledged/Triaging",
            Self::InProgress => "In Progress",
            Self::CustomerPending => "Customer Pending",
            Self::AwaitingAuthorization => "Awaiting Authorization",
            Self::MeetingScheduled => "Meeting Scheduled",
            Self::OnHold => "On-hold",
            Self::SolutionProvided => "Solution Provided/Monitoring",
            Self::Closed => "Closed",
            Self::Archived => "Archived",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        ALL.into_iter().find(|st| st.as_str() == s.trim())
    }

    /// Closed and archived tickets are no longer current.
    pub fn is_current(self) -> bool {
        !matches!(self, Self::Closed | Self::Archived)
    }
}

/// Who asks for a move.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// An authorized contact of the ticket's organization.
    Customer,
    /// Support staff and admins.
    Staff,
    /// Parley itself: archiving closed tickets.
    System,
}

/// Whether `actor` may move a ticket from `from` to `to`, and if not, why.
pub fn allowed(actor: Actor, from: Status, to: Status) -> Result<(), &'static str> {
    use Status::*;
    if from == Archived {
        return Err("An archived ticket is final: open a follow-up ticket instead.");
    }
    if from == to {
        return Err("The ticket already has this status.");
    }
    match (actor, to) {
        (Actor::System, Archived) if from == Closed => Ok(()),
        (Actor::System, _) => Err("Parley only archives closed tickets."),
        (_, Archived) => Err("Only Parley archives tickets, 14 days after they close."),
        (Actor::Staff, _) => Ok(()),
        (Actor::Customer, Closed) => Ok(()),
        (Actor::Customer, Open) if matches!(from, SolutionProvided | Closed) => Ok(()),
        (Actor::Customer, Open) => Err("Customers reopen tickets that are solved or closed."),
        (Actor::Customer, _) => Err("Customers may close their tickets, or reopen solved and closed ones."),
    }
}

/// The statuses `actor` may move a ticket in `from` to: what the menu offers.
pub fn targets(actor: Actor, from: Status) -> Vec<Status> {
    ALL.into_iter()
        .filter(|to| allowed(actor, from, *to).is_ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table() {
        use Status::*;
        // Staff may move anywhere but to Archived, and never out of it.
        assert_eq!(targets(Actor::Staff, Open).len(), 8);
        assert!(allowed(Actor::Staff, Closed, Open).is_ok());
        assert!(allowed(Actor::Staff, Open, Archived).is_err());
        assert!(targets(Actor::Staff, Archived).is_empty());
        // Customers close, and reopen solved or closed tickets.
        assert_eq!(targets(Actor::Customer, InProgress), [Closed]);
        assert_eq!(targets(Actor::Customer, SolutionProvided), [Open, Closed]);
        assert_eq!(targets(Actor::Customer, Closed), [Open]);
        assert!(allowed(Actor::Customer, Open, InProgress).is_err());
        // Only the system archives, and only closed tickets.
        assert!(allowed(Actor::System, Closed, Archived).is_ok());
        assert!(allowed(Actor::System, Open, Archived).is_err());
        assert!(targets(Actor::Customer, Archived).is_empty());
        for s in ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
    }
}
