//! Table definitions shared by both backends (the migrations in `migrations/sqlite` and
//! `migrations/postgres` create the same tables and columns; a test checks it).

diesel::table! {
    organizations (id) {
        id -> BigInt,
        name -> Text,
        status -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        plan_id -> BigInt,
        time_zone -> Nullable<Text>,
        holidays -> Text,
        success_manager_id -> Nullable<BigInt>,
        partner_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    organization_domains (id) {
        id -> BigInt,
        organization_id -> BigInt,
        domain -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        email -> Text,
        display_name -> Text,
        password_hash -> Text,
        role -> Text,
        organization_id -> Nullable<BigInt>,
        authorized_contact -> Bool,
        email_verified_at -> Nullable<Timestamp>,
        session_epoch -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        username -> Nullable<Text>,
        notify_email -> Text,
        digest_sent_at -> Nullable<Timestamp>,
        unread_notifications -> BigInt,
        time_zone -> Nullable<Text>,
        avatar_sha256 -> Nullable<Text>,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> BigInt,
        user_id -> BigInt,
        name -> Text,
        token_hash -> Text,
        session_epoch -> BigInt,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    blocked_domains (id) {
        id -> BigInt,
        domain -> Text,
        note -> Text,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    categories (id) {
        id -> BigInt,
        parent_id -> Nullable<BigInt>,
        slug -> Text,
        name -> Text,
        description -> Text,
        kind -> Text,
        position -> BigInt,
        topic_count -> BigInt,
        post_count -> BigInt,
        last_topic_id -> Nullable<BigInt>,
        last_posted_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        community_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    topics (id) {
        id -> BigInt,
        category_id -> BigInt,
        user_id -> BigInt,
        title -> Text,
        slug -> Text,
        pinned -> Bool,
        locked -> Bool,
        accepted_post_id -> Nullable<BigInt>,
        reply_count -> BigInt,
        score -> BigInt,
        status -> Nullable<Text>,
        official -> Bool,
        product -> Nullable<Text>,
        version -> Nullable<Text>,
        released_on -> Nullable<Date>,
        merged_into_id -> Nullable<BigInt>,
        last_posted_at -> Timestamp,
        last_post_user_id -> Nullable<BigInt>,
        deleted_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        response_markdown -> Nullable<Text>,
        response_html -> Nullable<Text>,
        response_user_id -> Nullable<BigInt>,
        status_changed_at -> Nullable<Timestamp>,
        revision -> BigInt,
        views -> BigInt,
    }
}

diesel::table! {
    topic_votes (topic_id, user_id) {
        topic_id -> BigInt,
        user_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    posts (id) {
        id -> BigInt,
        topic_id -> BigInt,
        user_id -> BigInt,
        number -> BigInt,
        body_markdown -> Text,
        body_html -> Text,
        score -> BigInt,
        hidden -> Bool,
        edit_count -> BigInt,
        edited_at -> Nullable<Timestamp>,
        deleted_at -> Nullable<Timestamp>,
        deleted_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    post_revisions (id) {
        id -> BigInt,
        post_id -> BigInt,
        user_id -> BigInt,
        number -> BigInt,
        title -> Nullable<Text>,
        body_markdown -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    post_votes (post_id, user_id) {
        post_id -> BigInt,
        user_id -> BigInt,
        value -> Integer,
        created_at -> Timestamp,
    }
}

diesel::table! {
    tags (id) {
        id -> BigInt,
        name -> Text,
        topic_count -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    topic_tags (topic_id, tag_id) {
        topic_id -> BigInt,
        tag_id -> BigInt,
    }
}

diesel::table! {
    revoked_sessions (session_id) {
        session_id -> Text,
        user_id -> BigInt,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    rate_limits (key) {
        key -> Text,
        full_at_ms -> BigInt,
    }
}

diesel::table! {
    file_parts (sha256, part) {
        sha256 -> Text,
        part -> Integer,
        bytes -> Binary,
    }
}

diesel::table! {
    shared_files (sha256) {
        sha256 -> Text,
        size -> BigInt,
        parts -> Integer,
        created_at -> Timestamp,
    }
}

diesel::table! {
    topic_vectors (topic_id) {
        topic_id -> BigInt,
        model -> Text,
        digest -> Text,
        vector -> Binary,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    search_outbox (id) {
        id -> BigInt,
        entity -> Text,
        entity_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    downloads (id) {
        id -> BigInt,
        topic_id -> BigInt,
        label -> Text,
        url -> Nullable<Text>,
        sha256 -> Nullable<Text>,
        filename -> Nullable<Text>,
        size -> Nullable<BigInt>,
        content_type -> Nullable<Text>,
        user_id -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    flags (id) {
        id -> BigInt,
        post_id -> BigInt,
        user_id -> BigInt,
        reason -> Text,
        note -> Text,
        status -> Text,
        resolved_by -> Nullable<BigInt>,
        resolved_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    uploads (id) {
        id -> BigInt,
        sha256 -> Text,
        filename -> Text,
        size -> BigInt,
        content_type -> Text,
        user_id -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    environments (id) {
        id -> BigInt,
        organization_id -> BigInt,
        name -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    applications (id) {
        id -> BigInt,
        organization_id -> BigInt,
        name -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    keywords (id) {
        id -> BigInt,
        name -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    tickets (id) {
        id -> BigInt,
        organization_id -> BigInt,
        requester_id -> BigInt,
        assignee_id -> Nullable<BigInt>,
        priority -> Text,
        status -> Text,
        environment_id -> Nullable<BigInt>,
        application_id -> Nullable<BigInt>,
        keyword_id -> Nullable<BigInt>,
        subject -> Text,
        description_markdown -> Text,
        description_html -> Text,
        source -> Text,
        flagged -> Bool,
        follows_ticket_id -> Nullable<BigInt>,
        sla_due_at -> Timestamp,
        first_response_at -> Nullable<Timestamp>,
        closed_at -> Nullable<Timestamp>,
        archived_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        sender_verified -> Bool,
        plan_id -> BigInt,
        sla_paused -> Bool,
        escalation_level -> BigInt,
        escalated_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    support_plans (id) {
        id -> BigInt,
        name -> Text,
        critical_amount -> BigInt,
        critical_unit -> Text,
        high_amount -> BigInt,
        high_unit -> Text,
        normal_amount -> BigInt,
        normal_unit -> Text,
        zone -> Text,
        opens -> Text,
        closes -> Text,
        days -> Text,
        holidays -> Text,
        pauses -> Text,
        escalation -> Bool,
        hotline -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    partners (id) {
        id -> BigInt,
        name -> Text,
        support_email -> Text,
        support_url -> Text,
        filing -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    deflection_visits (id) {
        id -> BigInt,
        token -> Text,
        user_id -> BigInt,
        form -> Text,
        category_id -> Nullable<BigInt>,
        priority -> Nullable<Text>,
        application_id -> Nullable<BigInt>,
        query -> Text,
        queries -> BigInt,
        empty_queries -> BigInt,
        shown -> BigInt,
        opened -> BigInt,
        answered_topic_id -> Nullable<BigInt>,
        filed_kind -> Nullable<Text>,
        filed_id -> Nullable<BigInt>,
        filed_at -> Nullable<Timestamp>,
        started_at -> Timestamp,
        last_at -> Timestamp,
    }
}

diesel::table! {
    deflection_threads (visit_id, topic_id) {
        visit_id -> BigInt,
        topic_id -> BigInt,
        opened_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    communities (id) {
        id -> BigInt,
        slug -> Text,
        name -> Text,
        description -> Text,
        docs_url -> Text,
        position -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    site_settings (key) {
        key -> Text,
        value -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    contact_requests (id) {
        id -> BigInt,
        organization_id -> BigInt,
        user_id -> BigInt,
        reason -> Text,
        created_at -> Timestamp,
        decided_at -> Nullable<Timestamp>,
        decided_by -> Nullable<BigInt>,
        outcome -> Nullable<Text>,
    }
}

diesel::table! {
    ticket_events (id) {
        id -> BigInt,
        ticket_id -> BigInt,
        actor_id -> Nullable<BigInt>,
        kind -> Text,
        public -> Bool,
        from_value -> Nullable<Text>,
        to_value -> Nullable<Text>,
        body_markdown -> Nullable<Text>,
        body_html -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    ticket_attachments (id) {
        id -> BigInt,
        ticket_id -> BigInt,
        user_id -> BigInt,
        sha256 -> Text,
        filename -> Text,
        size -> BigInt,
        content_type -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    announcements (id) {
        id -> BigInt,
        title -> Text,
        body_markdown -> Text,
        body_html -> Text,
        pinned -> Bool,
        ends_at -> Nullable<Timestamp>,
        author_id -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    mailbox_readers (mailbox) {
        mailbox -> Text,
        holder -> Text,
        lease_until -> Timestamp,
    }
}

diesel::table! {
    mail_outbox (id) {
        id -> BigInt,
        event_key -> Text,
        to_name -> Text,
        to_address -> Text,
        subject -> Text,
        text_body -> Text,
        html_body -> Text,
        message_id -> Text,
        in_reply_to -> Nullable<Text>,
        list_unsubscribe -> Nullable<Text>,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        lease_until -> Nullable<Timestamp>,
        claimed_by -> Nullable<Text>,
        last_error -> Nullable<Text>,
        sent_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        auto_submitted -> Text,
    }
}

diesel::table! {
    inbound_mail (id) {
        id -> BigInt,
        message_id -> Nullable<Text>,
        from_address -> Text,
        subject -> Text,
        outcome -> Text,
        reason -> Nullable<Text>,
        ticket_id -> Nullable<BigInt>,
        size -> BigInt,
        received_at -> Timestamp,
        sender_check -> Nullable<Text>,
        raw_sha256 -> Nullable<Text>,
    }
}

diesel::table! {
    ticket_followers (ticket_id, user_id) {
        ticket_id -> BigInt,
        user_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    notifications (id) {
        id -> BigInt,
        user_id -> BigInt,
        kind -> Text,
        event_key -> Text,
        topic_id -> BigInt,
        post_id -> Nullable<BigInt>,
        actor_id -> Nullable<BigInt>,
        title -> Text,
        detail -> Nullable<Text>,
        created_at -> Timestamp,
        read_at -> Nullable<Timestamp>,
        mailed -> Bool,
    }
}

diesel::table! {
    topic_watches (user_id, topic_id) {
        user_id -> BigInt,
        topic_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    category_watches (user_id, category_id) {
        user_id -> BigInt,
        category_id -> BigInt,
        level -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    product_follows (user_id, product) {
        user_id -> BigInt,
        product -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    links (id) {
        id -> BigInt,
        from_kind -> Text,
        from_id -> BigInt,
        relation -> Text,
        to_kind -> Text,
        to_id -> BigInt,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    status_components (id) {
        id -> BigInt,
        slug -> Text,
        name -> Text,
        description -> Text,
        position -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    incidents (id) {
        id -> BigInt,
        title -> Text,
        kind -> Text,
        impact -> Text,
        state -> Text,
        starts_at -> Timestamp,
        ends_at -> Nullable<Timestamp>,
        resolved_at -> Nullable<Timestamp>,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    incident_components (incident_id, component_id) {
        incident_id -> BigInt,
        component_id -> BigInt,
    }
}

diesel::table! {
    incident_updates (id) {
        id -> BigInt,
        incident_id -> BigInt,
        state -> Text,
        body_markdown -> Text,
        body_html -> Text,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    status_subscriptions (id) {
        id -> BigInt,
        email -> Text,
        token -> Text,
        all_components -> Bool,
        confirmed_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    status_subscription_components (subscription_id, component_id) {
        subscription_id -> BigInt,
        component_id -> BigInt,
    }
}

diesel::table! {
    teams (id) {
        id -> BigInt,
        slug -> Text,
        name -> Text,
        list_address -> Nullable<Text>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    team_members (team_id, user_id) {
        team_id -> BigInt,
        user_id -> BigInt,
    }
}

diesel::table! {
    business_calendar (id) {
        id -> BigInt,
        zone -> Text,
        opens -> Text,
        closes -> Text,
        days -> Text,
        holidays -> Text,
        updated_at -> Timestamp,
    }
}

diesel::joinable!(organization_domains -> organizations (organization_id));
diesel::joinable!(flags -> posts (post_id));
diesel::joinable!(team_members -> teams (team_id));
diesel::joinable!(incident_components -> incidents (incident_id));
diesel::joinable!(incident_components -> status_components (component_id));
diesel::joinable!(incident_updates -> incidents (incident_id));
diesel::joinable!(status_subscription_components -> status_subscriptions (subscription_id));
diesel::joinable!(notifications -> topics (topic_id));
diesel::joinable!(topic_watches -> users (user_id));
diesel::joinable!(topic_watches -> topics (topic_id));
diesel::joinable!(category_watches -> categories (category_id));
diesel::joinable!(category_watches -> users (user_id));
diesel::joinable!(product_follows -> users (user_id));
diesel::joinable!(team_members -> users (user_id));
diesel::joinable!(downloads -> topics (topic_id));
diesel::joinable!(topics -> categories (category_id));
diesel::joinable!(posts -> topics (topic_id));
diesel::joinable!(post_revisions -> posts (post_id));
diesel::joinable!(post_votes -> posts (post_id));
diesel::joinable!(topic_tags -> topics (topic_id));
diesel::joinable!(topic_tags -> tags (tag_id));
diesel::joinable!(topic_votes -> topics (topic_id));
diesel::joinable!(ticket_events -> tickets (ticket_id));
diesel::joinable!(ticket_attachments -> tickets (ticket_id));
diesel::joinable!(tickets -> organizations (organization_id));
diesel::joinable!(users -> organizations (organization_id));
diesel::joinable!(api_tokens -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    organizations,
    organization_domains,
    users,
    api_tokens,
    blocked_domains,
    categories,
    topics,
    posts,
    post_revisions,
    post_votes,
    tags,
    topic_tags,
    search_outbox,
    topic_vectors,
    rate_limits,
    file_parts,
    shared_files,
    topic_votes,
    downloads,
    flags,
    uploads,
    environments,
    applications,
    keywords,
    tickets,
    ticket_events,
    business_calendar,
    ticket_attachments,
    announcements,
    mail_outbox,
    inbound_mail,
    ticket_followers,
    teams,
    support_plans,
    partners,
    contact_requests,
    communities,
    site_settings,
    deflection_visits,
    deflection_threads,
    team_members,
    notifications,
    topic_watches,
    category_watches,
    product_follows,
    links,
    status_components,
    incidents,
    incident_components,
    incident_updates,
    status_subscriptions,
    status_subscription_components,
);
