//! Table definitions shared by both backends (the migrations in `migrations/sqlite` and
//! `migrations/postgres` create the same tables and columns; a test checks it).

diesel::table! {
    organizations (id) {
        id -> BigInt,
        name -> Text,
        status -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
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

diesel::joinable!(organization_domains -> organizations (organization_id));
diesel::joinable!(users -> organizations (organization_id));
diesel::joinable!(api_tokens -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    organizations,
    organization_domains,
    users,
    api_tokens,
    blocked_domains,
);
